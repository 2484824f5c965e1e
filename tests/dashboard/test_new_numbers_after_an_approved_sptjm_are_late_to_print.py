"""A school whose SPTJM of the tahap is approved and that has new AKTIF numbers since (a later
provider round, a corrected number AKTIF again), on no document and not locked, has to print a
new SPTJM for them: past the print deadline it is late to print on the late-schools page, in the
schools-to-chase list and in the daily digest alike, and printing that SPTJM clears it everywhere
(decision 0122). `SchoolSptjm.to_print` counts what the print then lists. Before, only a school
without any document could be late to print (`_late`, decisions 0024, 0119).

The tahap's print deadline is past, its upload deadline ahead: what is late is the print alone."""

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

NAMES = ("renewed", "changed", "approved", "uploaded_new", "locked_new", "never_printed")


@pytest.fixture(params=["2020", "2021"])
def renewed_town(request, db, pusdatin):  # type: ignore[no-untyped-def]
    """Tahap 1 (2020): `locked_new` printed an SPTJM of two numbers and left it. Tahap 2 (the
    policy of the parameter), past its print deadline, before its upload deadline:

    - `renewed`: two numbers approved, then two new AKTIF recipients (to print: 2);
    - `changed`: two numbers approved, then one of them changed and AKTIF again (to print: 1);
    - `approved`: two numbers approved, nothing new;
    - `uploaded_new`: its SPTJM uploaded and waiting for Pusdatin, then a new AKTIF recipient: a
      print returns the uploaded document, nothing to print now;
    - `locked_new`: two other numbers approved; tahap 1's two are locked by its live SPTJM;
    - `never_printed`: three AKTIF recipients and no document (to print: 3)."""
    first = make_period("2021-02", "2020", date(2021, 2, 1))
    schools = {name: SchoolFactory() for name in NAMES}
    ops = {name: UserFactory(role="OPERATOR", school=s, username=f"op-{name}") for name, s in schools.items()}
    aktif(schools["locked_new"], 2)
    actions.print_sptjm(actor=ops["locked_new"], npsn=schools["locked_new"].npsn, period_code=first.code)
    Period.objects.filter(pk=first.pk).update(is_open=False)
    second = make_period("2021-03", request.param, date(2021, 3, 1), sptjm_upload_deadline=date(2099, 12, 31))
    for name in ("renewed", "changed", "approved", "locked_new"):
        aktif(schools[name], 2)
        approve_all(ops[name], pusdatin, schools[name], second)
    aktif(schools["renewed"], 2)
    changed = Recipient.objects.filter(school=schools["changed"]).order_by("pk").first()
    Recipient.objects.filter(pk=changed.pk).update(phone_e164="+6281299990003")
    aktif(schools["uploaded_new"], 2)
    sptjm, _ = actions.print_sptjm(
        actor=ops["uploaded_new"], npsn=schools["uploaded_new"].npsn, period_code=second.code
    )
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")
    aktif(schools["uploaded_new"], 1)
    aktif(schools["never_printed"], 3)
    services.refresh_all()
    return {"period": second, "schools": schools, "ops": ops}


def _npsn(town: dict[str, Any], *names: str) -> list[str]:
    return sorted(town["schools"][name].npsn for name in names)


def _late_in_digest(town: dict[str, Any]) -> int:
    counts = region_late_counts(zones.programme_today())
    return sum(counts[code][0] for code in {s.regency_id for s in town["schools"].values()})


def _rows() -> dict[str, tuple[str, str, int]]:
    return {s.school_id: (s.period, s.state, s.to_print) for s in SchoolSptjm.objects.all()}


def _summaries() -> dict[str, tuple[str, int, int]]:
    return {s.school_id: (s.sptjm_state, s.sptjm_to_print, s.score) for s in SchoolSummary.objects.all()}


