"""Jobs survive a dead worker (decision 0022): one owner per run, heartbeat, recovery, Pusdatin's
`verval jobs`. A dead worker is simulated by the row it leaves behind: RUNNING, a claim token of a
process that is gone, and a heartbeat older than the lease."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import RecipientFactory
from verval.core import actions, jobs
from verval.core.models import AuditEvent, Job

DEAD = "old-host:4242:deadbeef0000"


def _dead_worker_job(pusdatin, *, attempts=1, queued=True, minutes=10):  # type: ignore[no-untyped-def]
    """A validation job whose worker died RUNNING `minutes` ago."""
    job = jobs.create_job(actor=pusdatin, kind="validate")
    long_ago = timezone.now() - timedelta(minutes=minutes)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING,
        lease_owner=DEAD,
        heartbeat_at=long_ago,
        started_at=long_ago,
        attempts=attempts,
        queued_at=long_ago if queued else None,
        task_id="",
    )
    job.refresh_from_db()
    return job


def _actions(job):  # type: ignore[no-untyped-def]
    return list(
        AuditEvent.objects.filter(object_type="job", object_id=str(job.pk), action__startswith="job_")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_pending_job_is_claimed_once_and_a_second_run_leaves_the_live_claim_alone(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    owner = jobs.claim(job)
    assert owner is not None
    assert jobs.claim(job) is None  # the same PENDING row cannot be claimed twice
    called = []
    again = jobs.run(job.pk, runner=lambda j: called.append(j) or {})
    assert called == []
    assert (again.state, again.attempts, again.lease_owner) == (Job.State.RUNNING, 1, owner)
    assert jobs.liveness(again) == "alive"


def test_job_left_running_by_a_dead_worker_is_taken_over_by_the_next_run(school, pusdatin):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    job = _dead_worker_job(pusdatin)
    assert jobs.liveness(job) == "abandoned"
    job = jobs.run(job.pk)
    assert (job.state, job.attempts, job.counts["divalidasi"]) == (Job.State.SUCCEEDED, 2, 1)
    assert job.lease_owner != DEAD
    assert _actions(job) == ["job_take_over"]


def test_the_lease_file_keeps_a_claim_alive_while_its_row_heartbeat_is_old(pusdatin, settings):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin)
    lease = jobs._Lease(job, DEAD)
    lease.beat()  # the worker's heartbeat thread (on SQLite only the file; the row is locked)
    # On PostgreSQL the beat refreshed the row too: put it back, only the file speaks.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    assert jobs.liveness(job) == "alive"
    assert jobs.run(job.pk, runner=lambda j: {}).state == Job.State.RUNNING  # not taken over
    # A lease file written by an earlier claim does not count for the current one.
    Job.objects.filter(pk=job.pk).update(lease_owner="other:1:abc")
    job.refresh_from_db()
    assert jobs.liveness(job) == "abandoned"
    settings.VERVAL = {**settings.VERVAL, "JOB_LEASE_SECONDS": 3600}
    assert jobs.liveness(job) == "alive"  # ten minutes is within an hour's lease


def test_recovery_requeues_a_job_whose_worker_died_and_the_worker_runs_it_again(
    school, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    job = _dead_worker_job(pusdatin)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.recover_jobs() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.state, job.attempts, job.counts["divalidasi"], job.error_code) == (
        Job.State.SUCCEEDED,
        2,
        1,
        "",
    )
    assert _actions(job) == ["job_requeue_abandoned"]
    event = AuditEvent.objects.get(action="job_requeue_abandoned")
    assert (event.actor, event.before, event.after) == (
        None,
        {"state": "RUNNING", "attempts": 1},
        {"state": "PENDING"},
    )


def test_recovery_fails_a_job_that_killed_its_worker_as_often_as_allowed(pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, attempts=3)
    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "PEKERJAAN_TERHENTI")
    assert job.error_message == (
        "Pekerjaan ini terhenti 3 kali karena proses pekerja yang menjalankannya mati (misalnya "
        "kehabisan memori atau dimulai ulang); data tidak diubah. Hubungi Pusdatin."
    )
    assert job.error_message_en == (
        "The job stopped 3 times because the worker process running it died (for example out of "
        "memory, or a restart); no data was changed. Contact Pusdatin."
    )
    assert job.finished_at is not None
    assert _actions(job) == ["job_fail_abandoned"]
    assert actions.recover_jobs() == {"requeued": 0, "failed": 0}  # once


def test_a_run_of_an_abandoned_job_out_of_attempts_fails_it_instead_of_running(pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, attempts=3)
    called = []
    job = jobs.run(job.pk, runner=lambda j: called.append(j) or {})
    assert (called, job.state, job.error_code, job.attempts) == (
        [],
        Job.State.FAILED,
        "PEKERJAAN_TERHENTI",
        3,
    )


def test_recovery_fails_at_once_an_abandoned_job_that_no_worker_was_running(pusdatin):  # type: ignore[no-untyped-def]
    # `verval validate` (or an API upload applied in the request) died: its terminal is gone.
    job = _dead_worker_job(pusdatin, queued=False)
    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "PEKERJAAN_TERHENTI")
    assert job.error_message_en == (
        "The process running this job stopped before it finished; no data was changed. Run it again, "
        "or ask Pusdatin to queue it again."
    )


def test_recovery_leaves_live_and_queued_jobs_alone(pusdatin):  # type: ignore[no-untyped-def]
    live = _dead_worker_job(pusdatin, minutes=1)  # heard from a minute ago: within the 120 s lease
    queued = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=queued.pk).update(queued_at=timezone.now())
    preview = jobs.create_job(actor=pusdatin, kind="bulk_correction")  # awaiting the school's click
    Job.objects.filter(pk=preview.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert actions.recover_jobs() == {"requeued": 0, "failed": 0}
    assert [Job.objects.get(pk=j.pk).state for j in (live, queued, preview)] == [
        "RUNNING",
        "PENDING",
        "PENDING",
    ]
    assert [jobs.liveness(Job.objects.get(pk=j.pk)) for j in (live, queued, preview)] == [
        "alive",
        "queued",
        "preview",  # a preview awaiting its click is no worker's job (decision 0035)
    ]


def test_job_handed_to_the_worker_whose_task_never_ran_is_handed_over_again(
    school, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    job = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=5))
    job.refresh_from_db()
    assert jobs.liveness(job) == "lost"
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.recover_jobs() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    # The lost hand-over counts as an attempt, the run that followed as another.
    assert (job.state, job.attempts, job.counts["divalidasi"]) == (Job.State.SUCCEEDED, 2, 1)
    assert _actions(job) == ["job_requeue_lost"]


def test_a_run_that_lost_its_claim_does_not_record_its_outcome(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")

    def taken_over(j):  # type: ignore[no-untyped-def]
        # Meanwhile another worker took the job over (this one looked dead).
        Job.objects.filter(pk=j.pk).update(lease_owner="new-host:7:feedface0000", attempts=2)
        return {"rows": 5}

    job = jobs.run(job.pk, runner=taken_over)
    assert (job.state, job.counts, job.lease_owner, job.finished_at) == (
        Job.State.RUNNING,
        {},
        "new-host:7:feedface0000",
        None,
    )


def test_a_run_told_it_was_taken_over_stops_at_its_next_progress_update(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    seen = []

    def runner(j):  # type: ignore[no-untyped-def]
        progress = jobs.Progress(j, total=10)
        progress.update(1, force=True)
        jobs._LEASES[str(j.pk)].lost.set()  # what the heartbeat thread does on PostgreSQL
        progress.update(2, force=True)
        seen.append("not reached")
        return {}

    job = jobs.run(job.pk, runner=runner)
    assert (seen, job.state, job.finished_at) == ([], Job.State.RUNNING, None)


def test_ctrl_c_on_a_command_fails_its_job_as_stopped(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")

    def runner(j):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        jobs.run(job.pk, runner=runner)
    job.refresh_from_db()
    assert (job.state, job.error_code, job.attempts) == (Job.State.FAILED, "DIHENTIKAN", 1)
    assert (
        job.error_message_en
        == "The job was stopped before it finished; no data was changed. Run the command again."
    )
    assert _actions(job) == ["job_interrupted"]


def test_a_worker_stopped_by_force_puts_its_job_back_in_the_queue(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")

    def runner(j):  # type: ignore[no-untyped-def]
        raise SystemExit(1)  # db_worker's second SIGTERM

    with pytest.raises(SystemExit):
        jobs.run(job.pk, runner=runner, requeue_on_interrupt=True)
    job.refresh_from_db()
    # Not counted as an attempt: a deploy restart is not the job's fault.
    assert (job.state, job.attempts, job.lease_owner, job.heartbeat_at) == (Job.State.PENDING, 0, "", None)
    assert job.queued_at is not None
    assert _actions(job) == ["job_requeue_interrupted"]


def _jobs_command(*args):  # type: ignore[no-untyped-def]
    out = StringIO()
    try:
        call_command("jobs", *args, "--json", stdout=out)
    except CommandError as exc:
        return exc.returncode, json.loads(out.getvalue().strip().splitlines()[-1])
    return 0, json.loads(out.getvalue().strip().splitlines()[-1])


def test_verval_jobs_lists_unfinished_jobs_with_their_liveness(pusdatin):  # type: ignore[no-untyped-def]
    dead = _dead_worker_job(pusdatin)
    done = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=done.pk).update(state=Job.State.SUCCEEDED)
    code, out = _jobs_command()
    assert code == 0
    assert [(r["id"], r["state"], r["liveness"], r["attempts"], r["max_attempts"]) for r in out["jobs"]] == [
        (str(dead.pk), "RUNNING", "abandoned", 1, 3)
    ]
    assert 599 <= out["jobs"][0]["seconds_since_beat"] <= 700


def test_pusdatin_cancels_an_abandoned_job_from_the_command_line(pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin)
    code, out = _jobs_command("--cancel", str(job.pk), "--note", "file kills the worker")
    assert (code, out["state"], out["error_code"]) == (0, "FAILED", "DIBATALKAN")
    job.refresh_from_db()
    assert job.error_message == "Pekerjaan ini dibatalkan oleh Pusdatin sebelum selesai; data tidak diubah."
    event = AuditEvent.objects.get(action="job_cancel")
    assert (event.actor, event.object_id, event.note, event.after) == (
        None,
        str(job.pk),
        "file kills the worker",
        {"state": "FAILED", "error_code": "DIBATALKAN"},
    )


def test_a_job_alive_in_a_worker_is_not_requeued_and_its_cancel_is_only_requested(pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, minutes=0)
    assert _jobs_command("--requeue", str(job.pk)) == (
        2,
        {
            "state": "REFUSED",
            "error_code": "PEKERJAAN_MASIH_BERJALAN",
            "error": "PEKERJAAN_MASIH_BERJALAN",
            "message": "The job is still running in a live worker; wait for it to finish.",
            "job": str(job.pk),
        },
    )
    # Cancelling it asks its run to stop at its next checkpoint (decision 0029): still RUNNING.
    code, out = _jobs_command("--cancel", str(job.pk))
    assert (code, out["state"], out["liveness"], out["error_code"]) == (0, "RUNNING", "alive", "")
    job.refresh_from_db()
    assert (job.state, job.lease_owner, job.error_code) == (Job.State.RUNNING, DEAD, "")
    assert jobs.cancel_request(job) is not None


def test_pusdatin_requeues_a_failed_job_with_its_attempts_counted_afresh(
    school, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    job = _dead_worker_job(pusdatin, attempts=3)
    actions.recover_jobs()
    with django_capture_on_commit_callbacks(execute=True):
        code, out = _jobs_command("--requeue", str(job.pk))
    assert code == 0
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_code, job.counts["divalidasi"]) == (
        Job.State.SUCCEEDED,
        1,
        "",
        1,
    )
    assert _actions(job) == ["job_fail_abandoned", "job_requeue"]


def test_requeue_refuses_a_finished_job_and_one_never_handed_to_the_worker(pusdatin):  # type: ignore[no-untyped-def]
    done = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=done.pk).update(state=Job.State.SUCCEEDED)
    preview = jobs.create_job(actor=pusdatin, kind="bulk_correction")
    assert _jobs_command("--requeue", str(done.pk))[1]["error_code"] == "PEKERJAAN_SUDAH_SELESAI"
    assert _jobs_command("--requeue", str(preview.pk))[1]["error_code"] == "PEKERJAAN_BELUM_DIANTREKAN"
    assert _jobs_command("--cancel", str(done.pk))[1]["error_code"] == "PEKERJAAN_SUDAH_SELESAI"
    assert [Job.objects.get(pk=j.pk).state for j in (done, preview)] == ["SUCCEEDED", "PENDING"]


def test_other_roles_cannot_requeue_or_cancel(operator, pusdatin):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    job = _dead_worker_job(pusdatin)
    with pytest.raises(PermissionDenied):
        actions.cancel_job(actor=operator, job_id=job.pk)
    with pytest.raises(PermissionDenied):
        actions.requeue_job(actor=operator, job_id=job.pk)
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING


def test_job_page_says_when_the_worker_stopped_answering(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, attempts=2)
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "Tidak ada kemajuan sejak" in html
    assert "pekerjaan ini dijalankan ulang dari awal secara otomatis oleh pekerja latar" in html
    assert '<p class="muted small job-attempt">Percobaan ke-2 dari 3.</p>' in html
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "job-liveness" not in html


def test_pusdatin_requeues_an_abandoned_job_from_its_page(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, attempts=2)
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert f'action="/pekerjaan/{job.pk}/jalankan-ulang/"' in html
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' in html

    response = client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/", {"note": "worker mati saat deploy"})

    assert (response.status_code, response["Location"]) == (302, f"/pekerjaan/{job.pk}/")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.lease_owner) == (Job.State.PENDING, 0, "")
    event = AuditEvent.objects.get(action="job_requeue")
    assert (event.actor, event.note) == (pusdatin, "worker mati saat deploy")
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "Pekerjaan diserahkan lagi ke pekerja." in page


def test_a_job_alive_in_a_worker_is_not_requeued_from_its_page_and_the_page_says_why(client, pusdatin):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, minutes=0)
    client.force_login(pusdatin)
    assert "jalankan-ulang/" not in client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

    response = client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/", follow=True)

    assert (
        "Pekerjaan ini masih berjalan di pekerja yang hidup; tunggu sampai selesai."
        in response.content.decode()
    )
    job.refresh_from_db()
    assert (job.state, job.lease_owner) == (Job.State.RUNNING, DEAD)
    assert _actions(job) == []


def test_operator_cannot_requeue_its_correction_file_but_cancels_it_from_the_web(client, pusdatin, operator):  # type: ignore[no-untyped-def]
    """The operator who uploaded a correction file may cancel it (decision 0039), never requeue."""
    job = jobs.create_job(actor=operator, kind="bulk_correction", school_id=operator.school_id)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, lease_owner=DEAD, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    client.force_login(operator)
    page = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "jalankan-ulang/" not in page
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' in page

    assert client.post(f"/pekerjaan/{job.pk}/jalankan-ulang/").status_code == 403
    job.refresh_from_db()
    assert (job.state, job.lease_owner) == (Job.State.RUNNING, DEAD)
    assert client.post(f"/pekerjaan/{job.pk}/batalkan/").status_code == 302
    job.refresh_from_db()
    assert (job.state, job.error_code) == (Job.State.FAILED, "DIBATALKAN")


def _progress_of(client, job) -> str:  # type: ignore[no-untyped-def]
    """The status line of the job's progress fragment: label and `done / total`."""
    import re

    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    return re.search(r'<p><span class="label s-\w+">[^<]*</span>[^<]*</p>', html).group(0)  # type: ignore[union-attr]


