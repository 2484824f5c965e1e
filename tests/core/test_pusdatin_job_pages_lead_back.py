"""Every job page Pusdatin opens leads back to the page that started or lists the job: no
menu entry names a job page, so without the link it was a dead end (decision 0097)."""

from __future__ import annotations

import pytest

from verval.core.models import Job

pytestmark = pytest.mark.django_db

BACK = {
    "import_dapodik": ('href="/pusdatin/impor/riwayat/"', "« Kembali ke daftar pekerjaan impor"),
    "validate": ('href="/pusdatin/"', "« Kembali ke Pusdatin"),
    "dump": ('href="/pusdatin/dump/"', "« Kembali ke daftar batch"),
    "ingest_results": ('href="/pusdatin/dump/"', "« Kembali ke daftar batch"),
    "disbursement": ('href="/pusdatin/penyaluran/"', "« Kembali ke penyaluran kuota"),
    "ingest_injection": ('href="/pusdatin/penyaluran/"', "« Kembali ke penyaluran kuota"),
    "ingest_usage": ('href="/pusdatin/penyaluran/"', "« Kembali ke penyaluran kuota"),
}


@pytest.mark.parametrize("kind", sorted(BACK))
def test_a_pusdatin_job_page_leads_back_to_where_the_job_was_started(client, pusdatin, kind):  # type: ignore[no-untyped-def]
    job = Job.objects.create(kind=kind, state=Job.State.SUCCEEDED, created_by=pusdatin, input_name="x.csv")
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    href, label = BACK[kind]
    back = html[html.index('<p class="back">') : html.index("<h1>")]
    assert back.strip() == f'<p class="back"><a {href}>{label}</a></p>'


def test_a_running_pusdatin_job_page_leads_back_too(client, pusdatin):  # type: ignore[no-untyped-def]
    job = Job.objects.create(kind="import_dapodik", state=Job.State.RUNNING, created_by=pusdatin)
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert '<a href="/pusdatin/impor/riwayat/">« Kembali ke daftar pekerjaan impor</a>' in html


def test_a_school_correction_job_read_by_pusdatin_leads_back_to_the_school(client, pusdatin, school):  # type: ignore[no-untyped-def]
    job = Job.objects.create(kind="bulk_correction", state=Job.State.SUCCEEDED, school_id=school.npsn)
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert f'<a href="/sekolah/{school.npsn}/">« Kembali ke daftar sekolah</a>' in html
    assert "Kembali ke Pusdatin" not in html
