"""Every change to accounts: registrations, decisions, staff accounts, deactivation, two-factor.

Each function is keyword-only, takes the acting user, checks that the actor may do it, writes the
audit row in the same transaction and sends e-mail only after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import override

from verval.accounts import access, letters, throttle
from verval.accounts.models import Digest, OperatorRegistration, Role, User
from verval.core import audit, files
from verval.core.logging import masked_numbers
from verval.reference.zones import ZONES

DINAS_ROLES = (Role.DINAS_KAB, Role.DINAS_PROV)


def _mail_on_commit(subject: str, body: str, to: list[str]) -> None:
    to = [a for a in to if a]
    if not to:
        return
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True)
    )


def _absolute(path: str, base_url: str = "") -> str:
    """`path` as an absolute address: after `VERVAL_SITE_URL` when it is set, else after the
    address of the request that sends the mail (`base_url`), else as it is."""
    base = str(settings.VERVAL.get("SITE_URL") or "") or base_url
    return (base.rstrip("/") + path) if base else path


def mail_school_operators(*, school_id: str, subject: str, body: str) -> None:
    """Mail every active operator account of a school with an address, after the commit of the
    caller's transaction. The caller writes `subject` and `body` in the default language
    (`default_language()`) and puts neither phone numbers nor recipients' names in them."""
    to = User.objects.filter(role=Role.OPERATOR, school_id=school_id, is_active=True).exclude(email="")
    _mail_on_commit(subject, body, list(to.order_by("pk").values_list("email", flat=True)))


def absolute_url(path: str, base_url: str = "") -> str:
    """A link for a mail (see _absolute)."""
    return _absolute(path, base_url)


@contextmanager
def _default_language() -> Iterator[None]:
    """Mail to someone other than the person at the keyboard (a Dinas told of a registration, an
    applicant told of the decision, the owner of an invitation) is written in the default language
    (Indonesian): the account keeps no language of its own, and the sender's is not theirs."""
    with override(settings.LANGUAGE_CODE):
        yield


def email_taken(email: str, exclude_pk: int | None = None) -> bool:
    """Password resets go to the address: one mailbox must not control a second ACTIVE account.
    A deactivated account's address may be given to its replacement (decision 0019)."""
    qs = User.objects.filter(email__iexact=email.strip(), is_active=True)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _email_taken_error() -> ValidationError:
    return ValidationError(
        _("Surel ini sudah dipakai akun lain; setiap akun Dinas/provider perlu surelnya sendiri."),
        code="email",
    )


# --- registration -------------------------------------------------------------------------------


