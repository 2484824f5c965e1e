"""Pusdatin cancels a job while it runs (decision 0029): the request waits for the run's next
checkpoint, which rolls the run's one transaction back; the job FAILS as DIBATALKAN with the
requester and the note in the audit. A request the run finishes before comes too late and leaves
the job's real outcome."""

from __future__ import annotations

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from tests.factories import RecipientFactory
from verval.core import actions, jobs
from verval.core.models import AuditEvent, Job
from verval.registry.models import NumberHistory, NumberStatus, Recipient

CANCELLED_ID = "Pekerjaan ini dibatalkan oleh Pusdatin saat berjalan; semua perubahannya dibatalkan dan data tidak diubah."
CANCELLED_EN = (
    "Pusdatin cancelled this job while it ran; all its changes were rolled back and no data was changed."
)


@pytest.fixture(autouse=True)
def _check_at_every_checkpoint(settings):  # type: ignore[no-untyped-def]
    """Look for the request at every checkpoint (1 s apart by default) so that the tests do not
    have to wait; `test_a_run_looks_for_a_cancel_request_at_most_once_a_second` covers the pace."""
    settings.VERVAL = {**settings.VERVAL, "JOB_CANCEL_CHECK_SECONDS": 0}


def _jobs_command(*args):  # type: ignore[no-untyped-def]
    out = StringIO()
    try:
        call_command("jobs", *args, "--json", stdout=out)
    except CommandError as exc:
        return exc.returncode, json.loads(out.getvalue().strip().splitlines()[-1])
    return 0, json.loads(out.getvalue().strip().splitlines()[-1])


def _audit(job):  # type: ignore[no-untyped-def]
    return list(
        AuditEvent.objects.filter(object_type="job", object_id=str(job.pk), action__startswith="job_")
        .order_by("id")
        .values_list("action", "actor", "note")
    )


def _registry(recipients):  # type: ignore[no-untyped-def]
    return [
        Recipient.objects.filter(pk=r.pk).values_list("status", "needs_validation", "version").get()
        for r in recipients
    ]


def test_a_running_job_cancelled_from_the_command_line_stops_at_its_next_checkpoint_and_changes_nothing(
    school, pusdatin
):  # type: ignore[no-untyped-def]
    recipients = [RecipientFactory(school=school) for _ in range(3)]
    before = _registry(recipients)
    job = jobs.create_job(actor=pusdatin, kind="validate")
    seen = []

    def runner(j):  # type: ignore[no-untyped-def]
        progress = jobs.Progress(j, total=3)
        with transaction.atomic():  # the runner's one transaction
            Recipient.objects.filter(school=school).update(status=NumberStatus.MENUNGGU_PROVIDER, version=9)
            NumberHistory.objects.create(
                recipient=recipients[0], action="validasi", to_status="MENUNGGU_PROVIDER"
            )
            progress.update(1, force=True)  # a checkpoint: nothing asked yet
            # Pusdatin, on the server, while the job runs in its worker:
            seen.append(_jobs_command("--cancel", str(j.pk), "--note", "berkas yang salah"))
            seen.append(jobs.progress_context(Job.objects.get(pk=j.pk))["cancel_request"].note)
            progress.update(2, force=True)  # the next checkpoint stops the run
            seen.append("not reached")
        return {"rows": 3}

    job = jobs.run(job.pk, runner=runner)

    code, out = seen[0]
    assert (code, out["state"], out["liveness"], out["error_code"]) == (0, "RUNNING", "alive", "")
    assert out["cancel_requested_at"] is not None
    assert seen[1:] == ["berkas yang salah"]
    job.refresh_from_db()
    assert (job.state, job.error_code, job.error_message, job.error_message_en, job.counts) == (
        Job.State.FAILED,
        "DIBATALKAN",
        CANCELLED_ID,
        CANCELLED_EN,
        {},
    )
    assert (job.cancel_requested_by, job.cancel_note) == (None, "berkas yang salah")
    assert _registry(recipients) == before
    assert NumberHistory.objects.count() == 0
    assert _audit(job) == [
        ("job_cancel_request", None, "berkas yang salah"),
        ("job_cancel", None, "berkas yang salah"),
    ]
    cancel = AuditEvent.objects.get(action="job_cancel")
    assert (cancel.before, cancel.after) == (
        {"state": "RUNNING", "attempts": 1},
        {"state": "FAILED", "error_code": "DIBATALKAN"},
    )
    assert not jobs.cancel_path(job).exists()


