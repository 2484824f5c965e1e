"""Token authentication of the provider API.

- `ProviderTokenAuth` / `provider_auth`: `Authorization: Bearer vp_<prefix>_<secret>` (the
  prefix finds the row, the SHA-256 of the whole token proves it; `last_used_at`); sets
  `request.provider` (code) and `request.provider_token`, and limits the calls per token and
  minute (429, verval.exchange.apiratelimit).
- `provider_of(request)`: the authenticated provider code.
- `own_rows(request, qs)`: the provider-keyed rows the calling token may read (its provider's);
  every API read of batches and jobs goes through it.
- `unauthenticated_error(request)`: the answer to a call without a valid token (401, or 429 for
  an address over its limit), after its audit row.

The other building blocks of the API live beside this module: errors (`apierrors`), rate limits
(`apiratelimit`), the audit of calls (`apiaudit`), uploads (`apiupload`) and route helpers
(`apiroutes`); docs/architecture.md maps them. They are imported here too, so that
`from verval.exchange.apiauth import ...` keeps working for every name it offered before.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from verval.exchange.apiaudit import (
    UNAUTHENTICATED_AUDITS_PER_MINUTE,
    audit_call,
    audit_refusal,
    audit_unauthenticated,
)
from verval.exchange.apierrors import (
    ERRORS,
    ApiError,
    ErrorOut,
    IssueOut,
    error_body,
    error_for_status,
    issue_out,
    not_found,
)
from verval.exchange.apiratelimit import (
    RATE_WINDOW_SECONDS,
    check_address_rate,
    check_token_rate,
    client_ip,
)
from verval.exchange.apiroutes import get_with_head, state_filter
from verval.exchange.apiupload import (
    GZIP_MAGIC,
    UNPACKED_BYTES_PER_ROW,
    UNPACKED_SLACK_BYTES,
    UPLOAD_BYTES_PER_ROW,
    UPLOAD_CONTENT_TYPES,
    UPLOAD_OPENAPI,
    UPLOAD_RESPONSES,
    UPLOAD_SLACK_BYTES,
    Upload,
    check_upload,
    check_upload_size,
    check_upload_type,
    open_upload,
    run_or_queue,
    unpacked_limit,
    upload_limit,
    upload_openapi,
)
from verval.exchange.models import ProviderToken

M = TypeVar("M", bound=Model)

LAST_USED_RESOLUTION = timedelta(seconds=60)


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
        check_token_rate(request, row)
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            ProviderToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.provider = row.provider  # type: ignore[attr-defined]
        request.provider_token = row  # type: ignore[attr-defined]
        return row


provider_auth = ProviderTokenAuth()


def provider_of(request: HttpRequest) -> str:
    return request.auth.provider  # type: ignore[attr-defined]


def own_rows(request: HttpRequest, qs: QuerySet[M], provider_field: str = "provider") -> QuerySet[M]:
    """The rows of `qs` the calling token may read: its provider's, nothing else. The API's
    principal is the token, not a signed-in user, so `accounts.access.scope_by_provider` (the
    same rule for a provider's account) cannot be asked; a request that reached here without a
    token's provider reads nothing."""
    provider = getattr(getattr(request, "auth", None), "provider", "")
    if not provider:
        return qs.none()
    return qs.filter(**{provider_field: provider})


def unauthenticated_error(request: HttpRequest) -> ApiError:
    """The answer to a call without a valid token, after its audit row: 401, or 429 once the
    client address has made VERVAL["API_FAILED_AUTH_PER_MINUTE"] such calls in the current
    minute (0: no limit; apiratelimit.check_address_rate)."""
    window, too_many = check_address_rate(request)
    audit_unauthenticated(request, window=window, throttled=too_many is not None)
    if too_many is not None:
        return too_many
    return ApiError("TIDAK_TERAUTENTIKASI", headers={"WWW-Authenticate": "Bearer"})


__all__ = [
    # this module: token authentication
    "LAST_USED_RESOLUTION",
    "ProviderTokenAuth",
    "find_token",
    "hash_token",
    "provider_auth",
    "provider_of",
    "unauthenticated_error",
    # apierrors
    "ERRORS",
    "ApiError",
    "ErrorOut",
    "IssueOut",
    "error_body",
    "error_for_status",
    "issue_out",
    "not_found",
    # apiratelimit
    "RATE_WINDOW_SECONDS",
    "check_token_rate",
    "client_ip",
    # apiaudit
    "UNAUTHENTICATED_AUDITS_PER_MINUTE",
    "audit_call",
    "audit_refusal",
    "audit_unauthenticated",
    # apiupload
    "GZIP_MAGIC",
    "UNPACKED_BYTES_PER_ROW",
    "UNPACKED_SLACK_BYTES",
    "UPLOAD_BYTES_PER_ROW",
    "UPLOAD_CONTENT_TYPES",
    "UPLOAD_OPENAPI",
    "UPLOAD_RESPONSES",
    "UPLOAD_SLACK_BYTES",
    "Upload",
    "check_upload",
    "check_upload_size",
    "check_upload_type",
    "open_upload",
    "run_or_queue",
    "unpacked_limit",
    "upload_limit",
    "upload_openapi",
    # apiroutes
    "get_with_head",
    "state_filter",
]
