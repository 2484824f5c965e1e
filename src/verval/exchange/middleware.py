"""Every answer under /api/v1/ is JSON, also those that ninja's exception handlers never see:
an unknown path (Django's 404 page), a method the path does not take (ninja's plain-text 405),
and Django's own error pages (400, 413, 500)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from verval.exchange.apiauth import error_body, error_for_status

API_PREFIX = "/api/v1/"
# Headers of the original error that the client still needs.
_KEPT = ("Allow", "WWW-Authenticate", "Retry-After", "Content-Range")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        # The original body (an HTML page, a traceback in DEBUG) is dropped, never passed on.
        code, message, message_en = error_for_status(response.status_code)
        out = JsonResponse(error_body(code, message, message_en), status=response.status_code)
        for name in _KEPT:
            if name in response:
                out[name] = response[name]
        return out
