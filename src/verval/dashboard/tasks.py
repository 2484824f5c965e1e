"""Background refreshes of the dashboard aggregates (run inline in tests)."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from verval.core import queues
from verval.dashboard import services


# The full refresh reads the whole registry (minutes at 10 M: docs/benchmarks-dashboard.md) and
# follows a registry-wide job: it stays on the heavy queue. A school's refresh after a save is
# seconds, and the person who saved is looking at the figures (decision 0071).
@task(queue_name=queues.HEAVY)
def refresh_all_task(requested_at: str = "") -> str:
    """Full refresh; skipped when a full refresh already finished after this one was asked for."""
    from verval.dashboard.models import StatsState

    state = StatsState.objects.filter(pk=1).first()
    if requested_at and state and state.full_refreshed_at and state.full_seconds is not None:
        # Coalesce: a full refresh that *started* after this request already saw its changes.
        started = state.full_refreshed_at.timestamp() - state.full_seconds
        if started > datetime.fromisoformat(requested_at).timestamp():
            return "skipped"
    return str(services.refresh_all()["seconds"])


@task(queue_name=queues.INTERACTIVE)
def refresh_schools_task(npsns: list[str]) -> str:
    return str(services.refresh_schools(npsns)["schools"])


@task(queue_name=queues.INTERACTIVE)
def refresh_dirty_task() -> str:
    return str(services.refresh_dirty()["schools"])


# What Pusdatin's "no worker serves this queue" warning and `verval jobs` count beside the jobs
# waiting in a queue (decision 0115): these are tasks, not `core.Job` rows.
REFRESH_TASKS = (refresh_all_task, refresh_schools_task, refresh_dirty_task)
