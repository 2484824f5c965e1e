"""The late-schools page (`/dinas/sptjm/`) counts the late schools from the dashboard's rows of
each school's SPTJM facts (`SchoolSptjm.state`, `to_print`; decision 0105): the same rows, count and page
bytes as the live count, for every change of a fact they hold — through the dirty-school rule
until the refresh, and from the refreshed summary after it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif, make_period
from tests.sptjm.test_deadlines import _blank_scan
from verval.accounts import access
from verval.core.models import Job
from verval.dashboard import services
from verval.dashboard.models import DirtySchool, SchoolSptjm, SchoolSummary, StatsState
from verval.reference import zones
from verval.registry import actions as registry_actions
from verval.registry.models import Recipient
from verval.sptjm import actions, selectors


def _live(monkeypatch: pytest.MonkeyPatch, user: Any, period: Any, limit: int | None = 500) -> Any:
    """The live count of decision 0101, the summaries not asked."""
    with monkeypatch.context() as m:
        m.setattr(selectors, "_late_from_summaries", lambda *a: None)
        return selectors.late_schools_shown(user, period, limit)


# The page's CSRF tokens differ from request to request (as the bench blanks them).
CSRF = re.compile(
    rb'(name="csrfmiddlewaretoken" value=")[^"]*"|("csrfToken": ")[^"]*"|(csrf_token" content=")[^"]*"'
)


def _page(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    body = client.get("/dinas/sptjm/").content
    return CSRF.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + b'"', body)


def _summary_path(user: Any, period: Any) -> Any:
    """What the summaries say (None: they cannot say), as `late_schools_shown` asks them."""
    return selectors._late_from_summaries(access.schools_for(user), period, 500, zones.programme_today())


def _same_as_live(monkeypatch: pytest.MonkeyPatch, user: Any, period: Any) -> Any:
    """The page from the summaries is the live page: rows, count and body, byte for byte."""
    assert _summary_path(user, period) is not None
    shown = selectors.late_schools_shown(user, period, 500)
    assert shown == _live(monkeypatch, user, period)
    page = _page(user)
    with monkeypatch.context() as m:
        m.setattr(selectors, "_late_from_summaries", lambda *a: None)
        assert page == _page(user)
    return shown


def _states(shown: Any) -> list[tuple[str, str, bool, bool]]:
    return [(r["npsn"], r["status"], r["late_print"], r["late_upload"]) for r in shown.rows]


@pytest.fixture
def town(db, operator, pusdatin, school):  # type: ignore[no-untyped-def]
    """A period past both deadlines and schools in every state the page tells apart."""
    period = make_period()
    aktif(school, 2)  # no document, two candidates: late to print and to upload
    printed, returned, uploaded, locked_only, no_number, quiet = (SchoolFactory() for _ in range(6))
    operators = {}
    for s in (printed, returned, uploaded):
        aktif(s, 2)
        op = operators[s.npsn] = UserFactory(role="OPERATOR", school=s, username=f"op{s.npsn}")
        sptjm, _ = actions.print_sptjm(actor=op, npsn=s.npsn, period_code=period.code)
        if s is not printed:
            sptjm = actions.upload_scan(actor=op, sptjm_id=sptjm.pk, upload=_blank_scan()).sptjm
        if s is returned:
            actions.return_sptjm(actor=pusdatin, sptjm_id=sptjm.pk, reason="buram")
    aktif(locked_only, 1, locked=True)  # AKTIF, nothing to print: not late
    aktif(no_number, 1, phone_e164="")  # no number: not late
    services.refresh_all()
    return {
        "period": period,
        "printed": printed,
        "returned": returned,
        "uploaded": uploaded,
        "locked_only": locked_only,
        "quiet": quiet,
        "operators": operators,
    }


def test_after_a_refresh_the_late_page_reads_the_summaries_and_no_recipient(
    monkeypatch, town, pusdatin, school
):
    period = town["period"]

    with CaptureQueriesContext(connection) as queries:
        shown = selectors.late_schools_shown(pusdatin, period, 500)

    assert _states(shown) == sorted(
        [
            (school.npsn, "", True, True),
            (town["printed"].npsn, "DICETAK", False, True),
            (town["returned"].npsn, "DIKEMBALIKAN", False, True),
        ]
    )
    assert shown.count == 3
    assert [q["sql"] for q in queries.captured_queries if '"registry_recipient"' in q["sql"]] == []
    assert [q["sql"] for q in queries.captured_queries if '"sptjm_sptjm"' in q["sql"]] == []
    assert SchoolSptjm.objects.get(school_id=town["locked_only"].npsn).to_print == 0
    assert SchoolSptjm.objects.get(school_id=town["uploaded"].npsn).state == "DIUNGGAH"
    # One row per school, a school without a recipient or a document too.
    assert SchoolSptjm.objects.get(school_id=town["quiet"].npsn).period == period.code
    assert not SchoolSummary.objects.filter(school_id=town["quiet"].npsn).exists()
    _same_as_live(monkeypatch, pusdatin, period)
    assert (
        b"3 sekolah melewati batas waktu: ada nomor yang belum tercetak di SPTJM, atau SPTJM yang belum diunggah."
        in _page(pusdatin)
    )


def test_the_page_shows_the_first_schools_by_npsn_and_counts_the_rest_from_the_summaries(
    monkeypatch, town, pusdatin
):
    period = town["period"]
    monkeypatch.setattr("verval.sptjm.views.LATE_ROWS", 2)

    shown = selectors.late_schools_shown(pusdatin, period, 2)

    assert (len(shown.rows), shown.count) == (2, 3)
    assert shown == _live(monkeypatch, pusdatin, period, 2)
    _same_as_live(monkeypatch, pusdatin, period)


def test_a_dinas_sees_the_late_schools_of_its_region_only(monkeypatch, town, school, other_school, dinas_kab):
    aktif(other_school, 1)
    services.refresh_all()

    shown = _same_as_live(monkeypatch, dinas_kab, town["period"])

    assert school.npsn in {r["npsn"] for r in shown.rows}
    assert other_school.npsn not in {r["npsn"] for r in shown.rows}


def test_past_the_print_deadline_only_a_printed_document_is_not_late(
    monkeypatch, db, operator, pusdatin, school
):
    period = make_period(sptjm_upload_deadline=zones.programme_today() + timedelta(days=2))
    printed = SchoolFactory()
    aktif(printed, 1)
    op = UserFactory(role="OPERATOR", school=printed, username="op2")
    actions.print_sptjm(actor=op, npsn=printed.npsn, period_code=period.code)
    aktif(school, 1)
    services.refresh_all()

    shown = _same_as_live(monkeypatch, pusdatin, period)

    assert _states(shown) == [(school.npsn, "", True, False)]


# ------------------------------------------------------------------ every writer of the facts


def _print(town, school, operator):  # type: ignore[no-untyped-def]
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=town["period"].code)


def _upload_printed(town, school, operator):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=town["printed"])
    op = town["operators"][town["printed"].npsn]
    actions.upload_scan(actor=op, sptjm_id=sptjm.pk, upload=_blank_scan())


def _return_uploaded(town, school, operator):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=town["uploaded"])
    actions.return_sptjm(actor=town["pusdatin"], sptjm_id=sptjm.pk, reason="buram")


def _approve_uploaded(town, school, operator):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=town["uploaded"])
    actions.approve_sptjm(actor=town["pusdatin"], sptjm_id=sptjm.pk)


def _void_printed(town, school, operator):  # type: ignore[no-untyped-def]
    sptjm = selectors.Sptjm.objects.get(school=town["printed"])
    op = town["operators"][town["printed"].npsn]
    actions.void_sptjm(actor=op, sptjm_id=sptjm.pk)


def _number_changed(town, school, operator):  # type: ignore[no-untyped-def]
    for r in Recipient.objects.filter(school=school):
        registry_actions.change_number(
            actor=operator, recipient_id=r.pk, new_raw="0812 3456 7890", expected_version=r.version
        )


def _unlocked_by_hand(town, school, operator):  # type: ignore[no-untyped-def]
    r = Recipient.objects.get(school=town["locked_only"])
    r.locked = False
    r.save()


def _new_recipient(town, school, operator):  # type: ignore[no-untyped-def]
    aktif(town["quiet"], 1)


def _left_the_school(town, school, operator):  # type: ignore[no-untyped-def]
    for r in Recipient.objects.filter(school=school):
        r.active = False
        r.save()


CHANGES = {
    # change: (its function, the late schools after it, by fixture name)
    "print": (_print, {"printed", "returned", "school"}),
    "upload": (_upload_printed, {"returned", "school"}),
    "return": (_return_uploaded, {"printed", "returned", "uploaded", "school"}),
    "approve": (_approve_uploaded, {"printed", "returned", "school"}),
    "void": (_void_printed, {"printed", "returned", "school"}),
    "number_changed": (_number_changed, {"printed", "returned"}),
    "unlocked": (_unlocked_by_hand, {"printed", "returned", "school", "locked_only"}),
    "new_recipient": (_new_recipient, {"printed", "returned", "school", "quiet"}),
    "left_the_school": (_left_the_school, {"printed", "returned"}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_page_follows_each_change_before_and_after_the_refresh(
    monkeypatch, town, operator, pusdatin, school, change
):
    town["pusdatin"] = pusdatin
    do, late_after = CHANGES[change]
    do(town, school, operator)
    named = {key: town[key].npsn for key in late_after if key != "school"}
    if "school" in late_after:
        named["school"] = school.npsn
    expected = sorted(named.values())

    # Before the refresh: the changed school is dirty, asked live, its summary row left out.
    assert DirtySchool.objects.exists()
    before = _same_as_live(monkeypatch, pusdatin, town["period"])
    services.refresh_dirty()
    assert not DirtySchool.objects.exists()
    after = _same_as_live(monkeypatch, pusdatin, town["period"])

    assert [r["npsn"] for r in before.rows] == [r["npsn"] for r in after.rows] == expected
    assert before.count == after.count == len(expected)


def test_a_void_marks_the_school_a_listed_record_has_moved_to(monkeypatch, db, operator, pusdatin, school):
    """A record printed by one school, moved to another (a Dapodik import, refreshed in full),
    then unlocked by the first school's void: the second school has a candidate again."""
    period = make_period()
    (moved,) = aktif(school, 1)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    elsewhere = SchoolFactory()
    Recipient.objects.filter(pk=moved.pk).update(school=elsewhere)
    services.refresh_all()
    assert elsewhere.npsn not in {r["npsn"] for r in selectors.late_schools_shown(pusdatin, period, 500).rows}

    actions.void_sptjm(actor=operator, sptjm_id=sptjm.pk)

    assert set(DirtySchool.objects.values_list("npsn", flat=True)) == {school.npsn, elsewhere.npsn}
    shown = _same_as_live(monkeypatch, pusdatin, period)
    assert _states(shown) == [(elsewhere.npsn, "", True, True)]
    services.refresh_dirty()
    assert _same_as_live(monkeypatch, pusdatin, period) == shown


