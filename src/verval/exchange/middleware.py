"""Every answer under /api/v1/ is JSON, also those that ninja's exception handlers never see:
an unknown path (Django's 404 page), a method the path does not take (ninja's plain-text 405),
and Django's own error pages (400, 413, 500).

Being the outermost middleware of the API's answers, it also puts right what the inner ones
leave: a HEAD answer loses its body (keeping the GET's Content-Length; a streamed body is
never read), and a file download
loses the `Content-Encoding: identity` that only kept GZipMiddleware off it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from verval.exchange.apiaudit import audit_refusal
from verval.exchange.apiauth import find_token
from verval.exchange.apierrors import error_body, error_for_status
from verval.exchange.streaming import KEEP_UNCOMPRESSED

API_PREFIX = "/api/v1/"
# Headers of the original error that the client still needs.
_KEPT = ("Allow", "WWW-Authenticate", "Retry-After", "Content-Range")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        if response.get("Content-Encoding") == KEEP_UNCOMPRESSED:
            del response["Content-Encoding"]
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            if response.status_code == 405:
                _audit_not_allowed(request)
            response = _as_json(response)
        if request.method == "HEAD":
            _drop_body(response)
        return response


def _drop_body(response: HttpResponse) -> None:
    """A HEAD answer: what GET would send, without the body (WSGI servers differ in whether they
    drop it). A streamed body (a CSV report) is never read: its length is not known before it is
    sent, so GET carries no Content-Length either, and the HEAD answer keeps the same headers."""
    if isinstance(response, StreamingHttpResponse):
        # The generator is never started (Django closes it with the response).
        response.streaming_content = iter(())
        return
    if response.content:
        response["Content-Length"] = str(len(response.content))
        response.content = b""


def _as_json(response: HttpResponse) -> HttpResponse:
    # The original body (an HTML page, a traceback in DEBUG) is dropped, never passed on.
    code, message, message_en = error_for_status(response.status_code)
    out = JsonResponse(error_body(code, message, message_en), status=response.status_code)
    for name in _KEPT:
        if name in response:
            out[name] = response[name]
    return out


def _audit_not_allowed(request: HttpRequest) -> None:
    """ninja answers a method the path does not take before it reads the token, so the call of
    a provider would go unaudited (docs/api.md: every call with a valid token writes a row)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    row = find_token(token.strip()) if scheme.lower() == "bearer" else None
    if row is None:
        return
    request.auth = row  # type: ignore[attr-defined]
    audit_refusal(request, 405, "METODE_TIDAK_DIIZINKAN")
