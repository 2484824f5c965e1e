"""A file whose structure is wrong is refused whole, with a code and a message, and changes nothing."""

from __future__ import annotations

import pytest

from tests.imports.helpers import HEADER, csv_text, many, write
from verval.core.models import AuditEvent, Job, JobIssue
from verval.imports.actions import import_file
from verval.reference.models import School
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db


def _refused(path, code):  # type: ignore[no-untyped-def]
    before = (Recipient.objects.count(), School.objects.count())
    job = import_file(path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, code), job.error_message_en
    assert (Recipient.objects.count(), School.objects.count()) == before
    assert not AuditEvent.objects.filter(action="import_dapodik").exists()
    return job


def test_semicolon_separated_file_is_refused_and_says_so(tmp_path):  # type: ignore[no-untyped-def]
    job = _refused(write(tmp_path / "a.csv", many(5), sep=";"), "PEMISAH_SALAH")
    assert "titik koma" in job.error_message
    assert "semicolon" in job.error_message_en


def test_missing_and_renamed_columns_are_named(tmp_path):  # type: ignore[no-untyped-def]
    header = [h if h != "nisn" else "no_induk" for h in HEADER if h != "npsn"]
    job = _refused(write(tmp_path / "a.csv", many(5), header=header), "KOLOM_TIDAK_LENGKAP")
    assert "nisn, npsn" in job.error_message
    assert "no_induk" in job.error_message_en
    assert JobIssue.objects.filter(job=job, line=1, code="KOLOM_TIDAK_LENGKAP").count() == 1


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n", (",".join(HEADER) + "\n").encode()])
def test_empty_file_or_header_only_is_refused(tmp_path, content):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    _refused(path, "BERKAS_KOSONG")


def test_file_cut_off_mid_row_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    text = csv_text(many(10))
    path = tmp_path / "a.csv"
    path.write_text(text[: len(text) - 30])  # no final newline, last row incomplete
    job = _refused(path, "BERKAS_TERPOTONG")
    assert job.issues.get().line == 11


def test_quote_left_open_is_refused_with_its_line(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(10)
    text = csv_text(rows).replace("Siswa 4,", '"Siswa 4,', 1)
    path = tmp_path / "a.csv"
    path.write_text(text)
    job = _refused(path, "KUTIP_TIDAK_DITUTUP")
    assert job.issues.get().line == 6


def test_row_with_extra_field_is_a_structure_error_with_its_line(tmp_path):  # type: ignore[no-untyped-def]
    text = csv_text(many(10)).replace("Siswa 7,", "Siswa 7,extra,", 1)
    path = tmp_path / "a.csv"
    path.write_text(text)
    job = _refused(path, "STRUKTUR_RUSAK")
    assert job.issues.get().line == 9


def test_row_with_missing_field_is_a_structure_error(tmp_path):  # type: ignore[no-untyped-def]
    lines = csv_text(many(10)).splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]  # status_sekolah dropped on line 4
    path = tmp_path / "a.csv"
    path.write_text("\n".join(lines) + "\n")
    job = _refused(path, "STRUKTUR_RUSAK")
    assert job.issues.get().line == 4


def test_utf16_without_bom_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    path.write_bytes(csv_text(many(5)).encode("utf-16-le"))
    _refused(path, "ENCODING_TIDAK_DIKENAL")


