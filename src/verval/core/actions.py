"""State changes of bulk jobs that are not a job's own run (decision 0022): re-queueing a job whose
worker died, failing it after too many attempts, Pusdatin's requeue and cancel (of a running job: a
request its run honours at its next checkpoint, decision 0029). Each writes its
audit row in the same transaction as the change; the re-queued job reaches the worker on commit.

`actor=None` is the system (a worker's recovery) or the server's command line (`verval jobs`).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from verval.core import audit, files, jobs, retention
from verval.core.models import AWAITS_APPLY_KINDS, UPLOADER_CANCELS_KINDS, Job, preview_expires_hours
from verval.core.retention import INPUT_DELETED

log = logging.getLogger(__name__)

# How long a cancel request waits for the locks its row needs on PostgreSQL (decision 0029).
CANCEL_LOCK_WAIT_MS = 2000

# Stored with the job as its error (Indonesian, English), like KESALAHAN_SISTEM in jobs.run.
_ABANDONED = (
    "Pekerjaan ini terhenti {n} kali karena proses pekerja yang menjalankannya mati (misalnya "
    "kehabisan memori atau dimulai ulang); data tidak diubah. Hubungi Pusdatin.",
    "The job stopped {n} times because the worker process running it died (for example out of "
    "memory, or a restart); no data was changed. Contact Pusdatin.",
)
_ABANDONED_NOT_QUEUED = (
    "Proses yang menjalankan pekerjaan ini berhenti sebelum selesai; data tidak diubah. Jalankan "
    "lagi, atau minta Pusdatin mengantrekannya ulang.",
    "The process running this job stopped before it finished; no data was changed. Run it again, "
    "or ask Pusdatin to queue it again.",
)
# A job that would be run again but whose input file is gone (decision 0066): an upload again is
# the only way forward, so the message says so rather than "contact Pusdatin".
_INPUT_GONE = (
    "Berkas masukan pekerjaan ini sudah tidak ada di penyimpanan berkas, sehingga pekerjaan ini "
    "tidak dapat dijalankan ulang setelah prosesnya berhenti; data tidak diubah. Unggah berkasnya "
    "lagi sebagai pekerjaan baru.",
    "This job's input file is no longer in the file store, so the job cannot be run again after "
    "its process stopped; no data was changed. Upload the file again as a new job.",
)
# The same for a job run directly by a command or a web request (decision 0067): its file can be
# uploaded again, or given again to the command that ran it.
_INPUT_GONE_NOT_QUEUED = (
    "Berkas masukan pekerjaan ini sudah tidak ada di penyimpanan berkas, sehingga pekerjaan ini "
    "tidak dapat dijalankan ulang setelah prosesnya berhenti; data tidak diubah. Unggah berkasnya "
    "lagi, atau jalankan lagi perintahnya dengan berkas itu, sebagai pekerjaan baru.",
    "This job's input file is no longer in the file store, so the job cannot be run again after "
    "its process stopped; no data was changed. Upload the file again, or run the command again "
    "with the file, as a new job.",
)
_CANCELLED = (
    "Pekerjaan ini dibatalkan oleh Pusdatin sebelum selesai; data tidak diubah.",
    "Pusdatin cancelled this job before it finished; no data was changed.",
)
# A running job that stopped at a checkpoint on Pusdatin's request (jobs.run).
CANCELLED_WHILE_RUNNING = (
    "Pekerjaan ini dibatalkan oleh Pusdatin saat berjalan; semua perubahannya dibatalkan dan data "
    "tidak diubah.",
    "Pusdatin cancelled this job while it ran; all its changes were rolled back and no data was changed.",
)
# A school's correction file whose apply was cancelled, queued or running (decision 0039): the
# school is told that none of the file was applied and that it may upload it again.
_CORRECTION_CANCELLED_BY_OPERATOR = (
    "Penerapan berkas koreksi ini dibatalkan oleh operator sekolah; tidak ada koreksi dari berkas "
    "ini yang diterapkan dan data tidak diubah. Unggah berkasnya lagi bila koreksinya masih diperlukan.",
    "The school's operator cancelled applying this correction file; none of its corrections were "
    "applied and no data was changed. Upload the file again if the corrections are still needed.",
)
_CORRECTION_CANCELLED_BY_PUSDATIN = (
    "Penerapan berkas koreksi ini dibatalkan oleh Pusdatin; tidak ada koreksi dari berkas ini yang "
    "diterapkan dan data tidak diubah. Unggah berkasnya lagi bila koreksinya masih diperlukan.",
    "Pusdatin cancelled applying this correction file; none of its corrections were applied and no "
    "data was changed. Upload the file again if the corrections are still needed.",
)
_PREVIEW_EXPIRED = (
    "Pratinjau berkas ini tidak diterapkan dalam {n} jam sehingga kedaluwarsa; data tidak diubah. "
    "Unggah berkasnya lagi bila koreksinya masih diperlukan.",
    "This file's preview was not applied within {n} hours and has expired; no data was changed. "
    "Upload the file again if the corrections are still needed.",
)
_INTERRUPTED = (
    "Pekerjaan ini dihentikan sebelum selesai; data tidak diubah. Jalankan lagi perintahnya.",
    "The job was stopped before it finished; no data was changed. Run the command again.",
)


@dataclass
class JobActionRefused(Exception):
    """The job is not in a state that allows the action (nothing was changed)."""

    code: str
    message: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


def cancelled_messages(job: Job, *, requested_by: int | None, running: bool) -> tuple[str, str]:
    """The job's error (Indonesian, English) once a cancel took effect: who cancelled, and that
    nothing was changed. `requested_by`: the requester's id (None: the server's command line)."""
    if job.kind in UPLOADER_CANCELS_KINDS:
        by_uploader = requested_by is not None and requested_by == job.created_by_id
        return _CORRECTION_CANCELLED_BY_OPERATOR if by_uploader else _CORRECTION_CANCELLED_BY_PUSDATIN
    return CANCELLED_WHILE_RUNNING if running else _CANCELLED


def _state(job: Job) -> dict[str, Any]:
    return {"state": job.state, "attempts": job.attempts}


def _record(
    job: Job, *, actor: Any, action: str, after: dict[str, Any], note: str = "", running: bool = False
) -> None:
    """`running`: the job was RUNNING before the change (`job` may already hold its outcome)."""
    audit.record(
        actor=actor,
        action=action,
        object_type="job",
        object_id=job.pk,
        school_id=job.school_id,
        provider=job.provider,
        before={"state": Job.State.RUNNING, "attempts": job.attempts} if running else _state(job),
        after=after,
        note=note,
    )


def _fail(
    job: Job, *, code: str, messages: tuple[str, str], request: jobs.CancelRequest | None = None, **match: Any
) -> bool:
    """FAILED with `code`, when the row still matches `match` (a conditional UPDATE). The claim's
    token stays: a run that was only paused and still finishes records what really happened."""
    n = job.attempts
    fields: dict[str, Any] = {}
    if request is not None:
        fields = {
            "cancel_requested_at": request.at,
            "cancel_requested_by_id": request.by_id,
            "cancel_note": request.note,
        }
    done = bool(
        Job.objects.filter(pk=job.pk, **match).update(
            state=Job.State.FAILED,
            error_code=code,
            error_message=messages[0].format(n=n),
            error_message_en=messages[1].format(n=n),
            finished_at=timezone.now(),
            **fields,
        )
    )
    if done:
        jobs.discard_run_files(job)
    return done


def _requester(request: jobs.CancelRequest) -> Any:
    """The user who asked for a cancel (None: the server's command line, or a deleted user)."""
    if request.by_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=request.by_id).first()


