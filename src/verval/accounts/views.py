from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView, PasswordResetView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from verval.accounts import access, actions, backends, selectors
from verval.accounts.forms import (
    AccountEditForm,
    DeactivateForm,
    DigestForm,
    InvitationAwarePasswordResetForm,
    RejectForm,
    SignInForm,
    StaffAccountForm,
    TokenForm,
)
from verval.accounts.models import OperatorRegistration, Role, User
from verval.core import pagination
from verval.core.client import client_ip
from verval.core.postonly import lead_to_form, post_only
from verval.core.search import search_echo
from verval.core.views import file_gone
from verval.reference.zones import CHOICES as ZONE_CHOICES

DINAS = (Role.DINAS_KAB, Role.DINAS_PROV)


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        if backends.is_locked(self.request, form.data.get("username")):
            form.errors.clear()
            form.add_error(None, _("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."))
        return super().form_invalid(form)


class SignOutView(LogoutView):
    """Django's own sign-out (`/akun/logout/`), which answered a GET with an empty 405: a GET
    leads to the page with the "Keluar" button, as `post_only` does; a POST is Django's."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return lead_to_form(request, _signed_out_or_home(request))


class ResetPasswordView(PasswordResetView):
    """ "Lupa kata sandi?": also reaches an active account that never set a password (decision 0019)."""

    form_class = InvitationAwarePasswordResetForm


def _signed_out_or_home(request: HttpRequest, **kwargs: Any) -> str:
    """Where the "Keluar" button is: every signed-in page's menu (the home page for a GET)."""
    return reverse("accounts:home" if request.user.is_authenticated else "dashboard:public")


@post_only(_signed_out_or_home)
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    # On a phone or computer the school shares, the next person sees that nobody is signed in
    # (the public page said nothing; decision 0108). That page is not kept in the browser's cache
    # while it shows the message (dashboard.views._cacheable).
    messages.success(request, _("Anda sudah keluar"))
    return redirect("dashboard:public")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/home.html",
        {
            "summary": selectors.home_summary(request.user),
            "two_factor": actions.two_factor_applies(request.user),
            "zone": selectors.zone_for(request.user),
            "zone_choices": ZONE_CHOICES,
        },
    )


@login_required
@post_only("accounts:home")
def time_zone(request: HttpRequest) -> HttpResponse:
    try:
        actions.set_time_zone(actor=request.user, zone=request.POST.get("zona", ""), ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_safe_next(request))