def test_the_real_validation_run_cancelled_before_its_first_checkpoint_validates_nothing(school, pusdatin):  # type: ignore[no-untyped-def]
    from verval.registry.services import run_validation_job

    recipients = [RecipientFactory(school=school) for _ in range(2)]
    before = _registry(recipients)
    job = jobs.create_job(actor=pusdatin, kind="validate")

    def clicked_then_run(j):  # type: ignore[no-untyped-def]
        actions.cancel_job(actor=pusdatin, job_id=j.pk, note="periode salah")
        return run_validation_job(j)

    job = jobs.run(job.pk, runner=clicked_then_run)

    assert (job.state, job.error_code) == (Job.State.FAILED, "DIBATALKAN")
    assert _registry(recipients) == before
    assert (NumberHistory.objects.count(), AuditEvent.objects.filter(action="validate").count()) == (0, 0)
    assert _audit(job) == [
        ("job_cancel_request", pusdatin.pk, "periode salah"),
        ("job_cancel", pusdatin.pk, "periode salah"),
    ]
    job.refresh_from_db()
    assert (job.cancel_requested_by, job.cancel_note) == (pusdatin, "periode salah")


def test_pusdatin_cancels_a_running_job_from_its_page_which_says_the_cancel_was_requested(
    client, school, pusdatin
):  # type: ignore[no-untyped-def]
    recipient = RecipientFactory(school=school)
    before = _registry([recipient])
    job = jobs.create_job(actor=pusdatin, kind="validate")
    client.force_login(pusdatin)
    pages = []

    def runner(j):  # type: ignore[no-untyped-def]
        progress = jobs.Progress(j, total=1)
        with transaction.atomic():
            Recipient.objects.filter(pk=recipient.pk).update(status=NumberStatus.FORMAT_SALAH)
            progress.update(0, force=True)
            pages.append(client.get(f"/pekerjaan/{j.pk}/progres/").content.decode())
            response = client.post(f"/pekerjaan/{j.pk}/batalkan/", {"note": "salah unggah"})
            pages.append((response.status_code, response["Location"]))
            pages.append(client.get(f"/pekerjaan/{j.pk}/").content.decode())
            progress.update(1, force=True)
        return {}

    job = jobs.run(job.pk, runner=runner)

    offered, posted, waiting = pages
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' in offered
    assert "Pembatalan diminta" not in offered
    assert posted == (302, f"/pekerjaan/{job.pk}/")
    assert (
        "Pembatalan diminta; pekerjaan berhenti pada titik periksa berikutnya dan semua perubahannya dibatalkan."
        in waiting
    )
    assert '<p class="warn job-cancel" role="status">Pembatalan diminta pukul ' in waiting
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' not in waiting  # asked once
    assert (job.state, job.error_code) == (Job.State.FAILED, "DIBATALKAN")
    assert _registry([recipient]) == before
    assert _audit(job) == [
        ("job_cancel_request", pusdatin.pk, "salah unggah"),
        ("job_cancel", pusdatin.pk, "salah unggah"),
    ]
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert '<span class="label s-DIBATALKAN">Dibatalkan</span>' in page
    assert f'<p class="job-stopped" role="status">{CANCELLED_ID}</p>' in page
    assert "<code>DIBATALKAN</code>" not in page
    assert "job-cancel" not in page


def test_a_cancel_request_the_run_finishes_before_is_too_late_and_the_outcome_stands(
    client, school, pusdatin
):  # type: ignore[no-untyped-def]
    from verval.registry.services import run_validation_job

    recipient = RecipientFactory(school=school)
    job = jobs.create_job(actor=pusdatin, kind="validate")

    def run_then_clicked(j):  # type: ignore[no-untyped-def]
        counts = run_validation_job(j)  # committed; its last checkpoint is behind it
        actions.cancel_job(actor=pusdatin, job_id=j.pk, note="terlambat")
        return counts

    job = jobs.run(job.pk, runner=run_then_clicked)

    assert (job.state, job.error_code, job.counts["divalidasi"]) == (Job.State.SUCCEEDED, "", 1)
    assert Recipient.objects.get(pk=recipient.pk).status == NumberStatus.MENUNGGU_PROVIDER
    assert _audit(job) == [
        ("job_cancel_request", pusdatin.pk, "terlambat"),
        ("job_cancel_too_late", pusdatin.pk, "terlambat"),
    ]
    assert AuditEvent.objects.get(action="job_cancel_too_late").after == {
        "state": "SUCCEEDED",
        "error_code": "",
    }
    client.force_login(pusdatin)
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "tetapi terlambat: pekerjaan sudah selesai sebelum titik periksa berikutnya" in page
    # And once it has ended, a cancel is refused as before.
    assert _jobs_command("--cancel", str(job.pk))[1]["error_code"] == "PEKERJAAN_SUDAH_SELESAI"


