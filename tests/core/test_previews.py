"""A school's correction file previewed but never applied (decision 0035): it is shown apart from
jobs waiting for a worker, left out of `verval jobs`' unfinished list, and expires after
VERVAL["PREVIEW_EXPIRES_HOURS"] in the workers' recovery pass."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import correction_job
from verval.core import actions, jobs
from verval.core.management.commands.worker import recover_once
from verval.core.models import AuditEvent, Job

pytestmark = pytest.mark.django_db

EXPIRED_MESSAGE = (
    "Pratinjau berkas ini tidak diterapkan dalam 24 jam sehingga kedaluwarsa; data tidak diubah. "
    "Unggah berkasnya lagi bila koreksinya masih diperlukan."
)


def _preview(operator, school, *, hours_ago=0.0, **fields):  # type: ignore[no-untyped-def]
    job = correction_job(operator, school)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago), **fields)
    job.refresh_from_db()
    return job


def test_a_preview_never_applied_expires_a_day_after_its_upload(operator, school):  # type: ignore[no-untyped-def]
    old = _preview(operator, school, hours_ago=24.5)
    young = _preview(operator, school, hours_ago=23.5)
    assert actions.expire_previews() == 1
    old.refresh_from_db()
    assert (old.state, old.error_code, old.error_message) == (
        "FAILED",
        "PRATINJAU_KEDALUWARSA",
        EXPIRED_MESSAGE,
    )
    assert old.error_message_en == (
        "This file's preview was not applied within 24 hours and has expired; no data was changed. "
        "Upload the file again if the corrections are still needed."
    )
    assert old.finished_at is not None
    event = AuditEvent.objects.get(action="job_expire_preview")
    assert (event.actor, event.object_id, event.school_id, event.before, event.after) == (
        None,
        str(old.pk),
        school.npsn,
        {"state": "PENDING", "attempts": 0},
        {"state": "FAILED", "error_code": "PRATINJAU_KEDALUWARSA", "input_deleted": True},
    )
    assert Job.objects.get(pk=young.pk).state == "PENDING"
    assert actions.expire_previews() == 0  # once
    assert AuditEvent.objects.filter(action="job_expire_preview").count() == 1


def test_expiry_leaves_applied_and_queued_corrections_and_other_jobs_alone(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    applied = _preview(operator, school, hours_ago=48, params={"applied": True})
    queued = _preview(operator, school, hours_ago=48, queued_at=timezone.now())
    other = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(hours=48))
    assert actions.expire_previews() == 0
    assert [Job.objects.get(pk=j.pk).state for j in (applied, queued, other)] == ["PENDING"] * 3


def test_the_expiry_follows_its_setting(operator, school, settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "PREVIEW_EXPIRES_HOURS": 2}
    job = _preview(operator, school, hours_ago=3)
    assert actions.expire_previews() == 1
    job.refresh_from_db()
    assert job.error_message.startswith("Pratinjau berkas ini tidak diterapkan dalam 2 jam")


def test_the_workers_recovery_pass_and_verval_jobs_recover_expire_previews(operator, school):  # type: ignore[no-untyped-def]
    first = _preview(operator, school, hours_ago=30)
    assert recover_once() == {"requeued": 0, "failed": 0, "expired": 1}
    second = _preview(operator, school, hours_ago=30)
    out = StringIO()
    call_command("jobs", "--recover", "--json", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"requeued": 0, "failed": 0, "expired": 1}
    assert [Job.objects.get(pk=j.pk).error_code for j in (first, second)] == ["PRATINJAU_KEDALUWARSA"] * 2


def test_an_expired_preview_can_no_longer_be_applied(
    client, operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    job = _preview(operator, school, hours_ago=25)
    client.force_login(operator)
    actions.expire_previews()
    assert client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/")["Location"] == f"/pekerjaan/{job.pk}/"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/sekolah/{school.npsn}/koreksi/{job.pk}/terapkan/")
    assert (response.status_code, response["Location"], callbacks) == (302, f"/pekerjaan/{job.pk}/", [])
    job.refresh_from_db()
    assert (job.state, job.queued_at, "applied" in job.params) == ("FAILED", None, False)
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert f"<code>PRATINJAU_KEDALUWARSA</code> {EXPIRED_MESSAGE}" in page
    assert "Lihat pratinjau dan terapkan" not in page


def test_a_preview_applied_in_time_is_not_expired_later(operator, school):  # type: ignore[no-untyped-def]
    job = _preview(operator, school, hours_ago=23)
    Job.objects.filter(pk=job.pk).update(params={"applied": True}, queued_at=timezone.now())
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=30))
    assert actions.expire_previews() == 0
    assert Job.objects.get(pk=job.pk).state == "PENDING"


def test_verval_jobs_leaves_previews_out_of_its_unfinished_list_and_counts_them(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    _preview(operator, school, hours_ago=2)
    queued = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=queued.pk).update(queued_at=timezone.now())
    out = StringIO()
    call_command("jobs", "--json", stdout=out)
    listed = json.loads(out.getvalue().strip().splitlines()[-1])
    assert [(r["id"], r["liveness"]) for r in listed["jobs"]] == [(str(queued.pk), "queued")]
    assert listed["previews_not_applied"] == 1
    out = StringIO()
    call_command("jobs", stdout=out)
    assert "1 correction file(s) previewed, not applied (they expire; not listed)" in out.getvalue()


def test_pusdatin_sees_a_preview_apart_from_jobs_waiting_for_a_worker(client, operator, pusdatin, school):  # type: ignore[no-untyped-def]
    job = _preview(operator, school)
    Job.objects.filter(pk=job.pk).update(created_at=datetime(2026, 11, 29, 3, 15, tzinfo=UTC))
    queued = jobs.create_job(actor=pusdatin, kind="validate")
    client.force_login(pusdatin)
    home = client.get("/pusdatin/").content.decode()
    assert home.count('<span class="label s-PENDING">Pratinjau belum diterapkan</span>') == 1
    assert home.count('<span class="label s-PENDING">Menunggu</span>') == 1
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert '<span class="label s-PENDING">Pratinjau belum diterapkan</span>' in page
    # 24 h after the upload, in Pusdatin's zone (WIB).
    assert "Pratinjau kedaluwarsa pada 30 Nov 2026 10.15 WIB bila belum diterapkan." in page
    assert jobs.liveness(job) == "preview" and jobs.liveness(queued) == "waiting"


def test_pusdatin_cannot_requeue_a_preview_awaiting_its_schools_click(operator, school):  # type: ignore[no-untyped-def]
    job = _preview(operator, school)
    with pytest.raises(actions.JobActionRefused) as refused:
        actions.requeue_job(actor=None, job_id=job.pk)
    assert refused.value.code == "PEKERJAAN_BELUM_DIANTREKAN"
    assert Job.objects.get(pk=job.pk).state == "PENDING"
