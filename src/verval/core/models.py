from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEvent(models.Model):
    """One row per state change or data release: who, when, what, from, to.

    Phone numbers are stored masked here (see verval.phones.mask); the full history of a number
    lives with the recipient, readable only through scoped selectors.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    school_id = models.CharField(max_length=8, blank=True, db_index=True)
    region_code = models.CharField(max_length=6, blank=True)
    provider = models.CharField(max_length=16, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Where the row came from (decision 0138): web, api, cli:<OS login>, job:<origin>, system.
    # Set by core.audit from a context variable; a row written before 0138 has "".
    via = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-at", "-id"]
        # A Dinas's rows by region (decision 0135): `region_code LIKE '3201%'`.
        indexes = [
            models.Index(fields=["region_code"], name="audit_region_code", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class Job(models.Model):
    """A bulk job (import, validation, dump, ingest...) as a row with explicit states.

    Jobs are resumable: the task reads its state from here, and a job that died RUNNING can be
    run again because every job applies its input in one transaction.
    """

    class State(models.TextChoices):
        PENDING = "PENDING", _("Menunggu")
        RUNNING = "RUNNING", _("Berjalan")
        SUCCEEDED = "SUCCEEDED", _("Selesai")
        # "Refused" in English: a registration's "Ditolak" is "Rejected" (accounts).
        REFUSED = "REFUSED", pgettext_lazy("job", "Ditolak")
        FAILED = "FAILED", _("Gagal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Scope of the job's data, used by the scoping helper (a school's upload, a provider's file...).
    school_id = models.CharField(max_length=8, blank=True, db_index=True)
    provider = models.CharField(max_length=16, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    # Where whoever queued it came from (decision 0138): web, api, cli:<OS login>, system; the
    # job's audit rows say job:<origin>.
    origin = models.CharField(max_length=64, blank=True, default="", db_default="")
    input_name = models.CharField(max_length=255, blank=True)
    input_path = models.CharField(max_length=500, blank=True)
    input_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    error_message_en = models.TextField(blank=True)
    # Who runs it (decision 0022): a worker claims a PENDING job atomically (its `lease_owner`
    # token, unique per start) and keeps the lease alive with a heartbeat while it runs; a RUNNING
    # job whose heartbeat is older than VERVAL["JOB_LEASE_SECONDS"] was abandoned by a dead worker
    # and is re-queued (`core.actions.recover_jobs`) until it has been started JOB_MAX_ATTEMPTS times.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_owner = models.CharField(max_length=96, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Set when the job is handed to the task worker (jobs.enqueue): the task's id and when.
    queued_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # Pusdatin asked a RUNNING job to stop (decision 0029): the run stops at its next checkpoint
    # and rolls its transaction back, or finishes first (the request came too late; kept here).
    # On SQLite the running job's transaction holds the write lock, so the request waits in a file
    # beside the lease file (`jobs.cancel_path`) and reaches the row with the job's outcome.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The file store asks "does a job name this file?" of the scans in `sptjm-scans/`
        # (`retention.named_scans`, decision 0120): by value, a chunk of paths at a time. The
        # pattern operator class serves `=`/`IN` and a `LIKE 'prefix%'` whatever the database's
        # collation (PostgreSQL; other databases ignore it).
        indexes = [
            models.Index(fields=["input_path"], name="job_input_path", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} {self.state}"

    @property
    def kind_display(self) -> str:
        """What the job is, in the user's language (the kind code stays the stored value)."""
        return str(JOB_KINDS.get(self.kind, self.kind))

    @property
    def provider_name(self) -> str:
        """The provider the job was for as people know it (Telkomsel), '' for none (decision 0103)."""
        from verval.accounts.models import provider_name

        return provider_name(self.provider)

    @property
    def percent(self) -> int:
        return self.percent_of(self.progress_done, self.progress_total)

    def percent_of(self, done: int, total: int) -> int:
        """The bar's value for done of total (a running job reads them from its progress file)."""
        if self.state in (self.State.SUCCEEDED, self.State.REFUSED):
            return 100
        if total <= 0:
            return 0
        return min(100, int(100 * done / total))

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.REFUSED, self.State.FAILED)

    @property
    def awaits_apply(self) -> bool:
        """A school's correction file uploaded and previewed, not applied: PENDING, never handed to
        the worker, waiting for the school's click. It expires after VERVAL["PREVIEW_EXPIRES_HOURS"]
        (decision 0035); it is no stuck job."""
        return (
            self.kind in AWAITS_APPLY_KINDS
            and self.state == self.State.PENDING
            and self.queued_at is None
            and not (self.params or {}).get("applied")
        )

    @property
    def input_deleted(self) -> bool:
        """Its uploaded file was deleted under the retention rules (decision 0038)."""
        return bool((self.params or {}).get("input_deleted_at"))

    @property
    def preview_expires_at(self) -> Any:
        """When a preview not applied expires (decision 0035)."""
        return self.created_at + timedelta(hours=preview_expires_hours())

    @property
    def is_cancelled(self) -> bool:
        """Stopped because someone asked (decisions 0029, 0039): stored as FAILED DIBATALKAN, but
        the operator who pressed "Batalkan" must not read "Gagal" in red."""
        return self.state == self.State.FAILED and self.error_code == CANCELLED_CODE

    @property
    def state_code(self) -> str:
        """The label's colour class: a cancelled job is grey, not the red of a failure."""
        return CANCELLED_CODE if self.is_cancelled else self.state

    @property
    def state_label(self) -> str:
        """The state as people read it: a preview not applied is not "Menunggu" a worker, a
        cancelled job did not fail."""
        if self.awaits_apply:
            return str(_("Pratinjau belum diterapkan"))
        if self.is_cancelled:
            return str(pgettext_lazy("job state", "Dibatalkan"))
        return str(self.get_state_display())


