"""XLSX cutoffs: how far the sheet reaches is checked before the reader builds its grid (the
bulk correction's guard, core.xlsxguard), and a value outside the header's columns refuses the
file as a CSV line with an extra field does."""

from __future__ import annotations

import datetime

import pytest
from django.utils.html import escape

from tests.factories import UserFactory
from tests.imports.helpers import HEADER, NPSN, many, student, teacher, uid, write, write_xlsx
from verval.core.models import AuditEvent, Job
from verval.imports import reader
from verval.imports.actions import import_file
from verval.phones import REASONS
from verval.reference.models import School
from verval.registry.models import Recipient
from verval.registry.services import validate_pending

pytestmark = pytest.mark.django_db


def _refused(path, code):  # type: ignore[no-untyped-def]
    before = (Recipient.objects.count(), School.objects.count())
    job = import_file(path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, code), job.error_message_en
    assert (Recipient.objects.count(), School.objects.count()) == before
    assert not AuditEvent.objects.filter(action="import_dapodik").exists()
    return job


def test_xlsx_cutoff_with_a_value_in_the_sheets_last_cell_is_refused_before_the_reader_builds_its_grid(
    tmp_path,
):  # type: ignore[no-untyped-def]
    # One value in XFD1048576 made the reader ask for 17 billion cells and abort the process.
    job = _refused(write_xlsx(tmp_path / "a.xlsx", many(5), XFD1048576="x"), "SEL_DI_LUAR_DATA")
    assert job.error_message == (
        "Berkas Excel terisi sampai baris 1048576 dan kolom XFD: ada isian jauh di bawah atau di kanan "
        "data (misalnya di baris terakhir lembar kerja), atau lembarnya terlalu lebar untuk dibaca. Hapus "
        "baris dan kolom di luar tabel (dan kolom yang tidak diperlukan), simpan, lalu unggah lagi; atau "
        "simpan sebagai CSV UTF-8."
    )
    assert job.error_message_en == (
        "The Excel file is filled in up to row 1048576 and column XFD: something is filled in far below "
        "or to the right of the data (e.g. in the sheet's last row), or the sheet is too wide to read. "
        "Delete the rows and columns outside the table (and the columns not needed), save, and upload "
        "again; or save it as UTF-8 CSV."
    )
    assert list(job.issues.values_list("line", "column", "code")) == [(0, "", "SEL_DI_LUAR_DATA")]


def test_xlsx_cutoff_reaching_past_64_columns_is_refused_as_cells_outside_the_data(tmp_path):  # type: ignore[no-untyped-def]
    job = _refused(write_xlsx(tmp_path / "a.xlsx", many(30), BM3="catatan"), "SEL_DI_LUAR_DATA")
    assert job.error_message.startswith("Berkas Excel terisi sampai baris 31 dan kolom BM: ")