def _requeue(job: Job, *, set_attempts: Any = None, **match: Any) -> bool:
    """Back to PENDING and to the worker (on commit), when the row still matches `match`."""
    fields: dict[str, Any] = {
        "state": Job.State.PENDING,
        "lease_owner": "",
        "heartbeat_at": None,
        "finished_at": None,
        "error_code": "",
        "error_message": "",
        "error_message_en": "",
        "cancel_requested_at": None,
        "cancel_requested_by": None,
        "cancel_note": "",
        # A run again starts from nothing: the page of the requeued job shows no bar of the
        # earlier run (decision 0049); its progress file goes at commit, before the hand-over.
        "progress_done": 0,
        "progress_total": 0,
    }
    if set_attempts is not None:
        fields["attempts"] = set_attempts
    # A job whose input the retention rules deleted cannot run again (decision 0038).
    if not Job.objects.filter(pk=job.pk, **match).exclude(params__has_key=INPUT_DELETED).update(**fields):
        return False
    jobs.mark_task_lost(job.task_id)
    jobs.discard_progress(job)
    jobs.enqueue(job)
    return True


def fail_abandoned(*, job: Job) -> bool:
    """A RUNNING job whose lease expired and which cannot be re-queued: out of attempts, or run
    by a command or a web request rather than handed to the worker. FAILED PEKERJAAN_TERHENTI,
    or BERKAS_SUDAH_DIHAPUS when its input file is gone (however it was run: decision 0067);
    FAILED DIBATALKAN when Pusdatin had asked its run to stop (decision 0029): it is not run again."""
    request = jobs.cancel_request(job)
    match: dict[str, Any] = {
        "state": Job.State.RUNNING,
        "lease_owner": job.lease_owner,
        "attempts": job.attempts,
    }
    with transaction.atomic():
        if request is not None:
            messages = cancelled_messages(job, requested_by=request.by_id, running=False)
            done = _fail(job, code=jobs.CANCELLED, messages=messages, request=request, **match)
        elif jobs.input_missing(job):
            code = jobs.INPUT_GONE
            messages = _INPUT_GONE if job.queued_at else _INPUT_GONE_NOT_QUEUED
            done = _fail(job, code=code, messages=messages, **match)
        else:
            code = jobs.ABANDONED
            messages = _ABANDONED if job.queued_at else _ABANDONED_NOT_QUEUED
            done = _fail(job, code=code, messages=messages, **match)
        if done:
            jobs.mark_task_lost(job.task_id)
            if request is not None:
                _record_cancel(job, request=request, logged=job.cancel_requested_at is not None)
            else:
                _record(
                    job,
                    actor=None,
                    action="job_fail_abandoned",
                    after={"state": Job.State.FAILED, "error_code": code},
                )
    return done


