"""The late-schools page (`/dinas/sptjm/`) asks each school for its first eligible recipient and
its first print candidate, one index read per school, instead of an EXISTS that PostgreSQL turns
into a join whose plan follows the statistics: on statistics taken before a provider's answers
(no AKTIF recipient) it compared every school with every candidate of the nation, 125 s for
Pusdatin at 1 M recipients (docs/decisions/0093-the-late-schools-page-per-school.md)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import SchoolFactory
from tests.sptjm.conftest import aktif, make_period
from verval.sptjm import actions, selectors


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
    assert "2 sekolah melewati batas waktu tanpa SPTJM yang diunggah atau disetujui." in page


def test_late_schools_read_each_schools_recipients_up_to_the_first_not_by_exists(pusdatin, school):
    period = make_period()
    aktif(school, 2)

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.late_schools(pusdatin, period)

    reading_recipients = [q["sql"] for q in queries.captured_queries if '"registry_recipient"' in q["sql"]]
    assert [r["npsn"] for r in rows] == [school.npsn]
    # The schools listed (a first eligible recipient) and those with something to print (a first
    # candidate): two statements, each a per-school subquery stopped at one row, no EXISTS.
    assert len(reading_recipients) == 2
    assert all('EXISTS(SELECT 1 AS "a" FROM "registry_recipient"' not in sql for sql in reading_recipients)
    assert all("LIMIT 1) IS NOT NULL" in sql for sql in reading_recipients)
