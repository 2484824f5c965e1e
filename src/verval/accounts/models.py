from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from verval.reference.zones import CHOICES as ZONE_CHOICES

PROVIDER_CODES = ["telkomsel", "indosat", "xl", "axis", "tri", "smartfren"]
PROVIDER_CHOICES = [
    ("telkomsel", "Telkomsel"),
    ("indosat", "Indosat Ooredoo"),
    ("xl", "XL Axiata"),
    ("axis", "AXIS"),
    ("tri", "Tri (3)"),
    ("smartfren", "Smartfren"),
]


def provider_name(code: str) -> str:
    """A provider/operator code (indosat) as people know it (Indosat Ooredoo); an unknown code
    stays as it is, '' stays ''."""
    return dict(PROVIDER_CHOICES).get(code, code or "")


class Role(models.TextChoices):
    PUSDATIN = "PUSDATIN", _("Pusdatin")
    DINAS_PROV = "DINAS_PROV", _("Admin Dinas Provinsi")
    DINAS_KAB = "DINAS_KAB", _("Admin Dinas Kabupaten/kota")
    OPERATOR = "OPERATOR", _("Operator Sekolah")
    PROVIDER = "PROVIDER", _("Provider")


class UserManager(DjangoUserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        # `verval createsuperuser` makes the first Pusdatin account (docs/accounts.md): the default
        # role (OPERATOR) would need a school and fail the scope check.
        extra.setdefault("role", Role.PUSDATIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """An account with exactly one role and the scope that role needs.

    OPERATOR has a school, DINAS_* a region (province or kabupaten/kota), PROVIDER a provider code.
    """

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OPERATOR, db_index=True)
    school = models.ForeignKey(
        "reference.School", null=True, blank=True, on_delete=models.PROTECT, related_name="operators"
    )
    region = models.ForeignKey(
        "reference.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="admins"
    )
    provider = models.CharField(max_length=16, choices=PROVIDER_CHOICES, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # The zone the person reads times in, when they chose one; blank: by the province of their
    # school or region, WIB for Pusdatin and providers (accounts.selectors.zone_for, decision 0037).
    time_zone = models.CharField(max_length=4, choices=ZONE_CHOICES, blank=True, default="")
    # The daily digest by e-mail (`verval notify`, decision 0043); its owner switches it off on
    # the account page. On by default: an operator who never opens the site is who it is for.
    digest_enabled = models.BooleanField(default=True, db_default=True)

    class Meta:
        # Sign-in matches the user name ignoring case and password resets the e-mail address
        # (`__iexact` is UPPER(...) = UPPER(...) on PostgreSQL): indexes on those expressions.
        indexes = [
            models.Index(Upper("username"), name="user_username_upper"),
            models.Index(Upper("email"), name="user_email_upper"),
        ]
        constraints = [
            models.CheckConstraint(
                name="user_scope_matches_role",
                condition=(
                    models.Q(role="PUSDATIN")
                    | models.Q(role="OPERATOR", school__isnull=False)
                    | models.Q(role__in=["DINAS_PROV", "DINAS_KAB"], region__isnull=False)
                    | models.Q(role="PROVIDER", provider__gt="")
                ),
            )
        ]

    @property
    def is_pusdatin(self) -> bool:
        return self.role == Role.PUSDATIN

    @property
    def is_dinas(self) -> bool:
        return self.role in (Role.DINAS_PROV, Role.DINAS_KAB)

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER


class OperatorRegistration(models.Model):
    """An operator asks for an account for an NPSN with an assignment letter (SK penugasan)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Menunggu persetujuan")
        APPROVED = "APPROVED", _("Disetujui")
        REJECTED = "REJECTED", _("Ditolak")

    school = models.ForeignKey("reference.School", on_delete=models.PROTECT, related_name="registrations")
    full_name = models.CharField(max_length=120)
    email = models.EmailField()
    username = models.CharField(max_length=150)
    password_hash = models.CharField(max_length=256)
    letter_path = models.CharField(max_length=500)
    letter_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )

    class Meta:
        ordering = ["-created_at"]
        # The Dinas's list counts the other pending requests from the same address (ignoring case).
        indexes = [models.Index(Upper("email"), name="registration_email_upper")]

    def __str__(self) -> str:
        return f"registration {self.pk} {self.school_id} {self.status}"


class Digest(models.Model):
    """One daily digest sent (`verval notify`, decision 0043): to the operators of a school
    (`school`) or to one Dinas account (`user`), at most one of each per day. Only counts are kept
    (the same as the mail's); `until` is the moment the mail's changes run up to, where the
    school's next digest starts."""

    class Kind(models.TextChoices):
        SCHOOL = "SEKOLAH", _("Sekolah")
        DINAS = "DINAS", _("Dinas")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    day = models.DateField()
    school = models.ForeignKey(
        "reference.School",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    until = models.DateTimeField()
    counts = models.JSONField(default=dict)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "day"], condition=models.Q(school__isnull=False), name="digest_school_day"
            ),
            models.UniqueConstraint(
                fields=["user", "day"], condition=models.Q(user__isnull=False), name="digest_user_day"
            ),
            models.CheckConstraint(
                name="digest_one_addressee",
                condition=models.Q(kind="SEKOLAH", school__isnull=False, user__isnull=True)
                | models.Q(kind="DINAS", user__isnull=False, school__isnull=True),
            ),
        ]
        # The run reads the last days' rows (its watermark per school, who had today's).
        indexes = [models.Index(fields=["day"], name="digest_day")]

    def __str__(self) -> str:
        return f"digest {self.kind} {self.school_id or self.user_id} {self.day}"
