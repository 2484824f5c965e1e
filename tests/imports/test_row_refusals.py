"""Rows that break a rule are refused one by one (line, column, code, messages); the rest is applied."""

from __future__ import annotations

import polars as pl
import pytest

from tests.imports.helpers import NPSN2, csv_text, many, student, teacher, uid, write
from verval.core.models import Job
from verval.imports.actions import import_file
from verval.imports.rules import report_values
from verval.reference.models import School
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db

BAD = [
    ("ID_GANDA", "id", {"id": uid(0)}),
    ("ID_TIDAK_VALID", "id", {"id": "1234-not-a-uuid"}),
    ("NPSN_TIDAK_VALID", "npsn", {"npsn": "2021234"}),
    ("TINGKAT_TIDAK_SESUAI", "tingkat_pendidikan", {"tingkat_pendidikan": "10"}),
    ("NISN_TIDAK_VALID", "nisn", {"nisn": "12345"}),
    ("KODE_WILAYAH_TIDAK_DIKENAL", "kode_wilayah", {"kode_wilayah": "999999"}),
    ("JENIS_TIDAK_DIKENAL", "jenis", {"jenis": "SISWA"}),
    ("NAMA_KOSONG", "nama", {"nama": ""}),
    ("NIK_TIDAK_VALID", "nik", {"nik": "3201"}),
    ("BENTUK_TIDAK_DIKENAL", "bentuk_pendidikan", {"bentuk_pendidikan": "MADRASAH"}),
    ("NAMA_SEKOLAH_KOSONG", "nama_sekolah", {"nama_sekolah": ""}),
    ("NAMA_SEKOLAH_TERLALU_PANJANG", "nama_sekolah", {"nama_sekolah": "SD " + "A" * 198}),
    ("STATUS_SEKOLAH_TIDAK_DIKENAL", "status_sekolah", {"status_sekolah": "Swsta"}),
]


@pytest.mark.parametrize(("code", "column", "change"), BAD, ids=[b[0] for b in BAD])
def test_each_rule_refuses_exactly_its_row(tmp_path, code, column, change):  # type: ignore[no-untyped-def]
    rows = many(40)
    rows.insert(20, student(500, **change))  # line 22
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert job.counts["refused"] == 1
    assert job.counts["added"] == 40
    issue = job.issues.get()
    assert (issue.line, issue.column, issue.code) == (22, column, code)
    assert issue.message and issue.message_en
    assert Recipient.objects.count() == 40


def test_all_rules_at_once_exact_counts(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(300) + [student(1000 + i, **change) for i, (_, _, change) in enumerate(BAD)]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["rows"], job.counts["added"], job.counts["refused"]) == (300 + len(BAD), 300, len(BAD))
    assert sorted(job.issues.values_list("code", flat=True)) == sorted(b[0] for b in BAD)


