"""The command-line contract of every `verval` command that changes data (SPEC §8), in one place.

A command built on `DataCommand`:

* accepts `--json` (added here); with it stdout holds one JSON object and nothing else (any other
  line the command writes goes to stderr, decision 0066): the counts
  when it applied its input, and `{"state": "REFUSED" | "FAILED", "error_code", "error", "message",
  ...}` when it did not, also for a refusal of an argument (unknown batch or period, a missing
  file, a usage error of the options) and for an unexpected error;
* exits 0 when it applied its input (rows it refused are counted), `EXIT_REFUSED` (2) when it
  refused the input or an argument whole (nothing changed: fix the input and run again), and
  `EXIT_FAILED` (1) on a system error (nothing changed either: the database, the file store, a
  bug; the same input may succeed later).

Commands refuse by raising `Refused(code, message, **details)`, report a system error with
`Failed(...)`, and turn a finished job into its output with `job_output(job)`. Decision 0026.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

EXIT_REFUSED = 2
EXIT_FAILED = 1

# Codes of refusals and failures that no job or action gave (stable, SPEC style).
USAGE_ERROR = "ARGUMEN_TIDAK_SAH"  # an option missing, unknown or out of range
FILE_NOT_FOUND = "BERKAS_TIDAK_DITEMUKAN"
SYSTEM_ERROR = "KESALAHAN_SISTEM"  # as the provider API's 500 answer
DATABASE_NOT_MIGRATED = "BASIS_DATA_BELUM_DIMIGRASI"

# The JSON line speaks English snake_case identifiers (decision 0061). A job's stored counts keep
# the names the provider API answers with (docs/api.md: `aktif`, `residu`, `berhasil`, `gagal`)
# and the job page labels (core.jobs.COUNT_LABELS); on the command line they are these. SPEC codes
# stay codes, as values (`"state": "SUCCEEDED"`) and as the keys of a breakdown by code
# (`by_code`, `by_rule`, `matched`, `number_status`): they are upper case, never in this table.
JSON_KEYS = {
    "divalidasi": "validated",
    "menunggu_provider": "awaiting_provider",
    "format_salah": "invalid_format",
    "nomor_dipakai_bersama": "shared_numbers",
    "nomor_tidak_rasional": "implausible_numbers",
    "diperiksa_ulang": "rechecked",
    "putusan_berubah": "verdicts_changed",
    "aktif": "active",
    "residu": "residue",
    "berhasil": "injected",
    "gagal": "failed",
}


def english_keys(value: Any) -> Any:
    """`value` with every key of JSON_KEYS renamed, at any depth (a simulation's counts hold the
    counts of each job it ran)."""
    if isinstance(value, dict):
        return {JSON_KEYS.get(k, k): english_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [english_keys(v) for v in value]
    return value


class Refused(CommandError):
    """The input (or an argument) refused whole; nothing changed. Exit 2."""

    state = "REFUSED"
    exit_code = EXIT_REFUSED

    def __init__(self, error_code: str, message: str, **details: Any) -> None:
        self.error_code = error_code
        self.message = message
        self.details = details
        super().__init__(f"{error_code}: {message}", returncode=self.exit_code)

    def json_line(self) -> dict[str, Any]:
        head = {"state": self.state, "error_code": self.error_code, "error": self.error_code}
        head["message"] = self.message
        return {**head, **{k: v for k, v in self.details.items() if k not in head}}


class Failed(Refused):
    """A system error; nothing changed. Exit 1."""

    state = "FAILED"
    exit_code = EXIT_FAILED


def count_text(value: Any) -> Any:
    """A count in a plain-text line for a person, grouped as English writes it ("1,234,567"; the
    command line speaks English, decision 0061); anything else as it is. The --json line keeps
    plain integers (decision 0073)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def missing_tables(exc: BaseException) -> bool:
    """A database error that says the tables are not there (`verval migrate` not run)."""
    from django.db.utils import OperationalError, ProgrammingError

    if not isinstance(exc, OperationalError | ProgrammingError):
        return False
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text


def as_outcome(exc: BaseException) -> Refused:
    """Any exception as a Refused or Failed (what the JSON line and the exit code say)."""
    if isinstance(exc, Refused):
        return exc
    if missing_tables(exc):
        return Failed(DATABASE_NOT_MIGRATED, "the database has no tables yet: run `verval migrate` first")
    if isinstance(exc, CommandError):
        # Django's own (a usage error under call_command, a failed system check): the message is
        # Django's, it holds no personal data.
        if exc.returncode == EXIT_REFUSED or str(exc).startswith("Error: "):
            return Refused(USAGE_ERROR, str(exc).removeprefix("Error: "))
        return Failed(SYSTEM_ERROR, str(exc))
    # Only the type: an exception's text may carry a value of the input (a number, a name).
    return Failed(SYSTEM_ERROR, f"unexpected {type(exc).__name__}; see the log")


