"""`verval disburse --period CODE [--json]`: write the period's disbursement batches (one per provider).

Exit 0 written, 2 refused (a period unknown, never opened or closed: nothing written), 1 a system
error; with --json the last line is one JSON object either way (verval.core.commands)."""

from __future__ import annotations

from typing import Any

from verval.core import jobs
from verval.core.commands import DataCommand, Refused, job_output, with_paths
from verval.sptjm import actions
from verval.sptjm.reasons import ActionRefused


class Command(DataCommand):
    help = "Create the disbursement batches of a period from approved SPTJM (SPEC §3 step 10, §6 rules)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--period",
            required=True,
            help="period code, e.g. 2020-09-T1 (the codes are on the Pusdatin page)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            job = actions.request_disbursement(actor=None, period_code=opts["period"], enqueue=False)
        except ActionRefused as exc:
            raise Refused(exc.code, exc.message_en, message_id=exc.message, period=opts["period"]) from None
        out = job_output(jobs.run(job.pk))  # raises when the job was refused (2) or failed (1)
        out["batches"] = with_paths(out.get("batches", []))  # as `verval dump`: absolute `path` too
        if opts["json"]:
            self.emit(out)
            return
        for b in out.get("batches", []):
            self.stdout.write(f"{b['id']} {b['provider']} {b['rows']} {b['path']}")
        # The rule codes as SPEC values: the SQLite path counts by ExclusionRule members, whose repr
        # (`ExclusionRule.MAKS_3_PAKET`) is no code an operator can look up.
        rules = ", ".join(f"{str(rule)} {n}" for rule, n in out.get("by_rule", {}).items())
        self.stdout.write(
            f"{out['state']}: scheduled {out.get('scheduled', 0)}, excluded {out.get('excluded', 0)}"
            f"{f' ({rules})' if rules else ''}, retried {out.get('retried', 0)}"
        )
