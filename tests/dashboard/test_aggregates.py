"""The dashboard's aggregates equal a direct count after every kind of change."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.dashboard.helpers import NATION, aggregated, assert_all_levels_match, direct
from tests.factories import RecipientFactory, SchoolFactory
from verval.dashboard import services
from verval.dashboard.models import DirtySchool, RegionStat, SchoolStat, SchoolSummary
from verval.dashboard.selectors import Area, Filters, area_figures
from verval.registry.models import Recipient


def _mix(school, n_aktif=3, n_residu=2, n_format=1, n_belum=2, n_menunggu=1, operator="telkomsel"):
    made = []
    for status, reason, n in (
        ("AKTIF", "", n_aktif),
        ("RESIDU", "TIDAK_AKTIF", n_residu),
        ("FORMAT_SALAH", "TELEPON_RUMAH", n_format),
        ("BELUM_VERVAL", "", n_belum),
        ("MENUNGGU_PROVIDER", "", n_menunggu),
    ):
        made += [
            RecipientFactory.build(school=school, status=status, reason=reason, operator=operator)
            for _ in range(n)
        ]
    # bulk_create: like an import, no signals (so no refresh is pending when a test starts).
    return Recipient.objects.bulk_create(made)


@pytest.fixture
def data(school, other_school):
    _mix(school)
    _mix(other_school, n_aktif=5, n_residu=0, operator="indosat")
    Recipient.objects.bulk_create(
        [
            RecipientFactory.build(school=school, kind="PTK", category="PTK", grade=None, status="AKTIF"),
            RecipientFactory.build(school=school, status="AKTIF", active=False),  # no longer in the cutoff
        ]
    )
    return school


def test_full_refresh_equals_direct_count_at_every_level(data, other_school):
    services.refresh_all()
    assert_all_levels_match(data)
    assert_all_levels_match(other_school)
    assert aggregated(NATION) == {
        "imported": 10 + 9,  # school: 9 PD + 1 PTK; other school: 9 PD (no residue)
        "belum": 4,
        "format_salah": 2,
        "valid": 7 + 6,
        "aktif": 9,
        "residu": 2,
        "sent": 11,
        "sptjm_printed": 0,
        "sptjm_approved": 0,
        "berhasil": 0,
        "gagal": 0,
    }


def test_filters_by_provider_kind_and_level(data, other_school):
    services.refresh_all()
    fig = area_figures(NATION, Filters(provider="indosat"), "")
    assert fig["funnel"].imported == 9
    assert fig["funnel"].aktif == 5
    fig = area_figures(NATION, Filters(kind="PTK"), "")
    assert fig["funnel"].imported == 1
    fig = area_figures(NATION, Filters(level="SMP"), "")
    assert fig["funnel"].imported == 0
    # Breakdown by provider ignores the provider filter, keeps the others.
    by_provider = {
        code: fn.imported for code, _label, fn in area_figures(NATION, Filters(kind="PD"), "")["by_provider"]
    }
    assert by_provider == {"telkomsel": 9, "indosat": 9}
    assert area_figures(NATION, Filters(), "")["funnel"].residu_by_reason == {"TIDAK_AKTIF": 2}
    assert area_figures(NATION, Filters(), "")["funnel"].format_by_reason == {"TELEPON_RUMAH": 2}


def test_import_like_bulk_insert_then_per_school_refresh(data, other_school):
    services.refresh_all()
    Recipient.objects.bulk_create(
        [RecipientFactory.build(school=data, status="BELUM_VERVAL") for _ in range(4)]
    )
    assert aggregated(NATION) != direct()
    services.refresh_schools([data.npsn])
    assert_all_levels_match(data)
    assert_all_levels_match(other_school)


def test_school_moved_to_another_regency_leaves_no_trace_in_the_old_one(data, other_school):
    services.refresh_all()
    old_regency = data.regency_id
    data.region_id, data.regency_id, data.province_id = "020601", "020600", "020000"
    data.save()
    services.refresh_schools([data.npsn])
    assert RegionStat.objects.filter(area_level=2, region=old_regency).count() == 0
    assert_all_levels_match(data)


def test_status_change_and_residue_through_update_then_dirty_refresh(
    data, other_school, django_capture_on_commit_callbacks
):
    services.refresh_all()
    with django_capture_on_commit_callbacks(execute=True):
        Recipient.objects.filter(school=data, status="MENUNGGU_PROVIDER").update(
            status="RESIDU", reason="MASA_TENGGANG"
        )
        Recipient.objects.filter(school=data, status="BELUM_VERVAL").update(
            status="FORMAT_SALAH", reason="KOSONG"
        )
        services.mark_dirty([data.npsn])
    assert DirtySchool.objects.count() == 0  # the task ran after the commit
    assert_all_levels_match(data)
    assert area_figures(Area(level=3, code=data.npsn, name=""), Filters(), "")["funnel"].residu_by_reason == {
        "TIDAK_AKTIF": 2,
        "MASA_TENGGANG": 1,
    }


def test_saving_a_recipient_marks_its_school_dirty(data, django_capture_on_commit_callbacks):
    services.refresh_all()
    r = Recipient.objects.filter(school=data, status="AKTIF").first()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r.status = "RESIDU"
        r.reason = "TIDAK_TERDAFTAR"
        r.save()
    assert list(DirtySchool.objects.values_list("npsn", flat=True)) == [data.npsn]
    assert len(callbacks) == 1
    services.refresh_dirty()
    assert DirtySchool.objects.count() == 0
    assert_all_levels_match(data)


def test_summary_row_per_school_with_behind_score(data, other_school):
    services.refresh_all()
    s = SchoolSummary.objects.get(school_id=data.npsn)
    assert (s.imported, s.aktif, s.residu, s.format_salah, s.belum, s.menunggu, s.sent) == (
        10,
        4,
        2,
        1,
        2,
        1,
        6,
    )
    # Active numbers without an SPTJM (1000) + (residue + format + unverified) share 50 %.
    assert s.score == 1000 + 50
    other = SchoolSummary.objects.get(school_id=other_school.npsn)
    assert other.score == 1000 + 33  # (0 + 1 + 2) / 9


def test_refresh_all_is_idempotent_and_region_rows_sum_school_rows(data, other_school):
    services.refresh_all()
    first = sorted(
        RegionStat.objects.values_list("area_level", "region", "fact", "status", "operator", "count")
    )
    services.refresh_all()
    assert (
        sorted(RegionStat.objects.values_list("area_level", "region", "fact", "status", "operator", "count"))
        == first
    )
    total = sum(SchoolStat.objects.values_list("count", flat=True))
    real = RegionStat.objects.exclude(level="*").exclude(kind="*").exclude(operator="*")
    stars = RegionStat.objects.filter(level="*", kind="*", operator="*")
    for level in (0, 1, 2):
        assert sum(real.filter(area_level=level).values_list("count", flat=True)) == total
        assert sum(stars.filter(area_level=level).values_list("count", flat=True)) == total


def test_new_school_in_a_new_province_appears_after_refresh_schools(data):
    services.refresh_all()
    far = SchoolFactory(region_id="250108", regency_id="250100", province_id="250000")
    RecipientFactory.create_batch(3, school=far, status="AKTIF")
    services.refresh_schools([far.npsn])
    assert aggregated(Area(level=1, code="250000", name="")) == direct(province_id="250000")
    assert aggregated(NATION) == direct()


def test_refresh_on_postgres_and_sqlite_give_same_sent_flag(data):
    # `sent` is a boolean column; both backends must store and compare it the same way.
    services.refresh_all()
    assert SchoolStat.objects.filter(sent=True).exists()
    assert connection.vendor in {"sqlite", "postgresql"}


def test_children_of_an_area_under_filters_equal_direct_counts(data, other_school):
    from verval.dashboard.selectors import children_figures

    services.refresh_all()
    zero = {"sptjm_printed": 0, "sptjm_uploaded": 0, "sptjm_approved": 0, "berhasil": 0, "gagal": 0}
    assert children_figures(NATION, Filters(provider="indosat"), "") == {
        "020000": {"imported": 9, "valid": 6, "sent": 5, "aktif": 5, "residu": 0, "format_salah": 1, **zero}
    }
    province = Area(level=1, code="020000", name="")
    assert children_figures(province, Filters(kind="PTK"), "") == {
        "020500": {"imported": 1, "valid": 1, "sent": 1, "aktif": 1, "residu": 0, "format_salah": 0, **zero}
    }
    by_regency = children_figures(province, Filters(), "")
    for regency, fig in by_regency.items():
        d = direct(regency_id=regency)
        assert (fig["imported"], fig["valid"], fig["sent"], fig["aktif"], fig["residu"]) == (
            d["imported"], d["valid"], d["sent"], d["aktif"], d["residu"],
        )  # fmt: skip


def test_school_children_from_summary_equal_those_from_school_rows(data, other_school):
    from verval.dashboard.selectors import children_figures

    services.refresh_all()
    regency = Area(level=2, code=data.regency_id, name="")
    unfiltered = children_figures(regency, Filters(), "")  # read from SchoolSummary
    filtered = children_figures(regency, Filters(kind="PD"), "")  # read from SchoolStat
    ptk = children_figures(regency, Filters(kind="PTK"), "")
    assert unfiltered[data.npsn] == {
        k: filtered[data.npsn][k] + ptk[data.npsn][k] for k in unfiltered[data.npsn]
    }
    assert unfiltered[data.npsn]["imported"] == 10
    assert unfiltered[data.npsn]["valid"] == 7


def _funnel_view(fn):  # type: ignore[no-untyped-def]
    return (fn.imported, fn.belum, fn.format_salah, fn.valid, fn.aktif, fn.residu, fn.sent,
            fn.residu_by_reason, fn.format_by_reason, fn.sptjm, fn.disbursement)  # fmt: skip


def _figures_from_school_rows(area_kw: dict[str, str], f: Filters) -> dict[str, object]:
    """The area's figures summed from the school-grain rows, the slow way the roll-ups replace."""
    from collections import defaultdict

    from verval.dashboard.selectors import Funnel, _matches

    funnel, by = (
        Funnel(),
        {"level": defaultdict(Funnel), "kind": defaultdict(Funnel), "provider": defaultdict(Funnel)},
    )
    fields = ("level", "kind", "operator", "fact", "status", "reason", "sent", "period", "count")
    for level, kind, op, fact, status, reason, sent, period, count in SchoolStat.objects.filter(
        **area_kw
    ).values_list(*fields):
        if _matches(f, "", level, kind, op, fact, period):
            funnel.add(fact, status, reason, bool(sent), count)
        for dim, key in (("level", level), ("kind", kind), ("provider", op)):
            if _matches(f, "", level, kind, op, fact, period, skip=dim):
                by[dim][key].add(fact, status, reason, bool(sent), count)
    return {
        "funnel": _funnel_view(funnel),
        **{d: {k: _funnel_view(v) for k, v in m.items()} for d, m in by.items()},
    }


@pytest.mark.parametrize(
    "f",
    [
        Filters(),
        Filters(provider="indosat"),
        Filters(kind="PD"),
        Filters(level="SD", kind="PD"),
        Filters(level="SD", kind="PTK", provider="telkomsel"),
        Filters(provider="xl"),
    ],  # fmt: skip
)
def test_region_figures_from_rollups_equal_the_sum_of_school_rows(data, other_school, f):
    services.refresh_all()
    for area, area_kw in (
        (NATION, {}),
        (Area(level=1, code=data.province_id, name=""), {"province": data.province_id}),
        (Area(level=2, code=data.regency_id, name=""), {"regency": data.regency_id}),
        (Area(level=2, code=other_school.regency_id, name=""), {"regency": other_school.regency_id}),
    ):
        fig = area_figures(area, f, "")
        got = {
            "funnel": _funnel_view(fig["funnel"]),
            "level": {code: _funnel_view(fn) for code, _label, fn in fig["by_level"]},
            "kind": {code: _funnel_view(fn) for code, _label, fn in fig["by_kind"]},
            "provider": {code: _funnel_view(fn) for code, _label, fn in fig["by_provider"]},
        }
        assert got == _figures_from_school_rows(area_kw, f), (area, f)
