"""Downloads people open in Excel never carry a live formula (OWASP CSV injection): names and
school names come from Dapodik, typed by school staff."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import RecipientFactory
from verval.core import jobs
from verval.core.jobs import RowIssue

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","klik")'


def test_school_excel_keeps_a_name_that_looks_like_a_formula_as_text(client, operator, school):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, name=EVIL, phone_raw="+6281234567890")
    client.force_login(operator)
    wb = load_workbook(io.BytesIO(client.get(f"/sekolah/{school.npsn}/unduh.xlsx").content))
    ws = wb.worksheets[-1]
    (row,) = [r for r in ws.iter_rows(min_row=2) if r[2].value == EVIL]
    assert (row[2].value, row[2].data_type) == (EVIL, "s")


def test_dinas_school_csv_neutralises_a_school_name_that_starts_a_formula(client, dinas_kab, school):  # type: ignore[no-untyped-def]
    school.name = EVIL
    school.save()
    RecipientFactory(school=school)
    client.force_login(dinas_kab)
    body = b"".join(client.get(reverse("core:dinas_export")).streaming_content).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert row["nama_sekolah"] == "'" + EVIL


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_job_report_neutralises_a_refused_value_that_starts_a_formula(value):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=None, kind="import_dapodik")
    jobs.save_issues(
        job, [RowIssue(7, "jenis", "JENIS_TIDAK_DIKENAL", "Jenis tidak dikenal", "Unknown kind", value)]
    )
    header, row = list(csv.reader(io.StringIO("".join(jobs.issues_csv(job)))))
    assert row == ["7", "jenis", "JENIS_TIDAK_DIKENAL", "Jenis tidak dikenal", "Unknown kind", "'" + value]


def test_signed_in_pages_may_not_be_stored_by_any_cache_and_public_ones_may(client, operator, school):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    # The public dashboard keeps its own short caching (anonymous visitors only see aggregates).
    assert client.get("/").headers["Cache-Control"] == "private, max-age=300"
    client.force_login(operator)
    for path in (f"/sekolah/{school.npsn}/", "/beranda/"):
        assert client.get(path).headers["Cache-Control"] == "private, no-store"
    # A download that sets its own keeps it.
    assert "no-store" in client.get(f"/sekolah/{school.npsn}/unduh.xlsx").headers["Cache-Control"]
