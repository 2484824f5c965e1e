"""`verval`: the Django command line with settings preset (SPEC §8).

Commands with a hyphen in the contract (`import-dapodik`, `ingest-results`) map onto Django's
underscore names, so both spellings work.

`verval`, `verval help` and `verval --help` list the product's commands grouped by what a user
does (`GROUPS`); `verval help --all` adds Django's administrative commands, which run as before
(`verval migrate`, `verval shell`, ...). A mistyped command name gets the nearest names as the
docs spell them, and a usage error shows the command's own options only (decision 0061).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterable
from typing import Any

# What `verval help` lists, in this order: (heading, ((name as typed, one-line help), ...)).
# Every command of a `verval.*` app belongs to one group (tests/core/test_cli_help.py); the few
# Django commands here are the ones the docs tell an operator to run.
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Set up and demo",
        (
            ("migrate", "create or update the database tables (Django's; after every upgrade)"),
            ("createsuperuser", "create the first Pusdatin account (Django's)"),
            ("period", "list, create, edit, open or close a period (tahap): schedule and quota policy"),
            ("demo", "load the demo data set and one account per role (what `make run` uses)"),
            ("synth", "write a synthetic Dapodik cutoff (CSV or XLSX) for tests and demos"),
        ),
    ),
    (
        "Import",
        (("import-dapodik", "load a Dapodik cutoff (CSV or XLSX): added, changed, removed, refused"),),
    ),
    (
        "Validation",
        (
            ("validate", "Pusdatin's validation run over new or changed numbers (--recheck: all)"),
            ("phones check", "numbers on stdin -> CSV verdicts on stdout (changes nothing)"),
        ),
    ),
    (
        "Exchange with providers",
        (
            ("dump", "publish a dump batch per provider of the numbers new or changed"),
            ("ingest-results", "apply a provider's match results to a dump batch"),
            ("simulate-providers", "answer the waiting dump batches with the provider simulator"),
            ("provider-token", "issue (rotate) or revoke a provider's API token"),
            ("provider-format", "show or set how a provider's files write no_ponsel"),
        ),
    ),
    (
        "SPTJM and disbursement",
        (
            ("disburse", "create a period's disbursement batches from approved SPTJM"),
            ("ingest-injection", "apply a provider's injection results to a disbursement batch"),
            ("simulate-injection", "let the simulated providers inject and report"),
        ),
    ),
    (
        "Serving and workers",
        (
            ("serve", "web server and a worker per queue in one terminal (what `make run` uses)"),
            ("worker", "the task worker (--queue-name: one queue); re-queues jobs whose worker died"),
            ("jobs", "unfinished jobs and their workers; requeue or cancel a stuck one"),
            ("notify", "the daily digest by e-mail (once a day, from cron)"),
        ),
    ),
    (
        "Tools",
        (
            ("stats", "counts by number, SPTJM and disbursement status, reason and provider"),
            ("files", "the file store by kind; --prune applies the retention rules"),
            ("audit", "the audit log, newest first: who did what, when, from, to (numbers masked)"),
            ("refresh-dashboard", "rebuild the dashboard aggregates"),
        ),
    ),
)

# Options every Django command has: left out of the usage line of an error (`-h` lists them).
_COMMON_OPTIONS = frozenset(
    (
        "--version",
        "--verbosity",
        "--settings",
        "--pythonpath",
        "--traceback",
        "--no-color",
        "--force-color",
        "--skip-checks",
    )
)


def command_name(typed: str) -> str:
    """The Django name of a command as typed in the docs (`import-dapodik` -> `import_dapodik`)."""
    return typed.split()[0].replace("-", "_")


def spoken(name: str, app: str) -> str:
    """A command's name as the docs write it: the product's with hyphens, Django's as they are."""
    return name.replace("_", "-") if is_product(app) else name


def is_product(app: str | Any) -> bool:
    return isinstance(app, str) and app.startswith("verval.")


