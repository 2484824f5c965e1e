from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from verval.phones import mask


class NumberStatus(models.TextChoices):
    BELUM_VERVAL = "BELUM_VERVAL", _("Belum diverifikasi")
    FORMAT_SALAH = "FORMAT_SALAH", _("Format tidak valid")
    MENUNGGU_PROVIDER = "MENUNGGU_PROVIDER", _("Proses validasi provider")
    AKTIF = "AKTIF", _("Aktif")
    RESIDU = "RESIDU", _("Residu")


class ResidueReason(models.TextChoices):
    TIDAK_AKTIF = "TIDAK_AKTIF", _("Nomor tidak aktif")
    MASA_TENGGANG = "MASA_TENGGANG", _("Nomor dalam masa tenggang")
    TIDAK_TERDAFTAR = "TIDAK_TERDAFTAR", _("Nomor tidak terdaftar")
    BUKAN_PELANGGAN = "BUKAN_PELANGGAN", _("Bukan pelanggan provider ini")
    LAINNYA = "LAINNYA", _("Alasan lain dari provider")


class Kind(models.TextChoices):
    PD = "PD", _("Peserta didik")
    PTK = "PTK", _("Pendidik dan tenaga kependidikan")


class Category(models.TextChoices):
    """The quota category (SPEC §6), derived from kind and school form at import."""

    PAUD = "PAUD", _("PAUD")
    DIKDASMEN = "DIKDASMEN", _("SD/SMP/SMA/SMK/SLB/Kesetaraan")
    PTK = "PTK", _("Pendidik")


