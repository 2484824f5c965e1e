"""The late-schools page (`/dinas/sptjm/`) on its live path reads the scope's print candidates
from the recipients, one statement, instead of an EXISTS from the schools that PostgreSQL turns
into a join whose plan follows the statistics: on statistics taken before a provider's answers
(no AKTIF recipient) it compared every school with every candidate of the nation, 125 s for
Pusdatin at 1 M recipients (docs/decisions/0093-the-late-schools-page-per-school.md), and instead
of a first-candidate probe per school (0093 to 0122; decision 0128)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import SchoolFactory
from tests.sptjm.conftest import aktif, make_period
from verval.reference import zones
from verval.sptjm import actions, selectors
from verval.sptjm.models import Sptjm, SptjmStatus


def test_pusdatin_sees_the_late_schools_of_every_region_with_exact_states(
    operator, pusdatin, school, other_school
):
    period = make_period()
    aktif(school, 2)
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    aktif(other_school, 3)
    locked_only = SchoolFactory()
    aktif(locked_only, 1, locked=True)  # eligible, nothing to print: not late
    without_number = SchoolFactory()
    aktif(without_number, 1, phone_e164="")  # not eligible: not asked

    rows = selectors.late_schools(pusdatin, period)
    client = Client()
    client.force_login(pusdatin)
    page = client.get("/dinas/sptjm/").content.decode()

    assert [(r["npsn"], r["status"], r["late_print"], r["late_upload"]) for r in rows] == sorted(
        [(school.npsn, "DICETAK", False, True), (other_school.npsn, "", True, True)]
    )
    assert (
        "2 sekolah melewati batas waktu: ada nomor yang belum tercetak di SPTJM, atau SPTJM yang belum diunggah."
        in page
    )


def test_late_schools_read_the_scopes_recipients_once_not_a_probe_per_school_nor_by_exists(pusdatin, school):
    period = make_period()
    aktif(school, 2)

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.late_schools(pusdatin, period)

    reading_recipients = [q["sql"] for q in queries.captured_queries if '"registry_recipient"' in q["sql"]]
    assert [r["npsn"] for r in rows] == [school.npsn]
    # The schools without a live document that have something to print: one statement that
    # reads the recipients and keeps their distinct schools, not an EXISTS from the schools
    # (decision 0093) nor a first-candidate probe per school, which since decision 0122 ran on
    # every school without a live document, 308,218 of the nation's (35 s, decision 0128).
    assert len(reading_recipients) == 1
    assert all('EXISTS(SELECT 1 AS "a" FROM "registry_recipient"' not in sql for sql in reading_recipients)
    assert all("LIMIT 1) IS NOT NULL" not in sql for sql in reading_recipients)
    assert all(
        sql.startswith('SELECT DISTINCT "registry_recipient"."school_id"') for sql in reading_recipients
    )


def test_late_schools_are_asked_about_by_scope_not_by_a_list_of_every_school(
    operator, pusdatin, school, other_school
):
    period = make_period()
    aktif(school, 2)
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    aktif(other_school, 3)
    # Uploaded and waiting for Pusdatin, a new recipient since: a print returns that document,
    # nothing to print now, not late (decision 0122; an approved one would have it to print).
    uploaded = SchoolFactory()
    aktif(uploaded, 1)
    Sptjm.objects.create(
        number=f"SPTJM/{period.code}/{uploaded.npsn}/1", school=uploaded, period=period, seq=1,
        status=SptjmStatus.DIUNGGAH, rows=1, printed_at=timezone.now(), uploaded_at=timezone.now(),
    )  # fmt: skip
    # Printed again after the approval and not uploaded: late to upload that one (decision 0119;
    # the approval decided before, and the second document's numbers waited unchased).
    again = SchoolFactory()
    aktif(again, 1)
    for seq, status in ((1, SptjmStatus.DISETUJUI), (2, SptjmStatus.DICETAK)):
        Sptjm.objects.create(
            number=f"SPTJM/{period.code}/{again.npsn}/{seq}", school=again, period=period, seq=seq,
            status=status, rows=1, printed_at=timezone.now(),
        )  # fmt: skip
    quiet = SchoolFactory()  # no recipient, no document: never late

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.late_schools(pusdatin, period)

    assert [(r["npsn"], r["name"], r["status"], r["late"]) for r in rows] == sorted(
        [
            (school.npsn, school.name, "DICETAK", True),
            (other_school.npsn, other_school.name, "", True),
            (again.npsn, again.name, "DICETAK", True),
        ]
    )
    # A school with a live document is not named in any statement (those without one, or with
    # approved ones only, are asked for a print candidate in bounded chunks): the nation's 440,000
    # schools were once passed back as an IN list to every statement (decision 0094).
    assert [q["sql"] for q in queries.captured_queries if f"'{uploaded.npsn}'" in q["sql"]] == []
    assert quiet.npsn not in {r["npsn"] for r in rows}


def _printed(school, period):  # type: ignore[no-untyped-def]
    """A printed document of the period, not uploaded: the school is late to upload."""
    return Sptjm.objects.create(
        number=f"SPTJM/{period.code}/{school.npsn}/1", school=school, period=period, seq=1,
        status=SptjmStatus.DICETAK, rows=1, printed_at=timezone.now(),
    )  # fmt: skip


def test_the_late_page_names_only_the_schools_it_shows_and_counts_every_late_one(pusdatin, monkeypatch):
    period = make_period()
    first, second, third = sorted((SchoolFactory() for _ in range(3)), key=lambda s: s.npsn)
    for school in (first, second, third):
        aktif(school, 1)
        _printed(school, period)
    monkeypatch.setattr("verval.sptjm.views.LATE_ROWS", 2)
    client = Client()
    client.force_login(pusdatin)

    with CaptureQueriesContext(connection) as queries:
        shown = selectors.late_schools_shown(pusdatin, period, 2)
    page = client.get("/dinas/sptjm/").content.decode()

    assert [(r["npsn"], r["name"], r["status"], r["late_upload"]) for r in shown.rows] == [
        (first.npsn, first.name, "DICETAK", True),
        (second.npsn, second.name, "DICETAK", True),
    ]
    assert shown.count == 3
    # The third is counted, never named: its name is not read (decision 0101).
    assert [q["sql"] for q in queries.captured_queries if f"'{third.npsn}'" in q["sql"]] == []
    assert (
        "3 sekolah melewati batas waktu: ada nomor yang belum tercetak di SPTJM, atau SPTJM yang belum diunggah."
        in page
    )
    assert "Yang tampil hanya 2 sekolah pertama (menurut NPSN) dari 3." in page
    assert first.name in page and second.name in page and third.name not in page
    assert [r["npsn"] for r in selectors.late_schools(pusdatin, period)] == [
        first.npsn,
        second.npsn,
        third.npsn,
    ]


def test_before_both_deadlines_no_school_is_late_and_nothing_is_asked(pusdatin, school, other_school):
    period = make_period(
        sptjm_print_deadline=zones.programme_today() + timedelta(days=1),
        sptjm_upload_deadline=zones.programme_today() + timedelta(days=2),
    )
    aktif(school, 2)
    _printed(school, period)
    aktif(other_school, 1)

    with CaptureQueriesContext(connection) as queries:
        shown = selectors.late_schools_shown(pusdatin, period, 500)

    assert (shown.rows, shown.count) == ([], 0)
    assert queries.captured_queries == []


def test_past_the_print_deadline_only_the_schools_without_a_document_are_late(pusdatin, school, other_school):
    period = make_period(
        sptjm_print_deadline=zones.programme_today() - timedelta(days=1),
        sptjm_upload_deadline=zones.programme_today() + timedelta(days=2),
    )
    aktif(school, 2)
    _printed(school, period)
    aktif(other_school, 1)

    shown = selectors.late_schools_shown(pusdatin, period, 500)

    assert [(r["npsn"], r["status"], r["late_print"], r["late_upload"]) for r in shown.rows] == [
        (other_school.npsn, "", True, False)
    ]
    assert shown.count == 1