def submit_registration(
    *,
    actor: Any,
    school: Any,
    full_name: str,
    email: str,
    username: str,
    password: str,
    letter: Any,
    base_url: str = "",
    ip: str | None = None,
) -> OperatorRegistration:
    """An applicant asks for an operator account; the letter is stored in the file store.

    At most `REGISTRATION_PER_SCHOOL_PER_DAY` registrations a day for one school and
    `REGISTRATION_PER_EMAIL_PER_DAY` for one e-mail address (ValidationError code "throttled"):
    nobody floods a Dinas's queue or sends our mail to any address (decision 0019)."""
    refused = throttle.registration_refusal(school.npsn, email)
    if refused == "school":
        raise ValidationError(
            _(
                "Sekolah ini sudah menerima terlalu banyak pendaftaran dalam 24 jam terakhir. Jika Anda "
                "sudah mendaftar, tunggu keputusan Dinas pendidikan; jika belum, coba lagi besok."
            ),
            code="throttled",
        )
    if refused == "email":
        raise ValidationError(
            _(
                "Surel ini sudah dipakai untuk terlalu banyak pendaftaran dalam 24 jam terakhir. Periksa "
                "kotak masuk surel Anda, atau coba lagi besok."
            ),
            code="throttled",
        )
    kind = letters.sniff_upload(letter)
    if kind is None:
        raise ValidationError(_("Berkas harus PDF, JPG atau PNG."), code="type")
    if letter.size > letters.MAX_LETTER_BYTES:
        raise ValidationError(_("Berkas terlalu besar (paling besar 5 MB)."), code="too_big")
    if not school.active:
        raise ValidationError(_("NPSN tidak ditemukan atau sekolah tidak aktif."), code="npsn")
    suffix, _ctype = kind
    relative, _sha, _size = files.save_upload("registrations", letter, suffix)
    with transaction.atomic():
        registration = OperatorRegistration.objects.create(
            school=school,
            full_name=full_name,
            email=email,
            username=username,
            password_hash=make_password(password),
            letter_path=relative,
            letter_name=(getattr(letter, "name", "") or "sk")[:255],
        )
        audit.record(
            actor=actor,
            action="submit_registration",
            object_type="registration",
            object_id=registration.pk,
            school_id=school.npsn,
            region_code=school.regency_id,
            ip=ip,
        )
        # Told: the Dinas that decides it (decision 0096); the other level reads it on its page.
        admins = deciding_dinas(school).values_list("email", flat=True)
        link = _absolute(f"{reverse('accounts:registrations')}#reg-{registration.pk}", base_url)
        with _default_language():
            _mail_on_commit(
                _("Pendaftaran operator baru menunggu persetujuan"),
                _(
                    "Ada pendaftaran operator baru untuk sekolah NPSN %(npsn)s (%(school)s). "
                    "Periksa SK penugasannya lalu setujui atau tolak di halaman ini:\n%(link)s"
                )
                % {"npsn": school.npsn, "school": school.name, "link": link},
                list(admins),
            )
        # The applicant is told the office that decides, as the page after registering tells it
        # (decision 0109): "setempat" sent an SMA's operator to the kabupaten's office (0113).
        office = access.registration_office(school)
        if office:
            body = _(
                "Pendaftaran Anda sebagai operator sekolah NPSN %(npsn)s sudah kami terima dan menunggu "
                "persetujuan Dinas Pendidikan %(office)s. Anda akan menerima surel setelah diputuskan."
            ) % {"npsn": school.npsn, "office": office}
        else:
            body = _(
                "Pendaftaran Anda sebagai operator sekolah NPSN %(npsn)s sudah kami terima dan menunggu "
                "persetujuan Dinas Pendidikan. Anda akan menerima surel setelah diputuskan."
            ) % {"npsn": school.npsn}
        _mail_on_commit(_("Pendaftaran operator Verval Ponsel diterima"), body, [email])
    # Counted once stored (not on commit: a registration rolled back later still counts, which
    # errs on the side of the limit).
    throttle.note_registration(school.npsn, email)
    return registration


def deciding_dinas(school: Any) -> Any:
    """The active Dinas accounts that decide a registration for `school` (decision 0096)."""
    role = access.registration_decider(school)
    region = school.province_id if role == Role.DINAS_PROV else school.regency_id
    return User.objects.filter(is_active=True, role=role, region_id=region).exclude(email="")