def _record_cancel(job: Job, *, request: jobs.CancelRequest, logged: bool, cancelled: bool = True) -> None:
    """The audit of what became of a cancel request: the request itself when it could not be
    written when it was made (SQLite, decision 0029), then, by the requester, `job_cancel` when it
    took effect or `job_cancel_too_late` when the run finished first."""
    actor = _requester(request)
    if not logged:
        _record_request(job, actor=actor, request=request)
    _record(
        job,
        actor=actor,
        action="job_cancel" if cancelled else "job_cancel_too_late",
        after=(
            {"state": Job.State.FAILED, "error_code": jobs.CANCELLED}
            if cancelled
            else {"state": job.state, "error_code": job.error_code}
        ),
        note=request.note,
        running=True,
    )


def _record_request(job: Job, *, actor: Any, request: jobs.CancelRequest) -> None:
    _record(
        job,
        actor=actor,
        action="job_cancel_request",
        after={"state": Job.State.RUNNING, "cancel_requested_at": request.at.isoformat()},
        note=request.note,
        running=True,
    )


def record_cancel_outcome(*, job: Job, request: jobs.CancelRequest, cancelled: bool, logged: bool) -> None:
    """What became of a cancel request once the run ended (called by `jobs.run` inside the
    transaction that records the outcome): `job_cancel` when the run stopped at a checkpoint
    (nothing changed), `job_cancel_too_late` when it finished first (its outcome stands).
    `logged`: the request's own audit row was written when it was made (PostgreSQL)."""
    _record_cancel(job, request=request, logged=logged, cancelled=cancelled)