def require_file(name: str) -> Path:
    """The path of an input file that exists and is a regular file, else Refused (exit 2)."""
    path = Path(name)
    if not path.exists():
        raise Refused(FILE_NOT_FOUND, f"file not found: {path}", file=str(path))
    if not path.is_file():
        raise Refused(FILE_NOT_FOUND, f"not a regular file: {path}", file=str(path))
    return path


def with_paths(batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Batches of a job's counts (dump, disbursement) with the absolute `path` of their file
    beside `file`, the path relative to the file store that the database keeps (decision 0026)."""
    from verval.core import files

    return [{**b, "path": str(files.absolute(b["file"]))} for b in batches]


def job_output(job: Any, **extra: Any) -> dict[str, Any]:
    """The JSON object of a finished job: its id, state and counts (plus `extra`); raises Refused
    (state REFUSED) or Failed (any other state but SUCCEEDED) with the same details."""
    out: dict[str, Any] = {"job": str(job.pk), "state": job.state, **(job.counts or {}), **extra}
    if job.state == "SUCCEEDED":
        return out
    cls = Refused if job.state == "REFUSED" else Failed
    code = job.error_code or (SYSTEM_ERROR if cls is Failed else "DITOLAK")
    details = {k: v for k, v in out.items() if k != "state"}
    raise cls(code, job.error_message_en or job.state, message_id=job.error_message, **details)


class DataCommand(BaseCommand):
    """Base of the commands that change data (and of those that print counts): `--json`, one JSON
    object as the last line in every outcome, exit codes 0 / 2 / 1 (module docstring)."""

    json_help = "print one JSON object (counts, or state/error_code/message when refused) as the last line"
    _json_asked = False  # --json among the arguments parsed (for a usage error's JSON line)
    _json_out: OutputWrapper | None = None  # where emit() writes under --json (the real stdout)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--json", action="store_true", help=self.json_help)
        command = self
        parse_args = parser.parse_args

        def parse(args: Any = None, namespace: Any = None) -> Any:
            argv = sys.argv[2:] if args is None else list(args)
            command._json_asked = "--json" in argv
            return parse_args(args, namespace)

        def refuse_usage(parser: Any) -> None:
            error = parser.error

            def usage_error(message: str) -> NoReturn:
                # argparse's usage errors refuse the arguments whole: exit 2 from the command line
                # (argparse's own code), CommandError with returncode 2 under call_command.
                refused = Refused(USAGE_ERROR, message)
                if command._json_asked:
                    command.emit(refused.json_line())
                if parser.called_from_command_line:
                    error(message)
                raise refused

            parser.error = usage_error

        parser.parse_args = parse  # type: ignore[method-assign]
        refuse_usage(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):  # `verval period open CODE --json`
                for sub in action.choices.values():
                    # After the subcommand argparse hands the rest to its parser alone; SUPPRESS
                    # keeps a --json given before the subcommand.
                    sub.add_argument(
                        "--json", action="store_true", default=argparse.SUPPRESS, help=self.json_help
                    )
                    refuse_usage(sub)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        if options.get("json"):
            # Under --json stdout carries the JSON object alone (scripts read it whole, decision
            # 0066): whatever a command writes to self.stdout goes to stderr, emit() to stdout.
            self._json_out = OutputWrapper(options["stdout"]) if options.get("stdout") else self.stdout
            options["stdout"] = options.get("stderr") or self.stderr._out
        else:
            self._json_out = None
        from verval.core import audit

        try:
            # Its audit rows say cli:<OS login> (decision 0138); `verval` sets it for every command
            # (verval.cli), this for a command called otherwise (call_command, manage.py).
            with audit.acting_via(audit.cli_via()):
                return super().execute(*args, **options)
        except Exception as exc:
            outcome = as_outcome(exc)
            if options.get("json"):
                self.emit(outcome.json_line())
            if isinstance(exc, CommandError) and outcome is not exc:
                raise outcome from None
            # Ours as they are; a database without tables to `verval` (verval.cli says to
            # migrate); anything else is a bug and keeps its traceback (exit 1).
            raise

    def emit(self, data: dict[str, Any], *, sort_keys: bool = False) -> None:
        """The JSON line (of an applied input, or of a refusal), keys in English (JSON_KEYS)."""
        out = self._json_out or self.stdout
        out.write(json.dumps(english_keys(data), default=str, sort_keys=sort_keys))

    def print_counts(self, head: str, data: dict[str, Any], keys: tuple[str, ...]) -> None:
        """One line of counts for a person, under the names the --json line gives them (JSON_KEYS):
        `SUCCEEDED: rows 3, applied 3, active 2, …`. A count missing from `data` is left out."""
        named = english_keys(data)
        self.stdout.write(head + ", ".join(f"{key} {count_text(named[key])}" for key in keys if key in named))

    def print_issues(self, job: Any, limit: int = 20) -> None:
        """The job's first refused rows, one line each (values stay out: the report has them
        masked; the whole report is on the job page)."""
        for issue in job.issues.all()[:limit]:
            self.stdout.write(f"line {issue.line} {issue.column} {issue.code}: {issue.message_en}")
