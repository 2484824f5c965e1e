"""`verval dump [--provider CODE] [--json]`: publish dump batches (SPEC §3 step 4)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verval.accounts.models import PROVIDER_CODES
from verval.core import jobs
from verval.core.models import Job


class Command(BaseCommand):
    help = "Publish a dump batch per provider with the numbers that are new or changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--provider", choices=PROVIDER_CODES)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        job = jobs.create_job(
            actor=None,
            kind="dump",
            params={"provider": opts["provider"] or ""},
            provider=opts["provider"] or "",
        )
        job = jobs.run(job.pk)
        if job.state != Job.State.SUCCEEDED:
            if opts["json"]:
                self.stdout.write(
                    json.dumps({"job": str(job.pk), "state": job.state, "error": job.error_code})
                )
            raise CommandError(f"dump {job.state}: {job.error_message_en}")
        batches = job.counts.get("batches", [])
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "job": str(job.pk),
                        "state": job.state,
                        "batches": batches,
                        "rows": job.counts.get("rows", 0),
                    }
                )
            )
            return
        if not batches:
            self.stdout.write("Tidak ada nomor baru atau berubah untuk dikirim / nothing new to dump.")
        for b in batches:
            self.stdout.write(f"{b['id']}\t{b['provider']}\t{b['rows']}\t{b['file']}")