def test_bytes_invalid_in_utf8_and_windows1252_are_refused(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    path.write_bytes(csv_text(many(5)).encode().replace(b"Siswa 3", b"Siswa \x81\x8d3"))
    _refused(path, "ENCODING_TIDAK_DIKENAL")


@pytest.mark.parametrize("control", [b"\x01", b"\x1b", b"\x7f"])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_control_characters_refuse_the_file_in_either_encoding(tmp_path, control, encoding):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    text = csv_text(many(5)).replace("Siswa 3", "Siswa Andr\u00e9 3").encode(encoding)
    path.write_bytes(text.replace(b"Siswa 4", b"Siswa " + control + b"4"))
    _refused(path, "ENCODING_TIDAK_DIKENAL")
    path.write_bytes(text.replace(b"Siswa 4", b"Siswa\t4"))  # a tab is text
    assert import_file(path).state == Job.State.SUCCEEDED


def test_old_xls_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    _refused(path, "FORMAT_TIDAK_DIDUKUNG")


def test_more_than_five_percent_refused_rows_refuses_the_file(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(94) + many(6, start=100, nisn="123")  # 6 % refused
    job = _refused(write(tmp_path / "a.csv", rows), "TERLALU_BANYAK_DITOLAK")
    assert job.counts == {"rows": 100, "refused": 6}
    assert job.error_message.startswith("6 dari 100 baris (6,0%) ditolak, lebih dari batas 5%.")
    assert job.error_message_en.startswith("6 of 100 rows (6.0%) were refused")
    assert job.issues.filter(code="NISN_TIDAK_VALID").count() == 6


def test_exactly_five_percent_refused_rows_is_applied(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(95) + many(5, start=100, nisn="123")
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["added"], job.counts["refused"]) == (95, 5)


def _mixed_message(line):  # type: ignore[no-untyped-def]
    return (
        "Berkas mencampur dua encoding: sebagian teksnya UTF-8, tetapi baris "
        f"{line} berisi byte yang bukan UTF-8 (mungkin Windows-1252), sehingga nama tidak dapat "
        "dibaca dengan pasti. Simpan ulang seluruh berkas sebagai CSV UTF-8.",
        "The file mixes two encodings: part of its text is UTF-8, but line "
        f"{line} holds a byte that is not UTF-8 (perhaps Windows-1252), so names cannot be read "
        "with certainty. Save the whole file again as UTF-8 CSV.",
    )


@pytest.mark.parametrize(("utf8_row", "cp1252_row", "line"), [(3, 6, 8), (6, 3, 5)])
def test_file_mixing_utf8_and_windows1252_is_refused_naming_the_first_line_not_utf8(  # type: ignore[no-untyped-def]
    tmp_path, utf8_row, cp1252_row, line
):
    data = csv_text(many(10)).encode()
    data = data.replace(f"Siswa {utf8_row},".encode(), "José,".encode())
    data = data.replace(f"Siswa {cp1252_row},".encode(), "Renée,".encode("cp1252"))
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    job = _refused(path, "ENCODING_TIDAK_DIKENAL")
    assert (job.error_message, job.error_message_en) == _mixed_message(line)
    assert list(job.issues.values_list("line", "code")) == [(line, "ENCODING_TIDAK_DIKENAL")]


def test_utf8_file_with_bom_holding_a_windows1252_byte_is_refused_as_mixed(tmp_path):  # type: ignore[no-untyped-def]
    data = b"\xef\xbb\xbf" + csv_text(many(10)).encode().replace(b"Siswa 7,", "Renée,".encode("cp1252"))
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    job = _refused(path, "ENCODING_TIDAK_DIKENAL")
    assert (job.error_message, job.error_message_en) == _mixed_message(9)


def test_mixed_file_is_found_across_read_blocks(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from verval.imports import reader

    monkeypatch.setattr(reader, "BLOCK", 64)  # "José" falls on a block boundary somewhere
    rows = many(40)
    data = csv_text(rows).encode().replace(b"Siswa 2,", "Renée,".encode("cp1252"))
    for n in range(10, 40):
        data = data.replace(f"Siswa {n},".encode(), "José,".encode())
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    job = _refused(path, "ENCODING_TIDAK_DIKENAL")
    assert job.error_message_en == _mixed_message(4)[1]


def test_windows1252_file_is_still_read_when_its_letters_cross_read_blocks(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from verval.imports import reader

    monkeypatch.setattr(reader, "BLOCK", 64)
    data = csv_text(many(40)).encode()
    for n in range(10, 40):
        data = data.replace(f"Siswa {n},".encode(), "Renée Muñoz,".encode("cp1252"))
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    job = import_file(path)
    assert (job.state, job.counts["added"]) == (Job.State.SUCCEEDED, 40), job.error_message_en
    assert Recipient.objects.filter(name="Renée Muñoz").count() == 30


def _book_with_data_on_the_second_sheet(path, first_state):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Petunjuk"
    book.active.sheet_state = first_state
    data = book.create_sheet("Data")
    data.append(HEADER)
    for row in many(5):
        data.append(list(row.values()))
    book.active = 1
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("state", "message", "message_en"),
    [
        (
            "visible",
            'Lembar pertama ("Petunjuk") kosong. Data harus ada di lembar pertama berkas Excel; '
            "lembar lain tidak dibaca.",
            'The first sheet ("Petunjuk") is empty. The data must be on the first sheet of the Excel file; '
            "other sheets are not read.",
        ),
        (
            "hidden",
            'Lembar pertama ("Petunjuk") yang tersembunyi kosong. Data harus ada di lembar pertama berkas '
            "Excel; lembar lain tidak dibaca.",
            'The first sheet ("Petunjuk"), a hidden one, is empty. The data must be on the first sheet of the '
            "Excel file; other sheets are not read.",
        ),
    ],
)
def test_xlsx_with_an_empty_first_sheet_names_it_and_says_where_the_data_must_be(  # type: ignore[no-untyped-def]
    tmp_path, state, message, message_en
):
    job = _refused(_book_with_data_on_the_second_sheet(tmp_path / "a.xlsx", state), "BERKAS_KOSONG")
    assert (job.error_message, job.error_message_en) == (message, message_en)


def test_xlsx_with_one_empty_sheet_names_it(tmp_path):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    Workbook().save(tmp_path / "a.xlsx")
    job = _refused(tmp_path / "a.xlsx", "BERKAS_KOSONG")
    assert (
        job.error_message_en
        == 'The first sheet ("Sheet") is empty. The data must be on the first sheet of the Excel file.'
    )


def test_a_file_without_its_header_row_is_refused_without_quoting_its_first_row(tmp_path):  # type: ignore[no-untyped-def]
    text = csv_text(many(5, nama="Budi Santoso"))
    path = tmp_path / "a.csv"
    path.write_text(text.split("\n", 1)[1])  # the header row left out: line 1 is a student
    job = _refused(path, "KOLOM_TIDAK_LENGKAP")
    assert job.error_message_en == (
        "Line 1 holds none of the known column titles: the file has no header row, or another row (a "
        "sheet title, merged cells) sits above it. Line 1 must hold the column titles: jenis,id,nama,nisn,"
        "tingkat_pendidikan,bentuk_pendidikan,npsn,nama_sekolah,kode_wilayah,nomor_telepon_seluler."
    )
    stored = [job.error_message, *job.issues.values_list("message", "message_en", "value").get()]
    assert [m for m in stored if "Budi" in m or "081210000000" in m] == []


def test_an_untitled_column_is_named_by_its_position(tmp_path):  # type: ignore[no-untyped-def]
    header = ["" if h == "nama" else h for h in HEADER]  # Excel's merged header cell B1:C1
    job = _refused(write(tmp_path / "a.csv", many(5), header=header), "KOLOM_TIDAK_LENGKAP")
    assert job.error_message == (
        "Kolom wajib tidak ada: nama. Kolom tidak dikenal (mungkin salah nama): (kolom ke-3 tanpa judul)."
    )
    assert (
        job.error_message_en
        == "Required columns are missing: nama. Unknown columns (renamed?): (column 3, untitled)."
    )


def test_an_old_or_password_protected_excel_file_is_refused_naming_both(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.xlsx"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504)
    job = _refused(path, "FORMAT_TIDAK_DIDUKUNG")
    assert job.error_message_en == (
        "This is an old Excel file (.xls) or a password-protected Excel file; neither is supported. "
        "Remove the password if there is one, then save it as .xlsx or UTF-8 CSV."
    )
