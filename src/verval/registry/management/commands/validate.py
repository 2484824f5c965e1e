from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verval.core import jobs


class Command(BaseCommand):
    help = "Pusdatin's validation run over every new or changed number (SPEC §3 step 3)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object with the counts last")
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="first run the number engine again over every number (after a rules or prefix-table change)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        job = jobs.create_job(actor=None, kind="validate", params={"recheck": bool(opts["recheck"])})
        job = jobs.run(job.pk)
        if job.state != job.State.SUCCEEDED:
            raise CommandError(f"{job.error_code}: {job.error_message_en}")
        if opts["json"]:
            self.stdout.write(json.dumps({"job": str(job.pk), **job.counts}))
        else:
            for key, value in job.counts.items():
                self.stdout.write(f"{key}: {value}")
