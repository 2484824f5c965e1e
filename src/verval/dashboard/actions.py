"""State changes of the dashboard: a large late-schools export handed to the worker (decision 0068)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from verval.core import audit, jobs
from verval.core.models import Job
from verval.dashboard import exports


@transaction.atomic
def start_behind_export(*, actor: Any, regency: str, file_name: str, rows: int, ip: str | None) -> Job:
    """The late-schools Excel file of `actor`'s scope (narrowed to `regency`, if given), written by
    the worker. A second click while the same export is still waiting or running gets that job,
    not another one."""
    scope = exports.scope_key(actor)
    waiting = (
        Job.objects.select_for_update()
        .filter(
            kind=exports.KIND,
            created_by=actor,
            state__in=(Job.State.PENDING, Job.State.RUNNING),
            params__regency=regency,
        )
        .order_by("-created_at")
    )
    for job in waiting:
        if job.params.get("scope") == scope:
            return job
    job = jobs.create_job(
        actor=actor,
        kind=exports.KIND,
        params={"regency": regency, "scope": scope, "format": "xlsx", "file_name": file_name},
        input_name=file_name,
    )
    audit.record(
        actor=actor,
        action="start_behind_schools_export",
        object_type="job",
        object_id=job.pk,
        region_code=regency or (getattr(actor, "region_id", None) or ""),
        note=f"format=xlsx rows={rows}",
        ip=ip,
    )
    jobs.enqueue(job)
    return job
