"""Migration core/0005: a refusal stored before decision 0124 that quoted a cutoff's first row of
data as "unknown columns" (a name, a NIK, a phone number) keeps its missing columns and loses the
quoted titles, on the job and on its report's issue; other refusals are left as they were."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from verval.core.models import Job, JobIssue

pytestmark = pytest.mark.django_db

OLD_ID = (
    "Kolom wajib tidak ada: pd_id, npsn. Kolom tidak dikenal (mungkin salah nama): "
    "3f2a…, Siti Aminah, 3201234567890001, 081234567890."
)
OLD_EN = (
    "Required columns are missing: pd_id, npsn. Unknown columns (renamed?): 3f2a…, Siti Aminah, 081234567890."
)


def _forwards() -> None:
    module = importlib.import_module("verval.core.migrations.0005_unknown_columns_no_longer_quoted")
    module.forwards(apps, None)


def test_an_old_refusal_quoting_the_first_row_loses_the_quoted_titles_and_keeps_the_missing_columns():
    job = Job.objects.create(
        kind="import_dapodik", state="REFUSED", error_code="KOLOM_TIDAK_LENGKAP", error_message=OLD_ID,
        error_message_en=OLD_EN,
    )  # fmt: skip
    JobIssue.objects.create(
        job=job, line=1, code="KOLOM_TIDAK_LENGKAP", message=OLD_ID, message_en=OLD_EN, value="Siti Aminah"
    )
    other = Job.objects.create(
        kind="import_dapodik", state="REFUSED", error_code="PEMISAH_SALAH", error_message="Kolom dipisah titik koma.",
    )  # fmt: skip

    _forwards()

    job.refresh_from_db()
    assert (job.error_message, job.error_message_en) == (
        "Kolom wajib tidak ada: pd_id, npsn. Kolom tidak dikenal tidak ditampilkan (keputusan 0124).",
        "Required columns are missing: pd_id, npsn. Unknown columns are not shown (decision 0124).",
    )
    issue = JobIssue.objects.get(job=job)
    assert (issue.message, issue.message_en, issue.value) == (job.error_message, job.error_message_en, "")
    assert Job.objects.get(pk=other.pk).error_message == "Kolom dipisah titik koma."
    _forwards()  # run again (another deployment's second migrate): nothing more changes
    assert Job.objects.get(pk=job.pk).error_message == job.error_message
