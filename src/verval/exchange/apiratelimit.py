"""Rate limits of the provider API: fixed one-minute windows counted in the Django cache
(settings.CACHES; with several web processes a shared cache, or each process counts on its own:
docs/deployment.md, docs/api.md "Rate limits").

- `check_token_rate`: 429 past VERVAL["API_RATE_PER_MINUTE"] calls of one token in a minute
  (called by the token authentication, verval.exchange.apiauth).
- `check_address_rate`: counts a call without a valid token against its client address; past
  VERVAL["API_FAILED_AUTH_PER_MINUTE"] such calls in a minute it is answered 429, not 401.
- `current_window`, `count_call`: the window and its counters, also used to cap the audit rows
  of calls without a valid token (verval.exchange.apiaudit).
- `client_ip`: the client address the limits and the audit rows name.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from verval.core import audit
from verval.core.client import client_ip as forwarded_client_ip
from verval.core.logging import mask_text
from verval.exchange.apierrors import ApiError
from verval.exchange.models import ProviderToken

RATE_WINDOW_SECONDS = 60


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as sign-in and registration see it (behind a trusted reverse proxy,
    from X-Forwarded-For; `VERVAL_TRUSTED_PROXIES`): otherwise every provider behind the proxy
    would share one failed-call budget."""
    return forwarded_client_ip(request)


def current_window() -> tuple[int, int]:
    """The current window's number and the whole seconds until it ends (for Retry-After)."""
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    return window, max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))


def count_call(key: str) -> int:
    """Add one to a counter of the current window (its key names the window, so a counter
    never runs into the next one; it lives two windows and is then dropped)."""
    if cache.add(key, 1, 2 * RATE_WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 2 * RATE_WINDOW_SECONDS)
        return 1


def too_many(limit: int, retry_after: int, message: str, message_en: str) -> ApiError:
    return ApiError(
        "TERLALU_BANYAK_PERMINTAAN",
        message,
        message_en,
        extra={"retry_after": retry_after, "limit_per_minute": limit},
        headers={"Retry-After": str(retry_after)},
    )


def check_token_rate(request: HttpRequest, row: ProviderToken) -> None:
    """429 once a token has made VERVAL["API_RATE_PER_MINUTE"] calls in the current minute
    (0: no limit). The first refused call of a minute writes one `api_throttled` row; the rest
    of that minute is answered without one, so that a runaway client cannot fill the audit."""
    limit = int(settings.VERVAL.get("API_RATE_PER_MINUTE", 600))
    if limit <= 0:
        return
    window, retry_after = current_window()
    n = count_call(f"verval:apirate:token:{row.prefix}:{window}")
    if n <= limit:
        return
    if n == limit + 1:
        audit.record(
            actor=None,
            action="api_throttled",
            object_type="provider_token",
            object_id=row.pk,
            provider=row.provider,
            after={
                "limit_per_minute": limit,
                "method": request.method,
                "path": mask_text(request.path)[:200],
            },
            note=f"token {row.prefix}",
            ip=client_ip(request),
        )
    raise too_many(
        limit,
        retry_after,
        f"Terlalu banyak permintaan: satu token paling banyak {limit} permintaan per menit. "
        f"Coba lagi dalam {retry_after} detik.",
        f"Too many requests: a token may make at most {limit} calls a minute. "
        f"Try again in {retry_after} seconds.",
    )


def check_address_rate(request: HttpRequest) -> tuple[int, ApiError | None]:
    """Count a call without a valid token against its client address: (the current window,
    the 429 to answer once the address has made VERVAL["API_FAILED_AUTH_PER_MINUTE"] such calls
    in it, or None). 0: no limit. A valid token is never refused for its address's failures:
    behind a proxy every client shares one address, and a token has its own limit."""
    limit = int(settings.VERVAL.get("API_FAILED_AUTH_PER_MINUTE", 60))
    window, retry_after = current_window()
    over = limit > 0 and count_call(f"verval:apifail:{client_ip(request)}:{window}") > limit
    if not over:
        return window, None
    return window, too_many(
        limit,
        retry_after,
        f"Terlalu banyak permintaan tanpa token yang berlaku dari alamat ini: paling banyak {limit} "
        f"per menit. Coba lagi dalam {retry_after} detik.",
        f"Too many calls without a valid token from this address: at most {limit} a minute. "
        f"Try again in {retry_after} seconds.",
    )
