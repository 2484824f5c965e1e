"""A job whose worker went silent (decision 0062): its page says since when nothing moved, what
will become of the job and what the reader can do; Pusdatin's "Jalankan ulang" is idempotent,
refused for a job still running and for everyone else, and a retried job ends as an
uninterrupted run would have."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.imports.helpers import csv_text, many, student
from verval.core import actions, jobs
from verval.core.models import AuditEvent, Job
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db

DEAD = "old-host:4242:deadbeef0000"
SILENT = "Tidak ada kemajuan sejak"
RERUN = (
    "Bila proses itu memang berhenti, pekerjaan ini dijalankan ulang dari awal secara otomatis oleh "
    "pekerja latar: dalam beberapa menit bila pekerja berjalan, atau begitu pekerja dijalankan lagi. "
    "Data tidak berubah sampai pekerjaan selesai; tidak perlu mengunggah ulang atau memulai pekerjaan baru."
)


def _running_job(actor, *, silent_for, attempts=1, queued=True, kind="validate"):  # type: ignore[no-untyped-def]
    """A job RUNNING in a worker (token DEAD) last heard from `silent_for` ago."""
    job = jobs.create_job(actor=actor, kind=kind)
    beat = timezone.now() - silent_for
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING,
        lease_owner=DEAD,
        heartbeat_at=beat,
        started_at=beat,
        attempts=attempts,
        queued_at=beat if queued else None,
    )
    job.refresh_from_db()
    return job


def _note(client, job) -> str:  # type: ignore[no-untyped-def]
    """The text of the fragment's liveness note ('' when there is none)."""
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    found = re.search(r'<p class="[^"]*job-liveness"[^>]*>(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def _wib(moment) -> str:  # type: ignore[no-untyped-def]
    return timezone.localtime(moment, ZoneInfo("Asia/Jakarta")).strftime("%H.%M") + " WIB"


def test_job_silent_for_longer_than_the_lease_says_since_when_and_that_it_is_run_again(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(minutes=10, seconds=30))
    client.force_login(pusdatin)

    note = _note(client, job)

    assert note == (
        f"Tidak ada kemajuan sejak {_wib(job.heartbeat_at)} (10\xa0menit yang lalu); proses latar yang "
        f"menjalankan pekerjaan ini mungkin berhenti.\n{RERUN}"
    )


def test_job_that_reported_progress_just_now_has_no_silence_note(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(seconds=5))
    client.force_login(pusdatin)

    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

    assert SILENT not in html
    assert "job-liveness" not in html
    assert 'hx-trigger="every 2s"' in html


def test_the_note_comes_before_the_lease_expires_while_the_job_still_counts_as_running(
    client, pusdatin, settings
):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "JOB_LEASE_SECONDS": 120}
    job = _running_job(pusdatin, silent_for=timedelta(seconds=90))
    client.force_login(pusdatin)

    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

    assert jobs.liveness(job) == "alive"
    assert f"{SILENT} {_wib(job.heartbeat_at)} (1\xa0menit yang lalu)" in html
    # Nothing moves until a worker takes the job again: the page asks less often.
    assert 'hx-trigger="every 10s"' in html
    # Not yet abandoned: no retry offered, and a retry is refused.
    assert "jalankan-ulang/" not in html
    with pytest.raises(actions.JobActionRefused) as refused:
        actions.requeue_job(actor=pusdatin, job_id=job.pk)
    assert refused.value.code == "PEKERJAAN_MASIH_BERJALAN"


def test_a_job_run_by_a_command_is_not_promised_an_automatic_rerun(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(minutes=5), queued=False)
    client.force_login(pusdatin)

    note = _note(client, job)

    assert note.split("\n")[1] == (
        "Pekerjaan ini dijalankan langsung (oleh sebuah perintah atau saat berkasnya diunggah), bukan "
        "oleh pekerja latar, sehingga tidak dijalankan ulang otomatis: bila prosesnya memang berhenti, "
        "pekerjaan ini ditandai gagal dan data tidak berubah. Jalankan atau unggah lagi, atau minta "
        "Pusdatin menjalankannya ulang."
    )
    # What the page said is what the recovery does.
    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}
    assert Job.objects.get(pk=job.pk).error_code == "PEKERJAAN_TERHENTI"


def test_a_job_on_its_last_attempt_is_not_promised_an_automatic_rerun(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(minutes=5), attempts=3)
    client.force_login(pusdatin)

    note = _note(client, job)

    assert note.split("\n")[1] == (
        "Pekerjaan ini sudah dimulai 3 kali, sehingga tidak dijalankan ulang otomatis lagi: bila "
        "prosesnya memang berhenti, pekerjaan ini ditandai gagal dan data tidak berubah. Pusdatin "
        "dapat menjalankannya ulang setelah penyebabnya diperiksa."
    )
    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}


