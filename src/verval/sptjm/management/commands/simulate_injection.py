"""`verval simulate-injection [--period CODE] [--fail-share 0.03] [--url URL] [--json]`."""

from __future__ import annotations

from typing import Any

from verval.core.commands import USAGE_ERROR, DataCommand, Refused
from verval.reference.models import Period
from verval.sptjm.simulator import simulate_injection
from verval_provider.client import ApiFailure


class Command(DataCommand):
    help = "Providers inject their new disbursement batches (all BERHASIL but a share GAGAL) and report through the API."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period")
        parser.add_argument("--fail-share", type=float, default=0.03)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--url", help="a running server; default: in-process through the same API")
        parser.add_argument("--provider", action="append", dest="providers")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 0 <= opts["fail_share"] <= 1:
            raise Refused(USAGE_ERROR, "--fail-share must be between 0 and 1")
        if opts["period"] and not Period.objects.filter(code=opts["period"]).exists():
            raise Refused("PERIODE_TIDAK_DIKENAL", f"no period {opts['period']!r}", period=opts["period"])
        try:
            out = simulate_injection(
                opts["period"],
                fail_share=opts["fail_share"],
                seed=opts["seed"],
                url=opts["url"],
                providers=opts["providers"],
                log=None if opts["json"] else self.stdout.write,
            )
        except ApiFailure as failure:  # e.g. --url of a server that does not answer
            raise Refused(failure.code, str(failure).removeprefix(f"{failure.code}: ")) from None
        if opts["json"]:
            self.emit({k: out[k] for k in ("batches", "rows", "berhasil", "gagal", "refused")})
        else:
            self.print_counts("", out, ("batches", "rows", "injected", "failed", "refused"))
