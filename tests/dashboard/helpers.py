"""Direct counts over the source tables, to check the aggregates against."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from verval.dashboard.selectors import Area, Filters, area_figures
from verval.registry.models import Recipient


def direct(period: str = "", **where: Any) -> dict[str, Any]:
    """The funnel counted straight from recipients / SPTJM items / disbursements."""
    from verval.sptjm.models import Disbursement, SptjmItem

    r = Recipient.objects.filter(active=True, **{f"school__{k}": v for k, v in where.items()})
    out: dict[str, Any] = {
        "imported": r.count(),
        "belum": r.filter(status="BELUM_VERVAL").count(),
        "format_salah": r.filter(status="FORMAT_SALAH").count(),
        "valid": r.filter(status__in=["MENUNGGU_PROVIDER", "AKTIF", "RESIDU"]).count(),
        "aktif": r.filter(status="AKTIF").count(),
        "residu": r.filter(status="RESIDU").count(),
    }
    sent = r.filter(status__in=["AKTIF", "RESIDU"]).count()
    from verval.exchange.models import DumpItem

    open_ids = DumpItem.objects.filter(is_open=True).values("recipient_id")
    sent += r.filter(status="MENUNGGU_PROVIDER", id__in=open_ids).count()
    out["sent"] = sent
    items = SptjmItem.objects.filter(
        period_id=period, **{f"sptjm__school__{k}": v for k, v in where.items()}
    ).exclude(sptjm__status="DIBATALKAN")
    out["sptjm_printed"] = items.values("recipient_id").distinct().count()
    out["sptjm_approved"] = items.filter(sptjm__status="DISETUJUI").values("recipient_id").distinct().count()
    d = Disbursement.objects.filter(period_id=period, **{f"school__{k}": v for k, v in where.items()})
    out["berhasil"] = d.filter(status="BERHASIL").count()
    out["gagal"] = d.filter(status="GAGAL").count()
    return out


def aggregated(area: Area, period: str = "", f: Filters | None = None) -> dict[str, Any]:
    fn = area_figures(area, f or Filters(), period)["funnel"]
    return {
        "imported": fn.imported,
        "belum": fn.belum,
        "format_salah": fn.format_salah,
        "valid": fn.valid,
        "aktif": fn.aktif,
        "residu": fn.residu,
        "sent": fn.sent,
        "sptjm_printed": fn.sptjm_printed,
        "sptjm_approved": fn.sptjm_approved,
        "berhasil": fn.berhasil,
        "gagal": fn.gagal,
    }


NATION = Area(level=0, code="", name="Indonesia")


def assert_all_levels_match(school: Any, period: str = "") -> None:
    """Nation, province, regency and school aggregates equal direct counts."""
    assert aggregated(NATION, period) == direct(period)
    assert aggregated(Area(level=1, code=school.province_id, name=""), period) == direct(
        period, province_id=school.province_id
    )
    assert aggregated(Area(level=2, code=school.regency_id, name=""), period) == direct(
        period, regency_id=school.regency_id
    )
    assert aggregated(Area(level=3, code=school.npsn, name=""), period) == direct(period, npsn=school.npsn)


__all__ = ["Q", "aggregated", "direct", "assert_all_levels_match", "NATION"]
