"""Bulk jobs: rows with explicit states, run by the task worker (or inline from the CLI).

A runner is `fn(job) -> dict` of counts. It applies its input in one transaction; to refuse the
input whole it raises JobRefused (nothing was changed). Progress is written to a small file beside
the store, not to the database, because the job's own transaction holds the write lock (SQLite)
or hides uncommitted rows (PostgreSQL) until it ends.

A job is run by one worker at a time (decision 0022): `run()` claims it with a conditional UPDATE
(PENDING -> RUNNING, or a RUNNING job whose lease expired), keeps a heartbeat while the runner
works (a thread: a file beside the progress file, and on PostgreSQL the job row too), and writes
the outcome only while it still holds the claim. `core.actions.recover_jobs` re-queues jobs whose
worker died.

Pusdatin may ask a RUNNING job to stop (decision 0029): the request waits in a file beside the
lease file (and, on PostgreSQL, in the job row); the run notices it at its next checkpoint (every
`Progress.update`, at most once a second) while it is inside its transaction, raises
`JobCancelled`, which rolls that transaction back, and the job FAILS as DIBATALKAN.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tasks_db.utils import is_locked_database_exception

from verval.core import files, queues
from verval.core.logging import masked_value
from verval.core.models import CANCELLED_CODE, Job, JobIssue
from verval.core.retention import INPUT_DELETED
from verval.core.spreadsheet import csv_row, xlsx_report

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
    "export_behind": "verval.dashboard.exports.run_behind_export_job",
    "sptjm_scan": "verval.sptjm.services.run_scan_check_job",
    "sptjm_print": "verval.sptjm.services.run_print_job",
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


# --- one worker at a time: claim, heartbeat, abandoned jobs (decision 0022) ----------------------

# Codes a job FAILS with when its run did not end by itself (messages: core.actions).
ABANDONED = "PEKERJAAN_TERHENTI"  # its process died (or stopped answering) too often / not a worker's
CANCELLED = CANCELLED_CODE  # someone asked it to stop (`verval jobs --cancel`)
INTERRUPTED = "DIHENTIKAN"  # Ctrl-C on the command that ran it
PREVIEW_EXPIRED = "PRATINJAU_KEDALUWARSA"  # a preview never applied (decision 0035)


class LeaseLost(Exception):
    """This run no longer owns its job (another worker took it over): stop without recording."""


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """Pusdatin's request that a running job stop (decision 0029): when, who (a user's id, None
    for the server's command line) and why."""

    at: datetime
    by_id: int | None
    note: str


class JobCancelled(Exception):
    """Raised at a checkpoint inside the runner's transaction when Pusdatin asked the job to stop:
    the transaction rolls back and `run()` records the job FAILED as DIBATALKAN."""

    def __init__(self, request: CancelRequest) -> None:
        super().__init__("cancelled by Pusdatin")
        self.request = request


def lease_seconds() -> int:
    return max(1, int(settings.VERVAL.get("JOB_LEASE_SECONDS", 120)))


def max_attempts() -> int:
    return max(1, int(settings.VERVAL.get("JOB_MAX_ATTEMPTS", 3)))


def lease_path(job: Job) -> Path:
    return Path(files.root()) / "jobs" / f"{job.pk}.lease"


def cancel_check_seconds() -> float:
    """How often a run looks for a cancel request at its checkpoints (at most)."""
    return max(0.0, float(settings.VERVAL.get("JOB_CANCEL_CHECK_SECONDS", 1.0)))


def cancel_path(job: Job) -> Path:
    return Path(files.root()) / "jobs" / f"{job.pk}.cancel"


def write_cancel_request(job: Job, request: CancelRequest) -> None:
    """Leave the request for the job's current claim (`lease_owner`): a later claim of the same
    job (a re-run) is not cancelled by it. Written whole (a rename), no person's data."""
    path = cancel_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".cancel-tmp")
    data = {"owner": job.lease_owner, "at": request.at.timestamp(), "by": request.by_id, "note": request.note}
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def read_cancel_request(job: Job, owner: str | None = None) -> CancelRequest | None:
    """The request left for the claim `owner` (default: the job's current one), if any."""
    owner = job.lease_owner if owner is None else owner
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # no file, or not ours
        data = json.loads(cancel_path(job).read_text())
        if isinstance(data, dict) and owner and data.get("owner") == owner:
            by = data.get("by")
            return CancelRequest(
                at=datetime.fromtimestamp(float(data["at"]), tz=UTC),
                by_id=int(by) if by is not None else None,
                note=str(data.get("note", ""))[:200],
            )
    return None


