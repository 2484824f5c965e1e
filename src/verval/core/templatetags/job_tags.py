"""Job lists: whether a job in the list went silent (decision 0062)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from verval.core import jobs

register = template.Library()


@register.filter
def silent_since(job: Any) -> datetime | str:
    """The last heartbeat of a RUNNING job silent for `jobs.stale_seconds()` ('' otherwise; a
    silent job that never beat answers its start). Lists show it beside "Berjalan", which alone
    reads as all is well for a job whose worker died."""
    if job.state != job.State.RUNNING or not jobs.is_stale(job):
        return ""
    return jobs.last_beat(job) or job.started_at or job.created_at
