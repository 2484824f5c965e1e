"""`verval provider-format --provider CODE [--format FORMAT]`: show or set how a provider's dumps
and disbursement batches write no_ponsel (msisdn 628…, e164 +628…, national 08…). A change applies
from the provider's next batch (docs/decisions/0027-provider-number-format.md)."""

from __future__ import annotations

from typing import Any

from verval.accounts.models import PROVIDER_CODES
from verval.core.commands import DataCommand
from verval.exchange import actions, services
from verval.exchange.models import NumberFormat


class Command(DataCommand):
    help = (
        "Show or set the number format of a provider's dumps and disbursement batches: "
        "msisdn (628…, the default), e164 (+628…) or national (08…). "
        "A change applies from the next batch."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--provider", required=True, choices=PROVIDER_CODES)
        parser.add_argument("--format", choices=NumberFormat.values, help="the new format (omit to show)")

    def handle(self, *args: Any, **opts: Any) -> None:
        provider = opts["provider"]
        if opts["format"] is None:
            current = services.number_formats([provider])[provider]
            if opts["json"]:
                self.emit({"provider": provider, "number_format": current})
            else:
                self.stdout.write(f"{provider}: {current} ({_example(current)})")
            return
        done = actions.set_number_format(actor=None, provider=provider, number_format=opts["format"])
        if opts["json"]:
            self.emit(done)
            return
        if not done["changed"]:
            self.stdout.write(
                f"{provider}: already {done['number_format']} ({_example(done['number_format'])})."
            )
            return
        self.stdout.write(
            f"{provider}: {done['before']} -> {done['number_format']} ({_example(done['number_format'])}), "
            "from the next batch."
        )
        if done["unfinished_batches"]:
            self.stdout.write(
                f"{done['unfinished_batches']:,} unfinished batch(es) keep their format; "
                "their results are accepted in any format."
            )


def _example(number_format: str) -> str:
    # The shape, not a whole number: an example number on standard output is, to whoever scans
    # the logs of the runs, a number like a child's (decisions 0081, 0086).
    return {
        NumberFormat.MSISDN: "628…",
        NumberFormat.E164: "+628…",
        NumberFormat.NATIONAL: "08…",
    }[NumberFormat(number_format)]