@pytest.mark.parametrize("how", ["recovery", "pusdatin"])
def test_a_requeued_job_shows_no_progress_of_its_earlier_run(
    client, pusdatin, monkeypatch, django_capture_on_commit_callbacks, how
):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, attempts=1)
    jobs.progress_path(job).parent.mkdir(parents=True, exist_ok=True)
    jobs.progress_path(job).write_text(json.dumps({"done": 40, "total": 100, "step": "write"}))
    client.force_login(pusdatin)
    assert _progress_of(client, job) == '<p><span class="label s-RUNNING">Berjalan</span> 40 / 100</p>'
    # Handed to a worker that is busy: queued now, not run yet.
    monkeypatch.setattr(
        jobs, "enqueue", lambda job: Job.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    )

    with django_capture_on_commit_callbacks(execute=True):
        if how == "recovery":
            assert actions.recover_jobs() == {"requeued": 1, "failed": 0}
        else:
            actions.requeue_job(actor=pusdatin, job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == (Job.State.PENDING, 0, 0)
    assert not jobs.progress_path(job).exists()
    shown = jobs.progress_context(job)
    assert (shown["done"], shown["total"], shown["step"]) == (0, 0, "")
    assert _progress_of(client, job) == '<p><span class="label s-PENDING">Menunggu</span> </p>'


def test_a_failed_job_requeued_shows_no_progress_of_the_run_that_failed(
    client, pusdatin, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    job = _dead_worker_job(pusdatin, attempts=3)
    actions.recover_jobs()  # out of attempts: FAILED
    Job.objects.filter(pk=job.pk).update(progress_done=40, progress_total=100)  # where it stopped
    monkeypatch.setattr(jobs, "enqueue", lambda job: None)

    with django_capture_on_commit_callbacks(execute=True):
        actions.requeue_job(actor=pusdatin, job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == (Job.State.PENDING, 0, 0)
    client.force_login(pusdatin)
    assert _progress_of(client, job) == '<p><span class="label s-PENDING">Menunggu</span> </p>'