def cancel_request(job: Job) -> CancelRequest | None:
    """The job's cancel request: the row's (PostgreSQL while it runs; both databases once it
    ended, also when it came too late), else, while it runs, the file's (SQLite)."""
    if job.cancel_requested_at is not None:
        return CancelRequest(job.cancel_requested_at, job.cancel_requested_by_id, job.cancel_note)
    if job.state == Job.State.RUNNING:
        return read_cancel_request(job)
    return None


_HOST = socket.gethostname()[:48] or "host"


def new_owner() -> str:
    """A claim's token: which machine and process, and unique per start (never a person)."""
    return f"{_HOST}:{os.getpid()}:{secrets.token_hex(6)}"


def _file_beat(job: Job) -> datetime | None:
    """The heartbeat the current claim wrote to its lease file (when the file is this claim's)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # no file, or not ours
        data = json.loads(lease_path(job).read_text())
        if isinstance(data, dict) and job.lease_owner and data.get("owner") == job.lease_owner:
            return datetime.fromtimestamp(float(data["beat"]), tz=UTC)
    return None


def last_beat(job: Job) -> datetime | None:
    """When the job's worker last showed it was alive: the later of the row's heartbeat (the claim;
    on PostgreSQL every beat) and the lease file's (every beat, both databases)."""
    beats = [b for b in (job.heartbeat_at, _file_beat(job)) if b is not None]
    return max(beats) if beats else None


def is_abandoned(job: Job, now: datetime | None = None) -> bool:
    """RUNNING, and not heard from for the lease (a RUNNING row without any heartbeat predates
    leases: abandoned too)."""
    if job.state != Job.State.RUNNING:
        return False
    beat = last_beat(job)
    return beat is None or (now or timezone.now()) - beat > timedelta(seconds=lease_seconds())


