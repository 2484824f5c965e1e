"""Reads of jobs for the server's operators (`verval jobs`): national, no person's data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from verval.core import jobs, queues, retention, workers
from verval.core.models import AWAITS_APPLY_KINDS, JOB_KINDS, Job


def job_row(job: Job, now: datetime | None = None) -> dict[str, Any]:
    """A job as `verval jobs` shows it: what, where, its state and whether its worker is alive."""
    now = now or timezone.now()
    beat = jobs.last_beat(job) if job.state == Job.State.RUNNING else None
    cancel = jobs.cancel_request(job)
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "state": job.state,
        "liveness": jobs.liveness(job, now),
        # The worker queue it was handed to (decision 0071); None when never handed to the worker.
        "queue": jobs.queue_of(job),
        "attempts": job.attempts,
        "max_attempts": jobs.max_attempts(),
        "school_id": job.school_id,
        "provider": job.provider,
        "created_at": job.created_at.isoformat(),
        "queued_at": job.queued_at.isoformat() if job.queued_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "last_beat": beat.isoformat() if beat else None,
        "seconds_since_beat": int((now - beat).total_seconds()) if beat else None,
        "error_code": job.error_code,
        # Pusdatin asked the run to stop (decision 0029): when (None: not asked).
        "cancel_requested_at": cancel.at.isoformat() if cancel else None,
        # It waits in a queue no live worker serves (decision 0082).
        "no_worker": jobs.no_worker_for(job, now) is not None,
    }


def _dashboard_refreshes_waiting() -> dict[str, int]:
    """Per queue, the dashboard refreshes waiting for a worker (`dashboard.tasks.REFRESH_TASKS`):
    tasks of the database backend, not jobs, read as `/healthz` reads the tasks (decision 0115)."""
    from django_tasks_db.models import DBTaskResult

    from verval.dashboard.tasks import REFRESH_TASKS

    return dict(
        DBTaskResult.objects.ready()
        .filter(task_path__in=[t.module_path for t in REFRESH_TASKS])
        .order_by()
        .values_list("queue_name")
        .annotate(n=Count("id"))
    )


def queues_waiting(now: datetime | None = None) -> list[dict[str, Any]]:
    """Each worker queue: its live workers, when a worker of it was last heard from (a datetime,
    None when never), and the jobs waiting in it (handed over, not started), per kind too, with
    the oldest one's wait (decisions 0082, 0113), and the dashboard refreshes waiting there
    (decision 0115). Empty without the database task backend (no workers)."""
    if not workers.tracked():
        return []
    now = now or timezone.now()
    refreshes = _dashboard_refreshes_waiting()
    interactive = Q(kind__in=queues.INTERACTIVE_KINDS)
    report = []
    for name, state in workers.queue_states(now).items():
        waiting = Job.objects.filter(
            interactive if name == queues.INTERACTIVE else ~interactive,
            state=Job.State.PENDING,
            queued_at__isnull=False,
        )
        oldest = waiting.order_by("queued_at").values_list("queued_at", flat=True).first()
        by_kind = dict(waiting.order_by("kind").values_list("kind").annotate(n=Count("pk")))
        report.append(
            {
                "queue": name,
                "workers": state.workers,
                "last_seen": state.last_seen,
                "jobs_waiting": sum(by_kind.values()),
                # What waits, said by Pusdatin's warning: a school's SPTJM scan checks and prints
                # wait in the quick queue beside exports and correction files (decision 0113).
                "jobs_waiting_by_kind": by_kind,
                "oldest_job_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
                # Tasks, not jobs: a school's refresh after a save waits in the quick queue, the
                # full refresh after a registry job or a period's opening in the heavy one.
                "dashboard_refreshes_waiting": refreshes.get(name, 0),
            }
        )
    return report


def unserved_queues(now: datetime | None = None) -> list[dict[str, Any]]:
    """The queues no live worker serves (`queues_waiting`), for Pusdatin's warning: each with the
    kinds of the jobs waiting in it as people read them, most first ("2 Pemeriksaan pindaian
    SPTJM")."""
    return [
        {
            **q,
            "waiting_kinds": [
                (str(JOB_KINDS.get(kind, kind)), n)
                for kind, n in sorted(q["jobs_waiting_by_kind"].items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }
        for q in queues_waiting(now)
        if not q["workers"]
    ]


def queue_report(now: datetime | None = None) -> list[dict[str, Any]]:
    """`queues_waiting` for `verval jobs`: times as ISO text and seconds since the last beat."""
    now = now or timezone.now()
    return [
        {
            **q,
            "last_seen": q["last_seen"].isoformat() if q["last_seen"] else None,
            "seconds_since_seen": int((now - q["last_seen"]).total_seconds()) if q["last_seen"] else None,
        }
        for q in queues_waiting(now)
    ]


def _previews() -> Q:
    """Previews awaiting the school's click (`Job.awaits_apply`): no worker's business."""
    return Q(kind__in=AWAITS_APPLY_KINDS, state=Job.State.PENDING, queued_at__isnull=True) & ~Q(
        params__has_key="applied"
    )


def unfinished_jobs(limit: int = 100) -> list[dict[str, Any]]:
    """Jobs not finished (RUNNING first, then PENDING; oldest first), with their liveness.
    Previews not applied are left out (decision 0035): `previews_not_applied` counts them."""
    now = timezone.now()
    rows = [
        job_row(job, now)
        for state in (Job.State.RUNNING, Job.State.PENDING)
        for job in Job.objects.filter(state=state).exclude(_previews()).order_by("created_at")[:limit]
    ]
    return rows[:limit]


def previews_not_applied() -> int:
    """How many correction files wait for their school's click (they expire: decision 0035)."""
    return Job.objects.filter(_previews()).count()


def job_detail(job_id: Any) -> dict[str, Any] | None:
    job = Job.objects.filter(pk=job_id).first()
    return None if job is None else job_row(job)


def file_store_panel(user: Any) -> dict[str, Any] | None:
    """The file store as the last `verval files` listed it (`retention.panel`: its kinds, and the
    scans no row names, old enough for `verval files --prune --yes`), for Pusdatin only: the store
    is the whole nation's (decision 0120). None for anyone else, or when it was never listed. A
    page view never walks the store."""
    from verval.accounts.models import Role

    if getattr(user, "role", None) != Role.PUSDATIN or not getattr(user, "is_active", False):
        return None
    return retention.panel()
