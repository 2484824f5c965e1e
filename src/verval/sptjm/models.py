"""SPTJM documents and quota disbursement (SPEC §3 steps 8-12, §4, §6).

"Covered" (see docs/sptjm.md): a recipient is covered for a period when an approved SPTJM item of
that period lists its current number, or — in a period whose policy asks an SPTJM only for new or
changed numbers (2021) — when an approved item of an earlier period lists its current number.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verval.exchange.models import NumberFormat
from verval.reference import zones


class SptjmStatus(models.TextChoices):
    DICETAK = "DICETAK", _("Dicetak")
    DIUNGGAH = "DIUNGGAH", _("Diunggah")
    DISETUJUI = "DISETUJUI", _("Disetujui")
    DIKEMBALIKAN = "DIKEMBALIKAN", _("Dikembalikan")
    DIBATALKAN = "DIBATALKAN", _("Dibatalkan")


# Statuses in which a document still holds its records (printing again returns it).
LIVE_STATUSES = (SptjmStatus.DICETAK, SptjmStatus.DIUNGGAH, SptjmStatus.DIKEMBALIKAN)


def days_late(deadline: date | None, at: datetime) -> int:
    """Whole days an action at `at` came after `deadline`: 0 on the deadline day itself or before,
    and 0 without a deadline. Days are calendar days in settings.TIME_ZONE (Asia/Jakarta, WIB), as
    the late-schools list counts them: the deadline day runs until 23:59:59 WIB
    (docs/decisions/0018-sptjm-deadlines.md) — WIB also when the request shows the reader another
    zone (decision 0037)."""
    if deadline is None:
        return 0
    return max(0, (zones.programme_date(at) - deadline).days)


# A document printed or whose latest scan was uploaded after the deadline in force then.
LATE = models.Q(print_late_days__gt=0) | models.Q(upload_late_days__gt=0)


class QrVerdict(models.TextChoices):
    QR_COCOK = "QR_COCOK", _("QR cocok dengan dokumen")
    QR_TIDAK_DITEMUKAN = "QR_TIDAK_DITEMUKAN", _("QR tidak ditemukan pada pindaian")
    QR_DOKUMEN_LAIN = "QR_DOKUMEN_LAIN", _("QR milik dokumen lain")


class Sptjm(models.Model):
    """One printed SPTJM of a school for a period, with its scan and review."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(max_length=64, unique=True)  # SPTJM/<period>/<npsn>/<seq>
    school = models.ForeignKey("reference.School", on_delete=models.PROTECT, related_name="sptjms")
    period = models.ForeignKey("reference.Period", on_delete=models.PROTECT, related_name="sptjms")
    seq = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=SptjmStatus.choices, default=SptjmStatus.DICETAK, db_index=True
    )
    rows = models.PositiveIntegerField(default=0)
    total_gb = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    content_sha256 = models.CharField(max_length=64)
    pdf_path = models.CharField(max_length=500)
    pdf_sha256 = models.CharField(max_length=64)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    printed_at = models.DateTimeField()
    # The period's print deadline in force when the document was printed, and how many days after
    # it the document was printed (0: on time or no deadline; None: printed before this was
    # recorded). A late print is accepted and marked, not refused (decisions/0018).
    print_deadline = models.DateField(null=True, blank=True)
    print_late_days = models.PositiveIntegerField(null=True, blank=True)

    scan_path = models.CharField(max_length=500, blank=True)
    scan_type = models.CharField(max_length=8, blank=True)  # pdf, jpg, png (from magic bytes)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    scan_size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(null=True, blank=True)
    upload_count = models.PositiveSmallIntegerField(default=0)
    qr_verdict = models.CharField(max_length=24, choices=QrVerdict.choices, blank=True)
    # The page check of the latest scan (actions.ScanCheck.audit, with its warnings): printed
    # pages, pages read and, for a document whose QR names its page (decision 0084), the pages
    # missing, repeated and out of order. Empty: no scan yet, or uploaded before this was kept.
    scan_pages = models.JSONField(default=dict, blank=True)
    # The same for the latest scan (the one Pusdatin reviews); each upload's own verdict is in
    # its audit row. None: no scan yet (or uploaded before this was recorded).
    upload_deadline = models.DateField(null=True, blank=True)
    upload_late_days = models.PositiveIntegerField(null=True, blank=True)

    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic locking for review/upload/void

    class Meta:
        ordering = ["-printed_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "period", "seq"], name="sptjm_school_period_seq"),
            # At most one live document per school and period: printing again returns it.
            models.UniqueConstraint(
                fields=["school", "period"],
                condition=models.Q(status__in=["DICETAK", "DIUNGGAH", "DIKEMBALIKAN"]),
                name="sptjm_one_live_per_school_period",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "status"], name="sptjm_period_status"),
            # "Is this file a document's scan?" (`retention.documents_naming`, decision 0120): the
            # prune asks it of every scan it may delete. See `core.Job`'s `job_input_path`.
            models.Index(fields=["scan_path"], name="sptjm_scan_path", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def printed_late(self) -> bool:
        return bool(self.print_late_days)

    @property
    def uploaded_late(self) -> bool:
        return bool(self.upload_late_days)

    @property
    def is_late(self) -> bool:
        """Printed, or its latest scan uploaded, after the deadline in force then."""
        return self.printed_late or self.uploaded_late


class SptjmItem(models.Model):
    """A recipient listed on an SPTJM with the number and package as printed."""

    sptjm = models.ForeignKey(Sptjm, on_delete=models.CASCADE, related_name="items")
    recipient = models.ForeignKey("registry.Recipient", on_delete=models.PROTECT, related_name="sptjm_items")
    period = models.ForeignKey("reference.Period", on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField()
    phone_e164 = models.CharField(max_length=16)
    operator = models.CharField(max_length=16, blank=True)
    category = models.CharField(max_length=10)
    package_gb = models.DecimalField(max_digits=6, decimal_places=2)
    # Set when the SPTJM is approved: the recipient is then "covered" for this number.
    approved = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sptjm", "line"]
        constraints = [models.UniqueConstraint(fields=["sptjm", "recipient"], name="sptjm_item_unique")]
        indexes = [
            # (recipient, period) first: with (recipient, approved) SQLite answered the disbursement's
            # per-recipient subqueries through the period index instead, reading every item of the
            # period for each recipient (3,800 candidates: 18 s; with this index: well under 1 s).
            models.Index(fields=["recipient", "period", "approved"], name="sptjm_item_recipient_period"),
            models.Index(fields=["period", "approved"], name="sptjm_item_period_appr"),
        ]

    def __str__(self) -> str:
        return f"{self.sptjm_id} #{self.line}"


class DisbursementStatus(models.TextChoices):
    DIJADWALKAN = "DIJADWALKAN", _("Dijadwalkan")
    BERHASIL = "BERHASIL", _("Berhasil")
    GAGAL = "GAGAL", _("Gagal")
    DIKECUALIKAN = "DIKECUALIKAN", _("Dikecualikan")


class ExclusionRule(models.TextChoices):
    MAKS_3_PAKET = "MAKS_3_PAKET", _("Satu nomor paling banyak menerima 3 paket per periode")
    PEMAKAIAN_RENDAH = "PEMAKAIAN_RENDAH", _("Pemakaian periode sebelumnya di bawah batas")
    TANPA_PAKET = "TANPA_PAKET", _("Kebijakan kuota tidak punya paket untuk kategori ini")


class DisbursementBatch(models.Model):
    """A provider's file of approved recipients for a period: `pd_id,no_ponsel,kuota_gb,kategori` (gz)."""

    class State(models.TextChoices):
        TERBIT = "TERBIT", _("Terbit")
        DIAMBIL = "DIAMBIL", _("Diambil provider")
        SELESAI = "SELESAI", _("Hasil lengkap")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period = models.ForeignKey(
        "reference.Period", on_delete=models.PROTECT, related_name="disbursement_batches"
    )
    provider = models.CharField(max_length=16, db_index=True)
    seq = models.PositiveIntegerField(default=1)  # per period and provider
    rows = models.PositiveIntegerField(default=0)
    total_gb = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    file_path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.TERBIT, db_index=True)
    # How the file writes no_ponsel: the provider's number format (exchange.ProviderSetting, the
    # dump's) when the run wrote the batch; a later change applies from its next batch (decision
    # 0027, "Revision"). Batches written before have `msisdn`, which is what their files hold.
    number_format = models.CharField(max_length=12, choices=NumberFormat.choices, default=NumberFormat.MSISDN)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    first_downloaded_at = models.DateTimeField(null=True, blank=True)
    # Lines still DIJADWALKAN (no result yet), kept here rather than counted: counting scanned the
    # whole batch after every results file (~30 s per file at 10 M lines), and no index may help it
    # (decision 0048). Every line starts DIJADWALKAN, so the run sets it to `rows`; only an
    # injection apply moves a line out, and it lowers this by the lines it moved, in its own
    # transaction under the batch's row lock (decision 0053). Not Positive: a count that would go
    # below zero (a line written behind the run's back) is recounted, not refused by a CHECK.
    pending = models.IntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["period", "provider", "seq"], name="disb_batch_seq")]

    def __str__(self) -> str:
        return f"{self.provider} {self.period_id} #{self.seq}"


