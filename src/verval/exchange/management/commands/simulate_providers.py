"""`verval simulate-providers [--url URL] [--seed N] [--json]`: answer waiting dump batches as the
six providers would, through the provider API (in-process, or over HTTP with --url)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from verval.accounts.models import PROVIDER_CODES
from verval.exchange.simulator import simulate_round
from verval_provider.client import ApiFailure


class Command(BaseCommand):
    help = "Run the provider simulator over every dump batch still waiting for an answer."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", help="a running server (default: call the API in-process)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--provider", action="append", choices=PROVIDER_CODES)
        parser.add_argument("--profile", choices=["lampung-utara", "nasional"], default="lampung-utara")
        parser.add_argument("--json", action="store_true")

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
        except ApiFailure as failure:  # e.g. --url of a server that does not answer
            raise CommandError(str(failure), returncode=2) from None
        if opts["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"{summary['batches']} batch(es), {summary['rows']} rows: applied {summary['applied']} "
                f"(aktif {summary['aktif']}, residu {summary['residu']}), refused {summary['refused']}, errors {summary['errors']}"
            )
        if summary["errors"]:
            raise CommandError(f"{summary['errors']} batch(es) failed")
