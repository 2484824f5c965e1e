"""Dashboard aggregates (SPEC §3 step 7): counts kept current by the refresh functions in services.py.

Pages never count recipients. They read these tables:

- SchoolStat: one row per school and combination of dimensions, with a count. Two kinds of fact:
  `R` (the recipient's current state: number status, reason, sent to a provider), `S` (a recipient
  listed on an SPTJM of a period, with the document's status) and `D` (a disbursement row of a
  period with its status). Recomputed per school or in full.
- RegionStat: the same dimensions summed per regency (area_level 2), province (1) and nation (0),
  recomputed from SchoolStat for the regions a refresh touched.
- SchoolSummary: one row per school with the funnel columns, for the "behind schedule" list.
- DailySnapshot: the main funnel figures per area per day, for the progress-over-time chart.
- DirtySchool: schools whose aggregates are stale (a single-record action touched them).
- StatsState: one row; `version` grows with every refresh and keys the page caches.
"""

from __future__ import annotations

from django.db import models


class Fact(models.TextChoices):
    RECIPIENT = "R", "recipient"
    SPTJM = "S", "sptjm"
    DISBURSEMENT = "D", "disbursement"


class _Dims(models.Model):
    level = models.CharField(
        max_length=12
    )  # school level group: PAUD, SD, SMP, SMA, SMK, SLB, KESETARAAN, LAINNYA
    kind = models.CharField(max_length=3)  # PD / PTK
    operator = models.CharField(max_length=16, blank=True)  # provider code by prefix ('' = unknown)
    fact = models.CharField(max_length=1, choices=Fact.choices)
    status = models.CharField(
        max_length=20, blank=True
    )  # number status (R), SPTJM status (S), disbursement status (D)
    reason = models.CharField(max_length=32, blank=True)  # FORMAT_SALAH rule code or RESIDU reason
    sent = models.BooleanField(default=False)  # R: the current number went to a provider
    period = models.CharField(max_length=32, blank=True)  # S, D: period code
    count = models.BigIntegerField()

    class Meta:
        abstract = True


class SchoolStat(_Dims):
    npsn = models.CharField(max_length=8)
    regency = models.CharField(max_length=6)
    province = models.CharField(max_length=6)

    class Meta:
        indexes = [
            models.Index(fields=["npsn"], name="dash_schoolstat_npsn"),
            models.Index(fields=["regency"], name="dash_schoolstat_regency"),
        ]

    def __str__(self) -> str:
        return f"{self.npsn} {self.fact} {self.status} {self.count}"


