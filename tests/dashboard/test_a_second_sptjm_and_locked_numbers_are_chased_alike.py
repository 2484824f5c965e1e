"""The late-schools page, the schools-to-chase list (its reasons and score) and the daily digest
say the same of two schools, under a 2020 and a 2021 policy, live and from the dashboard's rows
(decision 0119):

- a school with an approved SPTJM of the period that printed a second one (a new recipient, or a
  number changed since the approval) and did not upload it is late to upload: by the best
  document by rank (decision 0105) it was "approved" and late nowhere, and the new numbers waited;
- a school whose AKTIF numbers are all locked by an earlier tahap's live SPTJM, with no SPTJM of
  this one, has nothing to print here (decision 0024: it is chased through the closed tahap's
  list): the list said "SPTJM belum dicetak" and the digest counted it late, the page did not."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.factories import SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif, approve_all, make_period
from tests.sptjm.test_late_schools_from_summaries import _live, _same_as_live
from verval.accounts.digest import region_late_counts
from verval.dashboard import services
from verval.dashboard.models import SchoolSptjm, SchoolSummary
from verval.dashboard.selectors import behind_reasons, behind_schools, period_deadlines
from verval.reference import zones
from verval.reference.models import Period
from verval.registry.models import Recipient
from verval.sptjm import actions
from verval.sptjm.models import Sptjm

NAMES = ("second_new", "second_changed", "approved", "locked")


@pytest.fixture(params=["2020", "2021"])
def chase_town(request, db, pusdatin):  # type: ignore[no-untyped-def]
    """Tahap 1 (2020): `locked` printed its SPTJM and left it. Tahap 2 (the policy of the
    parameter), past both deadlines: `second_new` approved, then printed a second SPTJM of a new
    recipient; `second_changed` approved, then printed a second one of a number changed since (its
    recipient's best document stays the approved one); `approved` approved and nothing new."""
    first = make_period("2021-02", "2020", date(2021, 2, 1))
    schools = {name: SchoolFactory() for name in NAMES}
    ops = {name: UserFactory(role="OPERATOR", school=s, username=f"op-{name}") for name, s in schools.items()}
    aktif(schools["locked"], 2)
    actions.print_sptjm(actor=ops["locked"], npsn=schools["locked"].npsn, period_code=first.code)
    Period.objects.filter(pk=first.pk).update(is_open=False)
    second = make_period("2021-03", request.param, date(2021, 3, 1))
    for name in ("second_new", "second_changed", "approved"):
        aktif(schools[name], 2)
        approve_all(ops[name], pusdatin, schools[name], second)
    aktif(schools["second_new"], 1)
    changed = Recipient.objects.filter(school=schools["second_changed"]).order_by("pk").first()
    Recipient.objects.filter(pk=changed.pk).update(phone_e164="+6281299990003")
    for name in ("second_new", "second_changed"):
        sptjm, _ = actions.print_sptjm(actor=ops[name], npsn=schools[name].npsn, period_code=second.code)
        assert sptjm.rows == 1
    services.refresh_all()
    return {"period": second, "schools": schools}


def _late_npsns(monkeypatch: pytest.MonkeyPatch, user: Any, period: Any) -> list[str]:
    """The late page's schools, from the rows, the same as live (rows, count and body)."""
    return [r["npsn"] for r in _same_as_live(monkeypatch, user, period).rows]


def _npsn(town: dict[str, Any], *names: str) -> list[str]:
    return sorted(town["schools"][name].npsn for name in names)


def test_a_second_sptjm_printed_after_an_approval_is_late_to_upload_on_the_page(
    monkeypatch, chase_town, pusdatin
):
    period, schools = chase_town["period"], chase_town["schools"]

    live = _live(monkeypatch, pusdatin, period)
    from_rows = _same_as_live(monkeypatch, pusdatin, period)

    expected = [(npsn, "DICETAK", False, True) for npsn in _npsn(chase_town, "second_new", "second_changed")]
    for shown in (live, from_rows):
        assert [(r["npsn"], r["status"], r["late_print"], r["late_upload"]) for r in shown.rows] == expected
        assert shown.count == 2
    facts = {s.school_id: (s.state, s.to_print) for s in SchoolSptjm.objects.all()}
    assert facts == {
        schools["second_new"].npsn: ("DICETAK", False),
        schools["second_changed"].npsn: ("DICETAK", False),
        schools["approved"].npsn: ("DISETUJUI", False),
        schools["locked"].npsn: ("", False),
    }


def _late_in_digest(town: dict[str, Any]) -> int:
    counts = region_late_counts(zones.programme_today())
    return sum(counts[code][0] for code in {s.regency_id for s in town["schools"].values()})


def test_the_list_and_the_digest_chase_a_second_sptjm_not_uploaded(monkeypatch, chase_town, pusdatin):
    schools = chase_town["schools"]
    late_page = _late_npsns(monkeypatch, pusdatin, chase_town["period"])
    summaries = {s.school_id: s for s in SchoolSummary.objects.all()}

    deadlines = period_deadlines()
    for name in ("second_new", "second_changed"):
        assert behind_reasons(summaries[schools[name].npsn], deadlines) == ["BELUM_UNGGAH", "TERLAMBAT"]
        assert summaries[schools[name].npsn].score == 300
    assert behind_reasons(summaries[schools["approved"].npsn], deadlines) == []
    assert sorted(s.school_id for s in behind_schools(pusdatin)) == late_page
    assert _late_in_digest(chase_town) == len(late_page) == 2


def test_numbers_locked_by_another_tahaps_sptjm_are_nothing_to_print_in_the_list_or_the_digest(
    monkeypatch, chase_town, pusdatin
):
    """Its numbers wait for tahap 1's SPTJM (uploaded and approved, or voided): not "SPTJM belum
    dicetak", not late in the digest, not on the late page (decision 0024's rule)."""
    locked = chase_town["schools"]["locked"].npsn
    summary = SchoolSummary.objects.get(school_id=locked)

    assert locked not in _late_npsns(monkeypatch, pusdatin, chase_town["period"])
    assert behind_reasons(summary, period_deadlines()) == []
    assert summary.score == 0
    assert (summary.aktif, summary.sptjm_printed, summary.has_to_print) == (2, 0, False)
    assert locked not in {s.school_id for s in behind_schools(pusdatin)}
    assert _late_in_digest(chase_town) == 2


def test_uploading_the_second_sptjm_clears_the_school_everywhere(monkeypatch, chase_town, pusdatin):
    period, schools = chase_town["period"], chase_town["schools"]
    for name in ("second_new", "second_changed"):
        Sptjm.objects.filter(school=schools[name], status="DICETAK").update(status="DIUNGGAH")
    services.refresh_all()

    assert _late_npsns(monkeypatch, pusdatin, period) == []
    assert list(behind_schools(pusdatin)) == []
    assert _late_in_digest(chase_town) == 0