def test_xlsx_cutoff_whose_grid_exceeds_the_cell_budget_is_refused(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(reader, "XLSX_MAX_CELLS", 12 * 30)
    job = _refused(write_xlsx(tmp_path / "b.xlsx", many(30)), "SEL_DI_LUAR_DATA")
    assert job.error_message.startswith("Berkas Excel terisi sampai baris 31 dan kolom L: ")
    path = write_xlsx(tmp_path / "a.xlsx", many(29))  # 30 rows of 12 columns: within
    assert import_file(path).counts["added"] == 29


def test_xlsx_cutoff_whose_sheets_unpack_beyond_the_limit_is_refused_as_too_large(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(reader, "XLSX_MAX_SHEET_XML_BYTES", 4096)
    job = _refused(write_xlsx(tmp_path / "a.xlsx", many(30)), "BERKAS_TERLALU_BESAR")
    assert job.error_message_en.startswith("The Excel file's sheets are too large to read")


@pytest.mark.parametrize("damage", ["cut", "junk"])
def test_damaged_or_cut_xlsx_is_still_refused_as_damaged(tmp_path, damage):  # type: ignore[no-untyped-def]
    data = write_xlsx(tmp_path / "good.xlsx", many(30)).read_bytes()
    path = tmp_path / "a.xlsx"
    path.write_bytes(data[: len(data) // 2] if damage == "cut" else b"PK\x03\x04" + b"\x00junk" * 100)
    job = _refused(path, "BERKAS_RUSAK")
    assert job.error_message == "Berkas Excel rusak atau terpotong dan tidak dapat dibaca."


def test_xlsx_row_with_a_value_beyond_the_header_columns_is_a_structure_error_like_csv(tmp_path):  # type: ignore[no-untyped-def]
    # The CSV twin: test_file_refusals.test_row_with_extra_field_is_a_structure_error_with_its_line.
    job = _refused(write_xlsx(tmp_path / "a.xlsx", many(10), M9="extra"), "STRUKTUR_RUSAK")
    assert job.error_message == (
        "Baris 9 berisi 13 kolom, seharusnya 12: sel M9 terisi di luar kolom yang berjudul (A-L). Hapus "
        "isian itu atau beri kolomnya judul di baris 1, simpan, lalu unggah lagi."
    )
    assert job.error_message_en == (
        "Line 9 has 13 fields, expected 12: cell M9 is filled in outside the titled columns (A-L). Delete "
        "it or give its column a title in row 1, save, and upload again."
    )
    assert list(job.issues.values_list("line", "column", "code")) == [(9, "", "STRUKTUR_RUSAK")]
    csv = tmp_path / "a.csv"
    csv.write_text(write(tmp_path / "b.csv", many(10)).read_text().replace("Siswa 7,", "Siswa 7,extra,", 1))
    assert _refused(csv, "STRUKTUR_RUSAK").issues.get().line == 9


def test_xlsx_value_beyond_the_header_on_a_row_otherwise_empty_is_a_structure_error(tmp_path):  # type: ignore[no-untyped-def]
    job = _refused(write_xlsx(tmp_path / "a.xlsx", many(40), P60="x"), "STRUKTUR_RUSAK")
    assert job.error_message_en.startswith("Line 60 has 16 fields, expected 12: cell P60 is filled in ")


def test_xlsx_value_beyond_the_header_is_found_after_the_first_batch(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(reader, "XLSX_BATCH", 10)
    job = _refused(write_xlsx(tmp_path / "a.xlsx", many(40), M35="x"), "STRUKTUR_RUSAK")
    assert job.issues.get().line == 35


def test_xlsx_titled_extra_column_and_blank_cells_beyond_the_header_are_accepted(tmp_path):  # type: ignore[no-untyped-def]
    rows = [dict(student(i), catatan=f"catatan {i}") for i in range(40)]
    path = write_xlsx(tmp_path / "a.xlsx", rows, header=[*HEADER, "catatan"], N5="  ")
    job = import_file(path)
    assert (job.state, job.counts["added"], job.counts["refused"]) == (Job.State.SUCCEEDED, 40, 0)


def _numeric_codes_xlsx(path, rows):  # type: ignore[no-untyped-def]
    """An XLSX as Excel saves it when the NISN and region columns are not formatted as Text:
    number cells, their leading zeros gone."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for r in rows:
        cells = [r[h] for h in HEADER]
        for col in ("nisn", "kode_wilayah"):
            i = HEADER.index(col)
            cells[i] = int(cells[i]) if cells[i] else ""
        sheet.append(cells)
    book.save(path)
    return path


def test_xlsx_nisn_and_region_code_saved_as_numbers_get_their_leading_zeros_back(tmp_path):  # type: ignore[no-untyped-def]
    # Refused whole before: 30 of 30 rows NISN_TIDAK_VALID (0030000000 arrived as 30000000).
    path = _numeric_codes_xlsx(tmp_path / "a.xlsx", [*many(30), teacher(1)])
    job = import_file(path)
    assert (job.state, job.counts["added"], job.counts["refused"]) == (Job.State.SUCCEEDED, 31, 0)
    assert Recipient.objects.get(pk=uid(0)).nisn == "0030000000"
    assert Recipient.objects.get(pk=uid(29)).nisn == "0030000029"
    assert Recipient.objects.get(pk=uid(1, "b")).nisn == ""
    school = School.objects.get(pk=NPSN)
    assert (school.region_id, school.regency_id, school.province_id) == ("020501", "020500", "020000")


def test_xlsx_numeric_cells_load_the_same_recipients_as_the_text_file(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(20)
    import_file(write_xlsx(tmp_path / "text.xlsx", rows))
    job = import_file(_numeric_codes_xlsx(tmp_path / "numbers.xlsx", rows))
    assert (job.counts["unchanged"], job.counts["changed"], job.counts["refused"]) == (20, 0, 0)


def test_xlsx_nisn_typed_as_text_without_its_zeros_is_still_refused(tmp_path):  # type: ignore[no-untyped-def]
    # A text cell is read as typed: only a number cell proves that Excel dropped the zeros.
    rows = [*many(30), student(30, nisn="30000030")]
    job = import_file(write_xlsx(tmp_path / "a.xlsx", rows))
    assert list(job.issues.values_list("line", "column", "code")) == [(32, "nisn", "NISN_TIDAK_VALID")]


def test_xlsx_nisn_number_longer_than_ten_digits_is_refused_not_cut(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(30)
    path = _numeric_codes_xlsx(tmp_path / "a.xlsx", rows)
    from openpyxl import load_workbook

    book = load_workbook(path)
    book.active["D2"] = 12345678901
    book.save(path)
    job = import_file(path)
    assert list(job.issues.values_list("line", "column", "code", "value")) == [
        (2, "nisn", "NISN_TIDAK_VALID", "1234***8901")
    ]


def test_xlsx_nik_saved_as_a_number_refuses_its_row_instead_of_storing_a_wrong_last_digit(tmp_path):  # type: ignore[no-untyped-def]
    # Excel keeps 15 significant digits: 3201234567890123 typed into a General cell is stored as
    # 3201234567890120, which would be another person's NIK.
    rows = [*many(30), student(30, nik="3201234567890123"), student(31, nik="3201234567890124")]
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    from openpyxl import load_workbook

    book = load_workbook(path)
    book.active["E32"] = 3201234567890120  # as Excel saved the first: a number cell
    book.save(path)

    job = import_file(path)

    assert list(job.issues.values_list("line", "column", "code", "value")) == [
        (32, "nik", "NIK_ANGKA_EXCEL", "320123**********")
    ]
    assert job.counts["added"] == 31
    assert not Recipient.objects.filter(pk=uid(30)).exists()
    assert Recipient.objects.get(pk=uid(31)).nik == "3201234567890124"  # a text cell, as typed


def test_csv_nik_with_letters_is_still_refused_as_not_sixteen_digits(tmp_path):  # type: ignore[no-untyped-def]
    job = import_file(write(tmp_path / "a.csv", [*many(30), student(30, nik="32012345678901AB")]))
    assert list(job.issues.values_list("line", "column", "code")) == [(32, "nik", "NIK_TIDAK_VALID")]


def test_xlsx_phone_cell_that_excel_turned_into_a_date_is_refused_as_a_date_not_a_landline(client, tmp_path):  # type: ignore[no-untyped-def]
    # Read as digits, 2024-01-05 was a landline (TELEPON_RUMAH) and 10:30:00 a letter
    # (KARAKTER_TIDAK_SAH): the school was sent after a number nobody typed (decision 0126).
    path = write_xlsx(
        tmp_path / "a.xlsx",
        many(30),
        K2=datetime.date(2024, 1, 5),
        K3=datetime.datetime(2024, 1, 5, 10, 30),
        K4=datetime.datetime(2024, 1, 5),
        K5=datetime.time(8, 12),
    )
    job = import_file(path)
    assert (job.state, job.counts["added"], job.counts["refused"]) == (Job.State.SUCCEEDED, 30, 0)
    stored = Recipient.objects.filter(pk__in=[uid(i) for i in range(4)]).order_by("pk")
    assert list(stored.values_list("phone_raw", "phone_e164", "operator", "reason")) == [
        ("2024-01-05", "", "", "NOMOR_BERUPA_TANGGAL"),
        ("2024-01-05 10:30:00", "", "", "NOMOR_BERUPA_TANGGAL"),
        ("2024-01-05", "", "", "NOMOR_BERUPA_TANGGAL"),
        ("08:12:00", "", "", "NOMOR_BERUPA_TANGGAL"),
    ]

    validate_pending(actor=None)
    assert list(stored.values_list("status", "reason")) == [("FORMAT_SALAH", "NOMOR_BERUPA_TANGGAL")] * 4
    client.force_login(UserFactory(role="OPERATOR", school=School.objects.get(pk=NPSN), username="op"))
    html = client.get(f"/sekolah/{NPSN}/?status=FORMAT_SALAH", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Each row: the cell as the sheet holds it, then the reason (the summary and the filter name it too).
    assert html.count(f"<br><small>{escape(REASONS['NOMOR_BERUPA_TANGGAL'].message_en)}") == 4
    assert '<td class="nowrap no">2024-01-05 10:30:00</td>' in html
    assert escape(REASONS["TELEPON_RUMAH"].message_en) not in html


def test_xlsx_phone_stored_as_a_number_keeps_the_zero_typed_when_it_is_invalid(tmp_path):  # type: ignore[no-untyped-def]
    # 0211-2345-678 typed into a General cell is stored as the number 2112345678: the engine
    # reads it as 02112345678 (a landline), and the number kept as typed says so too.
    path = write_xlsx(
        tmp_path / "a.xlsx",
        many(30),
        K2=2112345678,
        K3=8121726,
        K4=81217263845,
        K5=6281217263845,
        K6=62211234567,
    )
    job = import_file(path)
    assert (job.state, job.counts["added"]) == (Job.State.SUCCEEDED, 30)
    stored = Recipient.objects.filter(pk__in=[uid(i) for i in range(5)]).order_by("pk")
    assert list(stored.values_list("phone_raw", "phone_e164", "reason")) == [
        ("02112345678", "", "TELEPON_RUMAH"),
        ("08121726", "", "TERLALU_PENDEK"),
        ("081217263845", "+6281217263845", ""),
        ("6281217263845", "+6281217263845", ""),  # a country code, not a lost 0
        ("62211234567", "", "TELEPON_RUMAH"),
    ]


def test_xlsx_with_invalid_phones_stored_as_numbers_changes_nothing_after_the_same_cutoff_as_csv(tmp_path):  # type: ignore[no-untyped-def]
    # The same cutoff saved as CSV and as XLSX (its numbers turned into number cells) is the
    # same data: an invalid number's missing 0 made it "changed" and sent it back to BELUM_VERVAL.
    rows = [
        *many(28),
        student(28, nomor_telepon_seluler="02112345678"),
        student(29, nomor_telepon_seluler="08121726"),
    ]
    import_file(write(tmp_path / "a.csv", rows))
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    from openpyxl import load_workbook

    book = load_workbook(path)
    for line in range(2, 32):
        cell = book.active[f"K{line}"]
        cell.value = int(cell.value)  # as Excel stores a number typed into a General cell
    book.save(path)
    job = import_file(path)
    assert (job.counts["unchanged"], job.counts["changed"], job.counts["refused"]) == (30, 0, 0)
