"""`verval` itself (decision 0061): its help lists the product's commands by group before Django's,
a mistyped command name gets the names the docs spell, and a usage error is one line under the
command's own usage, exit 2. Run through the console script's module, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import get_commands

from verval import cli

HEADINGS = [
    "Set up and demo:",
    "Import:",
    "Validation:",
    "Exchange with providers:",
    "SPTJM and disbursement:",
    "Serving and workers:",
    "Tools:",
]


# The tests that run `verval` drop DATABASE_URL: their processes use a SQLite file of their own
# (or none), so the PostgreSQL pass would repeat the SQLite pass's run (decisions 0111, 0129).
SQLITE_PASS = pytest.mark.sqlite_pass


def _verval(*args: str, var_dir: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["VERVAL_VAR_DIR"] = var_dir
    return subprocess.run(
        [sys.executable, "-m", "verval.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


@SQLITE_PASS
def test_help_lists_the_products_commands_by_group_and_says_how_to_see_djangos(tmp_path):
    shown = [_verval(*args, var_dir=str(tmp_path)) for args in ((), ("help",), ("--help",), ("-h",))]

    assert {(done.returncode, done.stderr) for done in shown} == {(0, "")}
    assert len({done.stdout for done in shown}) == 1
    lines = shown[0].stdout.splitlines()
    assert lines[:2] == [
        "Verval Ponsel command line. Usage: verval <command> [options]",
        "'verval help <command>' shows a command's options. Commands that change data take --json.",
    ]
    assert [line for line in lines if line.endswith(":") and not line.startswith(" ")] == HEADINGS
    assert (
        "  import-dapodik      load a Dapodik cutoff (CSV or XLSX): added, changed, removed, refused" in lines
    )
    assert (
        lines[-1]
        == "Django's administrative commands (shell, dbshell, collectstatic, ...): 'verval help --all'."
    )
    # Django's own are not listed one by one, nor the underscore names.
    assert not [line for line in lines if line.strip().startswith(("dumpdata", "shell", "import_dapodik"))]


@SQLITE_PASS
def test_help_all_adds_djangos_commands_after_the_products(tmp_path):
    short = _verval("help", var_dir=str(tmp_path)).stdout.splitlines()
    done = _verval("help", "--all", var_dir=str(tmp_path))

    lines = done.stdout.splitlines()
    assert done.returncode == 0
    assert lines[: len(short) - 1] == short[:-1]
    assert lines[len(short) - 1] == "Django's administrative commands (run as 'verval <command>', as before):"
    django = next(line for line in lines if line.startswith("  [django] "))
    assert {"migrate", "shell", "dbshell", "createcachetable"} <= set(
        django.removeprefix("  [django] ").split(", ")
    )
    assert "  [auth] changepassword, createsuperuser" in lines
    assert _verval("--help", "--all", var_dir=str(tmp_path)).stdout == done.stdout


def test_every_product_command_is_listed_once_in_a_group():
    ours = {name for name, app in get_commands().items() if str(app).startswith("verval.")}
    listed = [cli.command_name(typed) for _, entries in cli.GROUPS for typed, _ in entries]

    assert len(listed) == len(set(listed))
    assert set(listed) - ours == {"migrate", "createsuperuser"}  # Django's, for setting up
    assert ours - set(listed) == set()
    assert [heading + ":" for heading, _ in cli.GROUPS] == HEADINGS
    # One line each, however wide the terminal's 100 columns.
    text = cli.help_text(get_commands(), show_all=False)
    assert max(len(line) for line in text.splitlines()) <= 100


@SQLITE_PASS
def test_djangos_commands_still_run_as_before(tmp_path):
    migrated = _verval("migrate", "-v", "0", var_dir=str(tmp_path))
    shell = _verval("shell", "-v", "0", "-c", "print(6 * 7)", var_dir=str(tmp_path))

    assert (migrated.returncode, migrated.stderr) == (0, "")
    assert (tmp_path / "verval.sqlite3").exists()
    assert (shell.returncode, shell.stdout) == (0, "42\n")
    assert _verval("help", "createsuperuser", var_dir=str(tmp_path)).stdout.startswith(
        "usage: verval createsuperuser"
    )


@SQLITE_PASS
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("validat", "Unknown command: 'validat'. Did you mean validate?"),
        ("import_dapodk", "Unknown command: 'import_dapodk'. Did you mean import-dapodik?"),
        ("ingest", "Unknown command: 'ingest'. Did you mean ingest-results or ingest-injection?"),
        ("shel", "Unknown command: 'shel'. Did you mean shell?"),
        ("xyzzy", "Unknown command: 'xyzzy'"),
    ],
)
def test_a_mistyped_command_suggests_the_names_the_docs_spell_and_exits_2(tmp_path, typed, said):
    done = _verval(typed, var_dir=str(tmp_path))

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{said}\nType 'verval help' for usage.\n"


@SQLITE_PASS
def test_help_of_a_mistyped_command_suggests_too(tmp_path):
    done = _verval("help", "dum", var_dir=str(tmp_path))

    assert (done.returncode, done.stderr) == (
        2,
        "Unknown command: 'dum'. Did you mean dump?\nType 'verval help' for usage.\n",
    )


@SQLITE_PASS
def test_an_unknown_option_is_one_error_line_under_the_commands_own_usage(tmp_path):
    done = _verval("stats", "--bogus", var_dir=str(tmp_path))

    assert (done.returncode, done.stdout) == (2, "")
    assert (
        done.stderr
        == "usage: verval stats [-h] [--period CODE] [--json]\nverval stats: error: unrecognized arguments: --bogus\n"
    )


@SQLITE_PASS
def test_an_unknown_option_of_a_django_command_is_refused_the_same_way(tmp_path):
    done = _verval("createsuperuser", "--bogus", var_dir=str(tmp_path))

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "verval createsuperuser: error: unrecognized arguments: --bogus"
    assert "--settings" not in done.stderr and "Traceback" not in done.stderr


@SQLITE_PASS
def test_an_option_before_the_command_says_where_it_goes(tmp_path):
    before = _verval("--json", "stats", var_dir=str(tmp_path))
    alone = _verval("--bogus", var_dir=str(tmp_path))

    assert (before.returncode, before.stderr) == (
        2,
        "verval: options go after the command: 'verval stats --json'\nType 'verval help' for usage.\n",
    )
    assert (alone.returncode, alone.stderr) == (
        2,
        "verval: unknown option --bogus\nusage: verval <command> [options]\nType 'verval help' for usage.\n",
    )


def test_suggestions_prefer_the_products_commands():
    commands = get_commands()

    assert cli.suggestions("simulate", commands) == ["simulate-providers", "simulate-injection"]
    assert cli.suggestions("provider", commands) == ["provider-token", "provider-format"]
    assert cli.suggestions("dispurse", commands) == ["disburse"]
    assert cli.suggestions("refresh_dashbord", commands) == ["refresh-dashboard"]
    assert cli.suggestions("migrat", commands) == ["migrate"]
