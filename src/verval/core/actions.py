"""State changes of bulk jobs that are not a job's own run (decision 0022): re-queueing a job whose
worker died, failing it after too many attempts, Pusdatin's requeue and cancel. Each writes its
audit row in the same transaction as the change; the re-queued job reaches the worker on commit.

`actor=None` is the system (a worker's recovery) or the server's command line (`verval jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from verval.core import audit, jobs
from verval.core.models import AWAITS_APPLY_KINDS, Job, preview_expires_hours

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
_CANCELLED = (
    "Pekerjaan ini dibatalkan oleh Pusdatin sebelum selesai; data tidak diubah.",
    "Pusdatin cancelled this job before it finished; no data was changed.",
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


def _state(job: Job) -> dict[str, Any]:
    return {"state": job.state, "attempts": job.attempts}


def _record(job: Job, *, actor: Any, action: str, after: dict[str, Any], note: str = "") -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="job",
        object_id=job.pk,
        school_id=job.school_id,
        provider=job.provider,
        before=_state(job),
        after=after,
        note=note,
    )


def _fail(job: Job, *, code: str, messages: tuple[str, str], **match: Any) -> bool:
    """FAILED with `code`, when the row still matches `match` (a conditional UPDATE). The claim's
    token stays: a run that was only paused and still finishes records what really happened."""
    n = job.attempts
    return bool(
        Job.objects.filter(pk=job.pk, **match).update(
            state=Job.State.FAILED,
            error_code=code,
            error_message=messages[0].format(n=n),
            error_message_en=messages[1].format(n=n),
            finished_at=timezone.now(),
        )
    )


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
    }
    if set_attempts is not None:
        fields["attempts"] = set_attempts
    if not Job.objects.filter(pk=job.pk, **match).update(**fields):
        return False
    jobs.mark_task_lost(job.task_id)
    jobs.enqueue(job)
    return True


def fail_abandoned(*, job: Job) -> bool:
    """A RUNNING job whose lease expired and which cannot be re-queued: out of attempts, or run
    by a command or a web request rather than handed to the worker. FAILED PEKERJAAN_TERHENTI."""
    messages = _ABANDONED if job.queued_at else _ABANDONED_NOT_QUEUED
    with transaction.atomic():
        done = _fail(
            job,
            code=jobs.ABANDONED,
            messages=messages,
            state=Job.State.RUNNING,
            lease_owner=job.lease_owner,
            attempts=job.attempts,
        )
        if done:
            jobs.mark_task_lost(job.task_id)
            _record(
                job,
                actor=None,
                action="job_fail_abandoned",
                after={"state": Job.State.FAILED, "error_code": jobs.ABANDONED},
            )
    return done


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
        if job.queued_at is None or job.attempts >= jobs.max_attempts():
            counts["failed"] += fail_abandoned(job=job)
            continue
        with transaction.atomic():
            if _requeue(job, state=Job.State.RUNNING, lease_owner=job.lease_owner, attempts=job.attempts):
                _record(job, actor=None, action="job_requeue_abandoned", after={"state": Job.State.PENDING})
                counts["requeued"] += 1
    for job in Job.objects.filter(state=Job.State.PENDING, queued_at__isnull=False).order_by("created_at"):
        if not jobs.task_lost(job, now):
            continue
        if job.attempts >= jobs.max_attempts():
            with transaction.atomic():
                if _fail(
                    job,
                    code=jobs.ABANDONED,
                    messages=_ABANDONED,
                    state=Job.State.PENDING,
                    queued_at=job.queued_at,
                ):
                    _record(
                        job,
                        actor=None,
                        action="job_fail_abandoned",
                        after={"state": Job.State.FAILED, "error_code": jobs.ABANDONED},
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
                )
            )
            if done:
                _record(
                    job,
                    actor=None,
                    action="job_expire_preview",
                    after={"state": Job.State.FAILED, "error_code": jobs.PREVIEW_EXPIRED},
                )
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
    school's click is the school's to apply)."""
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
    if state in ("waiting", "preview"):
        raise JobActionRefused(
            "PEKERJAAN_BELUM_DIANTREKAN",
            "Pekerjaan ini belum pernah diserahkan ke pekerja.",
            "The job was never handed to the worker.",
        )
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
    """Pusdatin stops a job for good: FAILED DIBATALKAN. Only a job no worker is running (waiting,
    queued, or RUNNING with its lease expired): a live run cannot be stopped from outside without
    killing its worker, after which its lease expires and it can be cancelled."""
    from verval.accounts import access
    from verval.accounts.models import Role

    if actor is not None:
        access.require_role(actor, Role.PUSDATIN)
    job = _get(job_id)
    if job.is_finished:
        raise JobActionRefused(
            "PEKERJAAN_SUDAH_SELESAI",
            "Pekerjaan ini sudah selesai.",
            "The job has ended.",
        )
    if jobs.liveness(job) == "alive":
        raise JobActionRefused(
            "PEKERJAAN_MASIH_BERJALAN",
            "Pekerjaan ini masih berjalan di pekerja yang hidup; hentikan pekerjanya dulu, atau tunggu.",
            "The job is still running in a live worker; stop that worker first, or wait.",
        )
    with transaction.atomic():
        match = {"state": job.state, "lease_owner": job.lease_owner, "attempts": job.attempts}
        if not _fail(job, code=jobs.CANCELLED, messages=_CANCELLED, **match):
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
