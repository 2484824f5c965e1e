"""The late-schools Excel file of a list longer than VERVAL_EXPORT_JOB_ROWS is written by a
background job whose page offers it (decision 0068)."""

from __future__ import annotations

import io
import os
import time
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import RecipientFactory, SchoolFactory
from verval.core import files, retention
from verval.core.models import AuditEvent, Job
from verval.dashboard import exports, services
from verval.registry.models import Recipient


@pytest.fixture
def three_behind(school, other_school):
    """Three schools behind schedule: two in the fixture regency (020500), one in another (020600)."""
    third = SchoolFactory(name='=HYPERLINK("http://x","SD")')
    rows = []
    for s, n in ((school, 5), (third, 3), (other_school, 2)):
        rows += [RecipientFactory.build(school=s, status="AKTIF") for _ in range(n)]
        rows += [RecipientFactory.build(school=s, status="RESIDU", reason="TIDAK_AKTIF") for _ in range(2)]
    Recipient.objects.bulk_create(rows)
    services.refresh_all()
    return school, third, other_school


def _rows(content: bytes) -> list[tuple[object, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def _start(client, django_capture_on_commit_callbacks, **query):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_export_url(**query))
    return response


def _export_url(**query: str) -> str:
    return reverse("dashboard:behind_xlsx") + (f"?{urlencode(query)}" if query else "")


def _file(client, job):  # type: ignore[no-untyped-def]
    return client.get(reverse("dashboard:behind_export_file", args=[job.pk]))


def test_excel_over_the_threshold_starts_one_job_whose_file_holds_the_rows_of_the_direct_download(
    client, three_behind, pusdatin, settings, django_capture_on_commit_callbacks
):
    client.force_login(pusdatin)
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1000}
    direct = client.get(reverse("dashboard:behind_xlsx"))
    assert direct.status_code == 200
    expected = _rows(b"".join(direct.streaming_content))
    assert len(expected) == 4

    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 2}
    response = _start(client, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="export_behind")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job", args=[job.pk])
    assert (job.state, job.counts, job.created_by) == (Job.State.SUCCEEDED, {"rows": 3}, pusdatin)
    assert job.params["file_path"].startswith("reports/")

    page = client.get(response["Location"]).content.decode()
    assert reverse("dashboard:behind_export_file", args=[job.pk]) in page
    download = _file(client, job)
    assert download.status_code == 200
    day = job.params["file_name"].removeprefix("sekolah-tertinggal-semua-").removesuffix(".xlsx")
    assert download["Content-Disposition"] == f'attachment; filename="sekolah-tertinggal-semua-{day}.xlsx"'
    assert _rows(b"".join(download.streaming_content)) == expected


def test_a_dinas_export_job_holds_only_its_region(
    client, three_behind, dinas_kab, settings, django_capture_on_commit_callbacks
):
    school, third, _other = three_behind
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1}
    client.force_login(dinas_kab)
    assert _start(client, django_capture_on_commit_callbacks).status_code == 302
    job = Job.objects.get(kind="export_behind")
    rows = _rows(b"".join(_file(client, job).streaming_content))
    assert sorted(r[0] for r in rows[1:]) == sorted([school.npsn, third.npsn])
    # A school's name that reads as a formula stays a text (decision 0059).
    assert '=HYPERLINK("http://x","SD")' in [r[1] for r in rows[1:]]


def test_the_late_schools_page_lists_the_users_own_exports_only(
    client, three_behind, dinas_kab, pusdatin, settings, django_capture_on_commit_callbacks
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1}
    client.force_login(dinas_kab)
    _start(client, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="export_behind")
    link = reverse("core:job", args=[job.pk])
    page = client.get(reverse("dashboard:behind")).content.decode()
    assert "Ekspor Excel Anda" in page
    assert f'href="{link}"' in page
    assert f'<span class="label s-{job.state_code}">' in page
    client.force_login(pusdatin)
    page = client.get(reverse("dashboard:behind")).content.decode()
    assert "Ekspor Excel Anda" not in page
    assert link not in page


@pytest.mark.parametrize("intruder", ["other_dinas_kab", "dinas_prov", "pusdatin"])
def test_another_user_can_neither_see_the_export_job_nor_download_its_file(
    client, request, three_behind, dinas_kab, intruder, settings, django_capture_on_commit_callbacks
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1}
    client.force_login(dinas_kab)
    _start(client, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="export_behind")
    client.force_login(request.getfixturevalue(intruder))
    assert client.get(reverse("core:job", args=[job.pk])).status_code in (403, 404)
    assert client.get(reverse("core:job_progress", args=[job.pk])).status_code in (403, 404)
    assert _file(client, job).status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="download_behind_schools_xlsx").exists()


