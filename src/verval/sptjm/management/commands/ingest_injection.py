"""`verval ingest-injection FILE --batch ID [--json]`: apply a provider's injection results.

Exit codes and the --json line as `verval ingest-results` (verval.core.commands)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from verval.core import jobs
from verval.core.commands import DataCommand, Refused, job_output, require_file
from verval.sptjm import actions
from verval.sptjm.models import DisbursementBatch


class Command(DataCommand):
    help = "Apply injection results (pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]) to a disbursement batch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--batch", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        path = require_file(opts["file"])
        try:
            batch = DisbursementBatch.objects.filter(pk=opts["batch"]).first()
        except (ValueError, TypeError, ValidationError):  # a malformed id
            batch = None
        if batch is None:
            raise Refused("BATCH_TIDAK_DIKENAL", f"batch not found: {opts['batch']}", batch=opts["batch"])
        job = jobs.run(actions.create_injection_job(actor=None, batch=batch, path=path).pk)
        if not opts["json"]:
            self.print_issues(job)
        c = job_output(job)  # raises when the file was refused (2) or the job failed (1)
        if opts["json"]:
            self.emit(c)
            return
        self.print_counts(
            "SUCCEEDED: ",
            c,
            ("rows", "injected", "failed", "duplicate", "unchanged", "refused", "pending"),
        )
