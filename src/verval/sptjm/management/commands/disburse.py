"""`verval disburse --period CODE [--json]`: write the period's disbursement batches (one per provider)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verval.core import jobs
from verval.core.models import Job
from verval.sptjm import actions
from verval.sptjm.reasons import ActionRefused


class Command(BaseCommand):
    help = "Create the disbursement batches of a period from approved SPTJM (SPEC §3 step 10, §6 rules)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--period",
            required=True,
            help="period code, e.g. 2020-09-T1 (the codes are on the Pusdatin page)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            job = actions.request_disbursement(actor=None, period_code=opts["period"], enqueue=False)
        except ActionRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message_en}") from None
        job = jobs.run(job.pk)
        out = {"job": str(job.pk), "state": job.state, **job.counts}
        if job.state != Job.State.SUCCEEDED:
            out["error"] = job.error_code
        if opts["json"]:
            self.stdout.write(json.dumps(out))
        else:
            for b in job.counts.get("batches", []):
                self.stdout.write(f"{b['id']} {b['provider']} {b['rows']} {b['file']}")
            self.stdout.write(
                f"{job.state}: scheduled {job.counts.get('scheduled', 0)}, excluded {job.counts.get('excluded', 0)} "
                f"{job.counts.get('by_rule', {})}, retried {job.counts.get('retried', 0)}"
            )
        if job.state != Job.State.SUCCEEDED:
            raise CommandError(f"{job.error_code}: {job.error_message_en}")