def stale_seconds() -> int:
    """How long a running job may stay silent before its page says so: three missed heartbeats
    (half the lease). Earlier than the lease itself, because the lease errs towards patience (a
    live worker must never lose its job) while the person watching a frozen bar deserves to hear
    sooner that something may be wrong."""
    return max(1, lease_seconds() // 2)


def is_stale(job: Job, now: datetime | None = None) -> bool:
    """RUNNING, and no heartbeat for `stale_seconds()` (an abandoned job is stale too)."""
    if job.state != Job.State.RUNNING:
        return False
    beat = last_beat(job)
    return beat is None or (now or timezone.now()) - beat > timedelta(seconds=stale_seconds())


# What becomes of a RUNNING job whose worker stopped (`after_stop`): run again from the start by
# the next worker's recovery, or failed by it (and why).
RERUN = "rerun"
NOT_QUEUED = "not_queued"  # run by a command or a web request: whoever ran it runs it again
LAST_ATTEMPT = "last_attempt"  # started JOB_MAX_ATTEMPTS times already
CANCEL_PENDING = "cancel_pending"  # Pusdatin asked it to stop (decision 0029)
INPUT_MISSING = "input_missing"  # its input file is no longer in the store: nothing to run again

# The code a job FAILS with when it would be run again but its input file is gone (decision 0066).
INPUT_GONE = "BERKAS_SUDAH_DIHAPUS"


def input_missing(job: Job) -> bool:
    """The job's stored input file is gone: marked deleted by the retention rules, or no longer in
    the store (removed by hand, a store restored without it). A job without a stored input (a
    validation, a dump, an import of a file outside the store) has nothing to miss."""
    if (job.params or {}).get(INPUT_DELETED):
        return True
    if not job.input_path:
        return False
    try:
        return not files.absolute(job.input_path).is_file()
    except (OSError, ValueError):
        return True


def after_stop(job: Job) -> str:
    """What the recovery (`core.actions.recover_jobs`, which decides with this function) will do
    with this job once its lease expired, so that its page can promise only what will happen."""
    if cancel_request(job) is not None:
        return CANCEL_PENDING
    # Before NOT_QUEUED: a command's job (`verval ingest-results` copies its file into the store)
    # whose file is gone cannot be "run again" as that outcome says, only with the file again.
    if input_missing(job):
        return INPUT_MISSING
    if job.queued_at is None:
        return NOT_QUEUED
    if job.attempts >= max_attempts():
        return LAST_ATTEMPT
    return RERUN


def _tasks_in_database() -> bool:
    """Tasks go through django-tasks' database backend (not the immediate one of the tests)."""
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db.")


def _task_status(task_id: str) -> tuple[str | None, datetime | None]:
    """(status, started_at) of a task in django-tasks' database backend; (None, None) when the
    backend is another one or the row is gone."""
    if not task_id or not _tasks_in_database():
        return None, None
    from django_tasks_db.models import DBTaskResult

    try:
        row = DBTaskResult.objects.filter(id=task_id).values_list("status", "started_at").first()
    except (ValueError, TypeError):  # not a UUID
        return None, None
    return (str(row[0]), row[1]) if row else (None, None)


def task_lost(job: Job, now: datetime | None = None) -> bool:
    """A PENDING job handed to the worker more than a lease ago whose task will never run it: the
    task ended (or vanished) without starting the job, or its worker died between taking the task
    and claiming the job. A task still waiting in the queue (READY) is not lost."""
    if job.state != Job.State.PENDING or job.queued_at is None:
        return False
    now = now or timezone.now()
    lease = timedelta(seconds=lease_seconds())
    if now - job.queued_at <= lease:
        return False
    status, started = _task_status(job.task_id)
    if status == "READY":
        return False
    if status == "RUNNING" and started is not None and now - started <= lease:
        return False
    return True


def liveness(job: Job, now: datetime | None = None) -> str:
    """What a job is doing, for `verval jobs` and the job page: finished, alive, abandoned (RUNNING,
    lease expired), queued, lost (queued, but its task will not run it), preview (a correction
    file awaiting the school's click, which expires: decision 0035) or waiting (not handed to the
    worker: a job a command is about to run)."""
    now = now or timezone.now()
    if job.is_finished:
        return "finished"
    if job.state == Job.State.RUNNING:
        return "abandoned" if is_abandoned(job, now) else "alive"
    if job.queued_at is None:
        return "preview" if job.awaits_apply else "waiting"
    return "lost" if task_lost(job, now) else "queued"


def queue_of(job: Job) -> str | None:
    """The worker queue a job was handed to (decision 0071), None for one never handed to the
    worker (run by a command or at upload, a preview). Not stored: a kind's queue is fixed."""
    return queues.for_kind(job.kind) if job.queued_at is not None else None


def ahead_in_queue(job: Job) -> int:
    """Unfinished jobs handed to the same queue before this one: what a queued job waits behind
    (a national import, say), told on its page so that the wait is explained."""
    queue = queue_of(job)
    if queue is None:
        return 0
    same = Q(kind__in=queues.INTERACTIVE_KINDS)
    return (
        Job.objects.filter(
            same if queue == queues.INTERACTIVE else ~same,
            state__in=(Job.State.PENDING, Job.State.RUNNING),
            queued_at__lt=job.queued_at,
        )
        .exclude(pk=job.pk)
        .count()
    )


def no_worker_for(job: Job, now: datetime | None = None) -> Any:
    """The state of the queue a job waits in (`workers.QueueState`) when no live worker has served
    it and the job has waited there at least `workers.silent_seconds()` (a worker just starting
    is not reported), else None (decision 0082)."""
    from verval.core import workers

    now = now or timezone.now()
    if job.state != Job.State.PENDING or job.queued_at is None:
        return None
    if now - job.queued_at < timedelta(seconds=workers.silent_seconds()):
        return None
    return workers.unserved(queue_of(job), now)


def mark_task_lost(task_id: str) -> None:
    """django-tasks leaves the task of a worker that died RUNNING forever: close it as FAILED."""
    if not task_id or not _tasks_in_database():
        return
    from django_tasks_db.models import DBTaskResult

    with contextlib.suppress(ValueError, TypeError):  # a task id that is no UUID
        DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="verval.core.jobs.LeaseLost",
            traceback="The worker running this task stopped; the job was recovered (decision 0022).",
        )