def registrations_for(user: Any) -> Any:
    """Registrations a user may read: Dinas, both levels, for the schools of its region; nobody
    else. `can_decide` says which of them this Dinas decides (`access.decides_registration_q`,
    decision 0096); the others it reads only."""
    if not getattr(user, "is_authenticated", False) or user.role not in DINAS_ROLES:
        return OperatorRegistration.objects.none()
    # What a Dinas deciding should know: the school's active operators, the other requests still
    # waiting for the same school or from the same e-mail address (within the Dinas's own scope),
    # and whether that address already holds an active operator account for this school.
    operators = User.objects.filter(school=OuterRef("school"), role=Role.OPERATOR, is_active=True)
    pending = OperatorRegistration.objects.filter(status=OperatorRegistration.Status.PENDING).exclude(
        pk=OuterRef("pk")
    )
    same_email = access.scope_by_school(user, pending.filter(email__iexact=OuterRef("email")))
    return access.scope_by_school(
        user,
        OperatorRegistration.objects.select_related("school").annotate(
            school_operators=_count(operators),
            school_pending_others=_count(pending.filter(school=OuterRef("school"))),
            email_pending_others=_count(same_email),
            email_is_school_operator=Exists(operators.filter(email__iexact=OuterRef("email"))),
            can_decide=Case(
                When(access.decides_registration_q(user), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        ),
    )


def registrations_to_decide(user: Any) -> Any:
    """The registrations of `user`'s region that `user` decides: its queue (decision 0096)."""
    return registrations_for(user).filter(access.decides_registration_q(user))


def _count(qs: Any) -> Any:
    """COUNT(*) of a correlated queryset as an annotation (0 when empty)."""
    return Subquery(
        qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1],
        output_field=IntegerField(),
    )


def _locked_pending(actor: Any, registration_id: int) -> OperatorRegistration:
    # Only the Dinas that decides it: the other level reads the registration but is refused here
    # as anyone outside the region is, whatever page the request came from (decision 0096).
    registration = registrations_to_decide(actor).select_for_update().filter(pk=registration_id).first()
    if registration is None:
        raise PermissionDenied("registration not decided by this user")
    if registration.status != OperatorRegistration.Status.PENDING:
        raise ValidationError(_("Pendaftaran ini sudah diputuskan."), code="decided")
    return registration


@transaction.atomic
def approve_registration(*, actor: Any, registration_id: int, ip: str | None = None) -> User:
    registration = _locked_pending(actor, registration_id)
    if User.objects.filter(username__iexact=registration.username).exists():
        raise ValidationError(
            _("Nama pengguna sudah dipakai oleh akun lain; tolak pendaftaran ini."), code="username"
        )
    user = User(
        username=registration.username,
        email=registration.email,
        first_name=registration.full_name[:150],
        role=Role.OPERATOR,
        school=registration.school,
        is_active=True,
    )
    user.password = registration.password_hash
    user.save()
    registration.status = OperatorRegistration.Status.APPROVED
    registration.decided_by = actor
    registration.decided_at = timezone.now()
    registration.user = user
    registration.password_hash = ""  # the hash now lives on the user only
    registration.save(update_fields=["status", "decided_by", "decided_at", "user", "password_hash"])
    audit.record(
        actor=actor,
        action="approve_registration",
        object_type="registration",
        object_id=registration.pk,
        school_id=registration.school_id,
        region_code=registration.school.regency_id,
        after={"user_id": user.pk, "username": user.username},
        ip=ip,
    )
    with _default_language():
        _mail_on_commit(
            _("Pendaftaran operator Verval Ponsel disetujui"),
            _(
                "Pendaftaran Anda sebagai operator sekolah NPSN %(npsn)s disetujui. Silakan masuk dengan nama pengguna %(username)s."
            )
            % {"npsn": registration.school_id, "username": user.username},
            [registration.email],
        )
    return user


@transaction.atomic
def reject_registration(
    *, actor: Any, registration_id: int, reason: str, ip: str | None = None
) -> OperatorRegistration:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Alasan penolakan wajib diisi."), code="reason")
    registration = _locked_pending(actor, registration_id)
    registration.status = OperatorRegistration.Status.REJECTED
    registration.decided_by = actor
    registration.decided_at = timezone.now()
    registration.decision_note = reason
    registration.password_hash = ""
    registration.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "password_hash"])
    audit.record(
        actor=actor,
        action="reject_registration",
        object_type="registration",
        object_id=registration.pk,
        school_id=registration.school_id,
        region_code=registration.school.regency_id,
        note=reason,
        ip=ip,
    )
    with _default_language():
        _mail_on_commit(
            _("Pendaftaran operator Verval Ponsel ditolak"),
            _("Pendaftaran Anda sebagai operator sekolah NPSN %(npsn)s ditolak dengan alasan: %(reason)s")
            # The reason as typed stays on the registration for the Dinas; an e-mail leaves our
            # hands, so a number typed into it goes masked (decision 0086).
            % {"npsn": registration.school_id, "reason": masked_numbers(reason)},
            [registration.email],
        )
    return registration


def open_letter(*, actor: Any, registration_id: int, ip: str | None = None) -> tuple[Any, str, str] | None:
    """The stored letter of a registration in the actor's scope: (path, content type, file name). Audited.
    None, not audited, when the file is not in the store (no retention rule deletes letters, but a
    store restored without it must answer plainly, not with a server error)."""
    registration = registrations_for(actor).filter(pk=registration_id).first()
    if registration is None:
        raise PermissionDenied("registration outside the user's scope")
    path = files.absolute(registration.letter_path)
    if not path.is_file():
        return None
    suffix = path.suffix.lower()
    audit.record(
        actor=actor,
        action="download_registration_letter",
        object_type="registration",
        object_id=registration.pk,
        school_id=registration.school_id,
        ip=ip,
    )
    return (
        path,
        letters.CONTENT_TYPES.get(suffix, "application/octet-stream"),
        f"sk-penugasan-{registration.pk}{suffix}",
    )


# --- staff accounts ------------------------------------------------------------------------------


def set_password_link(user: User, base_url: str = "") -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return _absolute(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}), base_url)


