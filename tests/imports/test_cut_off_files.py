"""A CSV must end with a line break: without one it is taken as cut off and refused whole, in
every encoding the reader accepts (docs/import.md, "Refusals")."""

from __future__ import annotations

import pytest

from tests.imports.helpers import HEADER, csv_text, many, student, uid
from verval.core.models import AuditEvent, Job
from verval.imports.actions import import_file
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db

# The phone number last, as the reviewer had it: a cut inside it keeps the number of fields.
PHONE_LAST = [h for h in HEADER if h not in ("nomor_telepon_seluler", "status_sekolah")] + [
    "nomor_telepon_seluler"
]
NAME_LAST = [h for h in HEADER if h != "nama"] + ["nama"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16-le", "utf-16-be"]


def _encode(text: str, encoding: str) -> bytes:
    # Python's utf-16-le/-be write no BOM; Excel's "Unicode Text" has one, and the reader
    # accepts UTF-16 only with it.
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    return bom + text.encode(encoding)


def _rows() -> list[dict[str, str]]:
    return [*many(9), student(9, nama="José Muñoz")]


def _refused_as_cut_off(path, line):  # type: ignore[no-untyped-def]
    before = sorted(Recipient.objects.values_list("id", "phone_raw", "name", "version"))
    audits = AuditEvent.objects.filter(action="import_dapodik").count()
    job = import_file(path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, "BERKAS_TERPOTONG"), job.error_message_en
    assert list(job.issues.values_list("line", "code")) == [(line, "BERKAS_TERPOTONG")]
    assert sorted(Recipient.objects.values_list("id", "phone_raw", "name", "version")) == before
    assert AuditEvent.objects.filter(action="import_dapodik").count() == audits
    return job


def test_file_cut_inside_the_last_field_is_refused_and_the_stored_number_kept(tmp_path):  # type: ignore[no-untyped-def]
    text = csv_text(_rows(), header=PHONE_LAST)
    path = tmp_path / "a.csv"
    path.write_text(text)
    assert import_file(path).counts["added"] == 10
    assert text.endswith(",081210000009\n")
    path.write_text(text[:-6])  # "0812100" left: still 11 fields
    _refused_as_cut_off(path, 11)
    assert Recipient.objects.get(id=uid(9)).phone_raw == "081210000009"


def test_complete_file_without_final_line_break_is_refused_with_how_to_fix_it(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    path.write_text(csv_text(_rows()).removesuffix("\n"))
    job = _refused_as_cut_off(path, 11)
    assert Recipient.objects.count() == 0
    assert job.error_message == (
        "Berkas tidak diakhiri ganti baris, jadi dianggap terpotong: baris terakhir (11) mungkin tidak "
        "lengkap. Unggah ulang berkas yang utuh. Bila berkas sudah lengkap, tambahkan ganti baris (Enter) "
        "di akhir baris 11."
    )
    assert job.error_message_en == (
        "The file does not end with a line break, so it is taken as cut off: the last line (11) may be "
        "incomplete. Upload the complete file again. If the file is complete, add a line break (Enter) at "
        "the end of line 11."
    )


def test_last_row_with_too_few_fields_keeps_the_incomplete_message(tmp_path):  # type: ignore[no-untyped-def]
    text = csv_text(_rows())
    path = tmp_path / "a.csv"
    path.write_text(text[: text.rindex(",")])  # status_sekolah gone with the line break
    job = _refused_as_cut_off(path, 11)
    assert job.error_message_en == (
        "The file is cut off: the last line (11) is incomplete. Upload the complete file again."
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_file_ending_with_a_line_break_is_accepted_in_every_encoding(tmp_path, encoding, newline):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    path.write_bytes(_encode(csv_text(_rows()).replace("\n", newline), encoding))
    job = import_file(path)
    assert (job.state, job.counts["added"]) == (Job.State.SUCCEEDED, 10), job.error_message_en
    assert Recipient.objects.get(id=uid(9)).name == "José Muñoz"
    assert Recipient.objects.get(id=uid(9)).phone_raw == "081210000009"


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_file_without_final_line_break_is_refused_in_every_encoding(tmp_path, encoding, newline):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    text = csv_text(_rows(), header=PHONE_LAST).replace("\n", newline)
    path.write_bytes(_encode(text.removesuffix(newline)[:-5], encoding))
    _refused_as_cut_off(path, 11)
    assert Recipient.objects.count() == 0


def test_utf16_file_cut_between_the_two_bytes_of_a_character_is_cut_off(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    data = _encode(csv_text(_rows(), header=PHONE_LAST), "utf-16-le")
    path.write_bytes(data[:-1])  # half of the final line feed: line 11 has no line break
    _refused_as_cut_off(path, 11)


def test_utf8_file_cut_inside_a_letter_is_cut_off_not_another_encoding(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.csv"
    data = csv_text(_rows(), header=NAME_LAST).encode()
    assert data.endswith("Muñoz\n".encode())
    path.write_bytes(data[:-3])  # ends with the first byte of "ñ"'s two
    _refused_as_cut_off(path, 11)
