"""Under a 2021-policy period (SPEC §6: an SPTJM for new or changed numbers only) the late-schools
page reads the dashboard's SchoolSptjm rows too (decision 0116; decision 0105 counted it live):
`to_print` knows the numbers approved in an earlier period, carried without a new SPTJM. The page
equals the live count — rows, count and body — after a full refresh, for each change of a fact
before and after the school's refresh, and it counts live again when the periods the rows were
read under change (a policy or a start date edited)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.factories import SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif, approve_all, make_period
from tests.sptjm.test_deadlines import _blank_scan
from tests.sptjm.test_late_schools_from_summaries import _live, _same_as_live, _summary_path
from verval.dashboard import services
from verval.dashboard.models import DirtySchool, SchoolSptjm, StatsState
from verval.reference import actions as reference_actions
from verval.reference.models import Period, QuotaPolicy
from verval.registry.models import Recipient
from verval.sptjm import actions, selectors

SCHOOLS = ("all_carried", "to_print", "printed", "fresh", "changed", "closed_doc")


@pytest.fixture
def carried_town(db, pusdatin):  # type: ignore[no-untyped-def]
    """A 2020 tahap in which four schools were approved and one printed and left its SPTJM, then
    a 2021 tahap past both deadlines: `all_carried` has nothing new; `to_print` a new recipient
    and no SPTJM; `printed` a new recipient on an SPTJM not uploaded; `fresh` was never approved;
    `changed` has a number changed since its approval (no longer carried); `closed_doc`'s
    recipients are locked by the 2020 tahap's live SPTJM."""
    first = make_period("2021-02", "2020", date(2021, 2, 1))
    schools = {name: SchoolFactory() for name in SCHOOLS}
    ops = {name: UserFactory(role="OPERATOR", school=s, username=f"op-{name}") for name, s in schools.items()}
    for name in ("all_carried", "to_print", "printed", "changed"):
        aktif(schools[name], 2)
        approve_all(ops[name], pusdatin, schools[name], first)
    aktif(schools["closed_doc"], 2)
    actions.print_sptjm(actor=ops["closed_doc"], npsn=schools["closed_doc"].npsn, period_code=first.code)
    Period.objects.filter(pk=first.pk).update(is_open=False)
    second = make_period("2021-03", "2021", date(2021, 3, 1))
    aktif(schools["to_print"], 1)
    aktif(schools["printed"], 1)
    actions.print_sptjm(actor=ops["printed"], npsn=schools["printed"].npsn, period_code=second.code)
    aktif(schools["fresh"], 2)
    changed = Recipient.objects.filter(school=schools["changed"]).first()
    Recipient.objects.filter(pk=changed.pk).update(phone_e164="+6281299990001")
    services.refresh_all()
    return {"first": first, "period": second, "schools": schools, "ops": ops, "pusdatin": pusdatin}


def _late(town: dict[str, Any], *names: str) -> list[str]:
    return sorted(town["schools"][name].npsn for name in names)


def test_under_a_2021_policy_the_page_reads_the_summaries_and_knows_the_carried_numbers(
    monkeypatch, carried_town, pusdatin
):
    period = carried_town["period"]

    shown = _same_as_live(monkeypatch, pusdatin, period)

    assert [r["npsn"] for r in shown.rows] == _late(carried_town, "to_print", "printed", "fresh", "changed")
    assert shown.count == 4
    facts = {s.school_id: (s.state, s.to_print) for s in SchoolSptjm.objects.all()}
    schools = carried_town["schools"]
    assert facts[schools["all_carried"].npsn] == ("", False)
    assert facts[schools["to_print"].npsn] == ("", True)
    assert facts[schools["printed"].npsn] == ("DICETAK", False)
    assert facts[schools["closed_doc"].npsn] == ("", False)
    # The rows shown still say which schools have carried numbers, as the live page did.
    assert {r["npsn"]: r["carried"] for r in shown.rows} == {
        schools[name].npsn: name != "fresh" for name in ("to_print", "printed", "fresh", "changed")
    }


