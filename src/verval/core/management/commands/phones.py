from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Number tools. `verval phones check [--column NAME]`: numbers on stdin -> CSV verdicts on stdout."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="input,e164,national,valid,reason,operator as CSV")
        check.add_argument("--column", default=None, help="the number column of a CSV with a header")
        check.add_argument("--json", action="store_true", help="a JSON summary on stderr as the last line")

    def handle(self, *args: Any, **opts: Any) -> None:
        from verval.phones.cli import BROKEN_PIPE, main

        argv = []
        if opts.get("column"):
            argv += ["--column", opts["column"]]
        if opts.get("json"):
            argv.append("--json")
        code = main(argv)
        if code == BROKEN_PIPE:
            raise SystemExit(code)  # the reader of our output went away: nothing to say
        sys.stdout.flush()
        if code:
            raise CommandError("input refused", returncode=code)