def test_summaries_of_another_period_are_asked_live(monkeypatch, town, pusdatin, school):
    later = make_period("2020-10", starts=town["period"].starts_on + timedelta(days=40))
    services.refresh_all()  # the summaries now hold 2020-10, the latest open period

    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-10"}
    # The page's first period is the latest; 2020-09A is still open, asked with ?periode=: its
    # summary rows are of 2020-10, each school is asked live.
    assert _summary_path(pusdatin, town["period"]) is not None
    shown = selectors.late_schools_shown(pusdatin, town["period"], 500)
    assert shown == _live(monkeypatch, pusdatin, town["period"])
    assert shown.count == 3
    # In 2020-10 the schools with a live 2020-09A document have their records locked.
    assert _states(_same_as_live(monkeypatch, pusdatin, later)) == [(school.npsn, "", True, True)]


def test_a_document_of_a_school_without_facts_counts(monkeypatch, db, pusdatin):
    """A document that lists no one (not printed by the product, which refuses an empty print,
    but the national bench has 1,393 of them at schools without recipients) at a school without
    a dashboard summary row: late all the same."""
    period = make_period()
    empty = SchoolFactory()
    selectors.Sptjm.objects.create(
        number=f"SPTJM/{period.code}/{empty.npsn}/1", school=empty, period=period, seq=1,
        status="DICETAK", rows=0, printed_at=timezone.now(),
    )  # fmt: skip
    services.refresh_all()

    assert not SchoolSummary.objects.filter(school_id=empty.npsn).exists()
    assert _states(_same_as_live(monkeypatch, pusdatin, period)) == [(empty.npsn, "DICETAK", False, True)]