def test_new_numbers_after_an_approval_are_late_to_print_on_the_page(monkeypatch, renewed_town, pusdatin):
    period, schools = renewed_town["period"], renewed_town["schools"]

    live = _live(monkeypatch, pusdatin, period)
    from_rows = _same_as_live(monkeypatch, pusdatin, period)

    by_npsn = {
        schools["renewed"].npsn: ("DISETUJUI", True, False),
        schools["changed"].npsn: ("DISETUJUI", True, False),
        schools["never_printed"].npsn: ("", True, False),
    }
    expected = [(npsn, *by_npsn[npsn]) for npsn in sorted(by_npsn)]
    for shown in (live, from_rows):
        assert [(r["npsn"], r["status"], r["late_print"], r["late_upload"]) for r in shown.rows] == expected
        assert shown.count == 3
    assert {npsn: facts[1:] for npsn, facts in _rows().items()} == {
        schools["renewed"].npsn: ("DISETUJUI", 2),
        schools["changed"].npsn: ("DISETUJUI", 1),
        schools["approved"].npsn: ("DISETUJUI", 0),
        schools["uploaded_new"].npsn: ("DIUNGGAH", 0),
        schools["locked_new"].npsn: ("DISETUJUI", 0),
        schools["never_printed"].npsn: ("", 3),
    }


def test_the_list_and_the_digest_chase_the_new_numbers_as_the_page_does(monkeypatch, renewed_town, pusdatin):
    schools = renewed_town["schools"]
    late_page = [r["npsn"] for r in _same_as_live(monkeypatch, pusdatin, renewed_town["period"]).rows]
    summaries = {s.school_id: s for s in SchoolSummary.objects.all()}
    deadlines = period_deadlines()

    reasons = {name: behind_reasons(summaries[s.npsn], deadlines) for name, s in schools.items()}
    scores = {name: summaries[s.npsn].score for name, s in schools.items()}

    assert reasons == {
        "renewed": ["BELUM_SPTJM", "TERLAMBAT"],
        "changed": ["BELUM_SPTJM", "TERLAMBAT"],
        "approved": [],
        "uploaded_new": [],
        "locked_new": [],
        "never_printed": ["BELUM_SPTJM", "TERLAMBAT"],
    }
    assert scores == {
        "renewed": 1000,
        "changed": 1000,
        "approved": 0,
        "uploaded_new": 0,
        "locked_new": 0,
        "never_printed": 1000,
    }
    assert late_page == _npsn(renewed_town, "renewed", "changed", "never_printed")
    assert sorted(s.school_id for s in behind_schools(pusdatin)) == late_page
    assert _late_in_digest(renewed_town) == len(late_page) == 3


def test_the_count_to_print_is_what_the_print_then_lists_and_printing_clears_the_school(
    monkeypatch, renewed_town, pusdatin
):
    period, schools, ops = renewed_town["period"], renewed_town["schools"], renewed_town["ops"]
    counted = {name: SchoolSptjm.objects.get(school_id=schools[name].npsn).to_print for name in NAMES}

    printed = {}
    for name in ("renewed", "changed", "never_printed"):
        sptjm, created = actions.print_sptjm(
            actor=ops[name], npsn=schools[name].npsn, period_code=period.code
        )
        assert created
        printed[name] = sptjm.rows
    services.refresh_dirty()

    assert (
        printed
        == {name: counted[name] for name in printed}
        == {"renewed": 2, "changed": 1, "never_printed": 3}
    )
    assert [r["npsn"] for r in _same_as_live(monkeypatch, pusdatin, period).rows] == []
    # Left to upload before its deadline: in the list, not late, not to print.
    deadlines = period_deadlines()
    assert {s.school_id: (behind_reasons(s, deadlines), s.score) for s in behind_schools(pusdatin)} == {
        npsn: (["BELUM_UNGGAH"], 300) for npsn in _npsn(renewed_town, "renewed", "changed", "never_printed")
    }
    assert _late_in_digest(renewed_town) == 0
    assert {npsn: facts[1:] for npsn, facts in _rows().items() if facts[2]} == {}


def test_a_schools_refresh_writes_the_rows_the_full_refresh_wrote(renewed_town):
    full_rows, full_summaries = _rows(), _summaries()
    SchoolSptjm.objects.update(state="X", to_print=99)
    SchoolSummary.objects.update(sptjm_state="X", sptjm_to_print=99, score=-1)

    services.refresh_schools(_npsn(renewed_town, *NAMES))

    assert _rows() == full_rows
    assert _summaries() == full_summaries
    assert sorted(full_rows[npsn][2] for npsn in _npsn(renewed_town, *NAMES)) == [0, 0, 0, 1, 2, 3]
