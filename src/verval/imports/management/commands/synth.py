"""`verval synth --students N --teachers M [--seed S] --out FILE`: a synthetic Dapodik cutoff (SPEC §7)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from verval.core.commands import USAGE_ERROR, DataCommand, Refused
from verval.imports.synth import write_cutoff


class Command(DataCommand):
    help = "Writes a synthetic Dapodik cutoff (CSV or XLSX) with realistic schools, names and typed numbers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--students", type=int, required=True, help="rows of jenis PD (peserta didik) to write"
        )
        parser.add_argument("--teachers", type=int, default=0, help="rows of jenis PTK (pendidik) to write")
        parser.add_argument(
            "--seed", type=int, default=1, help="the same seed writes the same rows (default 1)"
        )
        parser.add_argument("--out", required=True, help="output file (.csv or .xlsx)")
        parser.add_argument(
            "--regencies", type=int, default=None, help="limit to K regencies chosen by the seed"
        )
        parser.add_argument(
            "--schools", type=int, default=None, help="number of schools (default: from --students)"
        )
        parser.add_argument(
            "--format", choices=["csv", "xlsx"], default=None, help="default: from the --out file's extension"
        )

    def handle(self, *args, **o) -> None:  # type: ignore[no-untyped-def]
        for name in ("students", "teachers", "regencies", "schools"):
            if o[name] is not None and o[name] < (1 if name in ("regencies", "schools") else 0):
                raise Refused(USAGE_ERROR, f"--{name} must be a positive number")
        # No rows asked for would write a header alone, a file every import refuses as empty.
        if not o["students"] and not o["teachers"]:
            raise Refused(USAGE_ERROR, "--students or --teachers must be more than 0")
        out = Path(o["out"])
        if out.is_dir() or not out.parent.is_dir():
            raise Refused(USAGE_ERROR, f"--out {out}: not a file in an existing folder")
        suffix = out.suffix.lower()
        if o["format"] and suffix in (".csv", ".xlsx") and suffix != f".{o['format']}":
            raise Refused(USAGE_ERROR, f"--format {o['format']} does not match the name {out.name}")
        started = time.monotonic()
        info: dict[str, Any] = write_cutoff(
            o["out"],
            o["students"],
            o["teachers"],
            seed=o["seed"],
            regencies=o["regencies"],
            schools=o["schools"],
            fmt=o["format"],
        )
        seconds = time.monotonic() - started
        info["seconds"] = round(seconds, 2)
        info["file"] = o["out"]
        if o["json"]:
            self.emit(info)
        else:
            self.stdout.write(
                f"{info['rows']:,} rows ({info['students']:,} students, {info['teachers']:,} teachers, "
                f"{info['schools']:,} schools) -> {o['out']} in {seconds:.1f} s"
            )
