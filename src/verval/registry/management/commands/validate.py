from __future__ import annotations

from typing import Any

from verval.core import jobs
from verval.core.commands import DataCommand, count_text, english_keys, job_output


class Command(DataCommand):
    help = "Pusdatin's validation run over every new or changed number (SPEC §3 step 3)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="first run the number engine again over every number (after a rules or prefix-table change)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        job = jobs.create_job(actor=None, kind="validate", params={"recheck": bool(opts["recheck"])})
        job = jobs.run(job.pk)
        out = job_output(job)  # raises when the run was refused (exit 2) or failed (exit 1)
        if opts["json"]:
            self.emit(out)
        else:
            # The names of the JSON line: the stored counts are Indonesian (the job page labels them).
            for key, value in english_keys(job.counts).items():
                self.stdout.write(f"{key}: {count_text(value)}")
