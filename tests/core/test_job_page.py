"""The job page of a school's bulk correction says where the job stands."""

from __future__ import annotations

import pytest

from tests.factories import correction_job
from verval.core.models import Job

pytestmark = pytest.mark.django_db

NOT_APPLIED = "Berkas ini sudah diunggah dan diperiksa, tetapi belum diterapkan."
APPLYING = "Perubahan sedang diterapkan. Halaman ini diperbarui sendiri; tidak perlu menerapkan lagi."


def _upload(operator, school):  # type: ignore[no-untyped-def]
    return correction_job(operator, school)


def test_job_page_of_an_uploaded_correction_offers_its_preview(client, operator, school):  # type: ignore[no-untyped-def]
    job = _upload(operator, school)
    client.force_login(operator)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert NOT_APPLIED in html
    assert f'href="/sekolah/{school.npsn}/koreksi/{job.pk}/"' in html
    assert APPLYING not in html


def test_job_page_after_apply_says_the_correction_is_being_applied_and_offers_no_second_apply(
    client, operator, school
):  # type: ignore[no-untyped-def]
    job = _upload(operator, school)
    Job.objects.filter(pk=job.pk).update(params={**job.params, "applied": True})
    client.force_login(operator)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert APPLYING in html
    assert NOT_APPLIED not in html
    assert f'href="/sekolah/{school.npsn}/koreksi/{job.pk}/"' not in html


def test_the_state_text_is_inside_the_part_of_the_page_that_refreshes_itself(client, operator, school):  # type: ignore[no-untyped-def]
    job = _upload(operator, school)
    Job.objects.filter(pk=job.pk).update(params={"applied": True})
    client.force_login(operator)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    refreshed = html[html.index('<div id="job-progress"') :]
    assert html.count(APPLYING) == 1 and APPLYING in refreshed
    fragment = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert APPLYING in fragment and 'hx-trigger="every 2s"' in fragment


def test_the_refreshed_part_drops_the_applying_text_once_the_correction_is_done(client, operator, school):  # type: ignore[no-untyped-def]
    # "Perubahan sedang diterapkan…" stayed beside "Selesai 625/625" until a manual reload.
    job = _upload(operator, school)
    Job.objects.filter(pk=job.pk).update(
        params={"applied": True},
        state=Job.State.SUCCEEDED,
        progress_done=625,
        progress_total=625,
        counts={"rows": 625, "changed": 625},
    )
    client.force_login(operator)
    fragment = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert '<span class="label s-SUCCEEDED">Selesai</span> 625 / 625' in fragment
    assert APPLYING not in fragment and NOT_APPLIED not in fragment and "hx-get" not in fragment


def test_the_refreshed_part_offers_the_preview_while_the_file_awaits_its_click(client, operator, school):  # type: ignore[no-untyped-def]
    job = _upload(operator, school)
    client.force_login(operator)
    fragment = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert NOT_APPLIED in fragment and APPLYING not in fragment
    assert f'<a class="button" href="/sekolah/{school.npsn}/koreksi/{job.pk}/">' in fragment


@pytest.mark.parametrize(
    ("language", "state", "whole_file"), [("id", "Ditolak", "berkas"), ("en", "Refused", "file")]
)
def test_a_file_refused_whole_shows_refused_and_its_issue_against_the_file_not_line_0(
    client, operator, school, language, state, whole_file
):  # type: ignore[no-untyped-def]
    from verval.core.models import JobIssue

    job = _upload(operator, school)
    Job.objects.filter(pk=job.pk).update(state="REFUSED", error_code="FILE_KOSONG")
    JobIssue.objects.create(
        job=job, line=0, code="FILE_KOSONG", message="Berkas kosong.", message_en="Empty file."
    )
    client.force_login(operator)
    client.cookies["django_language"] = language
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert f">{state}</span>" in html
    assert f'<tr><td class="num">{whole_file}</td><td></td><td><code>FILE_KOSONG</code></td>' in html
