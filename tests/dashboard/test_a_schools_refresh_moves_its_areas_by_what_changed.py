"""A school's refresh moves its regency, province and the nation by the change of its school rows,
and rewrites today's snapshot (decision 0130): the rows are those a full refresh writes."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory, SchoolFactory
from verval.dashboard import services
from verval.dashboard.models import DailySnapshot, RegionStat
from verval.reference import zones
from verval.registry.models import Recipient

COLUMNS = ("area_level", "region", "parent", "level", "kind", "operator", "fact", "status", "reason", "sent")
SNAPSHOT = (
    "day",
    "area",
    "imported",
    "valid",
    "sent",
    "aktif",
    "residu",
    "sptjm_approved",
    "berhasil",
    "gagal",
)


def _region_rows() -> list[tuple]:
    return sorted(RegionStat.objects.values_list(*COLUMNS, "period", "count"))


def _snapshot() -> list[tuple]:
    return sorted(DailySnapshot.objects.values_list(*SNAPSHOT))


@pytest.fixture
def three_schools(school, other_school):
    far = SchoolFactory(region_id="250108", regency_id="250100", province_id="250000")
    for where, statuses in (
        (school, ["AKTIF", "AKTIF", "RESIDU", "BELUM_VERVAL"]),
        (other_school, ["AKTIF", "FORMAT_SALAH"]),
        (far, ["AKTIF", "MENUNGGU_PROVIDER"]),
    ):
        Recipient.objects.bulk_create(
            [
                RecipientFactory.build(school=where, status=s, reason="TIDAK_AKTIF" if s == "RESIDU" else "")
                for s in statuses
            ]
        )
    return school, other_school, far


def test_a_schools_refresh_leaves_the_rows_a_full_refresh_writes(three_schools):
    school, other_school, far = three_schools
    services.refresh_all()
    # New rows, rows that grow, rows that fall to nothing, and a school that moves to another
    # province (its old regency and province lose it).
    Recipient.objects.filter(school=school, status="BELUM_VERVAL").update(status="AKTIF")
    Recipient.objects.filter(school=other_school).update(active=False)
    Recipient.objects.bulk_create([RecipientFactory.build(school=far, status="RESIDU", reason="TIDAK_AKTIF")])
    school.region_id, school.regency_id, school.province_id = "250108", "250100", "250000"
    school.save()
    services.refresh_schools([school.npsn, other_school.npsn, far.npsn])
    by_schools, snapshot_by_schools = _region_rows(), _snapshot()
    services.refresh_all()
    assert by_schools == _region_rows()
    assert snapshot_by_schools == _snapshot()
    # Every recipient now in 250100; 020500 and 020600 have nothing left.
    assert sorted({r[1] for r in by_schools if r[0] == 2}) == ["250100"]
    assert sorted({r[1] for r in by_schools if r[0] == 1}) == ["250000"]


def test_a_schools_refresh_rewrites_todays_snapshot_of_its_areas(three_schools):
    school, _other, far = three_schools
    services.refresh_all()
    today = zones.programme_today()
    assert _snapshot() == [
        (today, "", 8, 6, 5, 4, 1, 0, 0, 0),
        (today, "020000", 6, 4, 4, 3, 1, 0, 0, 0),
        (today, "020500", 4, 3, 3, 2, 1, 0, 0, 0),
        (today, "020600", 2, 1, 1, 1, 0, 0, 0, 0),
        (today, "250000", 2, 2, 1, 1, 0, 0, 0, 0),
        (today, "250100", 2, 2, 1, 1, 0, 0, 0, 0),
    ]
    Recipient.objects.filter(school=far, status="MENUNGGU_PROVIDER").update(status="AKTIF")
    Recipient.objects.bulk_create([RecipientFactory.build(school=school, status="BELUM_VERVAL")])
    services.refresh_schools([far.npsn, school.npsn])
    assert _snapshot() == [
        (today, "", 9, 6, 6, 5, 1, 0, 0, 0),
        (today, "020000", 7, 4, 4, 3, 1, 0, 0, 0),
        (today, "020500", 5, 3, 3, 2, 1, 0, 0, 0),
        (today, "020600", 2, 1, 1, 1, 0, 0, 0, 0),
        (today, "250000", 2, 2, 2, 2, 0, 0, 0, 0),
        (today, "250100", 2, 2, 2, 2, 0, 0, 0, 0),
    ]


def test_two_school_refreshes_in_one_transaction_each_move_their_areas(three_schools):
    school, _other, far = three_schools
    services.refresh_all()
    Recipient.objects.bulk_create([RecipientFactory.build(school=school, status="AKTIF")])
    services.refresh_schools([school.npsn])
    Recipient.objects.bulk_create([RecipientFactory.build(school=far, status="AKTIF")])
    services.refresh_schools([far.npsn])
    assert (
        RegionStat.objects.get(
            area_level=0, level="*", kind="*", operator="*", fact="R", status="AKTIF"
        ).count
        == 6
    )
    assert (
        RegionStat.objects.get(
            area_level=2, region="020500", level="*", kind="*", operator="*", fact="R", status="AKTIF"
        ).count
        == 3
    )
    assert (
        RegionStat.objects.get(
            area_level=1, region="250000", level="*", kind="*", operator="*", fact="R", status="AKTIF"
        ).count
        == 2
    )
