"""Provider exchange: tokens, dump batches and the rows they carried (SPEC §3 steps 4-6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verval.accounts.models import PROVIDER_CHOICES


class ResultStatus(models.TextChoices):
    """What a provider answers for one dump row (SPEC §7)."""

    AKTIF = "AKTIF", _("Aktif")
    TIDAK_AKTIF = "TIDAK_AKTIF", _("Tidak aktif")
    MASA_TENGGANG = "MASA_TENGGANG", _("Masa tenggang")
    TIDAK_TERDAFTAR = "TIDAK_TERDAFTAR", _("Tidak terdaftar")
    BUKAN_PELANGGAN = "BUKAN_PELANGGAN", _("Bukan pelanggan")


class NumberFormat(models.TextChoices):
    """How a dump writes `no_ponsel` (SPEC §7: E.164 without `+` unless the provider asks
    otherwise). Set per provider by Pusdatin (ProviderSetting), recorded on each batch when it is
    published (docs/decisions/0027-provider-number-format.md). The labels show each form's shape,
    not an example number: Pusdatin's page is one where numbers are masked, and a whole example
    cannot be told from a child's number by whoever scans pages, logs or screenshots (decision
    0098, as `verval provider-format` in decision 0086)."""

    MSISDN = "msisdn", _("628… (E.164 tanpa +, bawaan)")
    E164 = "e164", _("+628… (E.164 dengan +)")
    NATIONAL = "national", _("08… (nasional, awalan 0)")


class ProviderSetting(models.Model):
    """What Pusdatin has set for one provider. A provider without a row has the defaults."""

    provider = models.CharField(max_length=16, choices=PROVIDER_CHOICES, primary_key=True)
    number_format = models.CharField(max_length=12, choices=NumberFormat.choices, default=NumberFormat.MSISDN)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.provider} {self.number_format}"


class ProviderToken(models.Model):
    """A Bearer token for the provider API. Only a SHA-256 of the token is stored.

    The token is `vp_<prefix>_<secret>`; `prefix` finds the row, the hash proves the secret.
    Issuing a token with the same label revokes the earlier ones (rotation).
    """

    provider = models.CharField(max_length=16, choices=PROVIDER_CHOICES, db_index=True)
    label = models.CharField(max_length=32, default="default")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DumpBatch(models.Model):
    """One dump file published to one provider."""

    class State(models.TextChoices):
        OPEN = "OPEN", _("Menunggu jawaban")
        INCOMPLETE = "INCOMPLETE", _("Belum lengkap")
        COMPLETE = "COMPLETE", _("Lengkap")

    id = models.CharField(max_length=48, primary_key=True)  # DMP-YYYYMMDD-<provider>-NNNN
    provider = models.CharField(max_length=16, choices=PROVIDER_CHOICES, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rows = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    manifest_path = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN, db_index=True)
    # How the file writes no_ponsel: the provider's format when the batch was published. A later
    # change of the provider's format applies from its next batch (decision 0027).
    number_format = models.CharField(max_length=12, choices=NumberFormat.choices, default=NumberFormat.MSISDN)
    # Counts kept up to date by each ingest.
    answered = models.BigIntegerField(default=0)
    aktif = models.BigIntegerField(default=0)
    residu = models.BigIntegerField(default=0)
    superseded = models.BigIntegerField(default=0)
    contradictions = models.BigIntegerField(default=0)
    last_result_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.id

    @property
    def unanswered(self) -> int:
        return max(0, self.rows - self.answered - self.superseded)

    @property
    def percent(self) -> int:
        need = self.rows - self.superseded
        return 100 if need <= 0 else int(100 * self.answered / need)


# A reference kept for the record only: never joined in bulk, never cascaded, no index to keep.
_LEDGER_REF: dict[str, Any] = {
    "null": True,
    "blank": True,
    "on_delete": models.DO_NOTHING,
    "db_constraint": False,
    "db_index": False,
    "related_name": "+",
}


class DumpItem(models.Model):
    """One row of a dump: the number sent for a recipient and what the provider answered.

    `is_open` is True until the row is answered or superseded (the recipient's number changed
    and a newer batch carries the new one); a recipient has at most one open row. That rule is
    kept by publish_dump_batches (under an advisory lock), not by a partial unique index: an
    index on `is_open` would make every answered row a non-HOT update that writes into every
    index of the table (docs/decisions/0006-hot-updates.md).
    Foreign keys carry no database constraint: these rows are written 10 M at a time with
    INSERT ... SELECT from rows that exist, and recipients are never deleted (only deactivated).
    """

    batch = models.ForeignKey(
        DumpBatch, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="items"
    )
    recipient = models.ForeignKey(
        "registry.Recipient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    phone = models.CharField(max_length=16)  # E.164 with '+', as sent
    # The other two columns of the dump row as sent, so that the file is written from this table
    # alone (one sequential read, no join with the registry).
    grade = models.CharField(max_length=4, blank=True)  # tingkat_pendidikan: 1-13, PAUD or PTK
    npsn = models.CharField(max_length=8, blank=True)
    result = models.CharField(max_length=20, blank=True, choices=ResultStatus.choices)
    note = models.CharField(max_length=255, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True)
    superseded = models.BooleanField(default=False)
    # A later answer that contradicted `result` (refused, shown to Pusdatin).
    conflict_result = models.CharField(max_length=20, blank=True)
    conflict_at = models.DateTimeField(null=True, blank=True)
    # The provider result's audit trail lives on this row: who sent it, in which ingest, and
    # whether it moved the recipient's status (False when the number or status had changed since
    # the dump). The recipient's timeline reads answered rows from here; a NumberHistory row per
    # result cost as much as the rest of an ingest (docs/decisions/0008-provider-result-ledger.md).
    applied = models.BooleanField(default=False, db_default=False)  # raw INSERT … SELECT omits it
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, **_LEDGER_REF)
    answered_in = models.ForeignKey("core.Job", **_LEDGER_REF)

    class Meta:
        # One btree with a random key, not two: each costs ~10 s per million rows a dump inserts
        # (measured: 21.7 s with (batch, recipient) and (recipient, batch), 12.7 s with one).
        # Reading a whole batch (the file, the counts) goes through `dumpitem_batch_range`, made by
        # migration 0004 and not declared here because its kind depends on the database: a BRIN
        # index on PostgreSQL (rows of a batch are written together, so it is tiny and nearly free
        # to keep), a plain index on SQLite.
        constraints = [
            models.UniqueConstraint(fields=["recipient", "batch"], name="dumpitem_recipient_batch_key"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.recipient_id}"


class RefusedContradiction(models.Model):
    """A result in a file refused whole that contradicted the answer its row already had.

    A contradiction in a file that is applied is recorded on its dump row (`conflict_result`);
    a file refused whole changes nothing, so its contradictions are kept here instead, beside
    its job's report, and Pusdatin sees them on the batch page as it sees the others (SPEC §9:
    refused whole, nothing changed; the report of what was refused stays). The number is kept
    masked: these rows are only ever shown. At most REFUSED_FILE_ISSUES_KEPT a file (the job's
    counts give the total under `by_code`).
    """

    job = models.ForeignKey("core.Job", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(DumpBatch, on_delete=models.CASCADE, related_name="refused_contradictions")
    line = models.BigIntegerField()
    recipient = models.ForeignKey(
        "registry.Recipient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    phone = models.CharField(max_length=16)  # masked: 0812****7890
    result = models.CharField(max_length=20, choices=ResultStatus.choices)  # the answer in force
    conflict_result = models.CharField(max_length=20, choices=ResultStatus.choices)  # the file's
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "line"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"
