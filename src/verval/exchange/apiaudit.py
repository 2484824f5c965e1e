"""The audit of provider API calls (docs/api.md, "Audit"): every call with a valid token writes
one row, the failed ones too; calls without a valid token are recorded with a cap per client
address and minute.

- `audit_call`: the row of an endpoint's call (provider, action, object, token prefix, IP);
  `call_fields` for an action that writes the call's row with its state change.
- `audit_refusal`: the row of an authenticated call that failed before its endpoint wrote one
  (`api_refused`: 404, 400, 405, 411, 413, 415, 500...).
- `audit_unauthenticated`: the row of a call without a valid token (`api_unauthenticated`),
  capped per address and minute, a real (revoked or rotated) token always recorded, the rest
  counted in one `api_unauthenticated_summary` row.

The row of a call refused by its token's rate limit (`api_throttled`) is written by
verval.exchange.apiratelimit.
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest

from verval.core import audit
from verval.core.logging import mask_text
from verval.core.models import AuditEvent
from verval.exchange.apiratelimit import RATE_WINDOW_SECONDS, client_ip, count_call, current_window
from verval.exchange.models import ProviderToken


def call_fields(request: HttpRequest) -> dict[str, Any]:
    """What the call's one audit row says of the call (`note`: the token prefix, `ip`), for an
    action that writes that row itself with its state change (`sptjm.actions.mark_batch_downloaded`);
    the call counts as audited from here: an error raised after it adds no second row."""
    request._verval_audited = True  # type: ignore[attr-defined]
    return {"note": f"token {request.auth.prefix}", "ip": client_ip(request)}  # type: ignore[attr-defined]


def audit_call(
    request: HttpRequest, action: str, object_type: str = "", object_id: Any = "", **after: Any
) -> None:
    # An error raised after this row must not add a second one for the same call.
    fields = call_fields(request)
    audit.record(
        actor=None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        provider=request.auth.provider,  # type: ignore[attr-defined]
        after=after or None,
        **fields,
    )


def audited_path(request: HttpRequest) -> str:
    """The path as an audit row keeps it: a number in it masked like in a log line (the client
    chose the path: `/api/v1/batches/6281234567890` was stored as sent), at most 200
    characters."""
    return mask_text(request.path)[:200]


def audit_refusal(request: HttpRequest, status: int, code: str) -> None:
    """The audit row of an authenticated call that failed (404 of another provider's batch,
    416, 400, 405...), unless the endpoint already wrote its own. Not throttled: a provider is
    known, and a row per failed call is what a row per successful call already costs."""
    if getattr(request, "_verval_audited", False) or not isinstance(
        getattr(request, "auth", None), ProviderToken
    ):
        return
    audit_call(
        request,
        "api_refused",
        "",
        "",
        status=status,
        code=code,
        method=request.method,
        path=audited_path(request),
    )


# 401s come from anyone, so their rows are capped per client address and minute: a scan or a
# misconfigured client leaves a trace without filling the table. Two things escape the cap: a
# call that presents a real token (revoked or rotated away: someone holds it, which the audit
# must show however many junk calls came first from the same address, e.g. a shared proxy),
# and one summary row per address and minute that counts the calls not recorded one by one.
UNAUTHENTICATED_AUDITS_PER_MINUTE = 10
_PREFIX_RE = re.compile(r"^vp_([0-9a-f]{8})_")


def audit_unauthenticated(
    request: HttpRequest, *, window: int | None = None, throttled: bool = False
) -> None:
    """The audit row of a 401 (or of a 429 for an address over its limit): the token's public
    prefix when it has one, never the token; whether that prefix is unknown, revoked or paired
    with a wrong secret."""
    if window is None:
        window = current_window()[0]
    ip = client_ip(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    m = _PREFIX_RE.match(token)
    prefix = m.group(1) if m else ""
    row = ProviderToken.objects.filter(prefix=prefix).order_by("-created_at").first() if prefix else None
    known = row is not None and hmac.compare_digest(row.token_hash, _hash_token(token))
    if not known:
        n = count_call(f"verval:api401:{ip}:{window}")
        if n > UNAUTHENTICATED_AUDITS_PER_MINUTE:
            _count_unrecorded(ip, window, n - UNAUTHENTICATED_AUDITS_PER_MINUTE)
            return
    if not header:
        reason = "no_token"
    elif row is None:
        reason = "unknown_token"
    elif row.revoked_at is not None:
        reason = "revoked_token"
    else:
        reason = "wrong_secret"
    after: dict[str, Any] = {"reason": reason, "method": request.method, "path": audited_path(request)}
    if throttled:
        after["status"] = 429
    audit.record(
        actor=None,
        action="api_unauthenticated",
        object_type="provider_token" if row else "",
        object_id=row.pk if row else "",
        provider=row.provider if row else "",
        after=after,
        note=f"token {prefix}" if prefix else "",
        ip=ip,
    )


def _count_unrecorded(ip: str | None, window: int, unrecorded: int) -> None:
    """One `api_unauthenticated_summary` row per address and minute, created by the first call
    not recorded and brought up to date by each later one (an UPDATE of that row: the table
    does not grow with the flood)."""
    key = f"verval:api401sum:{ip}:{window}"
    after = {
        "not_recorded": unrecorded,
        "window_start": datetime.fromtimestamp(window * RATE_WINDOW_SECONDS, tz=UTC).isoformat(),
        "window_seconds": RATE_WINDOW_SECONDS,
        "recorded_individually": UNAUTHENTICATED_AUDITS_PER_MINUTE,
    }
    if cache.add(key, 0, 2 * RATE_WINDOW_SECONDS):
        event = audit.record(actor=None, action="api_unauthenticated_summary", after=after, ip=ip)
        cache.set(key, event.pk, 2 * RATE_WINDOW_SECONDS)
        return
    pk = cache.get(key)
    if pk:  # 0: another process is creating the row; its count catches up at the next call
        AuditEvent.objects.filter(pk=pk).update(after=after)


def _hash_token(token: str) -> str:
    from verval.exchange.actions import hash_token

    return hash_token(token)
