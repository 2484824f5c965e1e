"""The reports people open in Excel (decision 0059): every web CSV starts with a UTF-8 byte order
mark, and each one has an Excel twin with the same rows, ids and numbers as text cells, a frozen
header, audited and scoped like the CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import RecipientFactory, SchoolFactory
from verval.core import jobs
from verval.core.jobs import RowIssue
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"

ISSUES = [
    RowIssue(12, "nisn", "NISN_TIDAK_VALID", "NISN harus 10 digit", "NISN must be 10 digits", "012345"),
    # Seven digits and more are masked as a number could be; shorter codes are shown whole.
    RowIssue(3, "kode_wilayah", "WILAYAH_TIDAK_DIKENAL", "Wilayah tidak dikenal", "Unknown region", "020500"),
    RowIssue(3, "nama", "NAMA_KOSONG", "Nama kosong", "Name is empty", ""),
    RowIssue(
        7, "nomor_telepon_seluler", "FORMAT_SALAH", "Format salah", "Wrong format", "6281234567890 / José"
    ),
]


def _import_job():  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=None, kind="import_dapodik")
    jobs.save_issues(job, ISSUES)
    return job


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(_body(response))).worksheets[0]


def test_job_report_excel_has_exactly_the_rows_and_columns_of_the_csv(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _import_job()
    client.force_login(pusdatin)
    csv_rows = list(
        csv.reader(io.StringIO(_body(client.get(f"/pekerjaan/{job.pk}/laporan.csv")).decode("utf-8-sig")))
    )
    response = client.get(f"/pekerjaan/{job.pk}/laporan.xlsx")
    ws = _sheet(response)
    xlsx_rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]

    assert xlsx_rows == csv_rows
    assert csv_rows == [
        ["baris", "kolom", "kode", "pesan", "message", "nilai"],
        ["3", "kode_wilayah", "WILAYAH_TIDAK_DIKENAL", "Wilayah tidak dikenal", "Unknown region", "020500"],
        ["3", "nama", "NAMA_KOSONG", "Nama kosong", "Name is empty", ""],
        ["7", "nomor_telepon_seluler", "FORMAT_SALAH", "Format salah", "Wrong format", "0812****7890 / José"],
        ["12", "nisn", "NISN_TIDAK_VALID", "NISN harus 10 digit", "NISN must be 10 digits", "012345"],
    ]
    assert response["Content-Disposition"] == f'attachment; filename="laporan-import_dapodik-{job.pk}.xlsx"'
    assert "no-store" in response["Cache-Control"]


def test_job_report_excel_keeps_leading_zeros_as_text_cells_under_a_frozen_bold_header(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _import_job()
    client.force_login(pusdatin)
    ws = _sheet(client.get(f"/pekerjaan/{job.pk}/laporan.xlsx"))

    region, masked, nisn = ws["F2"], ws["F4"], ws["F5"]
    assert (region.value, region.data_type, region.number_format) == ("020500", "s", "@")
    assert (nisn.value, nisn.data_type, nisn.number_format) == ("012345", "s", "@")
    assert (masked.value, masked.data_type) == ("0812****7890 / José", "s")
    assert (ws["A2"].value, ws["A2"].data_type) == (3, "n")
    assert ws.freeze_panes == "A2"
    assert [c.font.b for c in ws[1]] == [True] * 6
    assert ws.column_dimensions["D"].width == 60


def test_job_report_excel_keeps_a_value_that_looks_like_a_formula_as_text(client, pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=None, kind="import_dapodik")
    jobs.save_issues(job, [RowIssue(2, "nama", "X", "x", "x", '=HYPERLINK("http://evil.example","k")')])
    client.force_login(pusdatin)
    cell = _sheet(client.get(f"/pekerjaan/{job.pk}/laporan.xlsx"))["F2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example","k")', "s")


def test_job_report_downloads_are_audited_with_their_format(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _import_job()
    client.force_login(pusdatin)
    _body(client.get(f"/pekerjaan/{job.pk}/laporan.xlsx"))
    _body(client.get(f"/pekerjaan/{job.pk}/laporan.csv"))
    events = AuditEvent.objects.filter(action="download_job_report", object_id=str(job.pk)).order_by("id")
    assert [(e.actor, e.note) for e in events] == [(pusdatin, "format=xlsx"), (pusdatin, "format=csv")]


def test_operator_cannot_download_the_excel_report_of_a_job_outside_its_school(
    client, operator, other_operator, school
):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=operator, kind="bulk_correction", school_id=school.npsn)
    jobs.save_issues(job, ISSUES[:1])
    client.force_login(other_operator)
    assert client.get(f"/pekerjaan/{job.pk}/laporan.xlsx").status_code == 403
    assert not AuditEvent.objects.filter(action="download_job_report").exists()
    client.force_login(operator)
    rows = list(
        _sheet(client.get(f"/pekerjaan/{job.pk}/laporan.xlsx")).iter_rows(min_row=2, values_only=True)
    )
    assert rows == [
        (12, "nisn", "NISN_TIDAK_VALID", "NISN harus 10 digit", "NISN must be 10 digits", "012345")
    ]


def test_job_report_csv_of_the_web_starts_with_a_bom_and_the_providers_api_one_does_not(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _import_job()
    client.force_login(pusdatin)
    web = _body(client.get(f"/pekerjaan/{job.pk}/laporan.csv"))
    assert web.startswith(BOM + b"baris,kolom,kode,pesan,message,nilai\r\n")
    # What the providers' API streams (jobs.issues_csv) keeps its bytes: no mark.
    assert web[len(BOM) :] == "".join(jobs.issues_csv(job)).encode()
    assert "".join(jobs.issues_csv(job)).startswith("baris,")


def test_job_page_offers_the_report_as_excel_next_to_the_csv(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _import_job()
    jobs.Job.objects.filter(pk=job.pk).update(state="REFUSED")
    client.force_login(pusdatin)
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert (
        f'<a class="button secondary" href="/pekerjaan/{job.pk}/laporan.csv">Unduh laporan lengkap (CSV)</a>\n'
        f'<a class="button secondary" href="/pekerjaan/{job.pk}/laporan.xlsx">Unduh Excel</a>'
    ) in page


def test_dinas_school_list_excel_lists_its_region_only_with_the_npsn_as_text(
    client, dinas_kab, school, other_school
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, status="AKTIF")
    RecipientFactory(school=school, status="RESIDU")
    RecipientFactory(school=other_school)
    client.force_login(dinas_kab)
    response = client.get(reverse("core:dinas_export_xlsx"))
    ws = _sheet(response)
    rows = list(ws.iter_rows(values_only=True))
    assert rows == [
        (
            "npsn",
            "nama_sekolah",
            "bentuk",
            "kabupaten_kota",
            "penerima",
            "aktif",
            "persen_aktif",
            "residu",
            "kecamatan",
        ),
        (school.npsn, school.name, school.bentuk, school.regency.name, 2, 1, 50.0, 1, school.region.name),
    ]
    assert (ws["A2"].data_type, ws["A2"].number_format) == ("s", "@")
    assert (
        AuditEvent.objects.get(action="download_region_school_list").note == "format=xlsx kabkota= kecamatan="
    )


def test_dinas_school_list_csv_and_excel_hold_the_same_schools_in_the_same_order(
    client, dinas_prov, school, other_school
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, status="AKTIF")
    RecipientFactory(school=other_school)
    client.force_login(dinas_prov)
    text = _body(client.get(reverse("core:dinas_export"), {"sort": "npsn"}))
    assert text.startswith(BOM)
    csv_npsns = [r["npsn"] for r in csv.DictReader(io.StringIO(text.decode("utf-8-sig")))]
    ws = _sheet(client.get(reverse("core:dinas_export_xlsx"), {"sort": "npsn"}))
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == csv_npsns
    assert sorted(csv_npsns) == csv_npsns == sorted([school.npsn, other_school.npsn])


def test_operator_cannot_download_the_dinas_school_list_as_excel(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert client.get(reverse("core:dinas_export_xlsx")).status_code == 403


def test_behind_schools_excel_keeps_the_npsn_as_text_under_a_frozen_header(client, pusdatin):  # type: ignore[no-untyped-def]
    from verval.dashboard import services

    school = SchoolFactory(npsn="00012345")
    RecipientFactory(school=school)
    services.refresh_all()
    client.force_login(pusdatin)
    ws = _sheet(client.get(reverse("dashboard:behind_xlsx")))
    assert (ws["A2"].value, ws["A2"].data_type, ws["A2"].number_format) == ("00012345", "s", "@")
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b is True


def test_rows_beyond_what_excel_opens_in_one_sheet_go_on_in_the_next_with_the_header(monkeypatch):  # type: ignore[no-untyped-def]
    from verval.core import spreadsheet

    monkeypatch.setattr(spreadsheet, "SHEET_ROWS", 2)
    report = spreadsheet.xlsx_report(
        sheet="laporan", columns=["baris", "nilai"], rows=[[i, f"0{i}"] for i in range(5)], widths=[8, 20]
    )
    wb = load_workbook(report)
    assert wb.sheetnames == ["laporan", "laporan-2", "laporan-3"]
    assert [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets] == [
        [("baris", "nilai"), (0, "00"), (1, "01")],
        [("baris", "nilai"), (2, "02"), (3, "03")],
        [("baris", "nilai"), (4, "04")],
    ]
    assert [ws.freeze_panes for ws in wb.worksheets] == ["A2", "A2", "A2"]