def test_the_export_is_audited_when_asked_and_at_each_download(
    client, three_behind, dinas_kab, settings, django_capture_on_commit_callbacks
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1}
    client.force_login(dinas_kab)
    _start(client, django_capture_on_commit_callbacks, kabkota="020500")
    job = Job.objects.get(kind="export_behind")
    started = AuditEvent.objects.get(action="start_behind_schools_export")
    assert (started.actor, started.object_id, started.region_code, started.note) == (
        dinas_kab,
        str(job.pk),
        "020500",
        "format=xlsx rows=2",
    )
    assert not AuditEvent.objects.filter(action="download_behind_schools_xlsx").exists()
    _file(client, job)
    _file(client, job)
    downloads = AuditEvent.objects.filter(action="download_behind_schools_xlsx")
    assert [(e.actor, e.object_type, e.object_id, e.region_code, e.note) for e in downloads] == [
        (dinas_kab, "job", str(job.pk), "020500", "format=xlsx")
    ] * 2


def test_below_the_threshold_the_excel_link_downloads_at_once_without_a_job(
    client, three_behind, pusdatin, settings
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 3}
    client.force_login(pusdatin)
    response = client.get(reverse("dashboard:behind_xlsx"))
    assert response.status_code == 200
    assert len(_rows(b"".join(response.streaming_content))) == 4
    assert not Job.objects.filter(kind="export_behind").exists()
    event = AuditEvent.objects.get(action="download_behind_schools_xlsx")
    assert (event.object_type, event.object_id) == ("dashboard", "")


def test_a_link_over_the_threshold_only_asks_and_the_button_starts_the_job(
    client, three_behind, pusdatin, settings
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 2}
    client.force_login(pusdatin)
    response = client.get(_export_url())
    assert response.status_code == 200
    assert not Job.objects.filter(kind="export_behind").exists()
    page = response.content.decode()
    assert f'action="{_export_url()}"' in page
    assert 'method="post"' in page
    assert client.put(_export_url()).status_code == 405


def test_a_second_click_while_the_export_waits_opens_the_same_job(client, three_behind, pusdatin, settings):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 2}
    client.force_login(pusdatin)
    first = client.post(_export_url())  # on-commit hand-over not run: it waits
    second = client.post(_export_url())
    job = Job.objects.get(kind="export_behind")
    assert job.state == Job.State.PENDING
    assert first["Location"] == second["Location"] == reverse("core:job", args=[job.pk])
    assert _file(client, job).status_code == 404
    page = client.get(first["Location"]).content.decode()
    assert "Tautan unduhan muncul di halaman ini begitu berkas selesai" in page
    assert reverse("dashboard:behind_export_file", args=[job.pk]) not in page
    # Another kabupaten/kota is another list: its own job.
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1}
    client.post(_export_url(kabkota="020500"))
    assert Job.objects.filter(kind="export_behind").count() == 2


def test_the_file_is_refused_once_the_dinas_serves_another_region(
    client, three_behind, dinas_kab, settings, django_capture_on_commit_callbacks
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 1}
    client.force_login(dinas_kab)
    _start(client, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="export_behind")
    dinas_kab.region_id = "020600"
    dinas_kab.save(update_fields=["region_id"])
    assert _file(client, job).status_code == 403


def test_a_pruned_export_answers_gone_and_its_page_says_so(
    client, three_behind, pusdatin, settings, django_capture_on_commit_callbacks
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 2}
    client.force_login(pusdatin)
    _start(client, django_capture_on_commit_callbacks)
    job = Job.objects.get(kind="export_behind")
    path = files.absolute(job.params["file_path"])
    old = time.time() - 8 * 86400
    os.utime(path, (old, old))
    planned = [c.relative for c in retention.plan() if c.kind == "reports"]
    assert planned == [job.params["file_path"]]
    path.unlink()
    assert _file(client, job).status_code == 410
    page = client.get(reverse("core:job", args=[job.pk])).content.decode()
    assert "Berkas sudah dihapus menurut aturan penyimpanan." in page
    assert reverse("dashboard:behind_export_file", args=[job.pk]) not in page


def test_a_fresh_export_file_is_not_pruned(
    client, three_behind, pusdatin, settings, django_capture_on_commit_callbacks
):
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 2}
    client.force_login(pusdatin)
    _start(client, django_capture_on_commit_callbacks)
    assert [c for c in retention.plan() if c.kind == "reports"] == []
    assert retention.rules()["reports"] == 7
    assert exports.FOLDER in retention.KINDS
