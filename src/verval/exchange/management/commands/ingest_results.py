"""`verval ingest-results FILE --batch ID [--json]`: apply a provider's match results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verval.core import jobs
from verval.core.models import Job
from verval.exchange import actions
from verval.exchange.models import DumpBatch


class Command(BaseCommand):
    help = "Apply a provider's match results (pd_id,no_ponsel,status[,keterangan]) to a dump batch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--batch", required=True)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"file not found: {path}", returncode=2)
        batch = DumpBatch.objects.filter(pk=opts["batch"]).first()
        if batch is None:
            raise CommandError(f"batch not found: {opts['batch']}", returncode=2)
        job = actions.create_ingest_job(actor=None, batch=batch, path=path)
        job = jobs.run(job.pk)
        out = {"job": str(job.pk), "state": job.state, **job.counts}
        if job.state != Job.State.SUCCEEDED:
            out["error"] = out["error_code"] = job.error_code
        if opts["json"]:
            self.stdout.write(json.dumps(out))
        else:
            for issue in job.issues.all()[:20]:
                self.stdout.write(f"baris {issue.line} {issue.column} {issue.code}: {issue.message_en}")
            if job.state == Job.State.SUCCEEDED:
                self.stdout.write(
                    f"{job.state}: rows {job.counts.get('rows', 0)}, applied {job.counts.get('applied', 0)}, "
                    f"unchanged {job.counts.get('unchanged', 0)}, refused {job.counts.get('refused', 0)}, "
                    f"batch {job.counts.get('batch_state', '')} unanswered {job.counts.get('unanswered', '')}"
                )
        if job.state != Job.State.SUCCEEDED:
            # As `verval import-dapodik`: 2 when the file was refused (nothing changed), 1 otherwise.
            raise CommandError(
                f"{job.error_code}: {job.error_message_en}",
                returncode=2 if job.state == Job.State.REFUSED else 1,
            )
