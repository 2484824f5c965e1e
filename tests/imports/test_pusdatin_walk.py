"""Findings of Pusdatin's walk through the cutoff import (decision 0055): what the job page, the
import list and the command say about an import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.imports.helpers import csv_text, many, student, write
from verval.core.models import Job
from verval.imports.actions import import_file

pytestmark = pytest.mark.django_db

SAME = "Tidak ada yang berubah: setiap baris berkas ini sama dengan data yang tersimpan."
SAME_BUT_REFUSED = (
    "Tidak ada yang berubah: setiap baris yang diterima sama dengan data yang tersimpan. "
    "Baris yang ditolak tercantum di bawah."
)


def _upload(client, rows, capture):  # type: ignore[no-untyped-def]
    f = SimpleUploadedFile("cutoff.csv", csv_text(rows).encode(), content_type="text/csv")
    with capture(execute=True):
        client.post(reverse("imports:upload"), {"file": f})
    return Job.objects.filter(kind="import_dapodik").order_by("-created_at").first()


def _page(client, job):  # type: ignore[no-untyped-def]
    return client.get(reverse("core:job", args=[job.pk])).content.decode()


def test_same_cutoff_uploaded_again_says_in_words_that_nothing_changed(
    client, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    first = _upload(client, many(30), django_capture_on_commit_callbacks)
    again = _upload(client, many(30), django_capture_on_commit_callbacks)
    assert (first.counts["added"], again.counts["unchanged"]) == (30, 30)
    assert "Tidak ada yang berubah" not in _page(client, first)
    assert f'<p class="job-outcome" role="note">{SAME}</p>' in _page(client, again)


def test_same_cutoff_with_refused_rows_says_the_accepted_rows_changed_nothing(
    client, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    _upload(client, many(30), django_capture_on_commit_callbacks)
    job = _upload(client, [*many(30), student(99, nisn="1")], django_capture_on_commit_callbacks)
    assert (job.counts["unchanged"], job.counts["refused"]) == (30, 1)
    assert f'<p class="job-outcome" role="note">{SAME_BUT_REFUSED}</p>' in _page(client, job)


def test_cutoff_that_deactivates_one_recipient_does_not_say_nothing_changed(
    client, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    _upload(client, many(30), django_capture_on_commit_callbacks)
    job = _upload(client, many(29), django_capture_on_commit_callbacks)
    assert (job.counts["unchanged"], job.counts["removed"]) == (29, 1)
    assert "Tidak ada yang berubah" not in _page(client, job)


def test_command_says_nothing_changed_for_the_same_file_again_and_not_for_the_first(tmp_path, capsys):  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.csv", many(20))
    line = "tidak ada yang berubah / nothing changed: every accepted row matches the registry"
    call_command("import_dapodik", str(path))
    assert line not in capsys.readouterr().out
    call_command("import_dapodik", str(path))
    assert line in capsys.readouterr().out.splitlines()


def test_refused_cutoff_does_not_say_nothing_changed(client, pusdatin, tmp_path):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    job = import_file(write(tmp_path / "a.csv", [*many(10), *[student(i, nisn="1") for i in range(10, 20)]]))
    assert job.state == Job.State.REFUSED
    assert "Tidak ada yang berubah" not in _page(client, job)


def test_import_list_uses_the_job_pages_words_and_never_says_deleted(client, pusdatin, tmp_path):  # type: ignore[no-untyped-def]
    # "Dihapus" (deleted) named the recipients an import deactivates; none is ever deleted.
    client.force_login(pusdatin)
    import_file(write(tmp_path / "a.csv", many(3)))
    html = client.get(reverse("imports:jobs")).content.decode()
    headers = html[html.index("<thead>") : html.index("</thead>")]
    assert [h.split(">")[-1] for h in headers.split("</th>")[:-1]] == [
        "Berkas", "Status", "Jumlah baris", "Ditambahkan", "Berubah", "Tidak berubah", "Dinonaktifkan",
        "Ditolak", "Dibuat",
    ]  # fmt: skip
    assert "Dihapus" not in html
    client.cookies["django_language"] = "en"
    en = client.get(reverse("imports:jobs")).content.decode()
    assert '<th class="num">Rows</th>' in en and '<th class="num">Deactivated</th>' in en


def test_too_many_refused_rows_message_writes_its_counts_with_thousands_separators(tmp_path, settings):  # type: ignore[no-untyped-def]
    # "10000 dari 100000 baris" stood beside figures written "10.000" on the same page.
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.025}
    rows = many(1160) + many(40, start=2000, nisn="123")
    job = import_file(write(tmp_path / "a.csv", rows))
    assert (job.state, job.error_code) == (Job.State.REFUSED, "TERLALU_BANYAK_DITOLAK")
    assert job.error_message == (
        "40 dari 1.200 baris (3,3%) ditolak, lebih dari batas 2,5%. "
        "Berkas ditolak seluruhnya; kemungkinan berkasnya salah. Lihat laporan baris."
    )
    assert job.error_message_en == (
        "40 of 1,200 rows (3.3%) were refused, more than the 2.5% limit. "
        "The whole file is refused; it is probably the wrong file. See the row report."
    )