class _Lease:
    """The heartbeat of one claim, beaten from a thread while the runner works (the runner may
    spend minutes in one statement: building indexes, a COPY). The lease file is written on every
    database; the job row only on PostgreSQL, where the runner's transaction leaves the row free
    (on SQLite it holds the only write lock until it ends)."""

    def __init__(self, job: Job, owner: str) -> None:
        self.job = job
        self.owner = owner
        self.path = lease_path(job)
        self.interval = max(0.5, lease_seconds() / 6)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Atomic blocks open on the default connection when the runner starts: a checkpoint at a
        # deeper level is inside the runner's own transaction (decision 0029).
        self._depth = 0
        self._next_cancel_check = 0.0
        self._owner_thread: threading.Thread | None = None

    def checkpoint(self) -> None:
        """Called by every `Progress.update` (the runner's thread): stop a run that was taken over
        (LeaseLost) or that Pusdatin asked to stop (JobCancelled). The request is looked for at
        most every `cancel_check_seconds()` (one small file read, no query: the runner's
        connection may be in the middle of a COPY), and only while the runner is inside its
        transaction, where raising rolls everything back. Outside it, the runner either has not
        changed anything yet or has already committed; the first waits for the next checkpoint,
        the second makes the request too late (`run()` records it so)."""
        if self.lost.is_set():
            raise LeaseLost(str(self.job.pk))
        if threading.current_thread() is not self._owner_thread:
            return
        if len(connections["default"].atomic_blocks) <= self._depth:
            return
        now = time.monotonic()
        if now < self._next_cancel_check:
            return
        self._next_cancel_check = now + cancel_check_seconds()
        request = read_cancel_request(self.job, self.owner)
        if request is not None:
            raise JobCancelled(request)

    def beat(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".lease-tmp")
        tmp.write_text(json.dumps({"owner": self.owner, "beat": time.time()}))
        os.replace(tmp, self.path)
        if connections["default"].vendor != "postgresql":
            return
        if not Job.objects.filter(pk=self.job.pk, lease_owner=self.owner).update(heartbeat_at=timezone.now()):
            # Not found at all (a caller's transaction that has not committed the claim) says
            # nothing; another owner says this run was taken over.
            owner = Job.objects.filter(pk=self.job.pk).values_list("lease_owner", flat=True).first()
            if owner is not None and owner != self.owner:
                self.lost.set()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # noqa: BLE001 - a missed beat is retried; the job goes on
                    log.warning("job %s: heartbeat not written", self.job.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections

    def __enter__(self) -> _Lease:
        self._owner_thread = threading.current_thread()
        self._depth = len(connections["default"].atomic_blocks)
        _LEASES[str(self.job.pk)] = self
        try:
            self.beat()
        except Exception:  # noqa: BLE001
            log.warning("job %s: heartbeat not written", self.job.pk, exc_info=True)
        self._thread = threading.Thread(target=self._loop, name=f"lease-{self.job.pk}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        _LEASES.pop(str(self.job.pk), None)


_LEASES: dict[str, _Lease] = {}

# How long a job's own bookkeeping write waits before it tries again while SQLite is busy (each try
# itself waits the connection's 30 s busy timeout first).
BUSY_RETRY_SECONDS = 1.0

_T = TypeVar("_T")


def _beat_file(job: Job, owner: str) -> None:
    with contextlib.suppress(OSError):  # a missed beat is retried with the next try
        path = lease_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".lease-tmp")
        tmp.write_text(json.dumps({"owner": owner, "beat": time.time()}))
        os.replace(tmp, path)


def while_sqlite_locked(
    write: Callable[[], _T], *, on_first_wait: Callable[[], None], each_wait: Callable[[], None] | None = None
) -> _T:
    """Run `write` again, a second apart, for as long as SQLite answers "database is locked"
    (an import's transaction holds its only write lock for minutes). Any other error, PostgreSQL
    (whose writers do not lock each other out), and a write inside a caller's transaction (a retry
    there would repeat only part of it) raise at once. `on_first_wait` logs once; `each_wait` runs
    before every pause."""
    waited = False
    while True:
        try:
            return write()
        except OperationalError as error:
            connection = connections["default"]
            if (
                connection.vendor != "sqlite"
                or connection.in_atomic_block
                or not is_locked_database_exception(error)
            ):
                raise
            if not waited:
                on_first_wait()
                waited = True
            if each_wait is not None:
                each_wait()
            time.sleep(BUSY_RETRY_SECONDS)


def when_database_free(write: Callable[[], _T], *, job: Job, owner: str = "") -> _T:
    """Run `write`, a short write of a job's own bookkeeping (its claim, its outcome, the file an
    export wrote), again for as long as SQLite answers "database is locked". With a worker per
    queue (decision 0071), a short job may end while another worker's import holds SQLite's only
    write lock for minutes; without this its outcome was lost after the 30 s busy timeout and the
    job ran again once its lease expired. While it waits, the lease file of the claim `owner` is
    beaten, so the job is not taken for dead."""
    return while_sqlite_locked(
        write,
        on_first_wait=lambda: log.warning(
            "job %s (%s): database busy with another transaction; waiting", job.pk, job.kind
        ),
        each_wait=(lambda: _beat_file(job, owner)) if owner else None,
    )


def claim(job: Job) -> str | None:
    """Make this process the job's one runner: PENDING -> RUNNING, or take over a RUNNING job whose
    lease expired, in one conditional UPDATE (two workers cannot both win). Returns the claim's
    token, or None when the job is finished, alive elsewhere, or out of attempts (then FAILED)."""
    now = timezone.now()
    owner = new_owner()
    fields: dict[str, Any] = {
        "state": Job.State.RUNNING,
        "started_at": now,
        "lease_owner": owner,
        "heartbeat_at": now,
        "attempts": F("attempts") + 1,
    }
    if job.state == Job.State.PENDING:
        won = Job.objects.filter(pk=job.pk, state=Job.State.PENDING).update(**fields)
        return owner if won else None
    if not is_abandoned(job, now):
        return None
    from verval.core import actions  # actions import this module

    if job.attempts >= max_attempts() or cancel_request(job) is not None or input_missing(job):
        # Out of attempts, Pusdatin asked the dead run to stop (decision 0029), or its input file
        # is gone (decision 0066): not run again.
        actions.fail_abandoned(job=job)
        return None
    with transaction.atomic():
        won = Job.objects.filter(
            pk=job.pk, state=Job.State.RUNNING, lease_owner=job.lease_owner, attempts=job.attempts
        ).update(**fields)
        if won:
            actions.record_takeover(job=job, owner=owner)
    return owner if won else None


# What a long job is doing once its rows are read (a national import spends half its time after
# the last row: comparing, writing, building indexes), shown under the progress bar.
STEPS = {
    "read": _("Membaca dan memeriksa baris"),
    "compare": _("Membandingkan dengan registri"),
    "write": _("Menyimpan ke registri"),
    "index": _("Membangun indeks registri"),
    # The last checkpoint of a school's correction file has passed: only the commit is left, which
    # a cancel request can no longer stop (decision 0039).
    "commit": _("Menyimpan hasil; pembatalan tidak lagi dapat menghentikannya"),
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
        lease = _LEASES.get(str(self.job.pk))
        if lease is not None:
            lease.checkpoint()  # LeaseLost, JobCancelled (decision 0029)
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
    "refused": pgettext_lazy("job", "Ditolak"),
    "numbers_changed": _("Nomor berubah"),
    "corrections_in_dapodik": _("Koreksi sekolah kini ada di Dapodik"),
    "corrections_kept": _("Koreksi sekolah dipertahankan (Dapodik berbeda)"),
    "schools_added": _("Sekolah baru"),
    "schools_changed": _("Sekolah berubah"),
    "without_correction": _("Tanpa koreksi"),
    "divalidasi": _("Divalidasi"),
    "menunggu_provider": _("Proses validasi provider"),
    "format_salah": _("Format tidak valid"),
    "nomor_dipakai_bersama": _("Nomor dipakai bersama"),
    "nomor_tidak_rasional": _("Nomor tidak rasional"),
    "awaiting_validation": _("Menunggu validasi format"),
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
    "answered": _("Dijawab"),
    "unanswered": _("Belum dijawab"),
    "period": _("Periode"),
    "candidates": _("Kandidat"),
    "scheduled": _("Dijadwalkan"),
    "excluded": _("Dikecualikan"),
    "retried": _("Diulang"),
    "by_rule": _("Per aturan"),
    "berhasil": _("Berhasil"),
    "gagal": _("Gagal"),
    "pending": _("Menunggu"),
    "printed_pages": _("Halaman dicetak"),
    "pages_with_qr": _("Halaman dengan kode QR dokumen ini"),
    "warnings": _("Peringatan"),
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


# The counts of a cutoff import that say something was written; "unchanged" and the school's
# corrections already in Dapodik (only their row hash is stored) are not among them.
IMPORT_CHANGE_COUNTS = ("added", "changed", "removed", "schools_added", "schools_changed")


def import_changed_nothing(kind: str, counts: dict[str, Any] | None) -> bool:
    """An applied cutoff import that added, changed and deactivated nothing: the same file again
    (SPEC §9), which its page and `verval import-dapodik` say in words, not only as zeros."""
    counts = counts or {}
    return (
        kind == "import_dapodik" and "rows" in counts and not any(counts.get(k) for k in IMPORT_CHANGE_COUNTS)
    )


# How often the job page asks for its progress, by `liveness` (decision 0080): every poll is about
# 1 KB on a phone's link, most of it headers. The bar moves only while a worker runs the job; a
# job in the queue waits for a worker (behind a national import, minutes), and a correction file
# awaiting the school's click changes only when someone applies it (on its preview page, which
# leads here) or when it expires after a day.
POLL_SECONDS = {"alive": 2, "waiting": 2, "queued": 5, "lost": 5, "abandoned": 10, "preview": 60}
# RUNNING without a recent heartbeat (decision 0062): nothing moves until a worker takes it again.
POLL_SECONDS_SILENT = 10


def poll_seconds(state: str, stale: bool) -> int:
    """Seconds between two polls of a job's page, for its `liveness` and silence."""
    return POLL_SECONDS_SILENT if stale else POLL_SECONDS.get(state, 2)


def progress_context(job: Job) -> dict[str, Any]:
    """done, total, percent and step of a job for its page: a running job's from its progress
    file, read once (the job row only gets its figures when the job ends)."""
    data = {} if job.is_finished else _progress_file(job)
    done, total = _done_total(job, data)
    step = STEPS.get(str(data.get("step", "")), "")
    now = timezone.now()
    beat = last_beat(job) if job.state == Job.State.RUNNING else None
    stale = is_stale(job, now)
    state = liveness(job, now)
    no_worker = no_worker_for(job, now) if state == "queued" else None
    return {
        "done": done,
        "total": total,
        "percent": job.percent_of(done, total),
        "step": str(step),
        "step_code": str(data.get("step", "")) if step else "",
        # Whether a worker is on it (decision 0022): the page says so when it is not.
        "liveness": state,
        # Which queue a waiting job is in and how many wait before it (decisions 0071, 0077).
        "queue": queue_of(job),
        "ahead": ahead_in_queue(job) if state == "queued" else 0,
        # No live worker serves that queue (decision 0082): the page says so and what to do.
        "no_worker": no_worker,
        "last_beat": beat,
        # No heartbeat for a while (decision 0062): the page says since when, what will happen and
        # polls less often, as nothing moves until a worker takes the job again.
        "stale": stale,
        # With no worker for its queue nothing moves until one starts: as slowly as a silent job.
        "poll_seconds": poll_seconds(state, stale or no_worker is not None),
        "checked_at": now,
        "after_stop": after_stop(job) if stale else "",
        # Pusdatin asked it to stop (decision 0029): pending while it runs, too late once it ended
        # otherwise than DIBATALKAN.
        "cancel_request": cancel_request(job),
        "max_attempts": max_attempts(),
        "nothing_changed": job.state == Job.State.SUCCEEDED and import_changed_nothing(job.kind, job.counts),
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
    from verval.core import audit

    user = actor if getattr(actor, "is_authenticated", False) else None
    return Job.objects.create(
        kind=kind,
        created_by=user,
        # Where whoever queued it came from (decision 0138): its audit rows say job:<origin>.
        origin=audit.job_origin(),
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
    """Hand the job to the worker once the transaction that created it commits, on its kind's
    queue (decision 0071; a recovery's hand-over goes through here too, so a job goes back to its
    own queue). The row keeps when (and, once enqueued, which task), so that a hand-over that
    never ran is found again (`task_lost`)."""
    from verval.core.tasks import run_job_task

    job_id = str(job.pk)
    task = run_job_task.using(queue_name=queues.for_kind(job.kind))
    job.queued_at = timezone.now()
    Job.objects.filter(pk=job_id).update(queued_at=job.queued_at)

    def hand_over() -> None:
        result = task.enqueue(job_id)
        Job.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])

    transaction.on_commit(hand_over)


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
                # Masked when the refusal is made; again here, whatever made it (decision 0086).
                value=masked_value(issue.value)[:200],
            )
        )
        count += 1
        if len(batch) >= 5000:
            JobIssue.objects.bulk_create(batch)
            batch = []
    if batch:
        JobIssue.objects.bulk_create(batch)
    return count