def _approve_closed(town, schools, ops):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=schools["closed_doc"])
    actions.upload_scan(actor=ops["closed_doc"], sptjm_id=sptjm.pk, upload=_blank_scan())
    actions.approve_sptjm(actor=town["pusdatin"], sptjm_id=sptjm.pk)


def _void_closed(town, schools, ops):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=schools["closed_doc"])
    actions.void_sptjm(actor=ops["closed_doc"], sptjm_id=sptjm.pk)


def _number_back(town, schools, ops):  # type: ignore[no-untyped-def]
    """The changed number set back to the one approved in 2020: carried again."""
    r = Recipient.objects.get(school=schools["changed"], phone_e164="+6281299990001")
    r.phone_e164 = selectors.SptjmItem.objects.get(recipient=r).phone_e164
    r.save()


def _carried_number_changed(town, schools, ops):  # type: ignore[no-untyped-def]
    r = Recipient.objects.filter(school=schools["all_carried"]).first()
    r.phone_e164 = "+6281299990002"
    r.save()


def _upload_printed(town, schools, ops):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=schools["printed"], period=town["period"])
    actions.upload_scan(actor=ops["printed"], sptjm_id=sptjm.pk, upload=_blank_scan())


def _print_new(town, schools, ops):  # type: ignore[no-untyped-def]
    actions.print_sptjm(actor=ops["to_print"], npsn=schools["to_print"].npsn, period_code=town["period"].code)