def record_takeover(*, job: Job, owner: str) -> None:
    """Audit of `jobs.claim` taking over an abandoned job (called inside its transaction)."""
    _record(
        job,
        actor=None,
        action="job_take_over",
        after={"state": Job.State.RUNNING, "attempts": job.attempts + 1},
        note=owner.rsplit(":", 1)[0],
    )


def release_interrupted(*, job: Job, owner: str, requeue: bool) -> None:
    """A run interrupted by Ctrl-C or a forced stop. The worker's job goes back to the queue (the
    interruption does not count as an attempt); a command's job FAILS as DIHENTIKAN."""
    job.refresh_from_db()
    after: dict[str, Any]
    with transaction.atomic():
        if requeue:
            done = _requeue(job, set_attempts=F("attempts") - 1, lease_owner=owner, state=Job.State.RUNNING)
            action, after = "job_requeue_interrupted", {"state": Job.State.PENDING}
        else:
            done = _fail(
                job, code=jobs.INTERRUPTED, messages=_INTERRUPTED, lease_owner=owner, state=Job.State.RUNNING
            )
            action, after = "job_interrupted", {"state": Job.State.FAILED, "error_code": jobs.INTERRUPTED}
        if done:
            _record(job, actor=None, action=action, after=after)


def recover_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """What every worker does when it starts and every JOB_RECOVER_EVERY_SECONDS: a RUNNING job
    whose lease expired goes back to the queue (or FAILS PEKERJAAN_TERHENTI after JOB_MAX_ATTEMPTS
    starts, or at once when no worker was running it); a job handed to the worker whose task will
    never run it is handed over again (counted as an attempt). Several workers may run this at
    once: each change is a conditional UPDATE, so one of them makes it."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    for job in Job.objects.filter(state=Job.State.RUNNING).order_by("created_at"):
        if not jobs.is_abandoned(job, now):
            continue
        if jobs.after_stop(job) != jobs.RERUN:  # what the job's page told its readers
            counts["failed"] += fail_abandoned(job=job)
            continue
        with transaction.atomic():
            if _requeue(job, state=Job.State.RUNNING, lease_owner=job.lease_owner, attempts=job.attempts):
                _record(job, actor=None, action="job_requeue_abandoned", after={"state": Job.State.PENDING})
                counts["requeued"] += 1
    for job in Job.objects.filter(state=Job.State.PENDING, queued_at__isnull=False).order_by("created_at"):
        if not jobs.task_lost(job, now):
            continue
        gone = jobs.input_missing(job)
        if gone or job.attempts >= jobs.max_attempts():
            # A requeue would be refused (or fail on the missing file): left PENDING it would wait
            # for ever, so it fails with the reason (decision 0066).
            code, messages = (jobs.INPUT_GONE, _INPUT_GONE) if gone else (jobs.ABANDONED, _ABANDONED)
            with transaction.atomic():
                if _fail(
                    job,
                    code=code,
                    messages=messages,
                    state=Job.State.PENDING,
                    queued_at=job.queued_at,
                ):
                    _record(
                        job,
                        actor=None,
                        action="job_fail_abandoned",
                        after={"state": Job.State.FAILED, "error_code": code},
                    )
                    counts["failed"] += 1
            continue
        with transaction.atomic():
            if _requeue(
                job, set_attempts=F("attempts") + 1, state=Job.State.PENDING, queued_at=job.queued_at
            ):
                _record(job, actor=None, action="job_requeue_lost", after={"state": Job.State.PENDING})
                counts["requeued"] += 1
    return counts


def apply_preview(*, actor: Any, job: Job) -> bool:
    """The click on "Terapkan" of a job awaiting it (a school's correction file, decision 0035):
    claimed once, so that a double click or a second operator does not run the file twice,
    audited, and handed to the worker when the claim commits. Only the school's editors; False
    when the job no longer awaits its click (applied, refused or expired: nothing changed)."""
    from django.core.exceptions import PermissionDenied

    from verval.accounts import access

    if not access.can_edit_school(actor, job.school_id):
        raise PermissionDenied("only the school's editors apply its files")
    with transaction.atomic():
        claimed = (
            Job.objects.filter(pk=job.pk, state=Job.State.PENDING, queued_at__isnull=True)
            .exclude(params__has_key="applied")
            .update(params={**job.params, "applied": True})
        )
        if not claimed:
            return False
        _record(
            job, actor=actor, action="job_apply_preview", after={"state": Job.State.PENDING, "applied": True}
        )
        jobs.enqueue(job)
    return True


def refuse_before_run(*, actor: Any, job: Job, refused: jobs.JobRefused) -> bool:
    """A job whose input is refused whole before it was handed to a worker (a school's correction
    file refused at its preview, decision 0035): REFUSED with the refusal's code, messages, counts
    and report, as `jobs.run` records a refusal, and audited. Only a job still awaiting its click
    (PENDING, never applied nor handed over); False when it no longer is (nothing changed)."""
    with transaction.atomic():
        done = (
            Job.objects.filter(pk=job.pk, state=Job.State.PENDING, queued_at__isnull=True)
            .exclude(params__has_key="applied")
            .update(
                state=Job.State.REFUSED,
                error_code=refused.code,
                error_message=refused.message,
                error_message_en=refused.message_en,
                counts=refused.counts,
                params={**job.params, "refused_before_run": True},
                finished_at=timezone.now(),
            )
        )
        if not done:
            return False
        jobs.discard_run_files(job)
        jobs.save_issues(job, refused.issues)
        _record(
            job,
            actor=actor,
            action="job_refuse_preview",
            after={"state": Job.State.REFUSED, "error_code": refused.code, "issues": len(refused.issues)},
        )
    return True


def expire_previews(*, now: datetime | None = None) -> int:
    """Previews never applied (a school's correction file awaiting its click) older than
    VERVAL["PREVIEW_EXPIRES_HOURS"] FAIL as PRATINJAU_KEDALUWARSA (decision 0035); run by the
    workers' recovery pass beside `recover_jobs`. Each is a conditional UPDATE: a click on
    "Terapkan" that comes first wins, and several workers expire a preview once."""
    now = now or timezone.now()
    hours = preview_expires_hours()
    waiting = Job.objects.filter(
        kind__in=AWAITS_APPLY_KINDS,
        state=Job.State.PENDING,
        queued_at__isnull=True,
        created_at__lt=now - timedelta(hours=hours),
    ).exclude(params__has_key="applied")
    expired = 0
    for job in waiting.order_by("created_at"):
        with transaction.atomic():
            done = (
                Job.objects.filter(pk=job.pk, state=Job.State.PENDING, queued_at__isnull=True)
                .exclude(params__has_key="applied")
                .update(
                    state=Job.State.FAILED,
                    error_code=jobs.PREVIEW_EXPIRED,
                    error_message=_PREVIEW_EXPIRED[0].format(n=hours),
                    error_message_en=_PREVIEW_EXPIRED[1].format(n=hours),
                    finished_at=now,
                    # Nothing reads an expired preview's file again (its page is the job page):
                    # it goes now, not at the next prune (decision 0038).
                    params={**job.params, INPUT_DELETED: now.isoformat()},
                )
            )
            if done:
                jobs.discard_run_files(job)
                _record(
                    job,
                    actor=None,
                    action="job_expire_preview",
                    after={
                        "state": Job.State.FAILED,
                        "error_code": jobs.PREVIEW_EXPIRED,
                        "input_deleted": bool(job.input_path),
                    },
                )
                if job.input_path:
                    transaction.on_commit(partial(_unlink, job.input_path))
                expired += 1
    return expired


def _get(job_id: Any) -> Job:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise JobActionRefused("PEKERJAAN_TIDAK_DITEMUKAN", "Pekerjaan tidak ditemukan.", "No such job.")
    return job


def requeue_job(*, actor: Any, job_id: Any, note: str = "") -> Job:
    """Pusdatin hands a job to the worker again, with its attempts counted from zero: a RUNNING
    job whose worker died (lease expired), a job that FAILED (nothing was changed), or a job
    handed to the worker that never ran. Refused for a job alive in a worker, one that ended
    SUCCEEDED or REFUSED, and one never handed over (a correction file still awaiting the
    school's click is the school's to apply). Idempotent: a job already waiting in the queue is
    returned as it is, with no second task and no audit row."""
    from verval.accounts import access
    from verval.accounts.models import Role

    if actor is not None:
        access.require_role(actor, Role.PUSDATIN)
    job = _get(job_id)
    state = jobs.liveness(job)
    if state == "alive":
        raise JobActionRefused(
            "PEKERJAAN_MASIH_BERJALAN",
            "Pekerjaan ini masih berjalan di pekerja yang hidup; tunggu sampai selesai.",
            "The job is still running in a live worker; wait for it to finish.",
        )
    if job.state in (Job.State.SUCCEEDED, Job.State.REFUSED):
        raise JobActionRefused(
            "PEKERJAAN_SUDAH_SELESAI",
            "Pekerjaan ini sudah selesai; unggah atau jalankan lagi sebagai pekerjaan baru.",
            "The job has ended; upload or run it again as a new job.",
        )
    if jobs.input_missing(job):
        raise JobActionRefused(
            "BERKAS_SUDAH_DIHAPUS",
            "Berkas masukan pekerjaan ini sudah dihapus menurut aturan penyimpanan; unggah atau "
            "jalankan lagi sebagai pekerjaan baru.",
            "This job's input file was deleted under the retention rules; upload or run it again "
            "as a new job.",
        )
    if state in ("waiting", "preview"):
        raise JobActionRefused(
            "PEKERJAAN_BELUM_DIANTREKAN",
            "Pekerjaan ini belum pernah diserahkan ke pekerja.",
            "The job was never handed to the worker.",
        )
    if state == "queued":
        # Already waiting for a worker (a second click, two Pusdatin users at once): a second
        # task would only race the first for the claim, and its audit row would record a change
        # that did not happen (decision 0062).
        return job
    with transaction.atomic():
        match: dict[str, Any] = {"state": job.state, "lease_owner": job.lease_owner, "attempts": job.attempts}
        if not _requeue(job, set_attempts=0, **match):
            raise JobActionRefused(
                "PEKERJAAN_BERUBAH",
                "Pekerjaan ini berubah sementara itu; periksa lagi.",
                "The job changed meanwhile; look again.",
            )
        _record(
            job,
            actor=actor,
            action="job_requeue",
            after={"state": Job.State.PENDING, "attempts": 0},
            note=note,
        )
    return Job.objects.get(pk=job.pk)


def cancel_job(*, actor: Any, job_id: Any, note: str = "") -> Job:
    """Pusdatin (or, for its own correction file, the school's operator who uploaded it: decision
    0039) stops a job for good. A job no worker is running (waiting, queued, or RUNNING with its
    lease expired) FAILS as DIBATALKAN at once. A job alive in a worker is asked to stop
    (`request_cancel`): it is returned still RUNNING, with its request (decision 0029)."""
    from django.core.exceptions import PermissionDenied

    from verval.accounts import access
    from verval.accounts.models import Role

    if actor is not None and getattr(actor, "role", None) != Role.PUSDATIN:
        own = Job.objects.filter(pk=job_id).first()
        if own is None or not access.can_cancel_job(actor, own):
            raise PermissionDenied("only Pusdatin, or the operator who uploaded the correction file")
    job = _get(job_id)
    if job.is_finished:
        raise JobActionRefused("PEKERJAAN_SUDAH_SELESAI", *_ENDED_BEFORE_CANCEL)
    if jobs.liveness(job) == "alive":
        return _request_cancel(job, actor=actor, note=note)
    with transaction.atomic():
        match: dict[str, Any] = {"state": job.state, "lease_owner": job.lease_owner, "attempts": job.attempts}
        messages = cancelled_messages(job, requested_by=getattr(actor, "pk", None), running=False)
        if not _fail(job, code=jobs.CANCELLED, messages=messages, **match):
            raise JobActionRefused(
                "PEKERJAAN_BERUBAH",
                "Pekerjaan ini berubah sementara itu; periksa lagi.",
                "The job changed meanwhile; look again.",
            )
        jobs.mark_task_lost(job.task_id)
        _record(
            job,
            actor=actor,
            action="job_cancel",
            after={"state": Job.State.FAILED, "error_code": jobs.CANCELLED},
            note=note,
        )
    return Job.objects.get(pk=job.pk)


def _request_cancel(job: Job, *, actor: Any, note: str) -> Job:
    """Ask the live run of `job` to stop at its next checkpoint (decision 0029). The request goes
    to a file beside the lease file, which the run reads (both databases: the runner's connection
    may be inside a COPY, and on SQLite its transaction holds the only write lock, so nothing can
    write the row meanwhile); on PostgreSQL also to the job row, with its audit row. On SQLite the
    row and the audit get the request with the job's outcome (`jobs.run`)."""
    if jobs.cancel_request(job) is not None:
        raise JobActionRefused(
            "PEMBATALAN_SUDAH_DIMINTA",
            "Pembatalan pekerjaan ini sudah diminta; pekerjaan berhenti pada titik periksa berikutnya.",
            "Cancelling this job was already requested; it stops at its next checkpoint.",
        )
    user = actor if getattr(actor, "is_authenticated", False) else None
    request = jobs.CancelRequest(at=timezone.now(), by_id=user.pk if user else None, note=note[:200])
    if connection.vendor == "postgresql":
        # The row and its audit first: once the run sees the file, the request is committed (the
        # run then does not audit it a second time). A first load that set the registry's keys
        # aside holds locks the row's and the audit's foreign-key checks wait for (decision 0015):
        # after CANCEL_LOCK_WAIT the request goes to the file alone, as on SQLite.
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{CANCEL_LOCK_WAIT_MS}ms'")
                matched = Job.objects.filter(
                    pk=job.pk, state=Job.State.RUNNING, lease_owner=job.lease_owner
                ).update(cancel_requested_at=request.at, cancel_requested_by=user, cancel_note=request.note)
                if not matched:
                    raise JobActionRefused(
                        "PEKERJAAN_BERUBAH",
                        "Pekerjaan ini berubah sementara itu; periksa lagi.",
                        "The job changed meanwhile; look again.",
                    )
                _record_request(job, actor=actor, request=request)
        except OperationalError:  # lock_timeout: the row waits for the job's outcome
            log.warning("job %s: cancel request kept in its file only (the job row is locked)", job.pk)
    jobs.write_cancel_request(job, request)
    job = Job.objects.get(pk=job.pk)
    if job.is_finished and job.error_code != jobs.CANCELLED:  # (DIBATALKAN: this request already won)
        # It ended while the request was written: its run no longer reads the file. The outcome
        # stands (on PostgreSQL the row keeps the request: the page says it came too late).
        jobs.cancel_path(job).unlink(missing_ok=True)
        raise JobActionRefused("PEKERJAAN_SUDAH_SELESAI", *_ENDED_BEFORE_CANCEL)
    return job


# Whoever pressed "Batalkan" on a page that still offered it must learn whether the job's outcome
# holds: "sudah selesai" alone left an operator unsure whether the file was applied (decision 0044).
_ENDED_BEFORE_CANCEL = (
    "Pekerjaan ini sudah selesai sebelum pembatalan, sehingga hasilnya tetap berlaku.",
    "The job had already ended before the cancel, so its outcome stands.",
)


def _unlink(relative: str, *, unaccepted_scan: bool = False) -> int | None:
    """Delete one stored file; its size, or None when it was not there (or not in the store).
    `unaccepted_scan`: a file directly in `sptjm-scans/` (`retention.deletable`)."""
    path = retention.deletable(relative, unaccepted_scan=unaccepted_scan)
    if path is None:
        return None
    try:
        size = path.stat().st_size
        path.unlink()
    except (OSError, ValueError):
        return None
    return size


def prune_files(*, actor: Any, now: datetime | None = None) -> dict[str, Any]:
    """Delete what the retention rules allow (`retention.plan`, decision 0038) and write one audit
    row (`prune_files`) with the files and bytes deleted per kind. A job whose input goes is
    marked first, by a conditional UPDATE on the state it ended in: a requeue that comes first
    keeps its file, one that comes after is refused (`BERKAS_SUDAH_DIHAPUS`). Files are deleted
    inside the transaction, so the audit row counts what really went; should the commit fail,
    the files are gone and the rows unmarked, and every download still says the file was deleted
    (it looks at the file, not at the mark)."""
    now = now or timezone.now()
    candidates = retention.plan(now)
    deleted: list[retention.Candidate] = []
    with transaction.atomic():
        # Looked at again once the plan is made: a job queued or requeued meanwhile needs its file,
        # and a job left RUNNING without it could never be run again (decision 0066).
        needed, _batches = retention.protected()
        # A row that names an orphan found by the plan, committed since (decision 0115).
        named_now = retention.named_scans([c.relative for c in candidates if c.orphan_scan])
        # A document that holds an unaccepted scan's file now (decision 0107): one look for all of
        # them, by the index (decision 0120; it was one read of the document table per file).
        held_now = retention.documents_naming([c.relative for c in candidates if c.unaccepted_scan])
        for c in candidates:
            if c.relative in needed:
                continue
            if c.job_id is not None:
                job = Job.objects.filter(pk=c.job_id).only("params", "state").first()
                if job is None or job.state not in (Job.State.SUCCEEDED, Job.State.REFUSED, Job.State.FAILED):
                    continue
                marked = (
                    Job.objects.filter(pk=c.job_id, state=job.state)
                    .exclude(params__has_key=INPUT_DELETED)
                    .update(params={**(job.params or {}), INPUT_DELETED: now.isoformat()})
                )
                if not marked:
                    continue
            if c.unaccepted_scan and c.relative in held_now:
                continue  # became a document's scan meanwhile: the signed statement stays
            if c.orphan_scan and c.relative in named_now:
                continue  # a row names it now (decision 0115): not an orphan
            size = _unlink(c.relative, unaccepted_scan=c.unaccepted_scan or c.orphan_scan)
            if size is None:
                continue  # gone meanwhile (another prune): not ours to count
            for other in c.also:
                size += _unlink(other) or 0
            if c.relative.startswith("tmp/"):  # an import's spill folder, once empty, goes with its last file
                with contextlib.suppress(OSError, ValueError):
                    parent = files.absolute(c.relative).parent
                    if parent != files.root().resolve() / "tmp":
                        parent.rmdir()
            deleted.append(retention.Candidate(c.kind, c.relative, size, also=c.also))
        counts = retention.totals(deleted)
        audit.record(
            actor=actor,
            action="prune_files",
            object_type="file_store",
            after={**counts, "rules": retention.rules()},
        )
    log.info("file store pruned: %s files, %s bytes", counts["files"], counts["bytes"])
    return counts