def run(
    job_id: Any, runner: Callable[[Job], dict[str, Any]] | None = None, *, requeue_on_interrupt: bool = False
) -> Job:
    """Run a job to a final state, if this process can claim it (see `claim`): a job finished, or
    running alive in another worker, is returned as it is. Safe to call again on a job that died
    RUNNING (it is taken over once its lease expired).

    Interrupted (Ctrl-C, a worker forced to stop): the worker's job goes back to the queue
    (`requeue_on_interrupt`, the task), a command's job FAILS as DIHENTIKAN.

    Every audit row the run writes says `job:<origin>` (decision 0138), whoever runs it: the
    worker, the immediate backend inside a request, or a command that runs its job inline."""
    from verval.core import audit

    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return job
    with audit.acting_via(audit.job_via(job.origin)):
        return _run(job, runner, requeue_on_interrupt=requeue_on_interrupt)


def _run(job: Job, runner: Callable[[Job], dict[str, Any]] | None, *, requeue_on_interrupt: bool) -> Job:
    job_id = job.pk
    owner = when_database_free(lambda: claim(job), job=job)
    if owner is None:
        return Job.objects.get(pk=job_id)
    job.refresh_from_db()
    fn = runner or import_string(RUNNERS[job.kind])
    # A re-run starts with a clean report.
    when_database_free(JobIssue.objects.filter(job=job).delete, job=job, owner=owner)
    issues: list[RowIssue] = []
    cancelled: CancelRequest | None = None
    try:
        with _Lease(job, owner):
            try:
                counts = fn(job)
            except JobCancelled as stop:
                # The runner's transaction was rolled back on the way out: nothing changed.
                from verval.core import actions

                cancelled = stop.request
                job.state = Job.State.FAILED
                job.error_code = CANCELLED
                job.error_message, job.error_message_en = actions.cancelled_messages(
                    job, requested_by=cancelled.by_id, running=True
                )
            except JobRefused as refused:
                job.state = Job.State.REFUSED
                job.error_code = refused.code
                job.error_message = refused.message
                job.error_message_en = refused.message_en
                job.counts = refused.counts
                issues = refused.issues
            except LeaseLost:
                log.warning("job %s (%s): taken over by another worker; this run stops", job.pk, job.kind)
                return Job.objects.get(pk=job_id)
            except Exception:  # noqa: BLE001 - recorded on the job; details stay out of messages
                # The exception's class and traceback go to the server log only: the message
                # reaches the job page, the API and --json output, where neither helps a user.
                log.exception("job %s (%s) failed", job.pk, job.kind)
                job.state = Job.State.FAILED
                job.error_code = "KESALAHAN_SISTEM"
                job.error_message = "Terjadi kesalahan sistem; data tidak diubah. Hubungi Pusdatin."
                job.error_message_en = "System error; no data was changed. Contact Pusdatin."
            else:
                job.state = Job.State.SUCCEEDED
                job.counts = counts
    except BaseException:  # KeyboardInterrupt, SystemExit: not an outcome of the job
        from verval.core import actions

        try:
            actions.release_interrupted(job=job, owner=owner, requeue=requeue_on_interrupt)
        except Exception:  # noqa: BLE001 - the interruption is what the caller must see
            log.exception("job %s: interrupted run not released", job.pk)
        raise
    job.finished_at = timezone.now()
    # The run's own file, not read_progress(): the state set above already counts as finished,
    # for which read_progress answers the row's figures (0 of 0 unless the runner wrote them), and
    # a failed or cancelled job showed 0 % instead of where it stopped.
    done, total = (
        _done_total(job, _progress_file(job))
        if not job.progress_total
        else (job.progress_done, job.progress_total)
    )
    job.progress_done = max(done, job.progress_done)
    job.progress_total = max(total, job.progress_total)

    # The outcome is written only while this run still holds its claim (a run that was taken over
    # leaves the job to its new owner), with its refused rows and what became of a cancel request
    # (decision 0029) in the same transaction.
    def record_outcome() -> int:
        with transaction.atomic():
            request = cancelled or read_cancel_request(job, owner)
            fields: dict[str, Any] = {}
            requested_before = None
            if request is not None:  # on SQLite the row gets the request only now
                fields = {
                    "cancel_requested_at": request.at,
                    "cancel_requested_by_id": request.by_id,
                    "cancel_note": request.note,
                }
                requested_before = (
                    Job.objects.filter(pk=job.pk).values_list("cancel_requested_at", flat=True).first()
                )
            recorded = Job.objects.filter(pk=job.pk, lease_owner=owner).update(
                state=job.state,
                error_code=job.error_code,
                error_message=job.error_message,
                error_message_en=job.error_message_en,
                counts=job.counts,
                finished_at=job.finished_at,
                progress_done=job.progress_done,
                progress_total=job.progress_total,
                **fields,
            )
            if recorded:
                save_issues(job, issues)
                if request is not None:
                    from verval.core import actions

                    actions.record_cancel_outcome(
                        job=job,
                        request=request,
                        cancelled=cancelled is not None,
                        logged=requested_before is not None,
                    )
                    job.cancel_requested_at = request.at
                    job.cancel_requested_by_id = request.by_id
                    job.cancel_note = request.note
        return recorded

    recorded = when_database_free(record_outcome, job=job, owner=owner)
    if not recorded:
        log.warning("job %s (%s): taken over while it ran; outcome left to the new run", job.pk, job.kind)
        return Job.objects.get(pk=job_id)
    _unlink_run_files(job)
    try:  # the dashboard's aggregates follow every job; a dashboard failure never fails the job
        from verval.dashboard.services import refresh_after_job

        transaction.on_commit(lambda: refresh_after_job(job.pk), robust=True)
    except Exception:  # noqa: BLE001
        log.exception("dashboard refresh not scheduled for job %s", job.pk)
    return job