@transaction.atomic
def create_staff_account(
    *,
    actor: Any,
    role: str,
    username: str,
    email: str,
    full_name: str = "",
    region: Any = None,
    provider: str = "",
    base_url: str = "",
    ip: str | None = None,
) -> User:
    """Pusdatin creates a Dinas, provider or Pusdatin account; the owner sets the password by e-mail link."""
    access.require_role(actor, Role.PUSDATIN)
    if role not in (Role.DINAS_KAB, Role.DINAS_PROV, Role.PROVIDER, Role.PUSDATIN):
        raise ValidationError(_("Peran ini tidak dibuat oleh Pusdatin."), code="role")
    if email_taken(email):
        raise _email_taken_error()
    user = User(
        username=username,
        email=email,
        first_name=full_name[:150],
        role=role,
        region=region if role in DINAS_ROLES else None,
        provider=provider if role == Role.PROVIDER else "",
        is_active=True,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor,
        action="create_staff_account",
        object_type="user",
        object_id=user.pk,
        region_code=user.region_id or "",
        provider=user.provider,
        after={"username": username, "role": role},
        ip=ip,
    )
    _send_invitation(user, base_url)
    return user


def never_set_password(user: Any) -> bool:
    """An active account whose owner has not chosen a password yet (created by Pusdatin; the
    invitation link may have expired): it may be sent a new link (decision 0019)."""
    return bool(user.is_active and not user.has_usable_password())


def _send_invitation(user: User, base_url: str, *, again: bool = False) -> None:
    link = set_password_link(user, base_url)
    days = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))
    with _default_language():
        if again:
            subject = _("Tautan baru untuk membuat kata sandi Verval Ponsel")
            body = _(
                "Akun Verval Ponsel Anda (nama pengguna: %(username)s) belum punya kata sandi.\n"
                "Buat kata sandi Anda melalui tautan berikut (berlaku %(days)s hari, sekali pakai):\n%(link)s"
            ) % {"username": user.username, "link": link, "days": days}
        else:
            subject = _("Akun Verval Ponsel Anda")
            body = _(
                "Pusdatin membuat akun Verval Ponsel untuk Anda (nama pengguna: %(username)s).\n"
                "Buat kata sandi Anda melalui tautan berikut (berlaku terbatas):\n%(link)s"
            ) % {"username": user.username, "link": link}
        _mail_on_commit(subject, body, [user.email])


@transaction.atomic
def resend_invitation(*, actor: Any, user_id: int, base_url: str = "", ip: str | None = None) -> User:
    """Send a new set-password link to an active account that never set a password. Pusdatin for
    any account, a Dinas for the operators of its schools (the accounts `/pengguna/` lists)."""
    user = users_for(actor).select_for_update().filter(pk=user_id).first()
    if user is None:
        raise PermissionDenied("user outside the actor's scope")
    if not user.is_active:
        raise ValidationError(
            _("Akun ini nonaktif; aktifkan dulu sebelum mengirim undangan."), code="inactive"
        )
    if user.has_usable_password():
        raise ValidationError(
            _("Akun ini sudah punya kata sandi; pemiliknya dapat memakai 'Lupa kata sandi?'."),
            code="has_password",
        )
    if not user.email:
        raise ValidationError(_("Akun ini belum punya surel; isi surelnya dulu."), code="email")
    audit.record(
        actor=actor,
        action="resend_invitation",
        object_type="user",
        object_id=user.pk,
        school_id=user.school_id or "",
        region_code=user.region_id or "",
        provider=user.provider,
        after={"email": user.email},
        ip=ip,
    )
    _send_invitation(user, base_url, again=True)
    return user


@transaction.atomic
def update_account(
    *,
    actor: Any,
    user_id: int,
    email: str,
    region: Any = None,
    school: Any = None,
    base_url: str = "",
    ip: str | None = None,
) -> User:
    """Pusdatin corrects an account's e-mail address and, for a Dinas its region, for an operator
    its school. The role is not changed (decision 0019). Not one's own account: a stolen session
    must not redirect password resets. An account that never set a password gets a new
    invitation at the new address (the old link carried the old address and stops working)."""
    access.require_role(actor, Role.PUSDATIN)
    user = users_for(actor).select_for_update().filter(pk=user_id).first()
    if user is None:
        raise PermissionDenied("no such user")
    if user.pk == actor.pk:
        raise ValidationError(_("Akun Anda sendiri diubah oleh pengguna Pusdatin lain."), code="self")
    email = email.strip()
    if not email:
        raise ValidationError(_("Surel wajib diisi."), code="email")
    if email_taken(email, exclude_pk=user.pk):
        raise _email_taken_error()
    before: dict[str, Any] = {"email": user.email}
    after: dict[str, Any] = {"email": email}
    user.email = email
    if user.role in DINAS_ROLES:
        from verval.reference.models import Region

        level = Region.Level.REGENCY if user.role == Role.DINAS_KAB else Region.Level.PROVINCE
        if region is None or region.level != level:
            raise ValidationError(
                _("Kode wilayah tidak ditemukan untuk peran ini (provinsi PP0000, kabupaten/kota PPKK00)."),
                code="region",
            )
        before["region"], after["region"] = user.region_id, region.code
        user.region = region
    elif user.role == Role.OPERATOR:
        if school is None or not school.active:
            raise ValidationError(_("NPSN tidak ditemukan atau sekolah tidak aktif."), code="npsn")
        before["school"], after["school"] = user.school_id, school.npsn
        user.school = school
    if before == after:
        return user
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email", "region", "school"])
    audit.record(
        actor=actor,
        action="update_account",
        object_type="user",
        object_id=user.pk,
        school_id=user.school_id or "",
        region_code=user.region_id or "",
        provider=user.provider,
        before=before,
        after=after,
        ip=ip,
    )
    if before["email"].casefold() != email.casefold() and never_set_password(user):
        _send_invitation(user, base_url, again=True)
    return user


