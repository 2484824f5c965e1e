from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def sptjm_pusdatin_context(context: dict[str, Any]) -> dict[str, Any]:
    """What the Pusdatin page's SPTJM section needs (that page's view does not know about us)."""
    from verval.reference.models import Period
    from verval.sptjm.models import LATE, LIVE_STATUSES, Sptjm, SptjmStatus

    queue = Sptjm.objects.filter(status=SptjmStatus.DIUNGGAH)
    return {
        # The disbursement form: only a period that is open can be disbursed.
        "periods": list(
            Period.objects.filter(is_open=True)
            .order_by("-starts_on")
            .values_list("code", "name", "is_open")[:24]
        ),
        "queue": queue.count(),
        "queue_late": queue.filter(LATE).count(),
        # Documents of closed periods still holding their records (decision 0024).
        "stale": Sptjm.objects.filter(status__in=LIVE_STATUSES, period__is_open=False).count(),
    }


@register.filter
def approval_carries(sptjm: Any) -> bool:
    """Whether approving a document still covers its numbers for the open period: what a closed
    period's document card tells the school to do (upload, or void). Decision 0078."""
    from verval.sptjm.selectors import approval_carries as carries

    return carries(sptjm)


@register.filter
def gb(value: Any) -> str:
    """GB for a page, grouped and in the page's language (14.203 / 14,203; 7,5 / 7.5)."""
    from django.utils.formats import number_format

    from verval.sptjm.document import gb as canonical

    if value is None:
        return ""
    d = Decimal(canonical(value))
    return number_format(d, decimal_pos=max(0, -d.as_tuple().exponent), force_grouping=True)  # type: ignore[operator]


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def masked(value: Any) -> str:
    from verval.phones import mask

    return mask(str(value or ""))


@register.filter
def sptjm_status_label(code: str) -> str:
    """The stored code (DISETUJUI) as the page's language names it."""
    from verval.sptjm.models import SptjmStatus

    return str(dict(SptjmStatus.choices).get(code, code))


@register.filter
def provider_label(code: str) -> str:
    """A provider/operator code (indosat) as people know it (Indosat Ooredoo); '' stays ''."""
    from verval.accounts.models import provider_name

    return provider_name(code)


@register.filter
def category_label(code: str) -> str:
    """A quota category code (DIKDASMEN) as the page's language names it."""
    from verval.registry.models import Category

    return str(dict(Category.choices).get(code, code))


@register.filter
def exclusion_rule_label(code: str) -> str:
    """An exclusion rule code (MAKS_3_PAKET) as the rule reads in the page's language."""
    from verval.sptjm.models import ExclusionRule

    return str(dict(ExclusionRule.choices).get(code, code))


@register.filter
def page_warnings(sptjm: Any) -> list[dict[str, str]]:
    """The page warnings of a document's latest scan while it awaits review or was returned, as
    the school was told them at upload (the pages named, what to do) with the help entry of each
    (decision 0092). Empty for a scan without one, or uploaded before they were kept."""
    from django.utils.translation import get_language

    from verval.help.entries import help_url
    from verval.sptjm.actions import warning_text
    from verval.sptjm.models import SptjmStatus
    from verval.sptjm.selectors import PAGE_WARNINGS

    if sptjm.status not in (SptjmStatus.DIUNGGAH, SptjmStatus.DIKEMBALIKAN):
        return []
    return [
        {"code": code, "text": warning_text(code, params, get_language()), "help": help_url("unggah", code)}
        for code, params in (sptjm.scan_pages or {}).get("warnings", [])
        if code in PAGE_WARNINGS
    ]


@register.filter
def page_marks(sptjm: Any) -> list[str]:
    """Short labels of a scan's page warnings for the review queue: "3 halaman tidak terbaca",
    "1 halaman terpindai ganda", "2 halaman tidak urut" (decision 0092)."""
    from django.utils.translation import ngettext

    from verval.core.numbers import grouped

    kept = sptjm.scan_pages or {}
    codes = {code for code, _params in kept.get("warnings", [])}
    marks: list[str] = []
    if "QR_HALAMAN_KURANG" in codes:
        # A document printed before decision 0084 says only how many pages were read.
        n = len(kept.get("missing_pages") or []) or kept["printed_pages"] - kept["pages_with_qr"]
        marks.append(
            ngettext("%(n)s halaman tidak terbaca", "%(n)s halaman tidak terbaca", n) % {"n": grouped(n)}
        )
    if "QR_HALAMAN_GANDA" in codes:
        n = len(kept.get("repeated_pages", []))
        marks.append(
            ngettext("%(n)s halaman terpindai ganda", "%(n)s halaman terpindai ganda", n) % {"n": grouped(n)}
        )
    if "QR_HALAMAN_TIDAK_URUT" in codes:
        n = len(kept.get("pages_out_of_order", []))
        marks.append(ngettext("%(n)s halaman tidak urut", "%(n)s halaman tidak urut", n) % {"n": grouped(n)})
    return marks