def output_file(job: Job) -> Path | None:
    """The file a job wrote for its user to download (`params["file_path"]`, a report export:
    decision 0068), or None: it wrote none, or the retention rules deleted it since."""
    relative = str((job.params or {}).get("file_path", ""))
    if not relative:
        return None
    try:
        path = files.absolute(relative)
    except ValueError:
        return None
    return path if path.is_file() else None


def _unlink_run_files(job: Job) -> None:
    for path in (progress_path(job), lease_path(job), cancel_path(job)):
        with contextlib.suppress(OSError):
            path.unlink()


def discard_run_files(job: Job) -> None:
    """Remove the job's progress, lease and cancel files once the transaction that ended it
    commits: for a job that ends without its run's own clean-up (refused at its preview, expired,
    cancelled or failed by a recovery), whose stale files would otherwise stay in the store."""
    transaction.on_commit(lambda: _unlink_run_files(job))


def discard_progress(job: Job) -> None:
    """Remove the job's progress file once the transaction that requeues it commits (before the
    hand-over, which the on-commit order keeps): the earlier run's bar is not the new run's."""

    def unlink() -> None:
        with contextlib.suppress(OSError):
            progress_path(job).unlink()

    transaction.on_commit(unlink)


ISSUE_COLUMNS = ["baris", "kolom", "kode", "pesan", "message", "nilai"]


