"""Provider API building blocks, reusable by every router mounted on the v1 API.

- `ProviderTokenAuth`: Bearer token per provider (SHA-256 stored, prefix lookup, last_used_at);
  sets `request.provider` (code) and `request.provider_token`.
- `ApiError` + `error_body`: every error is JSON {"code", "message", "message_en", "rows"}.
- `audit_call`: one audit row per API call (provider, action, object); `audit_refusal` and
  `audit_unauthenticated` write the row of a call that failed (docs/api.md, "Audit").
- `check_upload_size`: 411 without Content-Length, 413 above what the batch can need
  (decision 0010).
- `provider_of(request)`: the authenticated provider code.
"""

from __future__ import annotations

import hmac
import re
from datetime import timedelta
from typing import Any

from django.core.cache import cache
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
    "RENTANG_TIDAK_VALID": (
        416,
        "Rentang (Range) di luar ukuran berkas.",
        "The requested range starts past the end of the file.",
    ),
    "BERKAS_TERLALU_BESAR": (413, "Berkas terlalu besar.", "File too large."),
    "CONTENT_LENGTH_DIPERLUKAN": (
        411,
        "Header Content-Length wajib ada; kirim berkas dengan panjangnya, bukan secara chunked.",
        "The Content-Length header is required; send the file with its length, not chunked.",
    ),
    "METODE_TIDAK_DIIZINKAN": (405, "Metode HTTP ini tidak diizinkan di alamat ini.", "Method not allowed."),
    "KESALAHAN_SISTEM": (
        500,
        "Terjadi kesalahan sistem; data tidak diubah. Hubungi Pusdatin.",
        "System error; no data was changed. Contact Pusdatin.",
    ),
}


def error_for_status(status: int) -> tuple[str, str, str]:
    """(code, message, message_en) of a bare HTTP status, for errors that carry no code of ours."""
    for code, (s, msg, msg_en) in ERRORS.items():
        if s == status:
            return code, msg, msg_en
    if status >= 500:
        return "KESALAHAN_SISTEM", *ERRORS["KESALAHAN_SISTEM"][1:]
    return "KESALAHAN_HTTP", f"Permintaan tidak dapat diproses (HTTP {status}).", f"HTTP {status}."


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
    # An error raised after this row must not add a second one for the same call.
    request._verval_audited = True  # type: ignore[attr-defined]
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


def audit_refusal(request: HttpRequest, status: int, code: str) -> None:
    """The audit row of an authenticated call that failed (404 of another provider's batch,
    416, 400...), unless the endpoint already wrote its own. Not throttled: a provider is known,
    and a row per failed call is what a row per successful call already costs."""
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
        path=request.path[:200],
    )


# 401s come from anyone, so their rows are capped per client address (per worker process, in
# the local cache): a scan or a misconfigured client leaves a trace without filling the table.
UNAUTHENTICATED_AUDITS_PER_MINUTE = 10
_PREFIX_RE = re.compile(r"^vp_([0-9a-f]{8})_")


def audit_unauthenticated(request: HttpRequest) -> None:
    """The audit row of a 401: the token's public prefix when it has one, never the token;
    whether that prefix is unknown, revoked or paired with a wrong secret."""
    ip = client_ip(request)
    key = f"verval:api401:{ip}"
    if cache.add(key, 1, 60):
        n = 1
    else:
        try:
            n = cache.incr(key)
        except ValueError:  # expired between add and incr
            n = 1
    if n > UNAUTHENTICATED_AUDITS_PER_MINUTE:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    m = _PREFIX_RE.match(token.strip()) if scheme.lower() == "bearer" else None
    prefix = m.group(1) if m else ""
    row = ProviderToken.objects.filter(prefix=prefix).order_by("-created_at").first() if prefix else None
    if not header:
        reason = "no_token"
    elif row is None:
        reason = "unknown_token"
    elif row.revoked_at is not None:
        reason = "revoked_token"
    else:
        reason = "wrong_secret"
    audit.record(
        actor=None,
        action="api_unauthenticated",
        object_type="provider_token" if row else "",
        object_id=row.pk if row else "",
        provider=row.provider if row else "",
        after={"reason": reason, "method": request.method, "path": request.path[:200]},
        note=f"token {prefix}" if prefix else "",
        ip=ip,
    )


# What an upload may weigh per row the batch holds: the longest plausible results row (36-char
# pd_id, a number, a status and a 255-character keterangan) is ~330 bytes, a typical one ~70.
# The slack covers the header, a BOM and multipart framing, and is the floor for tiny batches.
UPLOAD_BYTES_PER_ROW = 512
UPLOAD_SLACK_BYTES = 1 << 20


def upload_limit(rows: int) -> int:
    return UPLOAD_SLACK_BYTES + max(rows, 0) * UPLOAD_BYTES_PER_ROW


def _id_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_upload_size(request: HttpRequest, *, rows: int) -> None:
    """Refuse an upload before reading it: 411 for a chunked body without Content-Length (WSGI
    hands it over as empty: it would read as an empty file), 413 when the body as sent (gzip or
    not) is larger than a file of `rows` rows can be. Decision 0010."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw.strip().isdigit():
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            raise ApiError("CONTENT_LENGTH_DIPERLUKAN")
        return  # neither length nor chunks: HTTP says the body is empty (BERKAS_KOSONG follows)
    length = int(raw)
    limit = upload_limit(rows)
    if length > limit:
        raise ApiError(
            "BERKAS_TERLALU_BESAR",
            f"Berkas terlalu besar: {_id_number(length)} byte. Untuk {_id_number(rows)} baris batch ini "
            f"berkas paling besar {_id_number(limit)} byte.",
            f"File too large: {length:,} bytes. For this batch's {rows:,} rows the limit is {limit:,} bytes.",
            extra={"size_bytes": length, "limit_bytes": limit},
        )
