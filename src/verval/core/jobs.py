"""Bulk jobs: rows with explicit states, run by the task worker (or inline from the CLI).

A runner is `fn(job) -> dict` of counts. It applies its input in one transaction; to refuse the
input whole it raises JobRefused (nothing was changed). Progress is written to a small file beside
the store, not to the database, because the job's own transaction holds the write lock (SQLite)
or hides uncommitted rows (PostgreSQL) until it ends.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from verval.core import files
from verval.core.logging import masked_value
from verval.core.models import Job, JobIssue
from verval.core.spreadsheet import csv_row

log = logging.getLogger(__name__)

# kind -> dotted path of the runner. Apps add theirs here (one line each).
RUNNERS: dict[str, str] = {
    "import_dapodik": "verval.imports.services.run_import_job",
    "validate": "verval.registry.services.run_validation_job",
    "dump": "verval.exchange.services.run_dump_job",
    "ingest_results": "verval.exchange.services.run_ingest_job",
    "bulk_correction": "verval.registry.bulk.run_bulk_correction_job",
    "disbursement": "verval.sptjm.services.run_disbursement_job",
    "ingest_injection": "verval.sptjm.services.run_injection_job",
}


@dataclass(frozen=True, slots=True)
class RowIssue:
    line: int
    column: str
    code: str
    message: str
    message_en: str
    value: str = ""


@dataclass
class JobRefused(Exception):
    """The input is refused whole; nothing was changed."""

    code: str
    message: str
    message_en: str
    issues: list[RowIssue] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


def progress_path(job: Job) -> Any:
    return files.root() / "jobs" / f"{job.pk}.progress"


# What a long job is doing once its rows are read (a national import spends half its time after
# the last row: comparing, writing, building indexes), shown under the progress bar.
STEPS = {
    "read": _("Membaca dan memeriksa baris"),
    "compare": _("Membandingkan dengan registri"),
    "write": _("Menyimpan ke registri"),
    "index": _("Membangun indeks registri"),
}


class Progress:
    """Throttled progress reporting for a running job (at most ~2 writes a second)."""

    def __init__(self, job: Job, total: int = 0) -> None:
        self.job = job
        self.total = total
        self.done = 0
        self.current_step = ""
        self._last = 0.0
        self.path = progress_path(job)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def update(self, done: int, total: int | None = None, force: bool = False) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"done": self.done, "total": self.total, "step": self.current_step}))
        os.replace(tmp, self.path)

    def step(self, code: str) -> None:
        """Announce a step (a key of STEPS), written at once."""
        self.current_step = code
        self.update(self.done, force=True)


def _progress_file(job: Job) -> dict[str, Any]:
    try:
        data = json.loads(progress_path(job).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _done_total(job: Job, data: dict[str, Any]) -> tuple[int, int]:
    try:
        return int(data["done"]), int(data["total"])
    except (KeyError, TypeError, ValueError):
        return job.progress_done, job.progress_total


def read_progress(job: Job) -> tuple[int, int]:
    if job.is_finished:
        return job.progress_done, job.progress_total
    return _done_total(job, _progress_file(job))


# Labels of the counts a job reports (the keys stay the stored and API values).
COUNT_LABELS = {
    "rows": _("Jumlah baris"),
    "added": _("Ditambahkan"),
    "changed": _("Berubah"),
    "unchanged": _("Tidak berubah"),
    "removed": _("Dinonaktifkan"),
    "refused": _("Ditolak"),
    "numbers_changed": _("Nomor berubah"),
    "corrections_in_dapodik": _("Koreksi sekolah kini ada di Dapodik"),
    "corrections_kept": _("Koreksi sekolah dipertahankan (Dapodik berbeda)"),
    "schools_added": _("Sekolah baru"),
    "schools_changed": _("Sekolah berubah"),
    "without_correction": _("Tanpa perbaikan"),
    "divalidasi": _("Divalidasi"),
    "menunggu_provider": _("Menunggu provider"),
    "format_salah": _("Format salah"),
    "nomor_dipakai_bersama": _("Nomor dipakai bersama"),
    "nomor_tidak_rasional": _("Nomor tidak rasional"),
    "diperiksa_ulang": _("Diperiksa ulang"),
    "putusan_berubah": _("Putusan berubah"),
    "batch": _("Batch"),
    "batches": _("Batch"),
    "provider": _("Provider"),
    "applied": _("Diterapkan"),
    "aktif": _("Aktif"),
    "residu": _("Residu"),
    "stale": _("Tidak berlaku lagi"),
    "contradictions": _("Bertentangan"),
    "by_code": _("Per kode"),
    "batch_state": _("Status batch"),
    "answered": _("Terjawab"),
    "unanswered": _("Belum terjawab"),
    "period": _("Periode"),
    "candidates": _("Kandidat"),
    "scheduled": _("Dijadwalkan"),
    "excluded": _("Dikecualikan"),
    "retried": _("Diulang"),
    "by_rule": _("Per aturan"),
    "berhasil": _("Berhasil"),
    "gagal": _("Gagal"),
    "pending": _("Menunggu"),
}
# Columns shown for a list of files a job wrote (dump or disbursement batches): label, numeric.
_TABLE_COLUMNS = {
    "id": ("ID", False),
    "provider": (_("Provider"), False),
    "rows": (_("Jumlah baris"), True),
    "gb": ("GB", True),
}


def count_summary(job: Job) -> dict[str, Any]:
    """A job's counts for its page: figures (label, number or text), breakdowns (label, [(code,
    n)]) and tables (label, columns, rows) for the lists of batches a dump or a disbursement
    wrote. Unknown keys keep their name, with spaces."""
    figures, breakdowns, tables = [], [], []
    for key, value in (job.counts or {}).items():
        label = str(COUNT_LABELS.get(key, key.replace("_", " ")))
        if isinstance(value, dict):
            breakdowns.append((label, sorted(value.items())))
        elif isinstance(value, list):
            rows = [v for v in value if isinstance(v, dict)]
            columns = [c for c in _TABLE_COLUMNS if any(c in r for r in rows)]
            header = [(str(_TABLE_COLUMNS[c][0]), _TABLE_COLUMNS[c][1]) for c in columns]
            body = [[(r.get(c, ""), _TABLE_COLUMNS[c][1]) for c in columns] for r in rows]
            tables.append((label, header, body))
        else:
            # Only numbers get thousands separators ("2020-09-T1" is a period, not 2.020…).
            figures.append((label, value, isinstance(value, int | float) and not isinstance(value, bool)))
    return {"figures": figures, "breakdowns": breakdowns, "tables": tables}


def progress_context(job: Job) -> dict[str, Any]:
    """done, total, percent and step of a job for its page: a running job's from its progress
    file, read once (the job row only gets its figures when the job ends)."""
    data = {} if job.is_finished else _progress_file(job)
    done, total = _done_total(job, data)
    step = STEPS.get(str(data.get("step", "")), "")
    return {
        "done": done,
        "total": total,
        "percent": job.percent_of(done, total),
        "step": str(step),
        **count_summary(job),
    }


def create_job(
    *,
    actor: Any,
    kind: str,
    params: dict[str, Any] | None = None,
    input_name: str = "",
    input_path: str = "",
    input_sha256: str = "",
    school_id: str = "",
    provider: str = "",
) -> Job:
    if kind not in RUNNERS:
        raise ValueError(f"unknown job kind {kind!r}")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Job.objects.create(
        kind=kind,
        created_by=user,
        params=params or {},
        # A file name from the command line may hold bytes that are not UTF-8 (Python keeps them
        # as surrogates, which no database column takes): shown with a replacement character.
        input_name=input_name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        input_path=input_path,
        input_sha256=input_sha256,
        school_id=school_id,
        provider=provider,
    )


def enqueue(job: Job) -> None:
    """Hand the job to the worker once the transaction that created it commits."""
    from verval.core.tasks import run_job_task

    job_id = str(job.pk)
    transaction.on_commit(lambda: run_job_task.enqueue(job_id))


def save_issues(job: Job, issues: Iterable[RowIssue]) -> int:
    batch: list[JobIssue] = []
    count = 0
    for issue in issues:
        batch.append(
            JobIssue(
                job=job,
                line=issue.line,
                column=issue.column,
                code=issue.code,
                message=issue.message,
                message_en=issue.message_en,
                value=issue.value[:200],
            )
        )
        count += 1
        if len(batch) >= 5000:
            JobIssue.objects.bulk_create(batch)
            batch = []
    if batch:
        JobIssue.objects.bulk_create(batch)
    return count


def run(job_id: Any, runner: Callable[[Job], dict[str, Any]] | None = None) -> Job:
    """Run a job to a final state. Safe to call again on a job that died RUNNING."""
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return job
    fn = runner or import_string(RUNNERS[job.kind])
    job.state = Job.State.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["state", "started_at"])
    # A re-run starts with a clean report.
    JobIssue.objects.filter(job=job).delete()
    try:
        counts = fn(job)
    except JobRefused as refused:
        job.state = Job.State.REFUSED
        job.error_code = refused.code
        job.error_message = refused.message
        job.error_message_en = refused.message_en
        job.counts = refused.counts
        save_issues(job, refused.issues)
    except Exception as exc:  # noqa: BLE001 - recorded on the job; details stay out of messages
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.state = Job.State.FAILED
        job.error_code = "KESALAHAN_SISTEM"
        job.error_message = "Terjadi kesalahan sistem; data tidak diubah. Hubungi Pusdatin."
        job.error_message_en = f"System error ({type(exc).__name__}); no data was changed."
    else:
        job.state = Job.State.SUCCEEDED
        job.counts = counts
    job.finished_at = timezone.now()
    done, total = read_progress(job) if not job.progress_total else (job.progress_done, job.progress_total)
    job.progress_done = max(done, job.progress_done)
    job.progress_total = max(total, job.progress_total)
    job.save()
    try:
        progress_path(job).unlink()
    except OSError:
        pass
    try:  # the dashboard's aggregates follow every job; a dashboard failure never fails the job
        from verval.dashboard.services import refresh_after_job

        transaction.on_commit(lambda: refresh_after_job(job.pk), robust=True)
    except Exception:  # noqa: BLE001
        log.exception("dashboard refresh not scheduled for job %s", job.pk)
    return job


def issues_csv(job: Job) -> Iterable[str]:
    """The full refused-row report as CSV lines (streamed). Values are masked again on the way
    out: rows stored before every reader masked its values must not give a number back either
    (the web report and the providers' API read this one function)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["baris", "kolom", "kode", "pesan", "message", "nilai"])
    yield buf.getvalue()
    for issue in job.issues.order_by("line", "id").iterator(chunk_size=5000):
        buf.seek(0)
        buf.truncate()
        writer.writerow(
            csv_row(
                [
                    issue.line,
                    issue.column,
                    issue.code,
                    issue.message,
                    issue.message_en,
                    masked_value(issue.value),
                ]
            )
        )
        yield buf.getvalue()