def users_for(actor: Any) -> Any:
    """Accounts an actor may manage: Pusdatin all, Dinas the operators of its schools, others none."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return User.objects.none()
    if actor.role == Role.PUSDATIN:
        return User.objects.all()
    if actor.role in DINAS_ROLES:
        return access.scope_by_school(actor, User.objects.filter(role=Role.OPERATOR))
    return User.objects.none()


@transaction.atomic
def deactivate_user(*, actor: Any, user_id: int, reason: str = "", ip: str | None = None) -> User:
    user = users_for(actor).select_for_update().filter(pk=user_id).first()
    if user is None:
        raise PermissionDenied("user outside the actor's scope")
    if user.pk == actor.pk:
        raise ValidationError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."), code="self")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit.record(
            actor=actor,
            action="deactivate_user",
            object_type="user",
            object_id=user.pk,
            school_id=user.school_id or "",
            region_code=user.region_id or "",
            provider=user.provider,
            note=reason.strip(),
            ip=ip,
        )
    return user


@transaction.atomic
def reactivate_user(*, actor: Any, user_id: int, ip: str | None = None) -> User:
    """Pusdatin any account; a Dinas an operator of its region, as it may deactivate one
    (`users_for`): a deactivation made by mistake is undone by whoever made it (decision 0109)."""
    access.require_role(actor, Role.PUSDATIN, *DINAS_ROLES)
    user = users_for(actor).select_for_update().filter(pk=user_id).first()
    if user is None:
        raise PermissionDenied("user outside the actor's scope")
    if not user.is_active:
        # Its address may meanwhile belong to its replacement (decision 0019).
        if user.email and email_taken(user.email, exclude_pk=user.pk):
            raise ValidationError(
                _("Surel akun ini sekarang dipakai akun aktif lain; ubah surelnya dulu, lalu aktifkan."),
                code="email",
            )
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit.record(actor=actor, action="reactivate_user", object_type="user", object_id=user.pk, ip=ip)
    return user


@transaction.atomic
def reset_two_factor(*, actor: Any, user_id: int, ip: str | None = None) -> int:
    """Pusdatin removes a user's two-step devices (a lost or replaced phone); the user sets one up
    again at the next sign-in. Not one's own: that needs the current device (the setup page).
    Returns how many devices were removed."""
    access.require_role(actor, Role.PUSDATIN)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise PermissionDenied("no such user")
    if user.pk == actor.pk:
        raise ValidationError(
            _("Perangkat Anda sendiri diganti di halaman verifikasi dua langkah."), code="self"
        )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit.record(
            actor=actor,
            action="reset_two_factor",
            object_type="user",
            object_id=user.pk,
            region_code=user.region_id or "",
            after={"devices_removed": removed},
            ip=ip,
        )
    return removed


# --- two-factor ----------------------------------------------------------------------------------


def two_factor_applies(user: Any) -> bool:
    roles: Any = settings.VERVAL["TWO_FACTOR_ROLES"]
    return getattr(user, "role", None) in roles


def two_factor_required(user: Any) -> bool:
    """Must this signed-in user pass an OTP before using the site?"""
    if not getattr(user, "is_authenticated", False) or not two_factor_applies(user):
        return False
    if settings.VERVAL.get("REQUIRE_TWO_FACTOR"):
        return True
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


@transaction.atomic
def start_totp_setup(*, actor: Any) -> Any:
    """The actor's unconfirmed TOTP device (created once, reused until confirmed)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not two_factor_applies(actor):
        raise PermissionDenied("two-factor is for Dinas and Pusdatin")
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="Autentikator", confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(*, actor: Any, token: str, ip: str | None = None) -> Any:
    """Confirm the pending device with a first code; older devices of the actor are removed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None or not device.verify_token(token):
        raise ValidationError(_("Kode salah atau kedaluwarsa. Coba lagi."), code="token")
    TOTPDevice.objects.filter(user=actor, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=actor, action="confirm_two_factor", object_type="user", object_id=actor.pk, ip=ip)
    return device


@transaction.atomic
def set_time_zone(*, actor: Any, zone: str, ip: str | None = None) -> User:
    """The zone the actor reads times in: WIB, WITA or WIT, or "" to follow the province of their
    school or region again (decision 0037). Only display changes: deadlines stay in WIB."""
    if zone not in ("", *ZONES):
        raise ValidationError(_("Zona waktu tidak dikenal."), code="zone")
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.time_zone != zone:
        before = user.time_zone
        user.time_zone = zone
        user.save(update_fields=["time_zone"])
        audit.record(
            actor=actor,
            action="set_time_zone",
            object_type="user",
            object_id=user.pk,
            school_id=user.school_id or "",
            region_code=user.region_id or "",
            provider=user.provider,
            before={"time_zone": before},
            after={"time_zone": zone},
            ip=ip,
        )
    return user


# --- daily digest (decision 0043) --------------------------------------------------------------------

# Digest rows older than this are deleted by the run that records new ones: they only serve as
# watermarks (a week) and as "sent today"; the audit row of each run keeps the counts.
DIGEST_KEEP_DAYS = 35


@dataclass(frozen=True)
class DigestEntry:
    kind: str
    counts: dict[str, Any]
    school_id: str | None = None
    user_id: int | None = None


@transaction.atomic
def record_digests(*, actor: Any, day: date, until: datetime, entries: list[DigestEntry]) -> int:
    """Record the digests just sent (one batch of mails): one row per school or Dinas account and
    day, so that a second run the same day sends nothing and the next one starts at `until`; one
    audit row with the batch's counts. Returns how many rows were written."""
    rows = [
        Digest(kind=e.kind, day=day, school_id=e.school_id, user_id=e.user_id, until=until, counts=e.counts)
        for e in entries
    ]
    # A concurrent run may have recorded some of them: it sent them too; keep its rows.
    Digest.objects.bulk_create(rows, ignore_conflicts=True)
    pruned, _by_model = Digest.objects.filter(day__lt=day - timedelta(days=DIGEST_KEEP_DAYS)).delete()
    residue = sum(sum(e.counts.get("residu", {}).values()) for e in entries)
    audit.record(
        actor=actor,
        action="send_digest",
        object_type="digest",
        object_id=day.isoformat(),
        after={
            "schools": sum(1 for e in entries if e.kind == Digest.Kind.SCHOOL),
            "dinas": sum(1 for e in entries if e.kind == Digest.Kind.DINAS),
            "residu": residue,
            "format_salah": sum(int(e.counts.get("format_salah", 0)) for e in entries),
            "gagal": sum(int(e.counts.get("gagal", 0)) for e in entries),
            "tenggat": sum(1 for e in entries if e.counts.get("tenggat")),
            "pruned": pruned,
        },
    )
    return len(rows)


def digest_applies(user: Any) -> bool:
    """Operators (their school's changes) and Dinas (their late schools) get the daily digest."""
    return getattr(user, "role", None) in (Role.OPERATOR, Role.DINAS_KAB, Role.DINAS_PROV)


@transaction.atomic
def set_digest_enabled(*, actor: Any, enabled: bool, ip: str | None = None) -> User:
    """The signed-in user switches their own daily digest on or off (audited when it changes)."""
    if not getattr(actor, "is_authenticated", False) or not digest_applies(actor):
        raise PermissionDenied("the daily digest is for operators and Dinas")
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.digest_enabled != enabled:
        user.digest_enabled = enabled
        user.save(update_fields=["digest_enabled"])
        audit.record(
            actor=actor,
            action="set_digest",
            object_type="user",
            object_id=user.pk,
            school_id=user.school_id or "",
            region_code=user.region_id or "",
            before={"digest_enabled": not enabled},
            after={"digest_enabled": enabled},
            ip=ip,
        )
    actor.digest_enabled = enabled
    return user
