"""A job whose input file is gone is never left waiting for a rerun that cannot come, and the
retention rules never take a file an unfinished job still needs (decision 0066)."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from verval.core import actions, files, jobs, retention
from verval.core.models import AuditEvent, Job

pytestmark = pytest.mark.django_db

DEAD = "old-host:4242:deadbeef0000"
GONE_ID = (
    "Berkas masukan pekerjaan ini sudah tidak ada di penyimpanan berkas, sehingga pekerjaan ini "
    "tidak dapat dijalankan ulang setelah prosesnya berhenti; data tidak diubah. Unggah berkasnya "
    "lagi sebagai pekerjaan baru."
)
GONE_EN = (
    "This job's input file is no longer in the file store, so the job cannot be run again after "
    "its process stopped; no data was changed. Upload the file again as a new job."
)
PAGE_NOTE = (
    "Berkas masukan pekerjaan ini sudah tidak ada di penyimpanan berkas, sehingga pekerjaan ini "
    "tidak dapat dijalankan ulang: bila prosesnya memang berhenti, pekerjaan ini ditandai gagal dan "
    "data tidak berubah. Unggah berkasnya lagi sebagai pekerjaan baru."
)


GONE_NOT_QUEUED_ID = (
    "Berkas masukan pekerjaan ini sudah tidak ada di penyimpanan berkas, sehingga pekerjaan ini "
    "tidak dapat dijalankan ulang setelah prosesnya berhenti; data tidak diubah. Unggah berkasnya "
    "lagi, atau jalankan lagi perintahnya dengan berkas itu, sebagai pekerjaan baru."
)
GONE_NOT_QUEUED_EN = (
    "This job's input file is no longer in the file store, so the job cannot be run again after "
    "its process stopped; no data was changed. Upload the file again, or run the command again "
    "with the file, as a new job."
)
PAGE_NOTE_NOT_QUEUED = (
    "Berkas masukan pekerjaan ini sudah tidak ada di penyimpanan berkas, sehingga pekerjaan ini "
    "tidak dapat dijalankan ulang: bila prosesnya memang berhenti, pekerjaan ini ditandai gagal dan "
    "data tidak berubah. Unggah berkasnya lagi, atau jalankan lagi perintahnya dengan berkas itu, "
    "sebagai pekerjaan baru."
)


def _results_job(actor, *, minutes_silent=10, queued=True):  # type: ignore[no-untyped-def]
    """A provider's results upload handed to the worker (or, not `queued`, run by `verval
    ingest-results`, which copies its file into the store), whose process died RUNNING."""
    relative, sha, _size = files.save_stream("results", ".csv", [b"nomor,status\n"])
    job = jobs.create_job(actor=actor, kind="ingest_results", input_path=relative, input_sha256=sha)
    beat = timezone.now() - timedelta(minutes=minutes_silent)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING,
        lease_owner=DEAD,
        heartbeat_at=beat,
        started_at=beat,
        attempts=1,
        queued_at=beat if queued else None,
        task_id="",
    )
    job.refresh_from_db()
    return job


def _fail_events(job):  # type: ignore[no-untyped-def]
    return list(
        AuditEvent.objects.filter(object_type="job", object_id=str(job.pk), action="job_fail_abandoned")
        .order_by("id")
        .values_list("after", flat=True)
    )


def test_recovery_fails_an_abandoned_job_whose_input_file_is_gone_and_says_to_upload_again(pusdatin):  # type: ignore[no-untyped-def]
    job = _results_job(pusdatin)
    files.absolute(job.input_path).unlink()

    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert (job.state, job.error_code, job.error_message, job.error_message_en) == (
        Job.State.FAILED,
        "BERKAS_SUDAH_DIHAPUS",
        GONE_ID,
        GONE_EN,
    )
    assert _fail_events(job) == [{"state": "FAILED", "error_code": "BERKAS_SUDAH_DIHAPUS"}]
    assert actions.recover_jobs() == {"requeued": 0, "failed": 0}


def test_recovery_fails_an_abandoned_job_marked_input_deleted_instead_of_leaving_it_running(pusdatin):  # type: ignore[no-untyped-def]
    # Before decision 0066 the requeue refused such a job and left it RUNNING at every recovery.
    job = _results_job(pusdatin)
    Job.objects.filter(pk=job.pk).update(params={retention.INPUT_DELETED: timezone.now().isoformat()})

    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "BERKAS_SUDAH_DIHAPUS")


def test_recovery_fails_a_command_run_job_whose_input_file_is_gone_as_gone_not_as_stopped(pusdatin):  # type: ignore[no-untyped-def]
    # Before decision 0067 it failed PEKERJAAN_TERHENTI "run it again": without its file it cannot.
    job = _results_job(pusdatin, queued=False)
    files.absolute(job.input_path).unlink()

    assert jobs.after_stop(job) == jobs.INPUT_MISSING
    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert (job.state, job.error_code, job.error_message, job.error_message_en) == (
        Job.State.FAILED,
        "BERKAS_SUDAH_DIHAPUS",
        GONE_NOT_QUEUED_ID,
        GONE_NOT_QUEUED_EN,
    )
    assert _fail_events(job) == [{"state": "FAILED", "error_code": "BERKAS_SUDAH_DIHAPUS"}]


def test_a_command_run_job_whose_input_file_is_still_there_fails_as_stopped(pusdatin):  # type: ignore[no-untyped-def]
    job = _results_job(pusdatin, queued=False)

    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "PEKERJAAN_TERHENTI")


def test_the_page_of_a_silent_command_run_job_whose_input_is_gone_says_to_give_the_file_again(
    client, pusdatin
):  # type: ignore[no-untyped-def]
    job = _results_job(pusdatin, queued=False)
    files.absolute(job.input_path).unlink()
    client.force_login(pusdatin)

    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

    note = re.search(r'<p class="[^"]*job-liveness"[^>]*>(.*?)</p>', html, re.S)
    assert note is not None
    assert note.group(1).split("\n")[-1] == PAGE_NOTE_NOT_QUEUED


def test_a_run_that_takes_over_an_abandoned_job_whose_input_is_gone_fails_it_instead(pusdatin):  # type: ignore[no-untyped-def]
    job = _results_job(pusdatin)
    files.absolute(job.input_path).unlink()
    called = []

    job = jobs.run(job.pk, runner=lambda j: called.append(j) or {})

    assert (called, job.state, job.error_code, job.attempts) == (
        [],
        Job.State.FAILED,
        "BERKAS_SUDAH_DIHAPUS",
        1,
    )


def test_a_queued_job_whose_task_was_lost_and_whose_input_is_gone_fails(pusdatin):  # type: ignore[no-untyped-def]
    relative, _sha, _size = files.save_stream("results", ".csv", [b"nomor,status\n"])
    job = jobs.create_job(actor=pusdatin, kind="ingest_results", input_path=relative)
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=10), task_id="")
    files.absolute(relative).unlink()

    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert (job.state, job.error_code, job.error_message_en) == (
        Job.State.FAILED,
        "BERKAS_SUDAH_DIHAPUS",
        GONE_EN,
    )


def test_pusdatin_cannot_requeue_an_abandoned_job_whose_input_file_is_gone(pusdatin):  # type: ignore[no-untyped-def]
    job = _results_job(pusdatin)
    files.absolute(job.input_path).unlink()

    with pytest.raises(actions.JobActionRefused) as refused:
        actions.requeue_job(actor=pusdatin, job_id=job.pk)

    assert refused.value.code == "BERKAS_SUDAH_DIHAPUS"
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING


def test_the_page_of_a_silent_job_whose_input_is_gone_promises_no_rerun(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _results_job(pusdatin)
    files.absolute(job.input_path).unlink()
    client.force_login(pusdatin)

    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

    note = re.search(r'<p class="[^"]*job-liveness"[^>]*>(.*?)</p>', html, re.S)
    assert note is not None
    assert note.group(1).split("\n")[-1] == PAGE_NOTE


def _age(relative: str, days: int) -> None:
    then = time.time() - days * 86400
    os.utime(files.absolute(relative), (then, then))


def test_prune_keeps_the_demo_cutoff_an_abandoned_import_reads_and_deletes_an_unused_one(pusdatin):  # type: ignore[no-untyped-def]
    needed, _sha, _size = files.save_stream("demo", ".csv", [b"npsn\n"])
    unused, _sha, _size = files.save_stream("demo", ".csv", [b"npsn\n"])
    _age(needed, 10)
    _age(unused, 10)
    job = jobs.create_job(actor=pusdatin, kind="import_dapodik", params={"path": str(files.absolute(needed))})
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, lease_owner=DEAD, attempts=1)

    counts = actions.prune_files(actor=pusdatin)

    assert (files.absolute(needed).is_file(), files.absolute(unused).is_file()) == (True, False)
    assert counts["kinds"] == {"demo": {"files": 1, "bytes": 5}}


def test_prune_keeps_a_file_that_a_job_queued_after_the_plan_was_made_needs(pusdatin, monkeypatch):  # type: ignore[no-untyped-def]
    relative, _sha, _size = files.save_stream("simulator", ".csv", [b"nomor\n"])
    _age(relative, 10)
    planned = retention.plan

    def plan_then_queue(now=None):  # type: ignore[no-untyped-def]
        found = planned(now)
        job = jobs.create_job(actor=pusdatin, kind="ingest_results", input_path=relative)
        Job.objects.filter(pk=job.pk).update(queued_at=timezone.now())
        return found

    monkeypatch.setattr(retention, "plan", plan_then_queue)

    counts = actions.prune_files(actor=pusdatin)

    assert files.absolute(relative).is_file()
    assert counts["files"] == 0