CHANGES = {
    # change: (its function, the late schools after it)
    "approve_closed_document": (_approve_closed, ("to_print", "printed", "fresh", "changed")),
    "void_closed_document": (_void_closed, ("to_print", "printed", "fresh", "changed", "closed_doc")),
    "number_back_to_the_approved_one": (_number_back, ("to_print", "printed", "fresh")),
    "carried_number_changed": (
        _carried_number_changed,
        ("all_carried", "to_print", "printed", "fresh", "changed"),
    ),
    "upload": (_upload_printed, ("to_print", "fresh", "changed")),
    "print": (_print_new, ("to_print", "printed", "fresh", "changed")),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_under_a_2021_policy_the_page_follows_each_change_before_and_after_the_refresh(
    monkeypatch, carried_town, pusdatin, change
):
    do, late_after = CHANGES[change]
    do(carried_town, carried_town["schools"], carried_town["ops"])

    assert DirtySchool.objects.exists()
    before = _same_as_live(monkeypatch, pusdatin, carried_town["period"])
    services.refresh_dirty()
    assert not DirtySchool.objects.exists()
    after = _same_as_live(monkeypatch, pusdatin, carried_town["period"])

    expected = _late(carried_town, *late_after)
    assert [r["npsn"] for r in before.rows] == [r["npsn"] for r in after.rows] == expected
    assert before.count == after.count == len(expected)


def _edit_policy(town: dict[str, Any], policy: str) -> None:
    period = town["period"]
    reference_actions.save_period(
        actor=town["pusdatin"],
        code=period.code,
        name=period.name,
        policy=QuotaPolicy.objects.get(pk=policy),
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        sptjm_print_deadline=period.sptjm_print_deadline,
        sptjm_upload_deadline=period.sptjm_upload_deadline,
    )


def test_a_policy_edited_after_the_refresh_sends_the_page_back_to_the_live_count(
    monkeypatch, carried_town, pusdatin
):
    _edit_policy(carried_town, "2020")  # now every number needs this period's SPTJM
    period = Period.objects.get(pk=carried_town["period"].pk)

    assert _summary_path(pusdatin, period) is None
    shown = selectors.late_schools_shown(pusdatin, period, 500)
    assert shown == _live(monkeypatch, pusdatin, period)
    assert [r["npsn"] for r in shown.rows] == _late(
        carried_town, "all_carried", "to_print", "printed", "fresh", "changed"
    )
    services.refresh_all()
    assert [r["npsn"] for r in _same_as_live(monkeypatch, pusdatin, period).rows] == [
        r["npsn"] for r in shown.rows
    ]


def test_a_start_date_moved_before_the_approving_period_sends_the_page_back_to_the_live_count(
    monkeypatch, carried_town, pusdatin
):
    # The 2020 tahap no longer starts earlier: nothing is carried any more.
    Period.objects.filter(pk=carried_town["period"].pk).update(starts_on=date(2021, 1, 1))
    period = Period.objects.get(pk=carried_town["period"].pk)

    assert _summary_path(pusdatin, period) is None
    assert selectors.late_schools_shown(pusdatin, period, 500) == _live(monkeypatch, pusdatin, period)
    assert selectors.late_schools_shown(pusdatin, period, 500).count == 5
    services.refresh_all()
    assert _same_as_live(monkeypatch, pusdatin, period).count == 5


def test_a_schools_refresh_under_other_periods_leaves_the_rows_to_the_next_full_refresh(
    monkeypatch, carried_town, pusdatin
):
    """A school's rows written after the policy changed, then the policy changed back: the other
    rows are of the first policy, that school's of the second; none are read until a full refresh."""
    _edit_policy(carried_town, "2020")
    services.refresh_schools([carried_town["schools"]["all_carried"].npsn])
    _edit_policy(carried_town, "2021")
    period = Period.objects.get(pk=carried_town["period"].pk)

    assert StatsState.objects.get().sptjm_facts_at is None
    assert _summary_path(pusdatin, period) is None
    assert selectors.late_schools_shown(pusdatin, period, 500).count == 4
    services.refresh_all()
    assert _same_as_live(monkeypatch, pusdatin, period).count == 4


def _create_earlier_period(town: dict[str, Any]) -> Period:
    """Pusdatin creates a tahap starting before the 2020 tahap, and does not open it."""
    return reference_actions.save_period(
        actor=town["pusdatin"],
        code="2021-01",
        name="Tahap 2021-01",
        policy=QuotaPolicy.objects.get(pk="2020"),
        starts_on=date(2021, 1, 1),
        ends_on=date(2021, 1, 28),
        create=True,
    )


def test_a_period_created_before_and_never_opened_leaves_the_page_on_its_rows(
    monkeypatch, carried_town, pusdatin
):
    """A period never opened holds no SPTJM item and covers no one: the rows are still right, and
    the page keeps reading them (decision 0119; it counted live until the next full refresh)."""
    key = StatsState.objects.get().sptjm_facts_key
    _create_earlier_period(carried_town)

    assert services.covering_periods(carried_town["period"].code) == ["2021-03", "2021-02"]
    assert services.sptjm_facts_key(carried_town["period"].code) == key
    shown = _same_as_live(monkeypatch, pusdatin, carried_town["period"])
    assert [r["npsn"] for r in shown.rows] == _late(carried_town, "to_print", "printed", "fresh", "changed")


def test_a_period_never_opened_counts_once_opened(monkeypatch, carried_town, pusdatin):
    """Opened (and closed again), the period may hold approved items: it covers again, the key
    changes and the page counts live until a full refresh writes the rows under it."""
    key = StatsState.objects.get().sptjm_facts_key
    earlier = _create_earlier_period(carried_town)
    period = carried_town["period"]
    reference_actions.open_period(actor=pusdatin, code=earlier.code)
    reference_actions.open_period(actor=pusdatin, code=period.code)

    assert services.covering_periods(period.code) == ["2021-03", "2021-01", "2021-02"]
    assert services.sptjm_facts_key(period.code) != key
    assert _summary_path(pusdatin, period) is None
    assert selectors.late_schools_shown(pusdatin, period, 500) == _live(monkeypatch, pusdatin, period)
    services.refresh_all()
    shown = _same_as_live(monkeypatch, pusdatin, period)
    assert [r["npsn"] for r in shown.rows] == _late(carried_town, "to_print", "printed", "fresh", "changed")
