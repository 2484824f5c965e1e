"""Bulk correction through the Excel download/upload (SPEC §3.2, §9)."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.registry.helpers import make_recipients, xlsx_bytes
from verval.core.jobs import JobRefused
from verval.core.models import AuditEvent, Job
from verval.registry import actions, bulk
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db

HEADER = bulk.COLUMNS


def _download(client, npsn):  # type: ignore[no-untyped-def]
    response = client.get(f"/sekolah/{npsn}/unduh.xlsx")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def _upload(client, npsn, data, name="koreksi.xlsx"):  # type: ignore[no-untyped-def]
    response = client.post(f"/sekolah/{npsn}/koreksi/", {"berkas": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:500]
    return Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def _apply(client, npsn, job, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sekolah/{npsn}/koreksi/{job.pk}/terapkan/")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    job.refresh_from_db()
    return job


def _fill(wb, corrections):  # type: ignore[no-untyped-def]
    """corrections: {recipient id: number} written into nomor_koreksi as text."""
    ws = wb["Data"]
    header = [c.value for c in ws[1]]
    id_col, fix_col = header.index("id") + 1, header.index("nomor_koreksi") + 1
    for row in range(2, ws.max_row + 1):
        rid = ws.cell(row=row, column=id_col).value
        if rid in corrections:
            ws.cell(row=row, column=fix_col).value = corrections[rid]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_download_keeps_leading_zero_in_text_cells_and_is_audited(client, operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 3)
    client.force_login(operator)
    wb = _download(client, school.npsn)
    assert wb.sheetnames == ["Petunjuk", "Data"]
    assert "nomor_koreksi" in " ".join(str(c.value) for c in wb["Petunjuk"]["A"])
    ws = wb["Data"]
    assert [c.value for c in ws[1]] == HEADER
    first = {h: c for h, c in zip(HEADER, ws[2], strict=True)}
    assert first["nomor_saat_ini"].value == "0812-2000-0000" and first["nomor_saat_ini"].data_type == "s"
    assert first["nomor_saat_ini"].number_format == "@" and first["nomor_koreksi"].number_format == "@"
    assert first["nisn"].value == "0040000000" and first["nisn"].data_type == "s"
    assert first["versi"].value == 1 and ws.max_row == 4
    event = AuditEvent.objects.get(action="download_school_xlsx")
    assert (event.actor_id, event.school_id, event.after["masked"]) == (operator.pk, school.npsn, False)


def test_dinas_download_is_a_masked_read_only_list_without_correction_columns(client, dinas_kab, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 1)
    client.force_login(dinas_kab)
    wb = _download(client, school.npsn)
    ws = wb["Data"]
    assert [c.value for c in ws[1]] == HEADER[: HEADER.index("nomor_koreksi")]
    assert ws.cell(row=2, column=HEADER.index("nomor_saat_ini") + 1).value == "0812****0000"
    assert ws.max_column == 8
    notes = " ".join(str(c.value) for c in wb["Petunjuk"]["A"])
    assert "hanya untuk dibaca" in notes and "nomor_koreksi" not in notes
    assert AuditEvent.objects.get(action="download_school_xlsx").after["masked"] is True
    assert client.get(f"/sekolah/{school.npsn}/koreksi/").status_code == 403


def test_xlsx_round_trip_preview_apply_and_apply_again(
    client, operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 40)
    client.force_login(operator)
    wb = _download(client, school.npsn)
    data = _fill(
        wb,
        {
            str(rows[0].pk): "081324681357",
            str(rows[1].pk): "0857 1111 2222",
            str(rows[2].pk): "0812-2000-0002",
        },
    )

    job = _upload(client, school.npsn, data)
    assert (job.state, job.school_id, job.kind) == ("PENDING", school.npsn, "bulk_correction")
    preview = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/")
    html = preview.content.decode()
    assert preview.status_code == 200
    # The school's own operator sees its old numbers in full, as on the school page.
    assert (
        '<td class="nowrap" data-label="Nomor lama">0812-2000-0000</td>'
        '<td class="nowrap" data-label="Nomor baru">0813-2468-1357 '
    ) in html
    assert "0857-1111-2222" in html and "0812****0000" not in html
    assert "Terapkan 2 perubahan" in html
    assert '<div class="card"><b>37</b>tanpa koreksi</div>' in html
    assert Recipient.objects.get(pk=rows[0].pk).phone_e164 == "+6281220000000"  # preview changes nothing

    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    assert job.state == "SUCCEEDED"
    assert job.counts == {"rows": 40, "changed": 2, "unchanged": 1, "without_correction": 37, "refused": 0}
    r0, r1 = Recipient.objects.get(pk=rows[0].pk), Recipient.objects.get(pk=rows[1].pk)
    assert (r0.phone_e164, r0.status, r0.version, r0.needs_validation) == (
        "+6281324681357",
        "BELUM_VERVAL",
        2,
        True,
    )
    assert (r1.phone_e164, r1.operator) == ("+6285711112222", "indosat")
    h = NumberHistory.objects.get(recipient=r0)
    assert (h.action, h.job_id, h.phone_before, h.phone_after) == (
        "bulk_correction",
        job.pk,
        "0812****0000",
        "0813****1357",
    )
    assert AuditEvent.objects.get(action="bulk_correction").after == job.counts
    job_page = client.get(f"/pekerjaan/{job.pk}/")
    assert job_page.status_code == 200
    # The same count under the same word as in the preview (decision 0060).
    assert (
        '<div class="card"><dt>Tanpa koreksi</dt><dd><b class="fig">37</b></dd></div>'
        in job_page.content.decode()
    )
    assert client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/")["Location"] == f"/pekerjaan/{job.pk}/"

    # The same file again: the numbers already equal the corrections, nothing changes.
    again = _apply(
        client, school.npsn, _upload(client, school.npsn, data), django_capture_on_commit_callbacks
    )
    assert again.state == "SUCCEEDED"
    assert again.counts == {"rows": 40, "changed": 0, "unchanged": 3, "without_correction": 37, "refused": 0}
    assert Recipient.objects.get(pk=rows[0].pk).version == 2
    # A second click on "apply" does not run the job twice.
    _apply(client, school.npsn, again, django_capture_on_commit_callbacks)
    assert NumberHistory.objects.count() == 2


def test_refused_rows_are_reported_and_the_rest_applied(settings, operator, school, other_school):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.9}
    good, stale, locked, same_after_change = make_recipients(school, 4)
    theirs = make_recipients(other_school, 1, start=90)[0]
    Recipient.objects.filter(pk=stale.pk).update(version=3)
    Recipient.objects.filter(pk=locked.pk).update(locked=True)
    rows = [
        bulk.UploadRow(2, str(good.pk), "081324681357", "1"),
        bulk.UploadRow(3, str(stale.pk), "081324681358", "1"),
        bulk.UploadRow(4, str(locked.pk), "081324681359", "1"),
        bulk.UploadRow(5, str(theirs.pk), "081324681360", "1"),
        bulk.UploadRow(6, "3f0c1c8e-0000-4000-8000-000000000000", "081324681361", "1"),
        bulk.UploadRow(7, str(good.pk), "0813-2468-1357", "1"),  # the same number again
        bulk.UploadRow(8, str(same_after_change.pk), "8.12346E+11", "1"),
    ]
    outcome = actions.bulk_correct(actor=operator, school_npsn=school.npsn, rows=rows)
    assert outcome.counts == {"rows": 7, "changed": 1, "unchanged": 0, "without_correction": 0, "refused": 6}
    assert [(i.line, i.column, i.code) for i in outcome.issues] == [
        (3, "versi", "VERSI_BERUBAH"),
        (4, "id", "TERKUNCI_SPTJM"),
        (5, "id", "ID_SEKOLAH_LAIN"),
        (6, "id", "ID_TIDAK_DIKENAL"),
        (7, "id", "ID_GANDA"),
        (8, "nomor_koreksi", "NOTASI_ILMIAH"),
    ]
    assert outcome.issues[0].message.startswith("Data sudah diubah sejak berkas diunduh")
    assert outcome.issues[0].message_en.startswith("The record changed after the file was downloaded")
    assert Recipient.objects.get(pk=good.pk).phone_e164 == "+6281324681357"
    assert Recipient.objects.get(pk=stale.pk).phone_e164 == "+6281220000001"
    assert Recipient.objects.get(pk=theirs.pk).phone_e164 == "+6281220000090"


def test_too_many_refused_rows_refuse_the_file_whole(operator, school, other_school):  # type: ignore[no-untyped-def]
    mine = make_recipients(school, 10)
    theirs = make_recipients(other_school, 1, start=90)[0]
    rows = [
        bulk.UploadRow(i + 2, str(r.pk), "081324681357" if i == 0 else "", "1") for i, r in enumerate(mine)
    ]
    rows.append(bulk.UploadRow(12, str(theirs.pk), "081324681360", "1"))  # 1 of 11 rows = 9 % > 5 %
    with pytest.raises(JobRefused) as refused:
        actions.bulk_correct(actor=operator, school_npsn=school.npsn, rows=rows)
    assert refused.value.code == "TERLALU_BANYAK_DITOLAK"
    assert [(i.line, i.code) for i in refused.value.issues] == [(12, "ID_SEKOLAH_LAIN")]
    assert Recipient.objects.get(pk=mine[0].pk).phone_e164 == "+6281220000000"
    assert NumberHistory.objects.count() == 0


def test_conflict_row_in_an_uploaded_file_is_listed_in_the_preview_and_job_report(
    client, operator, school, django_capture_on_commit_callbacks, settings
):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.5}
    rows = make_recipients(school, 4)
    client.force_login(operator)
    data = _fill(
        _download(client, school.npsn), {str(rows[0].pk): "081324681357", str(rows[1].pk): "081324681358"}
    )
    # Someone edits row 1 after the download.
    actions.change_number(actor=operator, recipient_id=rows[1].pk, new_raw="085711112222", expected_version=1)
    job = _upload(client, school.npsn, data)
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert "VERSI_BERUBAH" in html and "Terapkan 1 perubahan" in html
    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    assert job.counts["changed"] == 1 and job.counts["refused"] == 1
    assert list(job.issues.values_list("line", "column", "code")) == [(3, "versi", "VERSI_BERUBAH")]
    assert Recipient.objects.get(pk=rows[1].pk).phone_e164 == "+6285711112222"  # the other edit is kept


def test_operator_of_other_school_cannot_upload_or_see_the_job(client, operator, other_operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 2)
    client.force_login(operator)
    job = _upload(client, school.npsn, xlsx_bytes([], header=HEADER))
    client.force_login(other_operator)
    assert client.get(f"/sekolah/{school.npsn}/koreksi/").status_code == 403
    assert client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").status_code == 403
    assert client.post(f"/sekolah/{school.npsn}/koreksi/{job.pk}/terapkan/").status_code == 403
    assert client.get(f"/pekerjaan/{job.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not a workbook", "FILE_TIDAK_TERBACA"),
        (xlsx_bytes([["x", "y"]], header=["nama", "nomor"]), "KOLOM_TIDAK_SESUAI"),
        (xlsx_bytes([], header=HEADER), "FILE_KOSONG"),
    ],
)
def test_a_file_with_the_wrong_structure_is_refused_whole(
    client, operator, school, data, code, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    job = _upload(client, school.npsn, data)
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert code in html and "Terapkan" not in html
    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    assert (job.state, job.error_code) == ("REFUSED", code)


def _refusal(tmp_path, data):  # type: ignore[no-untyped-def]
    path = tmp_path / "f.xlsx"
    path.write_bytes(data)
    with pytest.raises(JobRefused) as refused:
        bulk.read_xlsx(path)
    return refused.value


def test_a_correction_file_with_a_merged_and_a_deleted_title_names_the_missing_columns(
    client, operator, school, tmp_path
):  # type: ignore[no-untyped-def]
    # The download's titles with nomor_koreksi's cell merged into its neighbour (left empty,
    # column I), versi deleted and alasan renamed to a note holding a number.
    header = [*HEADER[:7], "hp 081217263845", "", "", ""]
    data = xlsx_bytes([["x"] * 8], header=header)
    refused = _refusal(tmp_path, data)
    assert (refused.code, refused.message, refused.message_en) == (
        "KOLOM_TIDAK_SESUAI",
        'Kolom wajib tidak ada di baris 1 lembar "Data": nomor_koreksi, versi. Kolom tidak dikenal (mungkin '
        "salah nama): hp 0812****3845. Jangan mengubah, menggabung, atau menghapus judul kolom; unduh berkas "
        "baru bila perlu.",
        'Required columns are missing from row 1 of the sheet "Data": nomor_koreksi, versi. Unknown columns '
        "(renamed?): hp 0812****3845. Do not rename, merge or delete the column titles; download a new file "
        "if needed.",
    )
    merged = [*HEADER[:8], "", "versi"]
    refused = _refusal(tmp_path, xlsx_bytes([["x"] * 10], header=merged))
    assert refused.message_en == (
        'Required columns are missing from row 1 of the sheet "Data": nomor_koreksi. Unknown columns '
        "(renamed?): (column I, untitled). Do not rename, merge or delete the column titles; download a new "
        "file if needed."
    )
    assert "(kolom I tanpa judul)" in refused.message
    client.force_login(operator)
    job = _upload(client, school.npsn, xlsx_bytes([["x"] * 10], header=merged))
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert "Kolom wajib tidak ada di baris 1 lembar &quot;Data&quot;: nomor_koreksi." in html


def test_a_correction_file_names_at_most_ten_unknown_titles(tmp_path):  # type: ignore[no-untyped-def]
    header = ["id", *(f"kolom{i}" for i in range(12)), "x" * 60]
    refused = _refusal(tmp_path, xlsx_bytes([], header=header))
    assert refused.message_en == (
        'Required columns are missing from row 1 of the sheet "Data": nomor_koreksi, versi. Unknown columns '
        "(renamed?): kolom0, kolom1, kolom2, kolom3, kolom4, kolom5, kolom6, kolom7, kolom8, kolom9, … (+3). "
        "Do not rename, merge or delete the column titles; download a new file if needed."
    )


def test_a_correction_file_without_its_header_row_is_refused_without_quoting_its_first_row(tmp_path):  # type: ignore[no-untyped-def]
    row = ["b00cb661-bfde-4300-8000-38f0fe647ad7", "PD", "Siti Aminah", "0030000000", 1, "081217263845"]
    refused = _refusal(tmp_path, xlsx_bytes([row, row]))
    assert (refused.code, refused.message_en) == (
        "KOLOM_TIDAK_SESUAI",
        'Row 1 of the sheet "Data" holds none of the download\'s column titles: its header row was deleted, or '
        "another row sits above it. Row 1 must hold the download's column titles, at least id, nomor_koreksi, "
        "versi. Download a new file if needed.",
    )
    assert "Siti" not in refused.message and "0812" not in refused.message


def test_a_correction_file_whose_data_sheet_was_emptied_is_refused_as_empty(tmp_path):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Petunjuk"
    book.active.append(["Petunjuk koreksi nomor ponsel (Verval Ponsel)"])
    book.create_sheet("Data")
    out = io.BytesIO()
    book.save(out)
    refused = _refusal(tmp_path, out.getvalue())
    assert (refused.code, refused.message_en) == ("FILE_KOSONG", "The file holds no data rows.")


# The first bytes of an OLE2 compound file: what Excel 97-2003 writes, and what Excel writes for
# an .xlsx saved with a password.
OLE2 = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504


def test_an_old_or_password_protected_excel_file_is_refused_with_a_message_that_says_so(
    client, operator, school
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    job = _upload(client, school.npsn, OLE2)
    assert (job.state, job.error_code) == ("REFUSED", "FILE_XLS_ATAU_BERSANDI")
    assert job.error_message_en == (
        "This is an old Excel file (.xls) or a password-protected Excel file, and cannot be read. Open it in "
        "Excel, remove the password if there is one, save it as .xlsx, and upload it again."
    )
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert "dilindungi kata sandi" in html and "Terapkan" not in html


def test_a_correction_excel_turned_into_a_date_is_refused_as_a_date_not_a_landline(
    operator, school, tmp_path
):  # type: ignore[no-untyped-def]
    r = make_recipients(school, 1)[0]
    path = tmp_path / "f.xlsx"
    path.write_bytes(
        xlsx_bytes([[str(r.pk), datetime.date(2020, 1, 2), 1]], header=["id", "nomor_koreksi", "versi"])
    )
    plan = bulk.plan(school.npsn, bulk.read_xlsx(path))
    assert [(i.line, i.column, i.code, i.message_en, i.value) for i in plan.issues] == [
        (
            2,
            "nomor_koreksi",
            "NOMOR_BERUPA_TANGGAL",
            "The nomor_koreksi cell holds a date, not a number: Excel turned the entry into a date. Format "
            "the cell as Text, type the number again (starting with 08), and upload again.",
            # A date is shown as the file holds it (decision 0136; was "20****02": its eight
            # digits with dashes were taken for a number): the operator finds the cell by it.
            "2020-01-02",
        )
    ]
    assert plan.changes == []


def test_numbers_typed_into_general_cells_are_recovered(operator, school, tmp_path):  # type: ignore[no-untyped-def]
    r = make_recipients(school, 1)[0]
    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsx_bytes([[str(r.pk), 81324681357, 1]], header=["id", "nomor_koreksi", "versi"]))
    rows = bulk.read_xlsx(path)
    assert rows == [bulk.UploadRow(2, str(r.pk), "081324681357", "1")]
    plan = bulk.plan(school.npsn, rows)
    assert [c.new.e164 for c in plan.changes] == ["+6281324681357"]


def test_a_refused_number_typed_into_a_general_cell_is_shown_back_with_its_zero(operator, school, tmp_path):  # type: ignore[no-untyped-def]
    # 021-1234-5678 typed into a General cell is stored as the number 2112345678: the school
    # typed the 0, so the refusal shows it back with it (decision 0126).
    r = make_recipients(school, 1)[0]
    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsx_bytes([[str(r.pk), 2112345678, 1]], header=["id", "nomor_koreksi", "versi"]))
    plan = bulk.plan(school.npsn, bulk.read_xlsx(path))
    assert [(i.line, i.column, i.code, i.value) for i in plan.issues] == [
        (2, "nomor_koreksi", "TELEPON_RUMAH", "0211***5678")
    ]
    assert plan.typed == {2: "02112345678"}
    assert plan.changes == []


def test_an_uploaded_file_not_yet_applied_leads_back_to_its_preview(
    client, operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    # It used to be listed as "Menunggu" for ever, its job page offering no way to apply it.
    rows = make_recipients(school, 5)
    client.force_login(operator)
    job = _upload(
        client, school.npsn, _fill(_download(client, school.npsn), {str(rows[0].pk): "081324681357"})
    )
    preview = f"/sekolah/{school.npsn}/koreksi/{job.pk}/"
    school_page = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert f'<a href="{preview}">' in school_page and "Belum diterapkan" in school_page
    job_page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert f'<a class="button" href="{preview}">Lihat pratinjau dan terapkan</a>' in job_page
    _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    school_page = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert f'<a href="/pekerjaan/{job.pk}/">' in school_page and "Belum diterapkan" not in school_page
    assert "Lihat pratinjau dan terapkan" not in client.get(f"/pekerjaan/{job.pk}/").content.decode()


def test_preview_shows_a_refused_correction_as_typed_and_the_job_report_keeps_it_masked(
    client, operator, pusdatin, school, django_capture_on_commit_callbacks, settings
):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.5}
    rows = make_recipients(school, 4)
    client.force_login(operator)
    data = _fill(
        _download(client, school.npsn), {str(rows[0].pk): "0813111122O3", str(rows[1].pk): "081324681357"}
    )
    job = _upload(client, school.npsn, data)
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    # The letter O instead of a zero is exactly what the operator has to see to fix it.
    assert (
        '<td class="small" data-label="Nilai">0813111122O3</td><td class="hide-sm small"><a href="/bantuan/sekolah/#alasan-KARAKTER_TIDAK_SAH">KARAKTER_TIDAK_SAH</a></td>'
        in html
    )
    assert "0813***1223" not in html
    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    # The saved report is opened and downloaded by Pusdatin too, who sees numbers masked.
    assert list(job.issues.values_list("line", "column", "code", "value")) == [
        (2, "nomor_koreksi", "KARAKTER_TIDAK_SAH", "0813***1223")
    ]
    client.force_login(pusdatin)
    report = b"".join(client.get(f"/pekerjaan/{job.pk}/laporan.csv").streaming_content).decode()
    assert "0813***1223" in report and "0813111122O3" not in report


def test_a_cell_typed_in_the_sheets_last_row_is_refused_before_the_reader_builds_its_grid(
    client, operator, school, tmp_path
):  # type: ignore[no-untyped-def]
    # One value in XFD1048576 made the reader ask for 17 billion cells and abort the web process.
    from verval.core.jobs import JobRefused
    from verval.registry.bulk import read_xlsx

    make_recipients(school, 3)
    client.force_login(operator)
    wb = _download(client, school.npsn)
    wb["Data"]["XFD1048576"] = "x"
    path = tmp_path / "jauh.xlsx"
    wb.save(path)
    with pytest.raises(JobRefused) as err:
        read_xlsx(path)
    assert err.value.code == "SEL_DI_LUAR_DATA"
    assert err.value.message.startswith("Ada isian jauh di bawah atau di kanan data")
    # The uploaded file is refused on its preview too, and the web process is still there to say so.
    job = _upload(client, school.npsn, path.read_bytes())
    page = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert "Ada isian jauh di bawah atau di kanan data" in page


def test_an_id_on_two_rows_with_different_numbers_applies_neither(school):  # type: ignore[no-untyped-def]
    a, b = make_recipients(school, 2)
    result = bulk.plan(
        school.npsn,
        [
            bulk.UploadRow(2, str(a.pk), "081324681357", str(a.version)),
            bulk.UploadRow(3, str(b.pk), "081324681358", str(b.version)),
            bulk.UploadRow(9, str(a.pk), "081324681359", str(a.version)),
        ],
    )
    assert [c.line for c in result.changes] == [3]
    assert [(i.line, i.code) for i in result.issues] == [(2, "ID_GANDA"), (9, "ID_GANDA")]


def test_rows_locked_by_a_printed_sptjm_do_not_make_the_file_look_wrong(school, settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.05}
    rows = make_recipients(school, 20)
    Recipient.objects.filter(pk__in=[r.pk for r in rows[:5]]).update(locked=True)
    upload = [
        bulk.UploadRow(i + 2, str(r.pk), f"0813246813{i:02d}", str(r.version)) for i, r in enumerate(rows)
    ]
    result = bulk.plan(school.npsn, upload)
    assert (len(result.changes), result.refused, result.too_many_refused) == (15, 5, False)
    assert {i.code for i in result.issues} == {"TERKUNCI_SPTJM"}


def test_a_sheet_sorted_without_its_id_column_sends_no_number_to_the_wrong_person(school):  # type: ignore[no-untyped-def]
    a, b = make_recipients(school, 2)
    a_row = bulk.UploadRow(2, str(a.pk), "081324681357", str(a.version), nisn=b.nisn, name=b.name)
    b_row = bulk.UploadRow(3, str(b.pk), "081324681358", str(b.version), nisn=b.nisn, name=b.name)
    result = bulk.plan(school.npsn, [a_row, b_row])
    assert [c.line for c in result.changes] == [3]
    assert [(i.line, i.code) for i in result.issues] == [(2, "BARIS_TIDAK_COCOK")]
    # Without a NISN the name decides, in any case and spacing; a deleted column decides nothing.
    assert bulk._same_person(bulk.UploadRow(4, "", "", "", name=f"  {a.name.upper()} "), a)
    assert bulk._same_person(bulk.UploadRow(5, "", "", ""), a)
    assert bulk._same_person(bulk.UploadRow(6, "", "", "", nisn=a.nisn.lstrip("0")), a)


def test_a_file_refused_whole_at_its_preview_ends_refused_with_its_code_and_report(
    client, operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    # It used to stay PENDING for ever: "belum diterapkan … Menunggu 0%" on its job page.
    rows = make_recipients(school, 4)
    client.force_login(operator)
    data = _fill(
        _download(client, school.npsn), {str(rows[0].pk): "0813111122O3", str(rows[1].pk): "081324681357"}
    )
    job = _upload(client, school.npsn, data)  # 1 row of 4 refused: 25 % > 5 %
    assert (job.state, job.error_code, job.queued_at) == ("REFUSED", "TERLALU_BANYAK_DITOLAK", None)
    assert job.error_message == (
        "Terlalu banyak baris ditolak; kemungkinan berkasnya salah. Tidak ada data yang diubah."
    )
    assert job.counts == {"rows": 4, "changed": 0, "unchanged": 0, "without_correction": 2, "refused": 1}
    assert list(job.issues.values_list("line", "column", "code", "value")) == [
        (2, "nomor_koreksi", "KARAKTER_TIDAK_SAH", "0813***1223")
    ]
    event = AuditEvent.objects.get(action="job_refuse_preview")
    assert (event.actor, event.object_id, event.school_id, event.before, event.after) == (
        operator,
        str(job.pk),
        school.npsn,
        {"state": "PENDING", "attempts": 0},
        {"state": "REFUSED", "error_code": "TERLALU_BANYAK_DITOLAK", "issues": 1},
    )
    # The school's operator still sees the preview, with the value as typed, and nothing to apply.
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert (
        '<td class="small" data-label="Nilai">0813111122O3</td><td class="hide-sm small"><a href="/bantuan/sekolah/#alasan-KARAKTER_TIDAK_SAH">KARAKTER_TIDAK_SAH</a></td>'
        in html
    )
    assert "Terapkan" not in html
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert '<span class="label s-REFUSED">Ditolak</span>' in page
    assert "<code>TERLALU_BANYAK_DITOLAK</code>" in page
    assert "belum diterapkan" not in page and "hx-get" not in page
    # A click on "Terapkan" from an old tab changes nothing.
    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    assert (job.state, job.queued_at, "applied" in job.params) == ("REFUSED", None, False)
    assert Recipient.objects.get(pk=rows[1].pk).phone_e164 == "+6281220000001"
    assert NumberHistory.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not a workbook", "FILE_TIDAK_TERBACA"),
        (xlsx_bytes([], header=HEADER), "FILE_KOSONG"),
    ],
)
def test_a_file_with_the_wrong_structure_ends_refused_at_its_upload_and_waits_for_nobody(
    client, operator, pusdatin, school, data, code
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    job = _upload(client, school.npsn, data)
    assert (job.state, job.error_code, job.issues.count()) == ("REFUSED", code, 0)
    assert AuditEvent.objects.filter(action="job_refuse_preview", object_id=str(job.pk)).count() == 1
    preview = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert code in preview and "Terapkan" not in preview
    client.force_login(pusdatin)
    home = client.get("/pusdatin/").content.decode()
    assert '<span class="label s-REFUSED">Ditolak</span>' in home and "s-PENDING" not in home
    out = io.StringIO()
    from django.core.management import call_command

    call_command("jobs", "--json", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {
        "jobs": [],
        "previews_not_applied": 0,
        "queues": [],
    }


def test_a_file_that_can_be_applied_stays_a_preview_awaiting_its_click(client, operator, school):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 4)
    client.force_login(operator)
    job = _upload(
        client, school.npsn, _fill(_download(client, school.npsn), {str(rows[0].pk): "081324681357"})
    )
    assert (job.state, job.error_code, job.awaits_apply) == ("PENDING", "", True)
    assert not AuditEvent.objects.filter(action="job_refuse_preview").exists()
    assert "Terapkan 1 perubahan" in client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()


def test_a_preview_of_many_changes_links_past_them_to_the_apply_button(client, operator, school):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 12)
    client.force_login(operator)
    few = _upload(
        client, school.npsn, _fill(_download(client, school.npsn), {str(rows[0].pk): "081324681300"})
    )
    many = _upload(
        client,
        school.npsn,
        _fill(
            _download(client, school.npsn), {str(r.pk): f"0813246813{i:02d}" for i, r in enumerate(rows[1:])}
        ),
    )

    link = '<a href="#terapkan">Langsung ke tombol Terapkan ↓</a>'
    assert link not in client.get(f"/sekolah/{school.npsn}/koreksi/{few.pk}/").content.decode()
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{many.pk}/").content.decode()
    assert link in html and '<form id="terapkan" method="post"' in html and "Terapkan 11 perubahan" in html


def test_another_schools_list_is_refused_whole_as_another_schools_list(
    client, operator, school, other_school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    # It used to be shown as one "ID ini milik sekolah lain" row per line, what to do after them.
    make_recipients(school, 2)
    theirs = make_recipients(other_school, 3, start=50)
    data = xlsx_bytes(
        [[str(r.pk), "PD", r.name, "", "1", "", "", "", "", "1"] for r in theirs], header=HEADER
    )
    client.force_login(operator)
    job = _upload(client, school.npsn, data, name="daftar-sekolah-lain.xlsx")
    assert (job.state, job.error_code, job.issues.count()) == ("REFUSED", "DAFTAR_SEKOLAH_LAIN", 3)
    assert job.error_message == (
        "Berkas ini daftar sekolah lain: tidak ada satu pun baris milik sekolah Anda. Tidak ada data "
        "yang diubah. Unduh daftar sekolah Anda sendiri dari halaman ini."
    )
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert (
        '<p class="error" role="alert">Berkas ini daftar sekolah lain: tidak ada satu pun baris milik sekolah '
        "Anda. Tidak ada data yang diubah. Unduh daftar sekolah Anda sendiri dari halaman ini.</p>"
    ) in html
    assert f'<a class="button secondary" href="/sekolah/{school.npsn}/unduh.xlsx">' in html
    assert "ID ini milik sekolah lain" not in html and "Terapkan" not in html
    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    assert (job.state, NumberHistory.objects.count()) == ("REFUSED", 0)


def test_a_file_with_one_row_of_another_school_among_its_own_is_not_called_another_schools_list(
    operator, school, other_school
):  # type: ignore[no-untyped-def]
    mine = make_recipients(school, 3)
    theirs = make_recipients(other_school, 1, start=50)[0]
    rows = [bulk.UploadRow(i + 2, str(r.pk), "", "1") for i, r in enumerate(mine)]
    rows.append(bulk.UploadRow(5, str(theirs.pk), "", "1"))
    refusal = bulk.preview_refusal(bulk.plan(school.npsn, rows), None)
    assert refusal is not None and refusal.code == "TERLALU_BANYAK_DITOLAK"


def test_a_file_refused_for_too_many_rows_offers_another_upload_and_its_report_above_the_rows(
    client, operator, school
):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 4)
    client.force_login(operator)
    job = _upload(
        client, school.npsn, _fill(_download(client, school.npsn), {str(rows[0].pk): "0813111122O3"})
    )
    assert job.error_code == "TERLALU_BANYAK_DITOLAK"
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    links = (
        f'<p><a href="/sekolah/{school.npsn}/koreksi/">Unggah berkas lain</a> · '
        f'<a href="/pekerjaan/{job.pk}/laporan.csv">Unduh daftar baris yang ditolak (CSV)</a> · '
        f'<a href="/pekerjaan/{job.pk}/laporan.xlsx">Unduh Excel</a></p>'
    )
    assert links in html
    assert html.index(links) < html.index("<table")
    report = client.get(f"/pekerjaan/{job.pk}/laporan.csv")
    assert report.status_code == 200


def test_a_refused_row_of_the_schools_own_list_is_named_in_the_preview_and_not_in_the_report(
    client, operator, school, settings, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    # The preview showed the row's id (a UUID) as what was refused; the operator knows names.
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.5}
    rows = make_recipients(school, 4)
    Recipient.objects.filter(pk=rows[0].pk).update(name="Siti Nurhaliza")
    Recipient.objects.filter(pk=rows[1].pk).update(name="Budi Terkunci", locked=True)
    client.force_login(operator)
    corrections = {
        str(rows[0].pk): "0813111122O3",
        str(rows[1].pk): "081324681357",
        str(rows[2].pk): "081324681358",
    }
    job = _upload(client, school.npsn, _fill(_download(client, school.npsn), corrections))
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert '<td class="lead">Siti Nurhaliza</td><td class="hide-sm">nomor_koreksi</td>' in html
    assert '<td class="small" data-label="Nilai">0813111122O3</td>' in html
    assert (
        '<td class="lead">Budi Terkunci</td><td class="hide-sm">id</td><td>Data terkunci karena tercantum pada '
        'SPTJM yang sudah dicetak.</td><td class="small" data-label="Nilai"></td>'
    ) in html
    assert str(rows[1].pk) not in html
    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    report = sorted(job.issues.values_list("code", "value"))
    assert report == [("KARAKTER_TIDAK_SAH", "0813***1223"), ("TERKUNCI_SPTJM", str(rows[1].pk))]


def test_a_file_whose_every_correction_was_refused_does_not_say_there_is_nothing_to_change(
    client, operator, school, settings
):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.5}
    rows = make_recipients(school, 4)
    client.force_login(operator)
    job = _upload(
        client, school.npsn, _fill(_download(client, school.npsn), {str(rows[0].pk): "0813111122O3"})
    )
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/").content.decode()
    assert (
        "<p>Tidak ada perubahan yang dapat diterapkan: perbaiki baris yang ditolak di bawah ini di berkas Anda, "
        "lalu unggah lagi.</p>"
    ) in html
    assert "Tidak ada yang perlu diubah." not in html
    nothing = _upload(client, school.npsn, _fill(_download(client, school.npsn), {}))
    assert (
        "<p>Tidak ada yang perlu diubah.</p>"
        in client.get(f"/sekolah/{school.npsn}/koreksi/{nothing.pk}/").content.decode()
    )


def test_the_click_on_apply_is_audited_once_and_another_schools_operator_cannot_apply(
    client, operator, other_operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    from verval.core import actions as core_actions

    rows = make_recipients(school, 2)
    client.force_login(operator)
    data = _fill(_download(client, school.npsn), {str(rows[0].pk): "081324681357"})
    job = _upload(client, school.npsn, data)
    with pytest.raises(PermissionDenied):
        core_actions.apply_preview(actor=other_operator, job=job)
    assert Job.objects.get(pk=job.pk).awaits_apply is True

    job = _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    _apply(client, school.npsn, job, django_capture_on_commit_callbacks)
    (clicked,) = AuditEvent.objects.filter(action="job_apply_preview")
    assert (clicked.actor_id, clicked.object_id, clicked.school_id) == (operator.pk, str(job.pk), school.npsn)
    assert (job.state, job.counts["changed"]) == ("SUCCEEDED", 1)
