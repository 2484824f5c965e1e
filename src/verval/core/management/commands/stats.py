from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Count

from verval.core.commands import DataCommand, Refused
from verval.registry.models import Recipient


def _by(model: Any, field: str, **filters: Any) -> dict[str, int]:
    rows = model.objects.filter(**filters).values_list(field).annotate(n=Count("pk")).order_by(field)
    return {str(key or "-"): n for key, n in rows}


def collect(period: str | None = None) -> dict[str, Any]:
    """Every count; the SPTJM and disbursement ones of one period when `period` is given (a
    tahap's figures, not the sum of every tahap: decision 0078)."""
    active = {"active": True}
    data: dict[str, Any] = {
        "recipients": Recipient.objects.filter(**active).count(),
        "inactive": Recipient.objects.filter(active=False).count(),
        "number_status": _by(Recipient, "status", **active),
        "format_reason": _by(Recipient, "reason", status="FORMAT_SALAH", **active),
        "residue_reason": _by(Recipient, "reason", status="RESIDU", **active),
        "provider": _by(Recipient, "operator", **active),
    }
    # SPTJM and disbursement figures, from the sptjm app's models.
    sptjm = apps.get_model("sptjm", "Sptjm")
    disbursement = apps.get_model("sptjm", "Disbursement")
    of_period = {"period_id": period} if period else {}
    data["period"] = period
    data["sptjm_status"] = _by(sptjm, "status", **of_period)
    # Per recipient and period (without --period a recipient of two periods counts twice).
    data["disbursement_status"] = _by(disbursement, "status", is_current=True, **of_period)
    # Lines naming a recipient, SPTJM item or job that does not exist: 0 unless a row was deleted
    # by hand (the lines carry no database keys, decision 0048).
    from verval.sptjm.selectors import orphan_lines

    data["disbursement_orphans"] = orphan_lines()
    return data


class Command(DataCommand):
    help = (
        "Counts by number status, residue reason, provider, SPTJM status and disbursement status, "
        "and disbursement lines naming a recipient, SPTJM item or job that does not exist."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--period",
            metavar="CODE",
            help="SPTJM and disbursement counts of this period only (default: every period summed)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from verval.reference.selectors import period_exists

        code = opts["period"]
        if code and not period_exists(code):
            raise Refused("PERIODE_TIDAK_DIKENAL", f"no period {code!r}", period=code)
        data = collect(code)
        if opts["json"]:
            self.emit(data, sort_keys=True)
            return
        self.stdout.write(f"recipients (active): {data['recipients']:,}   inactive: {data['inactive']:,}")
        for section in (
            "number_status",
            "format_reason",
            "residue_reason",
            "provider",
            "sptjm_status",
            "disbursement_status",
            "disbursement_orphans",
        ):
            scope = ""
            if section in ("sptjm_status", "disbursement_status"):
                scope = f" (period {code})" if code else " (every period; --period CODE for one)"
            self.stdout.write(f"\n{section}{scope}:")
            for key, n in data[section].items():
                self.stdout.write(f"  {key:<24}{n:>12,}")
