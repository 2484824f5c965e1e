from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A Dapodik region: province PP0000, kabupaten/kota PPKK00, kecamatan PPKKCC."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Provinsi")
        REGENCY = 2, _("Kabupaten/kota")
        DISTRICT = 3, _("Kecamatan")

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=120)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kemendagri_code = models.CharField(max_length=13, blank=True, db_index=True)
    population = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def regency_code(self) -> str | None:
        return None if self.level == self.Level.PROVINCE else self.code[:4] + "00"


class School(models.Model):
    """A school (satuan pendidikan), placed in the region tree; comes from the cutoff."""

    class Status(models.TextChoices):
        NEGERI = "N", _("Negeri")
        SWASTA = "S", _("Swasta")

    npsn = models.CharField(max_length=8, primary_key=True)
    name = models.CharField(max_length=200)
    bentuk = models.CharField(max_length=16, db_index=True)
    status = models.CharField(max_length=1, choices=Status.choices, blank=True)
    # The most precise region the cutoff gave (usually a kecamatan), plus the two levels the
    # scoping rules filter on, denormalised so that "schools of this Dinas" is one indexed lookup.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="schools")
    regency = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="regency_schools")
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="province_schools")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["npsn"]

    def __str__(self) -> str:
        return f"{self.npsn} {self.name}"


class QuotaPolicy(models.Model):
    """The package rules of a programme year (SPEC §6), loaded as data."""

    code = models.CharField(max_length=16, primary_key=True)
    name = models.CharField(max_length=120)
    max_packages_per_number = models.PositiveSmallIntegerField(default=3)
    # 2021: numbers that used less than this in the previous period are excluded (None: no rule).
    min_previous_usage_gb = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # 2021: an SPTJM is needed only for new or changed numbers.
    sptjm_only_changed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class QuotaRule(models.Model):
    class Category(models.TextChoices):
        PAUD = "PAUD", _("PAUD")
        DIKDASMEN = "DIKDASMEN", _("SD/SMP/SMA/SMK/SLB/Kesetaraan")
        PTK = "PTK", _("Pendidik")

    policy = models.ForeignKey(QuotaPolicy, on_delete=models.CASCADE, related_name="rules")
    category = models.CharField(max_length=16, choices=Category.choices)
    general_gb = models.DecimalField(max_digits=6, decimal_places=2)
    learning_gb = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "category"], name="quota_rule_unique")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.category}"

    @property
    def total_gb(self):  # type: ignore[no-untyped-def]
        return self.general_gb + self.learning_gb


class Period(models.Model):
    """A round (tahap) of the programme with its schedule and quota policy."""

    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=120)
    policy = models.ForeignKey(QuotaPolicy, on_delete=models.PROTECT, related_name="periods")
    starts_on = models.DateField()
    ends_on = models.DateField()
    sptjm_print_deadline = models.DateField(null=True, blank=True)
    sptjm_upload_deadline = models.DateField(null=True, blank=True)
    handover_on = models.DateField(null=True, blank=True)
    is_open = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.name