def test_a_second_cancel_request_for_a_running_job_is_refused(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    answers = []

    def runner(j):  # type: ignore[no-untyped-def]
        answers.append(_jobs_command("--cancel", str(j.pk))[0])
        answers.append(_jobs_command("--cancel", str(j.pk)))
        return {}

    job = jobs.run(job.pk, runner=runner)  # no checkpoint inside a transaction: too late

    assert answers == [
        0,
        (
            2,
            {
                "state": "REFUSED",
                "error_code": "PEMBATALAN_SUDAH_DIMINTA",
                "error": "PEMBATALAN_SUDAH_DIMINTA",
                "message": "Cancelling this job was already requested; it stops at its next checkpoint.",
                "job": str(job.pk),
            },
        ),
    ]
    assert [a for a, _, _ in _audit(job)] == ["job_cancel_request", "job_cancel_too_late"]


def test_a_checkpoint_outside_the_runners_transaction_does_not_stop_the_run(pusdatin):  # type: ignore[no-untyped-def]
    """After its commit a run must not be reported cancelled: its changes are in."""
    job = jobs.create_job(actor=pusdatin, kind="validate")

    def runner(j):  # type: ignore[no-untyped-def]
        progress = jobs.Progress(j, total=1)
        with transaction.atomic():
            AuditEvent.objects.create(action="runner_wrote")
        actions.cancel_job(actor=pusdatin, job_id=j.pk)
        progress.update(1, force=True)
        return {"rows": 1}

    job = jobs.run(job.pk, runner=runner)

    assert (job.state, job.counts) == (Job.State.SUCCEEDED, {"rows": 1})
    assert AuditEvent.objects.filter(action="runner_wrote").count() == 1
    assert [a for a, _, _ in _audit(job)] == ["job_cancel_request", "job_cancel_too_late"]


def test_a_run_looks_for_a_cancel_request_at_most_once_a_second(settings, monkeypatch, pusdatin):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "JOB_CANCEL_CHECK_SECONDS": 1}
    clock = [1000.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    reads = []
    real_read = jobs.read_cancel_request

    def counted(job, owner=None):  # type: ignore[no-untyped-def]
        reads.append(clock[0])
        return real_read(job, owner)

    monkeypatch.setattr(jobs, "read_cancel_request", counted)
    job = jobs.create_job(actor=pusdatin, kind="validate")
    reached = []

    def runner(j):  # type: ignore[no-untyped-def]
        progress = jobs.Progress(j, total=100)
        with transaction.atomic():
            for row in range(50):  # 50 checkpoints within the same second: one look
                progress.update(row)
            actions.cancel_job(actor=pusdatin, job_id=j.pk)
            clock[0] += 0.5
            progress.update(60)  # half a second after the last look: not looked for yet
            reached.append(60)
            clock[0] += 0.5
            progress.update(70)  # a second after: stops
            reached.append(70)
        return {}

    job = jobs.run(job.pk, runner=runner)

    assert (job.state, job.error_code, reached) == (Job.State.FAILED, "DIBATALKAN", [60])
    # The first checkpoint, cancel_job's own look (is a request pending?), the checkpoint a
    # second later: the 49 other checkpoints of that second and the one at +0.5 s read nothing.
    assert reads == [1000.0, 1000.0, 1001.0]


def test_an_abandoned_job_whose_cancel_was_requested_is_cancelled_not_run_again(pusdatin):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    job = jobs.create_job(actor=pusdatin, kind="validate")
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING,
        lease_owner="old-host:4242:deadbeef0000",
        heartbeat_at=long_ago,
        attempts=1,
        queued_at=long_ago,
    )
    job.refresh_from_db()
    # The request was made while its worker still answered; then the worker died.
    jobs.write_cancel_request(job, jobs.CancelRequest(at=long_ago, by_id=pusdatin.pk, note="hentikan"))

    assert actions.recover_jobs() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert (job.state, job.error_code, job.cancel_requested_by, job.cancel_note) == (
        Job.State.FAILED,
        "DIBATALKAN",
        pusdatin,
        "hentikan",
    )
    assert _audit(job) == [
        ("job_cancel_request", pusdatin.pk, "hentikan"),
        ("job_cancel", pusdatin.pk, "hentikan"),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_running_job_is_cancelled_from_another_connection_while_it_works(pusdatin, school):  # type: ignore[no-untyped-def]
    """The request comes from another thread with a database connection of its own (the web
    server, the command line) while the run holds its transaction open."""
    assert connection.vendor == "postgresql"
    recipient = RecipientFactory(school=school)
    before = _registry([recipient])
    job = jobs.create_job(actor=pusdatin, kind="validate")
    started = threading.Event()
    answered = []

    def pusdatin_clicks() -> None:
        from django.db import connections

        started.wait(timeout=60)
        try:
            answered.append(actions.cancel_job(actor=pusdatin, job_id=job.pk, note="dari web").state)
        finally:
            connections.close_all()

    def runner(j):  # type: ignore[no-untyped-def]
        progress = jobs.Progress(j, total=1)
        with transaction.atomic():
            Recipient.objects.filter(pk=recipient.pk).update(status=NumberStatus.FORMAT_SALAH, version=5)
            started.set()
            for step in range(60_000):  # until the checkpoint stops it (bounded: not forever)
                progress.update(step)
                if answered:
                    threading.Event().wait(0.01)
        return {}

    clicker = threading.Thread(target=pusdatin_clicks)
    clicker.start()
    job = jobs.run(job.pk, runner=runner)
    clicker.join(timeout=60)

    assert answered == [Job.State.RUNNING]
    assert (job.state, job.error_code) == (Job.State.FAILED, "DIBATALKAN")
    assert _registry([recipient]) == before
    assert _audit(job) == [
        ("job_cancel_request", pusdatin.pk, "dari web"),
        ("job_cancel", pusdatin.pk, "dari web"),
    ]


# A real worker process on a SQLite file (the test database lives in this process's memory):
# its run holds SQLite's only write lock for its whole transaction, and `verval jobs --cancel`,
# another process, must still reach it.
WORKER = """
import time
from django.db import transaction
from verval.core import jobs
from verval.core.models import AuditEvent
job = jobs.create_job(actor=None, kind="validate")

def slow(job):
    progress = jobs.Progress(job, total=600)
    with transaction.atomic():
        AuditEvent.objects.create(action="runner_wrote")
        print(job.pk, flush=True)
        for step in range(600):  # a minute at most
            progress.update(step)
            time.sleep(0.1)
    return {"rows": 600}

job = jobs.run(job.pk, runner=slow)
print(job.state, job.error_code, flush=True)
"""

LOOK = """
import json, sys
from verval.core.models import AuditEvent, Job
job = Job.objects.get(pk=sys.argv[1])
print(json.dumps({
    "state": job.state, "error_code": job.error_code, "note": job.cancel_note,
    "requested": job.cancel_requested_at is not None,
    "audit": list(AuditEvent.objects.order_by("id").values_list("action", "note")),
}))
"""


# Its processes use a SQLite file of their own whatever DATABASE_URL says (decisions 0111, 0129).
@pytest.mark.sqlite_pass
def test_verval_jobs_cancels_a_job_running_in_a_worker_process_on_sqlite(tmp_path):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from tests.core.test_dead_worker import ROOT, SETUP, _env, _python

    var = tmp_path / "var"
    assert _python(SETUP, var).wait(timeout=300) == 0
    worker = _python(WORKER, var)
    try:
        assert worker.stdout is not None
        job_id = worker.stdout.readline().strip()
        cancel = subprocess.run(  # noqa: S603 - our interpreter, our command
            [
                sys.executable,
                "-m",
                "verval.cli",
                "jobs",
                "--cancel",
                job_id,
                "--note",
                "salah berkas",
                "--json",
            ],
            env=_env(var),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outcome = worker.stdout.readline().strip()
        worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    answer = json.loads(cancel.stdout.strip().splitlines()[-1])
    assert (cancel.returncode, answer["state"], answer["liveness"]) == (0, "RUNNING", "alive")
    assert answer["cancel_requested_at"] is not None
    assert outcome == "FAILED DIBATALKAN"
    out, _ = _python(LOOK, var, job_id).communicate(timeout=120)
    assert json.loads(out.strip().splitlines()[-1]) == {
        "state": "FAILED",
        "error_code": "DIBATALKAN",
        "note": "salah berkas",
        "requested": True,
        # runner_wrote was rolled back with the run's transaction
        "audit": [["job_cancel_request", "salah berkas"], ["job_cancel", "salah berkas"]],
    }
