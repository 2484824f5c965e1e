from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from verval.accounts import letters
from verval.accounts.actions import email_taken
from verval.accounts.backends import find_user
from verval.accounts.models import PROVIDER_CHOICES, OperatorRegistration, Role
from verval.reference.models import Region, School

# A user name typed on a phone: no capital first letter, no autocorrection, no spell check.
USERNAME_INPUT_ATTRS = {
    "autocapitalize": "none",
    "autocorrect": "off",
    "spellcheck": "false",
    "autocomplete": "username",
}


def _username_taken(username: str) -> bool:
    User = get_user_model()
    return (
        User.objects.filter(username__iexact=username).exists()
        or OperatorRegistration.objects.filter(
            username__iexact=username, status=OperatorRegistration.Status.PENDING
        ).exists()
    )


class RegistrationForm(forms.Form):
    npsn = forms.CharField(
        label=_("NPSN sekolah"),
        min_length=8,
        max_length=8,
        error_messages={
            "min_length": _("NPSN terdiri dari 8 angka."),
            "max_length": _("NPSN terdiri dari 8 angka."),
        },
    )
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=120)
    email = forms.EmailField(label=_("Surel (e-mail)"))
    username = forms.RegexField(
        label=_("Nama pengguna"),
        max_length=150,
        min_length=4,
        regex=r"^[A-Za-z0-9_.-]+$",
        error_messages={"invalid": _("Hanya huruf, angka, titik, garis bawah dan tanda hubung.")},
        # Phone keyboards must not capitalise or "correct" a user name.
        widget=forms.TextInput(attrs=USERNAME_INPUT_ATTRS),
    )
    password1 = forms.CharField(label=_("Kata sandi"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Ulangi kata sandi"), widget=forms.PasswordInput, strip=False)
    letter = forms.FileField(
        label=_("SK penugasan operator (PDF, JPG atau PNG, paling besar 5 MB)"),
        # The browser refuses a file too large before a slow link uploads all of it (static/js/app.js).
        widget=forms.ClearableFileInput(
            attrs={
                "accept": "application/pdf,image/jpeg,image/png",
                "data-max-bytes": str(letters.MAX_LETTER_BYTES),
                "data-too-big": _("Berkas terlalu besar (paling besar 5 MB)."),
            }
        ),
    )

    def clean_npsn(self) -> School:
        npsn = self.cleaned_data["npsn"].strip()
        school = School.objects.filter(npsn=npsn, active=True).first()
        if school is None:
            raise ValidationError(_("NPSN tidak ditemukan atau sekolah tidak aktif."), code="npsn")
        return school

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if _username_taken(username):
            raise ValidationError(_("Nama pengguna sudah dipakai. Pilih yang lain."), code="username")
        return username

    def clean_letter(self) -> Any:
        upload = self.cleaned_data["letter"]
        if upload.size > letters.MAX_LETTER_BYTES:
            raise ValidationError(_("Berkas terlalu besar (paling besar 5 MB)."), code="too_big")
        kind = letters.sniff_upload(upload)
        if kind is None:
            raise ValidationError(_("Berkas harus PDF, JPG atau PNG."), code="type")
        upload.verval_kind = kind
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan penolakan"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), max_length=500, required=False)


STAFF_ROLES = [
    (Role.DINAS_KAB.value, Role.DINAS_KAB.label),
    (Role.DINAS_PROV.value, Role.DINAS_PROV.label),
    (Role.PROVIDER.value, Role.PROVIDER.label),
    (Role.PUSDATIN.value, Role.PUSDATIN.label),
]


class StaffAccountForm(forms.Form):
    role = forms.ChoiceField(label=_("Peran"), choices=STAFF_ROLES)
    region = forms.CharField(
        label=_("Kode wilayah Dapodik (untuk Dinas)"),
        required=False,
        max_length=6,
        help_text=_("Provinsi: PP0000, kabupaten/kota: PPKK00."),
    )
    provider = forms.ChoiceField(label=_("Provider"), choices=[("", "—"), *PROVIDER_CHOICES], required=False)
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    username = forms.RegexField(
        label=_("Nama pengguna"),
        max_length=150,
        min_length=4,
        regex=r"^[A-Za-z0-9_.-]+$",
        widget=forms.TextInput(attrs=USERNAME_INPUT_ATTRS),
    )
    email = forms.EmailField(label=_("Surel (e-mail)"))

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if _username_taken(username):
            raise ValidationError(_("Nama pengguna sudah dipakai. Pilih yang lain."), code="username")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_taken(email):
            raise ValidationError(EMAIL_TAKEN, code="email")
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        role = data.get("role")
        data["region_obj"] = None
        if role in (Role.DINAS_KAB, Role.DINAS_PROV):
            data["region_obj"] = _region_for_role(self, role, data.get("region") or "")
        if role == Role.PROVIDER and not data.get("provider"):
            self.add_error("provider", _("Pilih provider."))
        return data


EMAIL_TAKEN = _("Surel ini sudah dipakai akun lain; setiap akun Dinas/provider perlu surelnya sendiri.")


def _region_for_role(form: forms.Form, role: str, code: str) -> Region | None:
    if not code.strip():
        # An empty field is a missing code, not an unknown one (decision 0103).
        form.add_error(
            "region", _("Kode wilayah wajib diisi untuk peran ini (provinsi PP0000, kabupaten/kota PPKK00).")
        )
        return None
    level = Region.Level.REGENCY if role == Role.DINAS_KAB else Region.Level.PROVINCE
    region = Region.objects.filter(code=code.strip(), level=level).first()
    if region is None:
        form.add_error(
            "region",
            _("Kode wilayah tidak ditemukan untuk peran ini (provinsi PP0000, kabupaten/kota PPKK00)."),
        )
    return region


class AccountEditForm(forms.Form):
    """Pusdatin corrects an account's e-mail address and, for Dinas and operators, its scope
    (region, school). The role itself is not changed here (decision 0019)."""

    email = forms.EmailField(label=_("Surel (e-mail)"))
    region = forms.CharField(
        label=_("Kode wilayah Dapodik"),
        required=False,
        max_length=6,
        help_text=_("Provinsi: PP0000, kabupaten/kota: PPKK00."),
    )
    npsn = forms.CharField(label=_("NPSN sekolah"), required=False, max_length=8)

    def __init__(self, *args: Any, account: Any, **kwargs: Any) -> None:
        self.account = account
        kwargs.setdefault(
            "initial",
            {"email": account.email, "region": account.region_id or "", "npsn": account.school_id or ""},
        )
        super().__init__(*args, **kwargs)
        if account.role not in (Role.DINAS_KAB, Role.DINAS_PROV):
            del self.fields["region"]
        if account.role != Role.OPERATOR:
            del self.fields["npsn"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_taken(email, exclude_pk=self.account.pk):
            raise ValidationError(EMAIL_TAKEN, code="email")
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["region_obj"] = None
        data["school_obj"] = None
        if "region" in self.fields and "region" not in self.errors:
            data["region_obj"] = _region_for_role(self, self.account.role, data.get("region") or "")
        if "npsn" in self.fields and "npsn" not in self.errors:
            school = School.objects.filter(npsn=(data.get("npsn") or "").strip(), active=True).first()
            if school is None:
                self.add_error("npsn", _("NPSN tidak ditemukan atau sekolah tidak aktif."))
            data["school_obj"] = school
        return data


class InvitationAwarePasswordResetForm(PasswordResetForm):
    """Django's form sends nothing to an account without a usable password. Here an ACTIVE
    account that never set one (a staff account whose invitation link expired) gets the link
    too; a deactivated account never does (decision 0019)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The same word as every other form of the product (Django's own label is "Email").
        self.fields["email"].label = _("Surel (e-mail)")

    def get_users(self, email: str) -> Any:
        email = email.strip()
        for user in get_user_model()._default_manager.filter(email__iexact=email, is_active=True):
            if user.email.casefold() == email.casefold():
                yield user

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The link starts with VERVAL_SITE_URL when it is set (not with the Host the request named).
        site = urlsplit(settings.VERVAL.get("SITE_URL") or "")
        if site.netloc:
            kwargs["domain_override"] = site.netloc
            kwargs["use_https"] = site.scheme == "https"
        super().save(*args, **kwargs)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Kode 6 angka dari aplikasi autentikator"),
        regex=r"^\s*\d{6}\s*$",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={"invalid": _("Masukkan 6 angka.")},
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class SignInForm(AuthenticationForm):
    """Django's form with our own wording (its Indonesian message repeats the field's name), and,
    for the right password only, why the account cannot sign in yet: a registration still waiting
    for the Dinas, or an account that was deactivated. Without the password nobody learns whether
    a username exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Nama pengguna atau kata sandi salah. Perhatikan huruf besar dan kecil pada kata sandi."
        ),
        "pending": _(
            "Pendaftaran Anda masih menunggu persetujuan Dinas pendidikan. Anda dapat masuk setelah "
            "disetujui."
        ),
        "inactive": _("Akun ini dinonaktifkan. Hubungi Dinas pendidikan atau Pusdatin."),
    }

    def get_invalid_login_error(self) -> ValidationError:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if username and password:
            pending = OperatorRegistration.objects.filter(
                username__iexact=username, status=OperatorRegistration.Status.PENDING
            ).values_list("password_hash", flat=True)
            if any(check_password(password, h) for h in pending):
                return ValidationError(self.error_messages["pending"], code="pending")
            user = find_user(username)
            if user is not None and not user.is_active and user.check_password(password):
                return ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()


class DigestForm(forms.Form):
    """The daily digest switch on the account page (decision 0043)."""

    digest_enabled = forms.BooleanField(
        label=_("Kirim ringkasan harian lewat surel"),
        required=False,
        help_text=_(
            "Sekali sehari, hanya bila ada yang baru: jumlah dan tautan saja, tanpa nomor ponsel atau nama."
        ),
    )