@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own account: who they are and, for operators and Dinas, the daily
    digest switch (decision 0043)."""
    user = request.user
    applies = actions.digest_applies(user)
    form = DigestForm(
        request.POST if request.method == "POST" else None,
        initial={"digest_enabled": getattr(user, "digest_enabled", False)},
    )
    if request.method == "POST":
        if not applies:
            raise PermissionDenied("the daily digest is for operators and Dinas")
        if form.is_valid():
            enabled = form.cleaned_data["digest_enabled"]
            actions.set_digest_enabled(actor=user, enabled=enabled, ip=client_ip(request))
            messages.success(
                request,
                _("Ringkasan harian lewat surel aktif.")
                if enabled
                else _("Ringkasan harian lewat surel dimatikan."),
            )
            return redirect("accounts:my_account")
    return render(request, "accounts/my_account.html", {"form": form, "digest_applies": applies})


def register(request: HttpRequest) -> HttpResponse:
    from verval.accounts.registration import register_view

    return register_view(request)


# --- registrations (Dinas) -----------------------------------------------------------------------


@login_required
def registrations(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, *DINAS)
    status = request.GET.get("status", OperatorRegistration.Status.PENDING)
    if status not in OperatorRegistration.Status.values:
        status = OperatorRegistration.Status.PENDING
    # The waiting list is the Dinas's queue: the registrations it decides. Those the other level
    # decides (decision 0096) are read on their own list (`?pihak=lain`), without the buttons;
    # a decided registration is history, listed whoever decided it.
    others = request.GET.get("pihak") == "lain" and status == OperatorRegistration.Status.PENDING
    visible = actions.registrations_for(request.user).filter(status=status)
    if status == OperatorRegistration.Status.PENDING:
        queue = visible.filter(can_decide=True)
        read_only = visible.filter(can_decide=False)
        qs = read_only if others else queue
        other_count = 0 if others else read_only.count()
    else:
        qs, other_count = visible, 0
    page = pagination.page_of(request, Paginator(qs, 50))
    return render(
        request,
        "accounts/registrations.html",
        {
            "page": page,
            "status": status,
            "statuses": OperatorRegistration.Status.choices,
            "reject_form": RejectForm(),
            "others": others,
            "other_count": other_count,
            "other_level": _("Dinas Pendidikan kabupaten/kota")
            if getattr(request.user, "role", None) == Role.DINAS_PROV
            else _("Dinas Pendidikan provinsi"),
        },
    )


@login_required
def registration_letter(request: HttpRequest, pk: int) -> HttpResponseBase:
    access.require_role(request.user, *DINAS)
    letter = actions.open_letter(actor=request.user, registration_id=pk, ip=client_ip(request))
    if letter is None:
        return file_gone(request)
    path, content_type, name = letter
    response = FileResponse(open(path, "rb"), content_type=content_type, as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@post_only("accounts:registrations", anchor="reg-{pk}")
def registration_approve(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, *DINAS)
    try:
        user = actions.approve_registration(actor=request.user, registration_id=pk, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Pendaftaran disetujui; akun %(username)s aktif.") % {"username": user.username}
        )
    return redirect("accounts:registrations")


@login_required
@post_only("accounts:registrations", anchor="reg-{pk}")
def registration_reject(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, *DINAS)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Alasan penolakan wajib diisi."))
        return redirect("accounts:registrations")
    try:
        actions.reject_registration(
            actor=request.user, registration_id=pk, reason=form.cleaned_data["reason"], ip=client_ip(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Pendaftaran ditolak; pendaftar diberi tahu lewat surel."))
    return redirect("accounts:registrations")


# --- accounts (Pusdatin, Dinas) ------------------------------------------------------------------


@login_required
def users(request: HttpRequest) -> HttpResponse:
    return _users_page(request)


def _users_page(request: HttpRequest) -> HttpResponse:
    """The account list as the request asks for it: a search (the term in the POST body), the
    role filter and the page. Also the answer of a row's button sent from a search result
    (`_back_to_users`)."""
    access.require_role(request.user, Role.PUSDATIN, *DINAS)
    qs = actions.users_for(request.user).select_related("school", "region").order_by("role", "username")
    # The search term (a person's name or e-mail) is read from a POST body only, never from the
    # address (decision 0004); the role filter and the page of an unfiltered list stay links.
    form = request.POST if request.method == "POST" else request.GET
    q = request.POST.get("q", "").strip() if request.method == "POST" else ""
    role = form.get("role", "")
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(email__icontains=q) | Q(school__npsn=q) | Q(first_name__icontains=q)
        )
    if role in Role.values:
        qs = qs.filter(role=role)
    page = pagination.page_of(request, Paginator(qs, 50), data=form)
    with_device: set[int] = set()
    if getattr(request.user, "role", None) == Role.PUSDATIN:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        ids = [u.pk for u in page.object_list]
        with_device = set(
            TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True)
        )
    # Accounts still waiting for their owner's first password may be sent a new link.
    invitable = {u.pk for u in page.object_list if actions.never_set_password(u)}
    return render(
        request,
        "accounts/users.html",
        {
            "page": page,
            "q": q,
            # Dinas and Pusdatin read numbers masked: one typed here comes back masked, above the
            # box; the pager, which sends the box again, is left out for it (decision 0104).
            "search": search_echo(q, full_numbers=False),
            "role": role,
            "roles": Role.choices,
            "with_device": with_device,
            "invitable": invitable,
        },
    )


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    if request.method == "POST":
        form = StaffAccountForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                user = actions.create_staff_account(
                    actor=request.user,
                    role=d["role"],
                    username=d["username"],
                    email=d["email"],
                    full_name=d["full_name"],
                    region=d["region_obj"],
                    provider=d.get("provider") or "",
                    base_url=request.build_absolute_uri("/"),
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Akun %(username)s dibuat; tautan untuk membuat kata sandi dikirim ke surelnya.")
                    % {"username": user.username},
                )
                return redirect("accounts:users")
    else:
        form = StaffAccountForm()
    return render(request, "accounts/staff_create.html", {"form": form})


def _back_to_users(request: HttpRequest) -> HttpResponse:
    """Where a row's button (deactivate, reactivate) leads back to: the list it was pressed in.
    A search result is shown again for the term the form carried in its body (decision 0136: it
    led to the whole list, the term being POSTed and never put in an address, decision 0004), so
    the answer is the page itself, not a redirect; a list without a search goes back to its role
    filter and page by address, as before."""
    if request.POST.get("q", "").strip():
        return _users_page(request)
    params: dict[str, str] = {}
    if (role := request.POST.get("role", "")) in Role.values:
        params["role"] = role
    if (page := pagination.number(request.POST.get(pagination.PARAM))) > 1:
        params[pagination.PARAM] = str(page)
    url = reverse("accounts:users")
    return redirect(f"{url}?{urlencode(params)}" if params else url)


@login_required
@post_only("accounts:users")
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN, *DINAS)
    form = DeactivateForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        user = actions.deactivate_user(actor=request.user, user_id=pk, reason=reason, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Akun %(username)s dinonaktifkan.") % {"username": user.username})
    return _back_to_users(request)


@login_required
@post_only("accounts:users")
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN, *DINAS)
    try:
        user = actions.reactivate_user(actor=request.user, user_id=pk, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Akun %(username)s diaktifkan kembali.") % {"username": user.username})
    return _back_to_users(request)


@login_required
@post_only("accounts:users")
def user_resend_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN, *DINAS)
    try:
        user = actions.resend_invitation(
            actor=request.user, user_id=pk, base_url=request.build_absolute_uri("/"), ip=client_ip(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Tautan baru untuk membuat kata sandi dikirim ke surel akun %(username)s.")
            % {"username": user.username},
        )
    return redirect("accounts:users")


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    account: User = access.get_in_scope(  # type: ignore[assignment]
        actions.users_for(request.user).select_related("school", "region"), pk=pk
    )
    form = AccountEditForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.update_account(
                actor=request.user,
                user_id=account.pk,
                email=d["email"],
                region=d.get("region_obj"),
                school=d.get("school_obj"),
                base_url=request.build_absolute_uri("/"),
                ip=client_ip(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Akun %(username)s diubah.") % {"username": account.username})
            return redirect("accounts:users")
    return render(request, "accounts/user_edit.html", {"form": form, "account": account})


@login_required
@post_only("accounts:users")
def user_reset_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    try:
        removed = actions.reset_two_factor(actor=request.user, user_id=pk, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if removed:
            messages.success(
                request,
                _(
                    "Verifikasi dua langkah akun ini direset; pemiliknya memasang perangkat baru saat masuk berikutnya."
                ),
            )
        else:
            messages.info(request, _("Akun ini tidak memakai verifikasi dua langkah."))
    return redirect("accounts:users")


# --- two-factor (TOTP) ---------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return "/beranda/"


def _qr_data_uri(url: str) -> str:
    import segno

    # A PNG: an SVG in an <img> needs its xmlns, which svg_inline() leaves out, and then the
    # browser showed only the alt text. Every phone's camera app reads this size (~1 KB).
    return str(segno.make(url, error="m").png_data_uri(scale=5, border=4))


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    if not actions.two_factor_applies(request.user):
        raise PermissionDenied("two-factor is for Dinas and Pusdatin")
    from django_otp import user_has_device

    if (
        user_has_device(request.user, confirmed=True)
        and not getattr(request.user, "is_verified", lambda: False)()
    ):
        # Replacing a device needs the current one first: a stolen password alone must not do it.
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = actions.confirm_totp_device(
                actor=request.user, token=form.cleaned_data["token"], ip=client_ip(request)
            )
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            from django_otp import login as otp_login

            otp_login(request, device)
            messages.success(request, _("Verifikasi dua langkah aktif."))
            return redirect(_safe_next(request))
    device = actions.start_totp_setup(actor=request.user)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": secret,
            "next": _safe_next(request),
            "active": user_has_device(request.user, confirmed=True),
        },
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    from django_otp import devices_for_user
    from django_otp import login as otp_login

    if not actions.two_factor_applies(request.user):
        raise PermissionDenied("two-factor is for Dinas and Pusdatin")
    devices = list(devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': _safe_next(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request))
        form.add_error("token", _("Kode salah atau kedaluwarsa. Coba lagi."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})
