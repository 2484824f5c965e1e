"""`verval simulate-providers [--url URL] [--seed N] [--json]`: answer waiting dump batches as the
six providers would, through the provider API (in-process, or over HTTP with --url)."""

from __future__ import annotations

from typing import Any

from verval.accounts.models import PROVIDER_CODES
from verval.core.commands import DataCommand, Failed, Refused
from verval.exchange.simulator import simulate_round
from verval_provider.client import ApiFailure

SIMULATION_ERRORS = "SIMULASI_GAGAL"


class Command(DataCommand):
    help = "Run the provider simulator over every dump batch still waiting for an answer."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", help="a running server (default: call the API in-process)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--provider", action="append", choices=PROVIDER_CODES)
        parser.add_argument("--profile", choices=["lampung-utara", "nasional"], default="lampung-utara")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            summary = simulate_round(
                actor=None,
                seed=opts["seed"],
                url=opts["url"],
                providers=opts["provider"],
                profile=opts["profile"],
                log=None if opts["json"] else self.stdout.write,
            )
        except ApiFailure as failure:  # e.g. --url of a server that does not answer: nothing done
            raise Refused(failure.code, str(failure).removeprefix(f"{failure.code}: ")) from None
        if summary["errors"]:
            # Some batches were answered, others not: the counts go with the failure's line.
            raise Failed(SIMULATION_ERRORS, f"{summary['errors']} batch(es) failed", **summary)
        if opts["json"]:
            self.emit(summary)
        else:
            self.print_counts(
                "", summary, ("batches", "rows", "applied", "active", "residue", "refused", "errors")
            )
