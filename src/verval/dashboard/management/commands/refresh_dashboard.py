"""`verval refresh-dashboard`: recompute the dashboard aggregates (all, some schools, or the dirty ones)."""

from __future__ import annotations

from typing import Any

from verval.core.commands import DataCommand, count_text
from verval.dashboard import services


class Command(DataCommand):
    help = "Recompute the dashboard aggregates (default: everything, set-based)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--npsn", action="append", default=[], help="refresh only this school (repeatable)"
        )
        parser.add_argument("--dirty", action="store_true", help="refresh only the schools marked dirty")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["npsn"]:
            result = services.refresh_schools(opts["npsn"])
        elif opts["dirty"]:
            result = services.refresh_dirty()
        else:
            result = services.refresh_all()
        if opts["json"]:
            self.emit(result)
        else:
            self.stdout.write(", ".join(f"{k}: {count_text(v)}" for k, v in result.items()))
