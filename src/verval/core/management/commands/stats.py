from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Count

from verval.core.commands import DataCommand
from verval.registry.models import Recipient


def _by(model: Any, field: str, **filters: Any) -> dict[str, int]:
    rows = model.objects.filter(**filters).values_list(field).annotate(n=Count("pk")).order_by(field)
    return {str(key or "-"): n for key, n in rows}


def collect() -> dict[str, Any]:
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
    data["sptjm_status"] = _by(sptjm, "status")
    data["disbursement_status"] = _by(disbursement, "status", is_current=True)  # per recipient
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

    def handle(self, *args: Any, **opts: Any) -> None:
        data = collect()
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
            self.stdout.write(f"\n{section}:")
            for key, n in data[section].items():
                self.stdout.write(f"  {key:<24}{n:>12,}")