# The error code of a job stopped on request (`verval.core.jobs.CANCELLED`, which imports this module).
CANCELLED_CODE = "DIBATALKAN"
# Jobs that wait for a person's click after their preview (decision 0035).
AWAITS_APPLY_KINDS = frozenset({"bulk_correction"})
# Jobs the operator who uploaded them may cancel, besides Pusdatin (decision 0039).
UPLOADER_CANCELS_KINDS = frozenset({"bulk_correction"})
# Jobs only the user who started them sees (their file is that user's download, decision 0068);
# they read and write no data, so the dashboard does not refresh after them.
OWNER_ONLY_KINDS = frozenset({"export_behind"})
# Jobs that act on a school's SPTJM (a scan check, a large print): while one waits or runs, every
# reader of the school sees it on the SPTJM page, not only who started it (decision 0107).
SCHOOL_SHARED_KINDS = frozenset({"sptjm_scan", "sptjm_print"})


def preview_expires_hours() -> int:
    return max(1, int(settings.VERVAL.get("PREVIEW_EXPIRES_HOURS", 24)))


JOB_KINDS = {
    "import_dapodik": _("Impor cutoff Dapodik"),
    "validate": _("Validasi format nomor"),
    "dump": _("Dump ke provider"),
    "ingest_results": _("Hasil pencocokan provider"),
    "bulk_correction": _("Koreksi massal"),
    "disbursement": _("Penyaluran kuota"),
    "ingest_injection": _("Laporan injeksi kuota"),
    "ingest_usage": _("Laporan pemakaian kuota"),
    "export_behind": _("Ekspor Excel sekolah tertinggal"),
    "sptjm_scan": _("Pemeriksaan pindaian SPTJM"),
    "sptjm_print": _("Pencetakan SPTJM"),
}


class JobIssue(models.Model):
    """A refused row (or a file-level error with line 0): line, column, code, messages."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="issues")
    line = models.BigIntegerField(default=0)
    column = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=64)
    message = models.TextField()
    message_en = models.TextField(blank=True)
    # What was there, masked when it is a phone number, never a name.
    value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line"])]

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.code}"