class Disbursement(models.Model):
    """One attempt of a recipient's package in one period — a line of a disbursement batch — or
    its exclusion with the rule named. A recipient retried in the period (its number fixed after a
    GAGAL or an exclusion) gets a new row: every batch line stays with its batch, result and reason
    (docs/decisions/0021-disbursement-attempts.md). `is_current` marks the one row that stands for
    the recipient in the period (SPEC §4, per recipient per period): its first BERHASIL attempt if
    one was delivered, else its latest row."""

    # No single-column index where a composite one of Meta starts with the column (recipient,
    # period, school) and none on provider, phone or status alone (no query filters on them
    # alone): a disbursement run inserts a million rows and each index costs ~1.3 s of that on
    # PostgreSQL (docs/decisions/0012-disbursement-at-scale.md).
    # No index names (nor is predicated on) a column an injection result changes — status,
    # reason, reported_gb, reported_at, result_job, is_duplicate — so that writing a provider's
    # results is a HOT update (fillfactor 50, PostgreSQL); `is_current` only changes when a
    # delivery supersedes another attempt, and its partial unique index stays
    # (docs/decisions/0048-disbursement-lines-written-in-place.md).
    # No database foreign keys: the period is locked by the run, the batch created by it, the
    # school copied from the recipient's row (decision 0023); the recipient and the SPTJM item are
    # read in the run's own statement and never deleted, the result job is held FOR KEY SHARE by
    # the ingest (decision 0048). The ORM's on_delete (PROTECT, SET_NULL) still applies;
    # `sptjm.selectors.orphan_lines` (in `verval stats`) finds a line whose recipient or item is gone.
    recipient = models.ForeignKey(
        "registry.Recipient",
        on_delete=models.PROTECT,
        related_name="disbursements",
        db_index=False,
        db_constraint=False,
    )
    period = models.ForeignKey(
        "reference.Period",
        on_delete=models.PROTECT,
        related_name="disbursements",
        db_index=False,
        db_constraint=False,
    )
    provider = models.CharField(max_length=16)
    batch = models.ForeignKey(
        DisbursementBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disbursements",
        db_constraint=False,
    )
    sptjm_item = models.ForeignKey(
        SptjmItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    school = models.ForeignKey(
        "reference.School", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    phone_e164 = models.CharField(max_length=16)
    category = models.CharField(max_length=10)
    package_gb = models.DecimalField(max_digits=6, decimal_places=2)
    status = models.CharField(max_length=16, choices=DisbursementStatus.choices)
    rule = models.CharField(max_length=24, choices=ExclusionRule.choices, blank=True)
    reason = models.CharField(max_length=255, blank=True)  # provider's keterangan for GAGAL
    reported_gb = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)  # provider's waktu (or receipt time)
    result_job = models.ForeignKey(
        "core.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # This row's number among the recipient's rows of the period (1 the first; a retry is the
    # current row's number + 1, so the latest row's number is how many rows there are).
    attempts = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    # A BERHASIL of a recipient already delivered a package this period through another attempt
    # (the provider injected two of its lines): recorded as the provider reported it, flagged
    # (BERHASIL_GANDA), never the current row, so the recipient counts one package.
    is_duplicate = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "provider", "id"]
        constraints = [
            # Every attempt its own row; the index also serves the lookups by (recipient, period).
            models.UniqueConstraint(fields=["recipient", "period", "attempts"], name="disbursement_attempt"),
            models.UniqueConstraint(
                fields=["recipient", "period"],
                condition=models.Q(is_current=True),
                name="disbursement_one_current",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "phone_e164"], name="disb_period_phone"),
            models.Index(fields=["period", "provider"], name="disb_period_provider"),
            models.Index(fields=["school", "period"], name="disb_school_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.recipient_id} {self.status}"


class UsageReport(models.Model):
    """Usage a provider reported for a number in a period (`pd_id,no_ponsel,pemakaian_gb`)."""

    period = models.ForeignKey("reference.Period", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=16)
    recipient_id = models.UUIDField()
    phone_e164 = models.CharField(max_length=16)
    usage_gb = models.DecimalField(max_digits=8, decimal_places=2)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "provider", "recipient_id"], name="usage_unique")
        ]
        indexes = [models.Index(fields=["period", "phone_e164"], name="usage_period_phone")]

    def __str__(self) -> str:
        return f"{self.period_id} {self.provider} {self.recipient_id}"


class ProviderRecap(models.Model):
    """A provider's own recap of a period (SPEC §3 step 12): sent, injected, failed, GB."""

    period = models.ForeignKey("reference.Period", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=16)
    sent = models.PositiveIntegerField()
    injected = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    gb = models.DecimalField(max_digits=14, decimal_places=2)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "provider"], name="recap_unique")]

    def __str__(self) -> str:
        return f"{self.period_id} {self.provider}"