class RegionStat(_Dims):
    # Besides the real rows, '*' roll-ups over every subset of (level, kind, operator): see services.
    area_level = models.PositiveSmallIntegerField()  # 0 nation, 1 province, 2 regency
    region = models.CharField(max_length=6, blank=True)  # '' for the nation
    parent = models.CharField(max_length=6, blank=True)  # province of a regency; '' otherwise

    class Meta:
        indexes = [
            models.Index(
                fields=["area_level", "parent", "level", "kind", "operator"], name="dash_regionstat_children"
            ),
            models.Index(fields=["region"], name="dash_regionstat_region"),
            # Each area's unfiltered roll-up, what the daily snapshot sums (`services.take_snapshot`,
            # on every refresh, a school's too): a few dozen rows an area, read from here rather
            # than from a read of the whole table (decision 0130).
            models.Index(
                fields=["region"],
                name="dash_regionstat_unfiltered",
                condition=models.Q(level="*", kind="*", operator="*"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region or 'ID'} {self.fact} {self.status} {self.count}"


class SchoolSummary(models.Model):
    """The funnel of one school in one row (no dimension filters), for lists of schools."""

    school = models.OneToOneField(
        "reference.School",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # School -> its summary, one LEFT JOIN for the Dinas school list (decision 0085).
        related_name="summary",
    )
    regency = models.CharField(max_length=6, db_index=True)
    province = models.CharField(max_length=6)
    level = models.CharField(max_length=12)
    imported = models.BigIntegerField(default=0)
    belum = models.BigIntegerField(default=0)
    format_salah = models.BigIntegerField(default=0)
    menunggu = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)
    aktif = models.BigIntegerField(default=0)
    residu = models.BigIntegerField(default=0)
    sptjm_printed = models.BigIntegerField(default=0)
    sptjm_uploaded = models.BigIntegerField(default=0)
    sptjm_approved = models.BigIntegerField(default=0)
    sptjm_returned = models.BigIntegerField(default=0)
    # Of sptjm_printed, _uploaded and _approved: the AKTIF recipients carried from an SPTJM approved
    # in an earlier period (2021, `S` facts DIBAWA), on no document of this period (decision 0116).
    sptjm_carried = models.BigIntegerField(default=0)
    # The school's SchoolSptjm row of the same refresh (decision 0119): its `state` (the document
    # that says what the school still has to do, a printed or returned one first) and `to_print`
    # (how many recipients a print would list now: no live document, not carried, not locked by
    # another period's live SPTJM; decision 0122). The list, its score and the digest read them,
    # as the late-schools page does.
    sptjm_state = models.CharField(max_length=12, blank=True, default="")
    sptjm_to_print = models.PositiveIntegerField(default=0)
    berhasil = models.BigIntegerField(default=0)
    gagal = models.BigIntegerField(default=0)
    # Higher = further behind: needs action first. See services.SCORE_SQL.
    score = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-score", "school"], name="dash_summary_score")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.aktif}/{self.imported}"

    # What the school itself has to print or upload for the period: its own documents, not the
    # recipients carried without one (they count as printed, uploaded and approved in the funnel,
    # decision 0116), nor the recipients locked by another period's live SPTJM, and a document
    # waiting for its scan beside an approved one (decision 0119): the late-schools page's rules,
    # from the same SchoolSptjm row. The same rules as SQL: services.SCORE_SQL and
    # accounts.digest.TO_PRINT / TO_UPLOAD.
    @property
    def has_to_print(self) -> bool:
        """A print of the period would list someone now (`SchoolSptjm.to_print`): no document of
        it, or only approved ones and AKTIF numbers none of them lists (decision 0122)."""
        return self.sptjm_to_print > 0

    @property
    def has_returned(self) -> bool:
        """A document of the period returned and not uploaded again."""
        return self.sptjm_state == "DIKEMBALIKAN"

    @property
    def has_printed_not_uploaded(self) -> bool:
        """A document of the period printed and not uploaded (whatever others it has), none returned."""
        return self.sptjm_state == "DICETAK"


class SchoolSptjm(models.Model):
    """The late-schools page's facts of one school for one period, one row per school of
    reference.School (decision 0105): the period they were read for (`services.current_period_code()`
    at the refresh), the school's document of it that says what it still has to do
    (`sources.STEP_RANK`: DIKEMBALIKAN > DICETAK > DISETUJUI > DIUNGGAH, voided ones ignored; ''
    none; decision 0119), and `to_print`: how many recipients the school's print would list now
    (`sptjm.selectors.print_candidates`: under a 2021 policy a number approved in an earlier period
    is carried, decision 0116), 0 while a document of the period is live (the print returns it) —
    so a school whose documents are all approved and that has new AKTIF numbers has some
    (decision 0122). Not columns of SchoolSummary: a
    summary row exists only for a school with facts, and a document's school needs a row too."""

    school = models.OneToOneField(
        "reference.School",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="sptjm_facts",
    )
    period = models.CharField(max_length=32)
    state = models.CharField(max_length=12, blank=True)
    to_print = models.PositiveIntegerField(default=0)

    class Meta:
        # The late ones of a period (`state`, `to_print`) read from the index alone, and rows of
        # another period found by two range reads (decision 0105).
        indexes = [models.Index(fields=["period", "state", "to_print"], name="dash_sptjm_late")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.period} {self.state or '-'}{f' {self.to_print} to print' if self.to_print else ''}"


class DailySnapshot(models.Model):
    day = models.DateField()
    area = models.CharField(max_length=6, blank=True)  # '' nation, else a province or regency code
    imported = models.BigIntegerField(default=0)
    valid = models.BigIntegerField(default=0)
    sent = models.BigIntegerField(default=0)
    aktif = models.BigIntegerField(default=0)
    residu = models.BigIntegerField(default=0)
    sptjm_approved = models.BigIntegerField(default=0)
    berhasil = models.BigIntegerField(default=0)
    gagal = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["area", "day"]
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="dash_snapshot_area_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.area or 'ID'}"


class DirtySchool(models.Model):
    npsn = models.CharField(max_length=8, primary_key=True)
    marked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.npsn


class StatsState(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    full_refreshed_at = models.DateTimeField(null=True, blank=True)
    full_seconds = models.FloatField(null=True, blank=True)
    # When a full refresh last wrote every SchoolSptjm row: null until the first one after the
    # table was added, and the late-schools page counts live until then (decision 0105).
    sptjm_facts_at = models.DateTimeField(null=True, blank=True)
    # What those rows were read under (`services.sptjm_facts_key`): the period and the periods
    # whose approved items cover a recipient for it. The page reads them only while the periods
    # still say the same (a policy or a start date edited since: it counts live; decision 0116).
    sptjm_facts_key = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"v{self.version}"
