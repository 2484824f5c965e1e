"""Two-factor gate: a Dinas or Pusdatin user who must use TOTP sees nothing before passing it.

Installed after django_otp's OTPMiddleware (which sets request.user.is_verified()). It applies when
settings.VERVAL["REQUIRE_TWO_FACTOR"] is on, or when the user has confirmed a device.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# Paths a signed-in but not yet verified user may still reach.
_OPEN_PREFIXES = ("/static/", "/api/", "/i18n/")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            verified = getattr(user, "is_verified", lambda: False)()
            if not verified:
                from verval.accounts.actions import two_factor_required

                if two_factor_required(user):
                    return self._gate(request, user)
        return self.get_response(request)

    def _gate(self, request: HttpRequest, user) -> HttpResponse:  # type: ignore[no-untyped-def]
        from django_otp import user_has_device

        if request.path in (reverse("accounts:logout"), reverse("logout")):
            return self.get_response(request)
        has_device = user_has_device(user, confirmed=True)
        target = reverse("accounts:otp_verify") if has_device else reverse("accounts:otp_setup")
        if request.path == target:
            return self.get_response(request)
        nxt = request.get_full_path() if request.method == "GET" else "/beranda/"
        response = HttpResponseRedirect(f"{target}?{urlencode({'next': nxt})}")
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]
        return response
