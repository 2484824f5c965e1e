"""`verval ingest-results FILE --batch ID [--json]`: apply a provider's match results.

Exit 0 applied (refused rows counted), 2 refused whole (the file, or an unknown batch or a missing
file), 1 a system error; with --json the last line is one JSON object either way
(verval.core.commands)."""

from __future__ import annotations

from typing import Any

from verval.core import jobs
from verval.core.commands import DataCommand, Refused, job_output, require_file
from verval.exchange import actions
from verval.exchange.models import DumpBatch


class Command(DataCommand):
    help = "Apply a provider's match results (pd_id,no_ponsel,status[,keterangan]) to a dump batch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--batch", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        path = require_file(opts["file"])
        batch = DumpBatch.objects.filter(pk=opts["batch"]).first()
        if batch is None:
            raise Refused("BATCH_TIDAK_DIKENAL", f"batch not found: {opts['batch']}", batch=opts["batch"])
        job = jobs.run(actions.create_ingest_job(actor=None, batch=batch, path=path).pk)
        if not opts["json"]:
            self.print_issues(job)
        out = job_output(job)  # raises when the file was refused (2) or the job failed (1)
        if opts["json"]:
            self.emit(out)
            return
        self.print_counts(
            "SUCCEEDED: ",
            out,
            (
                "rows",
                "applied",
                "active",
                "residue",
                "unchanged",
                "stale",
                "contradictions",
                "refused",
                "batch_state",
                "unanswered",
            ),
        )
