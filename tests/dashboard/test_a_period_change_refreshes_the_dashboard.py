"""Opening a period (and closing one, or saving one, when that changes the period the dashboard
reads: the open one, else the latest) schedules the full dashboard refresh once the change
commits, as a job's end does (`services.refresh_all_on_commit`, decision 0115): the summaries and
the late-schools page's SchoolSptjm rows are then read for the new period instead of counting live
until somebody runs `verval refresh-dashboard`. Tasks run at once in the tests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import SchoolFactory
from tests.sptjm.conftest import aktif, make_period
from tests.sptjm.test_late_schools_from_summaries import _page, _same_as_live, _summary_path
from verval.dashboard import services
from verval.dashboard.models import SchoolSptjm, SchoolSummary
from verval.reference import actions as reference_actions
from verval.reference.models import Period, QuotaPolicy
from verval.sptjm import actions as sptjm_actions


@pytest.fixture
def september(db, operator, school):  # type: ignore[no-untyped-def]
    """2020-09A open, past its deadlines, a printed SPTJM of the school, another school with a
    number to print, the dashboard refreshed; 2020-10 (past its deadlines too) saved, not opened."""
    period = make_period()
    aktif(school, 2)
    aktif(SchoolFactory(npsn="69990001"), 1)
    sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    october = make_period("2020-10", starts=date(2020, 10, 1), is_open=False)
    services.refresh_all()
    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-09A"}
    return period, october


def test_opening_a_period_refreshes_the_dashboard_for_it_once_committed(
    monkeypatch, september, pusdatin, school, django_capture_on_commit_callbacks
):
    _september, october = september

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reference_actions.open_period(actor=pusdatin, code=october.code)

    assert len(callbacks) == 1
    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-10"}
    # The September document still locks its records: nothing to print in October, not late.
    assert SchoolSptjm.objects.get(school_id=school.npsn).to_print == 0
    assert SchoolSummary.objects.get(school_id=school.npsn).sptjm_printed == 0
    late, count = _summary_path(pusdatin, october)
    assert (sorted(late), count) == (["69990001"], 1)
    shown = _same_as_live(monkeypatch, pusdatin, october)
    assert [(r["npsn"], r["late_print"]) for r in shown.rows] == [("69990001", True)]
    assert (
        b"1 sekolah melewati batas waktu: ada nomor yang belum tercetak di SPTJM, atau SPTJM yang belum diunggah."
        in _page(pusdatin)
    )


def test_opening_a_period_from_its_web_page_refreshes_the_dashboard(
    client, september, pusdatin, django_capture_on_commit_callbacks
):
    _september, october = september
    client.force_login(pusdatin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/pusdatin/periode/{october.code}/buka/", {"lanjut": "1"})

    assert response.status_code == 302
    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-10"}


def test_closing_the_open_period_refreshes_the_dashboard_when_a_later_one_becomes_current(
    monkeypatch, september, pusdatin, school, django_capture_on_commit_callbacks
):
    period, october = september

    with django_capture_on_commit_callbacks(execute=True):
        reference_actions.close_period(actor=pusdatin, code=period.code)

    # None open: the dashboard reads the latest period, October.
    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-10"}
    assert _same_as_live(monkeypatch, pusdatin, october).count == 1


def test_a_period_change_that_leaves_the_current_period_schedules_no_refresh(
    september, pusdatin, django_capture_on_commit_callbacks
):
    period, october = september

    with django_capture_on_commit_callbacks() as callbacks:
        reference_actions.open_period(actor=pusdatin, code=period.code)  # already open
        reference_actions.close_period(actor=pusdatin, code=october.code)  # never opened
        reference_actions.save_period(
            actor=pusdatin,
            code=october.code,
            name="Tahap Oktober",
            policy=QuotaPolicy.objects.get(pk="2020"),
            starts_on=october.starts_on,
            ends_on=october.ends_on,
        )

    assert callbacks == []


def test_saving_a_later_period_while_none_is_open_refreshes_the_dashboard(
    september, pusdatin, django_capture_on_commit_callbacks
):
    period, october = september
    Period.objects.filter(pk=period.pk).update(is_open=False)
    services.refresh_all()
    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-10"}

    with django_capture_on_commit_callbacks(execute=True):
        reference_actions.save_period(
            actor=pusdatin,
            code="2020-11",
            name="Tahap November",
            policy=QuotaPolicy.objects.get(pk="2020"),
            starts_on=october.starts_on + timedelta(days=31),
            ends_on=october.starts_on + timedelta(days=58),
            create=True,
        )

    assert set(SchoolSptjm.objects.values_list("period", flat=True)) == {"2020-11"}


def test_changing_a_periods_policy_refreshes_the_dashboard(
    september, pusdatin, django_capture_on_commit_callbacks
):
    """A policy that asks an SPTJM for changed numbers only counts the carried records of its
    period (the `S` facts `DIBAWA`): another policy changes them."""
    _period, october = september

    with django_capture_on_commit_callbacks() as callbacks:
        reference_actions.save_period(
            actor=pusdatin,
            code=october.code,
            name=october.name,
            policy=QuotaPolicy.objects.get(pk="2021"),
            starts_on=october.starts_on,
            ends_on=october.ends_on,
        )

    assert [c.__name__ for c in callbacks] == ["_enqueue_full_refresh"]