def test_a_job_whose_rerun_is_promised_is_requeued_by_the_recovery(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(minutes=5), attempts=2)
    client.force_login(pusdatin)
    assert _note(client, job).endswith(RERUN)

    assert actions.recover_jobs() == {"requeued": 1, "failed": 0}
    assert Job.objects.get(pk=job.pk).state == Job.State.PENDING


def test_finished_job_fragment_stops_polling(client, pusdatin):  # type: ignore[no-untyped-def]
    for state in (Job.State.SUCCEEDED, Job.State.FAILED, Job.State.REFUSED):
        job = _running_job(pusdatin, silent_for=timedelta(minutes=10))
        Job.objects.filter(pk=job.pk).update(state=state)
        client.force_login(pusdatin)

        html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

        assert ("hx-get" in html, "hx-trigger" in html, SILENT in html) == (False, False, False)


@pytest.mark.parametrize("role", ["operator", "dinas_kab", "provider_user"])
def test_only_pusdatin_can_retry_an_abandoned_job(client, pusdatin, role, request):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(role)
    job = _running_job(pusdatin, silent_for=timedelta(minutes=10))
    client.force_login(user)

    response = client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/")

    assert response.status_code in (403, 404)
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.attempts) == (Job.State.RUNNING, DEAD, 1)
    assert not AuditEvent.objects.filter(action="job_requeue").exists()


def test_retry_is_refused_for_a_job_still_running(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(seconds=3))
    client.force_login(pusdatin)

    response = client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/", follow=True)

    assert (
        "Pekerjaan ini masih berjalan di pekerja yang hidup; tunggu sampai selesai."
        in response.content.decode()
    )
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.attempts) == (Job.State.RUNNING, DEAD, 1)
    assert not AuditEvent.objects.filter(action="job_requeue").exists()


def test_a_second_retry_of_a_job_already_waiting_for_a_worker_changes_nothing(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _running_job(pusdatin, silent_for=timedelta(minutes=10))
    client.force_login(pusdatin)

    client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/")
    first = Job.objects.get(pk=job.pk)
    client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/")
    second = Job.objects.get(pk=job.pk)

    assert (first.state, first.attempts) == (Job.State.PENDING, 0)
    assert (second.state, second.attempts, second.queued_at) == (Job.State.PENDING, 0, first.queued_at)
    assert AuditEvent.objects.filter(action="job_requeue", object_id=str(job.pk)).count() == 1


def _upload(client, rows):  # type: ignore[no-untyped-def]
    f = SimpleUploadedFile("cutoff.csv", csv_text(rows).encode(), content_type="text/csv")
    return client.post(reverse("imports:upload"), {"file": f})


def test_retried_abandoned_import_ends_with_the_counts_of_an_uninterrupted_run(  # type: ignore[no-untyped-def]
    client, pusdatin, django_capture_on_commit_callbacks
):
    rows = many(40) + [student(99, nisn="1")]
    client.force_login(pusdatin)
    # The uninterrupted run, rolled back afterwards so that the retried one starts from the same data.
    with transaction.atomic():
        with django_capture_on_commit_callbacks(execute=True):
            _upload(client, rows)
        uninterrupted = Job.objects.get(kind="import_dapodik")
        assert uninterrupted.state == Job.State.SUCCEEDED
        expected = uninterrupted.counts
        transaction.set_rollback(True)
    assert (Recipient.objects.count(), Job.objects.count()) == (0, 0)

    # The same file handed to a worker that claimed it, got part of the way and was killed.
    with django_capture_on_commit_callbacks(execute=False):
        _upload(client, rows)
    job = Job.objects.get(kind="import_dapodik")
    assert jobs.claim(job) is not None
    jobs.progress_path(job).write_text(json.dumps({"done": 17, "total": 41, "step": "read"}))
    Job.objects.filter(pk=job.pk).update(
        lease_owner=DEAD, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    assert jobs.liveness(Job.objects.get(pk=job.pk)) == "abandoned"
    assert _note(client, job).endswith(RERUN)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/")

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_code) == (Job.State.SUCCEEDED, 1, "")
    assert job.counts == expected
    assert (expected["added"], expected["refused"]) == (40, 1)
    assert Recipient.objects.count() == 40
    assert list(
        AuditEvent.objects.filter(object_id=str(job.pk), action__startswith="job_").values_list(
            "action", "actor"
        )
    ) == [("job_requeue", pusdatin.pk)]


def test_job_lists_mark_a_silent_job_and_only_that_one(client, pusdatin):  # type: ignore[no-untyped-def]
    silent = _running_job(pusdatin, silent_for=timedelta(minutes=10), kind="import_dapodik")
    _running_job(pusdatin, silent_for=timedelta(seconds=5), kind="import_dapodik")
    client.force_login(pusdatin)

    for url in ("/pusdatin/", reverse("imports:jobs")):
        html = client.get(url).content.decode()

        assert re.findall(r'<span class="warn small job-silent">([^<]*)</span>', html) == [
            f"tanpa kabar sejak {_wib(silent.heartbeat_at)}"
        ], url
