"""Provider API building blocks, reusable by every router mounted on the v1 API.

- `ProviderTokenAuth`: Bearer token per provider (SHA-256 stored, prefix lookup, last_used_at);
  sets `request.provider` (code) and `request.provider_token`.
- `ApiError` + `error_body`: every error is JSON {"code", "message", "message_en", "rows"}.
- `audit_call`: one audit row per API call (provider, action, object).
- `provider_of(request)`: the authenticated provider code.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.security import HttpBearer

from verval.core import audit
from verval.exchange.models import ProviderToken

LAST_USED_RESOLUTION = timedelta(seconds=60)

ERRORS: dict[str, tuple[int, str, str]] = {
    "TIDAK_TERAUTENTIKASI": (401, "Token tidak ada atau tidak berlaku.", "Missing or invalid token."),
    "TIDAK_DITEMUKAN": (404, "Tidak ditemukan.", "Not found."),
    "PERMINTAAN_TIDAK_VALID": (400, "Permintaan tidak valid.", "Invalid request."),
    "RENTANG_TIDAK_VALID": (416, "Rentang (Range) tidak valid.", "Invalid range."),
    "BERKAS_TERLALU_BESAR": (413, "Berkas terlalu besar.", "File too large."),
}


class IssueOut(Schema):
    """A refused row, as every upload answers it (dump results, injection results, usage)."""

    line: int
    column: str
    code: str
    message: str
    message_en: str
    value: str


class ApiError(Exception):
    def __init__(
        self,
        code: str,
        message: str = "",
        message_en: str = "",
        status: int | None = None,
        rows: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        default_status, default_msg, default_en = ERRORS.get(code, (400, "", ""))
        self.code = code
        self.status = status or default_status
        self.message = message or default_msg
        self.message_en = message_en or default_en
        self.rows = rows or []
        self.extra = extra or {}
        super().__init__(f"{code}: {self.message_en}")


def error_body(
    code: str, message: str, message_en: str, rows: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"code": code, "message": message, "message_en": message_en, "rows": rows or [], **extra}


def not_found() -> ApiError:
    return ApiError("TIDAK_DITEMUKAN")


def hash_token(token: str) -> str:
    from verval.exchange.actions import hash_token as _hash

    return _hash(token)


def find_token(token: str) -> ProviderToken | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "vp":
        return None
    row = ProviderToken.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if row is None or not hmac.compare_digest(row.token_hash, hash_token(token)):
        return None
    return row


class ProviderTokenAuth(HttpBearer):
    """`Authorization: Bearer vp_<prefix>_<secret>` -> the provider's token row."""

    openapi_description = "Token per provider, issued by Pusdatin (`verval provider-token --provider CODE`)."

    def authenticate(self, request: HttpRequest, token: str) -> ProviderToken | None:
        row = find_token(token.strip())
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            ProviderToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.provider = row.provider  # type: ignore[attr-defined]
        request.provider_token = row  # type: ignore[attr-defined]
        return row


provider_auth = ProviderTokenAuth()


def provider_of(request: HttpRequest) -> str:
    return request.auth.provider  # type: ignore[attr-defined]


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def audit_call(
    request: HttpRequest, action: str, object_type: str = "", object_id: Any = "", **after: Any
) -> None:
    audit.record(
        actor=None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        provider=provider_of(request),
        after=after or None,
        note=f"token {request.auth.prefix}",  # type: ignore[attr-defined]
        ip=client_ip(request),
    )