def test_teacher_with_a_grade_and_sd_student_in_grade_10_are_refused(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(40) + [teacher(1, tingkat_pendidikan="3"), teacher(2), student(600, tingkat_pendidikan="10")]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.counts["refused"] == 2
    assert list(job.issues.values_list("line", "code")) == [
        (42, "TINGKAT_TIDAK_SESUAI"),
        (44, "TINGKAT_TIDAK_SESUAI"),
    ]
    assert Recipient.objects.get(kind="PTK").category == "PTK"


def test_categories_follow_kind_and_school_form(tmp_path):  # type: ignore[no-untyped-def]
    rows = [
        student(1),
        student(
            2,
            npsn="69912345",
            bentuk_pendidikan="TK",
            tingkat_pendidikan="",
            nisn="",
            nama_sekolah="TK PERTIWI",
        ),
        teacher(3),
    ]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.counts["added"] == 3
    cats = dict(Recipient.objects.values_list("name", "category"))
    assert cats == {"Siswa 1": "DIKDASMEN", "Siswa 2": "PAUD", "Guru 3, S.Pd.": "PTK"}
    assert Recipient.objects.get(name="Siswa 2").grade is None


def test_duplicate_id_refuses_every_later_occurrence(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(60) + [student(0, nama="Lagi"), student(1), student(0)]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.counts["refused"] == 3
    assert list(job.issues.values_list("line", "code")) == [
        (62, "ID_GANDA"),
        (63, "ID_GANDA"),
        (64, "ID_GANDA"),
    ]
    assert Recipient.objects.get(id=uid(0)).name == "Siswa 0"


def test_a_repeated_id_is_reported_as_the_file_writes_it(tmp_path):  # type: ignore[no-untyped-def]
    # SQLite stages ids as 32 hex digits, which the report's masking took for a number.
    job = import_file(write(tmp_path / "a.csv", many(60) + [student(7)]))
    assert list(job.issues.values_list("line", "code", "value")) == [(62, "ID_GANDA", uid(7))]


def test_refused_row_report_never_holds_a_name_or_full_nik(tmp_path):  # type: ignore[no-untyped-def]
    rows = many(40) + [student(700, nama="", nik="320112345")]
    job = import_file(write(tmp_path / "a.csv", rows))
    values = dict(job.issues.values_list("code", "value"))
    assert values == {"NAMA_KOSONG": "", "NIK_TIDAK_VALID": "320112**********"}


def test_report_of_a_file_with_id_and_nama_swapped_holds_no_name(tmp_path):  # type: ignore[no-untyped-def]
    names = ["Budi Santoso", "SUKARNO", "Ni Luh Putu Ayu", "Muh. Rizky"]
    rows = [student(i, nama=names[i % 4]) for i in range(40)]
    path = tmp_path / "a.csv"
    path.write_text(csv_text(rows).replace("jenis,id,nama,", "jenis,nama,id,", 1))
    job = import_file(path)
    # Every row refused: the file is refused whole, and its report kept.
    assert (job.state, job.error_code) == (Job.State.REFUSED, "TERLALU_BANYAK_DITOLAK")
    values = list(job.issues.filter(code="ID_TIDAK_VALID").values_list("line", "value")[:4])
    assert values == [
        (2, "[12: A-Z a-z ␣]"),
        (3, "[7: A-Z]"),
        (4, "[15: A-Z a-z ␣]"),
        (5, "[10: A-Z a-z ␣ .]"),
    ]
    assert not any(n in v for n in names for v in job.issues.values_list("value", flat=True))


@pytest.mark.parametrize("typed", ["081234567890", "+62 812-3456-7890", "0812.3456.7890"])
def test_phone_number_typed_in_the_nisn_column_is_masked_in_the_report(tmp_path, typed):  # type: ignore[no-untyped-def]
    rows = many(40) + [student(700, nisn=typed)]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert list(job.issues.values_list("line", "column", "code", "value")) == [
        (42, "nisn", "NISN_TIDAK_VALID", "0812****7890")
    ]


REPORTED = [
    # column, typed, kept in the report
    ("id", "1234-not-a-uuid", "[15: a-z 0-9 -]"),
    ("id", "Budi Santoso", "[12: A-Z a-z ␣]"),
    ("id", "081234567890", "[12: 0-9]"),
    ("id", "AAAAAAAA0000000000000000000000001", "[33: A-Z 0-9]"),
    ("jenis", "SISWA", "SISWA"),
    ("jenis", "1", "1"),
    ("jenis", "EKO", "[3: A-Z]"),
    ("jenis", "Budi", "[4: A-Z a-z]"),
    ("jenis", "0812-3456-7890", "0812****7890"),
    ("nisn", "12345", "12345"),
    ("nisn", "123456789012", "1234****9012"),
    ("nisn", "Siti", "[4: A-Z a-z]"),
    ("nik", "320112345", "320112**********"),
    ("nik", "081234567890", "0812****7890"),
    ("nik", "+6281234567890", "0812****7890"),
    ("nik", "Siti Aminah", "[11: A-Z a-z ␣]"),
    ("tingkat_pendidikan", "10", "10"),
    ("tingkat_pendidikan", "Kelas 10", "Kelas 10"),
    ("tingkat_pendidikan", "XII", "[3: A-Z]"),
    ("bentuk_pendidikan", "MADRASAH", "MADRASAH"),
    ("bentuk_pendidikan", "mts", "mts"),
    ("bentuk_pendidikan", "SUKARNO", "[7: A-Z]"),
    ("npsn", "2021234", "2021234"),
    ("npsn", "P296400", "P296400"),
    ("npsn", "Budi", "[4: A-Z a-z]"),
    ("npsn", "081234567890", "0812****7890"),
    ("kode_wilayah", "999999", "999999"),
    ("kode_wilayah", "32.01.01", "32.01.01"),
    ("kode_wilayah", "Ahmad Dahlan", "[12: A-Z a-z ␣]"),
    ("nama", "Budi Santoso", ""),
    ("nama_sekolah", "", ""),
    ("nama_sekolah", "SD NEGERI 1 NANGGUNG " * 10, ""),
    ("status_sekolah", "Swsta", "[5: A-Z a-z]"),
    ("status_sekolah", "Budi Santoso", "[12: A-Z a-z ␣]"),
    ("status_sekolah", "2", "2"),
    ("status_sekolah", "081234567890", "0812****7890"),
]


@pytest.mark.parametrize(("column", "typed", "kept"), REPORTED)
def test_report_keeps_a_value_only_when_it_is_no_name_and_no_whole_number(column, typed, kept):  # type: ignore[no-untyped-def]
    assert report_values(pl.Series([typed], dtype=pl.String), column) == [kept]


def test_school_name_longer_than_200_characters_refuses_its_row_instead_of_being_cut(tmp_path):  # type: ignore[no-untyped-def]
    longest = "SD " + "B" * 197  # 200 characters: stored whole
    rows = [
        *many(40),
        student(500, npsn=NPSN2, nama_sekolah="SD " + "A" * 198),  # line 42: 201 characters
        student(501, npsn="20255555", nama_sekolah=longest),
    ]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert (job.state, job.counts["added"], job.counts["refused"]) == (Job.State.SUCCEEDED, 41, 1)
    issue = job.issues.get()
    assert (issue.line, issue.column, issue.code, issue.value) == (
        42,
        "nama_sekolah",
        "NAMA_SEKOLAH_TERLALU_PANJANG",
        "",
    )
    assert (issue.message, issue.message_en) == (
        "Nama sekolah lebih dari 200 karakter.",
        "The school name is longer than 200 characters.",
    )
    assert not School.objects.filter(npsn=NPSN2).exists()
    assert not Recipient.objects.filter(id=uid(500)).exists()
    assert School.objects.get(npsn="20255555").name == longest


def test_unknown_school_status_refuses_its_row_and_says_which_values_are_accepted(tmp_path):  # type: ignore[no-untyped-def]
    rows = [*many(40), student(500, status_sekolah="Swsta"), student(501, status_sekolah="1")]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert (job.state, job.counts["added"], job.counts["refused"]) == (Job.State.SUCCEEDED, 40, 2)
    assert list(job.issues.values_list("line", "column", "code", "value")) == [
        (42, "status_sekolah", "STATUS_SEKOLAH_TIDAK_DIKENAL", "[5: A-Z a-z]"),
        (43, "status_sekolah", "STATUS_SEKOLAH_TIDAK_DIKENAL", "1"),
    ]
    issue = job.issues.first()
    assert (issue.message, issue.message_en) == (
        "Status sekolah tidak dikenal: isi N atau Negeri, S atau Swasta (huruf besar atau kecil), "
        "atau kosongkan (status sekolah tidak diubah).",
        "Unknown status_sekolah: write N or Negeri, S or Swasta (upper or lower case), "
        "or leave it empty (the school keeps its status).",
    )
    assert not Recipient.objects.filter(id__in=[uid(500), uid(501)]).exists()


def test_school_status_is_read_in_each_accepted_spelling(tmp_path):  # type: ignore[no-untyped-def]
    typed = {"20200001": "n", "20200002": "Negeri", "20200003": "NEGERI", "20200004": "s"}
    typed |= {"20200005": "swasta", "20200006": "Swasta", "20200007": " S "}
    rows = [*many(40)] + [
        student(100 + i, npsn=n, status_sekolah=v) for i, (n, v) in enumerate(typed.items())
    ]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert (job.counts["added"], job.counts["refused"]) == (47, 0)
    assert dict(School.objects.filter(npsn__in=typed).values_list("npsn", "status")) == {
        "20200001": "N", "20200002": "N", "20200003": "N", "20200004": "S",
        "20200005": "S", "20200006": "S", "20200007": "S",
    }  # fmt: skip