def test_until_a_full_refresh_writes_the_rows_the_page_counts_live(town, pusdatin):
    """After the migration that adds the rows: the table is empty (or holds the rows of a few
    schools a school's refresh wrote), though an earlier full refresh says the summaries follow."""
    SchoolSptjm.objects.all().delete()
    StatsState.objects.update(sptjm_facts_at=None)
    services.refresh_schools([town["printed"].npsn])

    assert _summary_path(pusdatin, town["period"]) is None
    assert selectors.late_schools_shown(pusdatin, town["period"], 500).count == 3
    services.refresh_all()
    assert _summary_path(pusdatin, town["period"]) is not None


def test_while_a_registry_job_runs_the_page_counts_live(town, pusdatin):
    Job.objects.create(kind="ingest_results", state=Job.State.RUNNING)

    assert _summary_path(pusdatin, town["period"]) is None
    assert selectors.late_schools_shown(pusdatin, town["period"], 500).count == 3


def test_the_dirty_schools_are_asked_by_their_npsns_not_through_the_scopes_schools(
    monkeypatch, town, operator, pusdatin, dinas_prov, school, other_school
):
    """The few schools the rows are behind on are asked live by their NPSNs (decision 0131):
    their documents and recipients by `school_id IN` that list, not through a subquery of the
    scope's schools, which PostgreSQL read for Pusdatin's 500 by a seq scan of the nation's
    440,000. The same rows, count and bytes as the page counted live, for Pusdatin and a province."""
    _print(town, school, operator)  # late to upload now, no longer to print
    aktif(other_school, 1)  # Kab. Sukabumi, the same province: late to print
    dirty = sorted(DirtySchool.objects.values_list("npsn", flat=True))
    assert dirty == sorted([school.npsn, other_school.npsn])
    in_list = ", ".join(f"'{npsn}'" for npsn in dirty)

    for user in (pusdatin, dinas_prov):
        with CaptureQueriesContext(connection) as queries:
            shown = selectors.late_schools_shown(user, town["period"], 500)

        asked = [
            q["sql"]
            for q in queries.captured_queries
            if '"registry_recipient"' in q["sql"] or q["sql"].startswith('SELECT "sptjm_sptjm"."school_id"')
        ]
        assert len(asked) == 2
        assert all(f'"school_id" IN ({in_list})' in sql for sql in asked)
        assert all('"reference_school"' not in sql for sql in asked)
        assert _states(shown) == sorted(
            [
                (school.npsn, "DICETAK", False, True),
                (other_school.npsn, "", True, True),
                (town["printed"].npsn, "DICETAK", False, True),
                (town["returned"].npsn, "DIKEMBALIKAN", False, True),
            ]
        )
        assert _same_as_live(monkeypatch, user, town["period"]) == shown