def help_text(commands: dict[str, Any], *, show_all: bool, prog: str = "verval") -> str:
    """The main help: the product's commands by group, then how to see Django's (or, with
    show_all, Django's by app)."""
    lines = [
        f"Verval Ponsel command line. Usage: {prog} <command> [options]",
        f"'{prog} help <command>' shows a command's options. Commands that change data take --json.",
    ]
    width = max(len(typed) for _, entries in GROUPS for typed, _ in entries) + 2
    listed = set()
    for heading, entries in GROUPS:
        lines += ["", f"{heading}:"]
        for typed, summary in entries:
            listed.add(command_name(typed))
            lines.append(f"  {typed:<{width}}{summary}")
    others = sorted(n for n, app in commands.items() if is_product(app) and n not in listed)
    if others:  # a command not yet given a group still shows up
        lines += ["", "Other:"] + [f"  {spoken(n, commands[n])}" for n in others]
    if not show_all:
        lines += [
            "",
            f"Django's administrative commands (shell, dbshell, collectstatic, ...): '{prog} help --all'.",
        ]
        return "\n".join(lines)
    by_app: dict[str, list[str]] = {}
    for name, app in commands.items():
        if not is_product(app):
            label = "django" if app == "django.core" else str(app).rpartition(".")[-1]
            by_app.setdefault(label, []).append(name)
    lines += ["", f"Django's administrative commands (run as '{prog} <command>', as before):"]
    for label in sorted(by_app):
        lines.append(f"  [{label}] {', '.join(sorted(by_app[label]))}")
    return "\n".join(lines)


def suggestions(typed: str, commands: dict[str, Any]) -> list[str]:
    """Names close to a mistyped command, as the docs spell them: the product's commands the
    text begins (`ingest` -> ingest-results, ingest-injection), else the nearest of the
    product's, else the nearest of Django's."""
    product = [spoken(command_name(t), "verval.") for _, entries in GROUPS for t, _ in entries]
    product = [n for n in product if is_product(commands.get(command_name(n)))]
    product += sorted(
        spoken(n, app) for n, app in commands.items() if is_product(app) and spoken(n, app) not in product
    )
    django = sorted(n for n, app in commands.items() if not is_product(app))
    word = typed.lower().replace("_", "-")
    if len(word) >= 3:
        begun = [n for n in product if n.startswith(word)]
        if begun:
            return begun
    return difflib.get_close_matches(word, product, n=2) or difflib.get_close_matches(typed, django, n=1)


