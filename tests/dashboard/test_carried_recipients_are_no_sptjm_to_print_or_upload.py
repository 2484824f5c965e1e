"""Under a 2021-policy period the recipients carried from an SPTJM approved in an earlier period
count as printed, uploaded and approved in the funnel (decision 0024), but they are no document
the school prints or uploads. The schools-to-chase list, its score and the daily digest's late
counts read the school's own documents, as the late-schools page does (decision 0116: a school
with carried numbers and a printed SPTJM of its new numbers, not uploaded past the deadline, was
late on `/dinas/sptjm/` and not in the list or the digest: 78 against 77 in the walk)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.accounts.digest import region_late_counts
from verval.dashboard import services
from verval.dashboard.models import SchoolSummary
from verval.dashboard.selectors import behind_reasons, period_deadlines
from verval.reference import zones
from verval.reference.models import Period
from verval.sptjm import actions, selectors

DEADLINES = {"print": date(2021, 3, 20), "upload": date(2021, 3, 25)}


def test_a_printed_sptjm_of_new_numbers_beside_carried_ones_is_not_uploaded() -> None:
    # 6 carried, 2 on the period's printed document: printed 8, uploaded 6 (the carried ones); the
    # school's SchoolSptjm row, copied by the refresh: a printed document (decision 0119).
    summary = SchoolSummary(
        aktif=8, sptjm_printed=8, sptjm_uploaded=6, sptjm_approved=6, sptjm_carried=6, sptjm_state="DICETAK"
    )

    assert behind_reasons(summary, DEADLINES) == ["BELUM_UNGGAH", "TERLAMBAT"]


def test_new_numbers_beside_carried_ones_with_no_sptjm_printed_are_to_print() -> None:
    summary = SchoolSummary(
        aktif=8, sptjm_printed=6, sptjm_uploaded=6, sptjm_approved=6, sptjm_carried=6, sptjm_to_print=2
    )

    assert behind_reasons(summary, DEADLINES) == ["BELUM_SPTJM", "TERLAMBAT"]


def test_a_school_whose_numbers_are_all_carried_has_nothing_to_print() -> None:
    summary = SchoolSummary(aktif=6, sptjm_printed=6, sptjm_uploaded=6, sptjm_approved=6, sptjm_carried=6)

    assert behind_reasons(summary, DEADLINES) == []


@pytest.fixture
def second_tahap(db, pusdatin):  # type: ignore[no-untyped-def]
    """Three schools approved in a 2020 tahap, then a 2021 tahap past both deadlines: one prints
    an SPTJM of its one new recipient and does not upload it, one has a new recipient and prints
    nothing, one has nothing new (all carried)."""
    first = make_period("2021-02", "2020", date(2021, 2, 1))
    schools = {name: SchoolFactory() for name in ("printed", "to_print", "all_carried")}
    operators = {}
    for name, school in schools.items():
        operators[name] = UserFactory(role="OPERATOR", school=school, username=f"op-{name}")
        aktif(school, 3)
        approve_all(operators[name], pusdatin, school, first)
    Period.objects.filter(pk=first.pk).update(is_open=False)
    second = make_period("2021-03", "2021", date(2021, 3, 1))
    aktif(schools["printed"], 1)
    aktif(schools["to_print"], 1)
    actions.print_sptjm(actor=operators["printed"], npsn=schools["printed"].npsn, period_code=second.code)
    services.refresh_all()
    return second, schools


def test_the_list_and_the_digest_count_the_late_schools_of_the_late_page(second_tahap, pusdatin):
    period, schools = second_tahap
    late_page = selectors.late_schools_shown(pusdatin, period, 500)
    summaries = {s.school_id: s for s in SchoolSummary.objects.all()}

    assert [(r["npsn"], r["late_print"], r["late_upload"]) for r in late_page.rows] == sorted(
        [(schools["printed"].npsn, False, True), (schools["to_print"].npsn, True, True)]
    )
    assert {npsn: s.sptjm_carried for npsn, s in summaries.items()} == {
        school.npsn: 3 for school in schools.values()
    }
    deadlines = period_deadlines()
    assert {npsn: behind_reasons(s, deadlines) for npsn, s in summaries.items()} == {
        schools["printed"].npsn: ["BELUM_UNGGAH", "TERLAMBAT"],
        schools["to_print"].npsn: ["BELUM_SPTJM", "TERLAMBAT"],
        schools["all_carried"].npsn: [],
    }
    counts = region_late_counts(zones.programme_today())
    regencies = {s.regency_id for s in schools.values()}
    assert sum(counts[code][0] for code in regencies) == late_page.count == 2
    assert {npsn: s.score for npsn, s in summaries.items()} == {
        schools["printed"].npsn: 300,
        schools["to_print"].npsn: 1000,
        schools["all_carried"].npsn: 0,
    }