class Recipient(models.Model):
    """A student (PD) or teacher (PTK) from the Dapodik cutoff with their current number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)  # pd_id or ptk_id from Dapodik
    kind = models.CharField(max_length=3, choices=Kind.choices)
    category = models.CharField(max_length=10, choices=Category.choices)
    name = models.CharField(max_length=150)
    nisn = models.CharField(max_length=10, blank=True)
    nik = models.CharField(max_length=16, blank=True)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)  # tingkat_pendidikan 1-13
    # Indexed through recipient_school_order; see Meta.
    school = models.ForeignKey(
        "reference.School", on_delete=models.PROTECT, related_name="recipients", db_index=False
    )

    phone_raw = models.CharField(max_length=100, blank=True)  # as typed
    phone_e164 = models.CharField(max_length=16, blank=True)  # indexed in Meta (no LIKE index)
    operator = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=20, choices=NumberStatus.choices, default=NumberStatus.BELUM_VERVAL)
    # A phone-rule code for FORMAT_SALAH, a ResidueReason for RESIDU, empty otherwise.
    reason = models.CharField(max_length=32, blank=True)
    reason_note = models.CharField(max_length=255, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Set when the number is new or changed and Pusdatin's validation run has not seen it yet.
    needs_validation = models.BooleanField(default=True)

    confirmed_at = models.DateTimeField(null=True, blank=True)  # verifikasi by the school
    # No database key: a first load sets the registry's keys aside, and dropping one locks the
    # table it points at until the import commits; the user table, read by every page to know
    # who is signed in, must stay readable (tests/imports/test_first_load_locks.py). Accounts are
    # deactivated, never deleted; the ORM's SET_NULL still applies if one ever is.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    locked = models.BooleanField(default=False)  # listed on a printed SPTJM not yet approved/voided

    active = models.BooleanField(default=True)  # False once a newer cutoff no longer lists it
    row_hash = models.CharField(max_length=32, blank=True)  # of the cutoff row, for idempotent import
    version = models.PositiveIntegerField(default=1)  # optimistic locking
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school_id", "kind", "grade", "name"]
        # No index may contain (or have a predicate on) a column that validation or a provider
        # result changes — status, reason, needs_validation, version, the timestamps — so that those
        # million-row UPDATEs are HOT: they rewrite the heap row in place and touch no index.
        # Measured on 1 M rows: 30.7 s with status in two indexes, 5.6 s heap-only
        # (docs/decisions/0006-hot-updates.md). The heap keeps free space for them: fillfactor 50
        # on PostgreSQL (migration 0005).
        indexes = [
            # The school page: one school's rows in display order, filtered by status on the heap.
            # On PostgreSQL migration 0008 makes its `name` COLLATE "C" (the index only, not the
            # column): built several seconds faster at 10 M rows, still used by the page, which
            # sorts one grade's names by the column's collation on top of it (decision 0046).
            models.Index(fields=["school", "kind", "grade", "name"], name="recipient_school_order"),
            # A plain btree: on PostgreSQL db_index=True would add a second, *_like index that
            # every bulk UPDATE of a million rows has to maintain too.
            models.Index(fields=["phone_e164"], name="recipient_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def grade_label(self) -> str:
        """tingkat_pendidikan as the dump file writes it (SPEC §7)."""
        if self.kind == Kind.PTK:
            return "PTK"
        if self.category == Category.PAUD or self.grade is None:
            return "PAUD"
        return str(self.grade)

    @property
    def number_tag(self) -> str:
        """Names the number a page showed without writing it into the form: a confirmation sent
        again from a stale page (the Back button) is known to be about the same number. Keyed, so
        that the form value of a request body in a log does not give the number away by trial."""
        return salted_hmac("verval.registry.number_tag", self.phone_e164 or self.phone_raw).hexdigest()[:16]


HISTORY_PHONE_CHARS = 20  # NumberHistory.phone_before / phone_after


def history_mask(value: str | None) -> str:
    """A number masked as a history row keeps it: `mask`, and for more than 20 digits (two numbers
    typed in one field) its first and last four digits around 12 stars, so that it fits the
    columns (decision 0117: a longer value was a 500 on PostgreSQL)."""
    shown = mask(value)
    if len(shown) <= HISTORY_PHONE_CHARS:
        return shown
    return shown[:4] + "*" * (HISTORY_PHONE_CHARS - 8) + shown[-4:]


class NumberHistory(models.Model):
    """Every status or number change of a recipient: who, when, from, to and why."""

    # History is written a million rows at a time by the validation run and by ingests; only
    # (recipient, at) is ever looked up. No database-level foreign keys: their deferred checks cost
    # as much as the insert itself at commit (measured: 41 s per million rows on the demo server),
    # recipients are never deleted (a cutoff deactivates them), and the ORM still cascades.
    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, related_name="history", db_index=False, db_constraint=False
    )
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    job = models.ForeignKey(
        "core.Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    phone_before = models.CharField(max_length=HISTORY_PHONE_CHARS, blank=True)  # history_mask
    phone_after = models.CharField(max_length=HISTORY_PHONE_CHARS, blank=True)  # history_mask
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        # The timeline looks rows up by recipient only (a handful each, sorted in memory). The
        # index, `numberhistory_recipient`, is made by migration 0006 and not declared here because
        # its kind depends on the database: a hash index on PostgreSQL, where a million-row
        # validation run inserted into the (recipient, at) btree for 8 of its 12 seconds of history
        # writing (4 with a hash index); a plain one on SQLite.

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}->{self.to_status}"


class SharedNumber(models.Model):
    """A number used by more active recipients than allowed (SPEC §5), recomputed by each validation run.

    level SEKOLAH: more than SHARED_NUMBER_LIMIT (3) recipients — shown to the schools involved.
    level TIDAK_RASIONAL: more than SHARED_NUMBER_IMPLAUSIBLE (10) — shown to Dinas and Pusdatin too.
    """

    class Level(models.TextChoices):
        SEKOLAH = "SEKOLAH", _("Dipakai lebih dari batas")
        TIDAK_RASIONAL = "TIDAK_RASIONAL", _("Tidak rasional")

    phone_e164 = models.CharField(max_length=16, primary_key=True)
    recipients = models.PositiveIntegerField()
    schools = models.PositiveIntegerField()
    level = models.CharField(max_length=16, choices=Level.choices, db_index=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-recipients"]

    def __str__(self) -> str:
        return f"{self.level} x{self.recipients}"
