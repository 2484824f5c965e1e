"""`verval import-dapodik FILE [--json] [--user USERNAME]`: load a Dapodik cutoff (SPEC §3 step 1).

Exit 0 when the file was applied (refused rows are counted and reported), 2 when the file was
refused whole (nothing changed), 1 on a system error (nothing changed either).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from verval.core.commands import DataCommand, Refused, job_output, require_file
from verval.core.jobs import import_changed_nothing
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


class Command(DataCommand):
    help = "Imports a Dapodik cutoff (CSV or XLSX) in one transaction; prints added/changed/unchanged/removed/refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", default=None, help="username recorded as the actor")

    def handle(self, *args, **o) -> None:  # type: ignore[no-untyped-def]
        # Bad input, like a refused file (exit 2, as ingest-results); 1 stays for system errors.
        path = require_file(o["file"])
        actor = None
        if o["user"]:
            actor = get_user_model().objects.filter(username=o["user"]).first()
            if actor is None:
                raise Refused("PENGGUNA_TIDAK_DIKENAL", f"unknown user: {o['user']}")
        job = import_file(path, actor=actor)
        seconds = (
            (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else 0.0
        )
        issues = job.issues.count()
        if job.state != Job.State.SUCCEEDED:
            self.stderr.write(f"{job.error_code}: {job.error_message}")
            for issue in job.issues.order_by("line", "id")[:20]:
                self.stderr.write(f"  line {issue.line} {issue.column} {issue.code}: {issue.message_en}")
        # Raises when the file was refused (exit 2) or the import failed (exit 1).
        out = job_output(job, issues=issues, seconds=round(seconds, 2))
        if o["json"]:
            self.emit(out)
            return
        for key, label in LABELS:
            self.stdout.write(f"{label:36} {out.get(key, 0):>12,}")
        if issues:
            self.stdout.write(
                f"refused-row report: job {job.pk} ({issues:,} issues; verval web: /pekerjaan/{job.pk}/)"
            )
        if import_changed_nothing(job.kind, job.counts):
            self.stdout.write(
                "tidak ada yang berubah / nothing changed: every accepted row matches the registry"
            )
        self.stdout.write(f"job {job.pk} applied in {seconds:.1f} s")
