from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# No inline script anywhere: htmx and our own JS are static files, so script-src 'self' holds.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class AuditViaMiddleware:
    """The audit rows a request writes say where they came from (decision 0138): `api` under
    /api/ (the provider API: every call is a token's, refused ones included), `web` for every
    page (a signed-in account's save, a sign-in, a registration). Set for the request and reset
    after it (here, not in the token's authentication, so that nothing outlives the request): a
    thread that serves the next request starts from `system`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from verval.core import audit

        with audit.acting_via(audit.API if request.path.startswith("/api/") else audit.WEB):
            return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            # Swagger UI (served from django-ninja's static files, no CDN) sets inline styles.
            response.headers.setdefault(
                "Content-Security-Policy", CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            )
        else:
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has expired is answered 401 with nothing to swap, instead of
    the sign-in redirect: followed by htmx, that put the sign-in page inside a table row; sent on
    as `HX-Redirect` (decision 0054), it took the whole page away with the number just typed and
    said nothing of it. app.js says next to the control that nothing was sent and links to the
    sign-in page, which leads back to the page (decision 0069)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in (301, 302, 303):
            return response
        login = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login:
            return response
        refused = HttpResponse(status=401)
        # htmx swaps no 4xx answer by default; said explicitly, so that a changed default does not
        # put an empty answer into the page.
        refused["HX-Reswap"] = "none"
        return refused


class FormLoginRedirectMiddleware:
    """A form sent after the session expired was not saved, and the address it was sent to answers
    only POST: signed in again, the browser asked it with GET and got a 405 (an empty error page in
    Chromium; the signed SPTJM scan, a confirmation, a correction file seemed lost with no way on).
    The sign-in redirect of such a POST goes back to the page the form was on (the Referer, same
    origin only; else the home page), and the sign-in page says that nothing was sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method != "POST"
            or request.headers.get("HX-Request") == "true"  # HtmxLoginRedirectMiddleware
            or response.status_code not in (301, 302, 303)
        ):
            return response
        login = resolve_url(settings.LOGIN_URL)
        target = urlsplit(response.get("Location", ""))
        # Only login_required's redirect (it names the address in `next`), not a view that sends a
        # signed-out user to the sign-in page on purpose (the language switch on that page).
        if (
            target.path != login
            or REDIRECT_FIELD_NAME not in parse_qs(target.query)
            or getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            return response
        response["Location"] = f"{login}?{urlencode({REDIRECT_FIELD_NAME: form_page(request)})}"
        messages.warning(
            request,
            _("Sesi Anda sudah berakhir, jadi isian tadi belum terkirim. Masuk lagi, lalu kirim ulang."),
        )
        return response


def form_page(request: HttpRequest) -> str:
    """The page a form was posted from (path and query of a same-origin Referer), else home."""
    login = resolve_url(settings.LOGIN_URL)
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        page = urlsplit(referer)
        if page.path and page.path != login:
            return page.path + (f"?{page.query}" if page.query else "")
    return resolve_url("accounts:home")


class PrivatePagesMiddleware:
    """A signed-in user's pages hold names and numbers (a school's list shows its numbers in full):
    no cache may keep them, neither a shared proxy nor the disk of a school or internet-café
    computer that the next person uses. A view that sets its own Cache-Control (a download, the
    API's ETag answers) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response


class PageOutOfRangeMiddleware:
    """A page number past the end of a list redirects within the list, with a notice
    (`core.pagination`, decision 0096), whichever view raised it; a page named by its old
    name (`page`) redirects to the address that names it `hal` (decision 0136)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from verval.core import pagination

        if isinstance(exception, pagination.PageOutOfRange):
            return pagination.redirect_within(request, exception)
        if isinstance(exception, pagination.OldPageName):
            return pagination.renamed(request)
        return None
