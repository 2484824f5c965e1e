"""`verval`: the Django command line with settings preset (SPEC §8).

Commands with a hyphen in the contract (`import-dapodik`, `ingest-results`) map onto Django's
underscore names, so both spellings work.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    args = list(sys.argv if argv is None else argv)
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
    from django.core.management import BaseCommand, ManagementUtility, get_commands
    from django.db.utils import OperationalError, ProgrammingError

    class Utility(ManagementUtility):
        # The name is mapped where the command is looked up, not in argv: the usage line and the
        # errors then name the command as the user typed it and the docs spell it
        # (`verval import-dapodik`, not `verval import_dapodik`).
        def fetch_command(self, subcommand: str) -> BaseCommand:
            name = subcommand.replace("-", "_")
            return super().fetch_command(name if name in get_commands() else subcommand)

    try:
        Utility(args).execute()
    except (OperationalError, ProgrammingError) as exc:
        from verval.core.commands import EXIT_FAILED, missing_tables

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


if __name__ == "__main__":
    main()