def issues_rows(job: Job) -> Iterable[list[Any]]:
    """Every refused row of the report, in line order: what the CSV and the Excel report both
    hold. Values are masked again on the way out: rows stored before every reader masked its
    values must not give a number back either."""
    return report_rows(job.issues.order_by("line", "id").iterator(chunk_size=5000))


def report_rows(issues: Iterable[Any]) -> Iterable[list[Any]]:
    """Rows of a refused-row report from stored `JobIssue`s or a preview's `RowIssue`s (a
    school's correction file before it is applied, decision 0113), the value masked."""
    for issue in issues:
        yield [
            issue.line,
            issue.column,
            issue.code,
            issue.message,
            issue.message_en,
            masked_value(issue.value),
        ]


def issues_csv(job: Job) -> Iterable[str]:
    """The full refused-row report as CSV lines (streamed), without a byte order mark: the
    providers' API serves these bytes as they are (the web page adds the mark)."""
    return report_csv(issues_rows(job))


def report_xlsx(rows: Iterable[list[Any]]) -> Any:
    """`report_rows` as an Excel report: the CSV's rows and columns, the value a text cell (a NISN
    or NPSN keeps its leading zero). Shared by a job's saved report and a correction file's
    preview, so both downloads read alike."""
    return xlsx_report(sheet="laporan", columns=ISSUE_COLUMNS, rows=rows, widths=[8, 22, 26, 60, 60, 22])


def report_csv(rows: Iterable[list[Any]]) -> Iterable[str]:
    """`report_rows` as CSV lines under `ISSUE_COLUMNS`, without a byte order mark."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(ISSUE_COLUMNS)
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(csv_row(row))
        yield buf.getvalue()
