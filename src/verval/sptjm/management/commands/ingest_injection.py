"""`verval ingest-injection FILE --batch ID [--json]`: apply a provider's injection results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verval.core import jobs
from verval.core.models import Job
from verval.sptjm import actions
from verval.sptjm.models import DisbursementBatch


class Command(BaseCommand):
    help = "Apply injection results (pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]) to a disbursement batch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--batch", required=True)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"file not found: {path}", returncode=2)
        try:
            batch = DisbursementBatch.objects.filter(pk=opts["batch"]).first()
        except Exception:  # noqa: BLE001 - malformed id
            batch = None
        if batch is None:
            raise CommandError(f"batch not found: {opts['batch']}", returncode=2)
        job = jobs.run(actions.create_injection_job(actor=None, batch=batch, path=path).pk)
        out = {"job": str(job.pk), "state": job.state, **job.counts}
        if job.state != Job.State.SUCCEEDED:
            out["error"] = out["error_code"] = job.error_code
        if opts["json"]:
            self.stdout.write(json.dumps(out))
        else:
            for issue in job.issues.all()[:20]:
                self.stdout.write(f"baris {issue.line} {issue.column} {issue.code}: {issue.message_en}")
            if job.state == Job.State.SUCCEEDED:
                c = job.counts
                self.stdout.write(
                    f"{job.state}: rows {c.get('rows', 0)}, berhasil {c.get('berhasil', 0)}, gagal {c.get('gagal', 0)}, "
                    f"unchanged {c.get('unchanged', 0)}, refused {c.get('refused', 0)}, pending {c.get('pending', '')}"
                )
        if job.state != Job.State.SUCCEEDED:
            # As `verval import-dapodik`: 2 when the file was refused (nothing changed), 1 otherwise.
            raise CommandError(
                f"{job.error_code}: {job.error_message_en}",
                returncode=2 if job.state == Job.State.REFUSED else 1,
            )