def _or(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _own_usage(parser: argparse.ArgumentParser) -> None:
    """A usage error shows the command's own options: Django's eight common ones made the usage
    four to six lines long before the one that says what was wrong."""

    def format_usage() -> str:
        formatter = parser._get_formatter()
        actions = [a for a in parser._actions if not _COMMON_OPTIONS.intersection(a.option_strings)]
        formatter.add_usage(parser.usage, actions, parser._mutually_exclusive_groups)
        return formatter.format_help()

    parser.format_usage = format_usage  # type: ignore[method-assign]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):  # `phones check`
            for sub in action.choices.values():
                _own_usage(sub)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    args = list(sys.argv if argv is None else argv)
    if args and os.path.basename(args[0]) in ("cli.py", "__main__.py"):
        args[0] = "verval"  # `python -m verval.cli` (the worker `verval serve` starts) speaks as verval
    try:
        import django  # noqa: F401
    except ImportError:
        # The project's wheel installs this command beside verval-provider; a provider's kit-only
        # install (`pip install --no-deps`, docs/provider-kit.md) has no Django to run it.
        print(
            "verval: this is the server's command and needs the whole project (Django); "
            "this install has the provider kit only: use verval-provider (verval-provider --help)",
            file=sys.stderr,
        )
        sys.exit(2)
    from django.conf import settings
    from django.core.management import BaseCommand, ManagementUtility, get_commands
    from django.db.utils import OperationalError, ProgrammingError

    from verval.core.commands import EXIT_FAILED, EXIT_REFUSED, missing_tables

    class Utility(ManagementUtility):
        show_all = False

        def main_help_text(self, commands_only: bool = False) -> str:
            if commands_only:  # `help --commands`: the names alone, for shell completion
                return super().main_help_text(commands_only=True)
            text = help_text(get_commands(), show_all=self.show_all, prog=self.prog_name)
            if self.settings_exception is not None:
                text += f"\nOnly Django's own commands are available: the settings failed ({self.settings_exception})."
            return text

        # The name is mapped where the command is looked up, not in argv: the usage line and the
        # errors then name the command as the user typed it and the docs spell it
        # (`verval import-dapodik`, not `verval import_dapodik`).
        def fetch_command(self, subcommand: str) -> BaseCommand:
            commands = get_commands()
            name = subcommand.replace("-", "_")
            if name not in commands and subcommand not in commands:
                self.unknown(subcommand, commands)
            command = super().fetch_command(name if name in commands else subcommand)
            create_parser = command.create_parser

            def own_usage_parser(prog_name: str, subcommand: str, **kwargs: Any) -> Any:
                parser = create_parser(prog_name, subcommand, **kwargs)
                _own_usage(parser)
                return parser

            command.create_parser = own_usage_parser  # type: ignore[method-assign]
            execute = command.execute

            def from_the_command_line(*args: Any, **options: Any) -> Any:
                # Every row a command writes says where it came from: cli:<OS login> (decision
                # 0138), Django's commands too (createsuperuser, shell); the jobs it queues keep it.
                from verval.core import audit

                with audit.acting_via(audit.cli_via()):
                    return execute(*args, **options)

            command.execute = from_the_command_line  # type: ignore[method-assign]
            return command

        def unknown(self, typed: str, commands: dict[str, Any]) -> None:
            if os.environ.get("DJANGO_SETTINGS_MODULE"):
                settings.INSTALLED_APPS  # noqa: B018 - re-raises a settings error get_commands() hid
            later = [a for a in self.argv[2:] if a.replace("-", "_") in commands]
            if typed.startswith("-") and later:
                rest = [a for a in self.argv[1:] if a != later[0]]
                message = (
                    f"verval: options go after the command: '{self.prog_name} {later[0]} {' '.join(rest)}'"
                )
            elif typed.startswith("-"):
                message = f"verval: unknown option {typed}\nusage: {self.prog_name} <command> [options]"
            else:
                near = suggestions(typed, commands)
                message = f"Unknown command: {typed!r}" + (f". Did you mean {_or(near)}?" if near else "")
            sys.stderr.write(f"{message}\nType '{self.prog_name} help' for usage.\n")
            # A usage error refuses the arguments: exit 2, as argparse's (decision 0026).
            sys.exit(EXIT_REFUSED)

        def execute(self) -> None:
            words = self.argv[1:]
            if words[:1] in (["help"], ["-h"], ["--help"]) and words[1:] == ["--all"]:
                self.show_all = True
                self.argv = [self.argv[0], "help"]
            elif words in (["help", "help"], ["help", "-h"], ["help", "--help"]):
                self.argv = [self.argv[0], "help"]
            super().execute()

    try:
        Utility(args).execute()
    except (OperationalError, ProgrammingError) as exc:
        # A database without its tables (a fresh VERVAL_VAR_DIR or DATABASE_URL) is the usual
        # cause; say so instead of a traceback. Other database errors keep theirs. A system
        # error, not a refused input: exit 1 (decision 0026).
        if not missing_tables(exc):
            raise
        print(
            "verval: the database has no tables yet (or misses some): run `verval migrate` first "
            f"(database error: {type(exc).__name__})",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_FAILED) from None
    except BrokenPipeError:
        # The reader stopped reading (`verval stats | head`): a choice of the reader's, not an
        # error of the command, so no traceback. Python's own advice: point stdout at devnull so
        # the interpreter's last flush does not raise again, and exit as a process SIGPIPE ended
        # (128 + 13), which a shell pipeline takes as the reader's choice. A data command prints its
        # summary after it committed; one stopped while it still printed progress rolled back.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_READER_GONE) from None


# What `verval` exits with when whoever read its output stopped reading (a closed pipe).
EXIT_READER_GONE = 141


if __name__ == "__main__":
    main()
