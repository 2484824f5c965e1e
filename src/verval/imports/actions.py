"""State changes of the imports app: start a cutoff import (CLI inline, or web in the background)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from verval.core import audit, files, jobs
from verval.core.models import Job

KIND = "import_dapodik"


def import_file(path: str | Path, actor: Any = None) -> Job:
    """Create an import job for a file on disk and run it inline; returns the finished job.

    The file is read where it lies (its absolute path is kept in the job's params), so a
    multi-gigabyte cutoff is not copied into the file store first."""
    path = Path(path).resolve()
    job = jobs.create_job(actor=actor, kind=KIND, params={"path": str(path)}, input_name=path.name)
    return jobs.run(job.pk)


def start_upload(*, actor: Any, upload: Any, ip: str | None = None) -> Job:
    """Store an uploaded cutoff and queue its import (runs in the task worker)."""
    name = Path(getattr(upload, "name", "cutoff.csv")).name
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    relative, sha256, size = files.save_upload("imports", upload, suffix=suffix)
    with transaction.atomic():
        job = jobs.create_job(
            actor=actor,
            kind=KIND,
            input_name=name[:255],
            input_path=relative,
            input_sha256=sha256,
            params={"size": size},
        )
        audit.record(
            actor=actor, action="upload_cutoff", object_type="job", object_id=job.pk, note=name[:255], ip=ip
        )
        jobs.enqueue(job)
    return job
