"""`verval import-dapodik FILE [--json] [--user USERNAME]`: load a Dapodik cutoff (SPEC §3 step 1).

Exit 0 when the file was applied (refused rows are counted and reported), 2 when the file was
refused whole (nothing changed), 1 on a system error (nothing changed either).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from verval.core.models import Job
from verval.imports.actions import import_file

LABELS = [
    ("rows", "baris / rows"),
    ("added", "baru / added"),
    ("changed", "berubah / changed"),
    ("unchanged", "tetap / unchanged"),
    ("removed", "tidak aktif lagi / removed"),
    ("refused", "ditolak / refused"),
    ("numbers_changed", "nomor berubah / numbers changed"),
    ("corrections_in_dapodik", "koreksi kini di Dapodik / in Dapodik"),
    ("corrections_kept", "koreksi tetap / corrections kept"),
    ("schools_added", "sekolah baru / schools added"),
    ("schools_changed", "sekolah berubah / schools changed"),
]


class Command(BaseCommand):
    help = "Imports a Dapodik cutoff (CSV or XLSX) in one transaction; prints added/changed/unchanged/removed/refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the counts last")
        parser.add_argument("--user", default=None, help="username recorded as the actor")

    def handle(self, *args, **o) -> None:  # type: ignore[no-untyped-def]
        path = Path(o["file"])
        # Bad input, like a refused file (exit 2, as ingest-results); 1 stays for system errors.
        if not path.exists():
            raise CommandError(f"file not found: {path}", returncode=2)
        if not path.is_file():
            raise CommandError(f"not a regular file: {path}", returncode=2)
        actor = None
        if o["user"]:
            actor = get_user_model().objects.filter(username=o["user"]).first()
            if actor is None:
                raise CommandError(f"unknown user: {o['user']}")
        job = import_file(path, actor=actor)
        counts = dict(job.counts or {})
        seconds = (
            (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else 0.0
        )
        issues = job.issues.count()
        if job.state == Job.State.SUCCEEDED:
            if not o["json"]:
                for key, label in LABELS:
                    self.stdout.write(f"{label:36} {counts.get(key, 0):>12,}")
                if issues:
                    self.stdout.write(
                        f"refused-row report: job {job.pk} ({issues} issues; verval web: /pekerjaan/{job.pk}/)"
                    )
                self.stdout.write(f"job {job.pk} applied in {seconds:.1f} s")
            else:
                self.stdout.write(
                    json.dumps(
                        {
                            "job": str(job.pk),
                            "state": job.state,
                            **counts,
                            "issues": issues,
                            "seconds": round(seconds, 2),
                        }
                    )
                )
            return
        self.stderr.write(f"{job.error_code}: {job.error_message}")
        self.stderr.write(f"{job.error_code}: {job.error_message_en}")
        for issue in job.issues.order_by("line", "id")[:20]:
            self.stderr.write(f"  line {issue.line} {issue.column} {issue.code}: {issue.message_en}")
        if o["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "job": str(job.pk),
                        "state": job.state,
                        "error_code": job.error_code,
                        **counts,
                        "issues": issues,
                    }
                )
            )
        sys.exit(2 if job.state == Job.State.REFUSED else 1)
