"""Two-factor gate: a Dinas or Pusdatin user who must use TOTP sees nothing before passing it.

Installed after django_otp's OTPMiddleware (which sets request.user.is_verified()). It applies when
settings.VERVAL["REQUIRE_TWO_FACTOR"] is on, or when the user has confirmed a device.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from verval.accounts.selectors import zone_for
from verval.reference.zones import ZONES

SESSION_KEY = "verval_zone"

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
        # The verify page too when there is no device yet: it forwards to setup with `next` kept,
        # so the link of an htmx refusal (below) can name one address whatever the user has.
        if request.path in (target, reverse("accounts:otp_verify")):
            return self.get_response(request)
        if request.headers.get("HX-Request") == "true":
            return two_factor_refusal()
        nxt = request.get_full_path() if request.method == "GET" else "/beranda/"
        return HttpResponseRedirect(f"{target}?{urlencode({'next': nxt})}")


# The header app.js reads to tell this refusal from any other 403 (a stale CSRF token).
REFUSED_HEADER = "Verval-Refused"


def two_factor_refusal() -> HttpResponse:
    """An htmx request of a session that must pass two-factor first (a device confirmed in another
    browser, REQUIRE_TWO_FACTOR switched on, a device reset): 403 with nothing to swap, instead of
    `HX-Redirect`, which replaced the whole page with the verify page and lost what was typed.
    app.js says next to the control that nothing was sent and links to the verify page with `next`
    back to the page (decisions 0069, 0077)."""
    response = HttpResponse(status=403)
    response["HX-Reswap"] = "none"
    response[REFUSED_HEADER] = "two-factor"
    return response


class UserTimeZoneMiddleware:
    """Activates the signed-in person's zone for the request (accounts.selectors.zone_for), so
    every page writes times in it; anonymous visitors, the API and commands stay in WIB.
    Deactivated afterwards: the zone is a thread-local and the thread serves the next person."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        timezone.activate(ZONES[_zone(request, user)])
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _zone_key(user) -> str:  # type: ignore[no-untyped-def]
    return f"{user.pk}:{user.time_zone}:{user.school_id or ''}:{user.region_id or ''}"


def _zone(request: HttpRequest, user) -> str:  # type: ignore[no-untyped-def]
    """zone_for(user), kept in the session against what it depends on: an operator's zone needs
    its school's province, a query every page would otherwise pay. Worked out at sign-in
    (remember_zone); a changed choice, school or region misses the key and is looked up again."""
    kept = request.session.get(SESSION_KEY)
    if isinstance(kept, list) and len(kept) == 2 and kept[0] == _zone_key(user) and kept[1] in ZONES:
        return str(kept[1])
    return remember_zone(request=request, user=user)


def remember_zone(sender: object = None, *, request: HttpRequest | None, user, **kwargs: object) -> str:  # type: ignore[no-untyped-def]
    """Receiver of `user_logged_in` (AccountsConfig.ready): the zone goes into the new session,
    saved with the sign-in itself."""
    zone = zone_for(user)
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = [_zone_key(user), zone]
    return zone
