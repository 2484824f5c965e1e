"""The job page of a school's bulk correction says where the job stands."""

from __future__ import annotations

import pytest

from verval.core import files
from verval.core.jobs import create_job
from verval.core.models import Job

pytestmark = pytest.mark.django_db

NOT_APPLIED = "Berkas ini sudah diunggah dan diperiksa, tetapi belum diterapkan."
APPLYING = "Perubahan sedang diterapkan. Halaman ini diperbarui sendiri; tidak perlu menerapkan lagi."


def _upload(operator, school):  # type: ignore[no-untyped-def]
    relative, sha, _size = files.save_stream("uploads", ".xlsx", [b"PK\x03\x04"])
    return create_job(
        actor=operator,
        kind="bulk_correction",
        school_id=school.npsn,
        input_name="koreksi.xlsx",
        input_path=relative,
        input_sha256=sha,
    )


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
