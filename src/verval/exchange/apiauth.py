"""Provider API building blocks, reusable by every router mounted on the v1 API.

- `ProviderTokenAuth`: Bearer token per provider (SHA-256 stored, prefix lookup, last_used_at);
  sets `request.provider` (code) and `request.provider_token`; limits the calls per token and
  minute (429).
- `ApiError` + `error_body` + `ErrorOut`: every error is JSON {"code", "message", "message_en",
  "rows"}.
- `audit_call`: one audit row per API call (provider, action, object); `audit_refusal` and
  `unauthenticated_error` write the row of a call that failed (docs/api.md, "Audit").
- `check_upload`: 400 for a Content-Length that is not a number, 411 without one, 413 above
  what the batch can need (decision 0010), 415 for a body that is not a CSV;
  `open_upload`: the body (raw or multipart `file`), with what a gzip body unpacks to measured
  and bounded (413) before anything is stored.
- `get_with_head`: a GET endpoint that answers HEAD with the same headers.
- `provider_of(request)`: the authenticated provider code.
"""

from __future__ import annotations

import copy
import hmac
import math
import re
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from isal import isal_zlib
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import HttpBearer

from verval.core import audit, files, jobs
from verval.core.models import AuditEvent, Job
from verval.exchange.models import ProviderToken
from verval.exchange.resultfile import masked_text

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
    "JENIS_ISI_TIDAK_DIDUKUNG": (
        415,
        "Jenis isi (Content-Type) tidak didukung. Kirim berkas sebagai text/csv, application/gzip "
        "atau multipart/form-data (bagian 'file').",
        "Unsupported Content-Type. Send the file as text/csv, application/gzip or "
        "multipart/form-data (field 'file').",
    ),
    "TERLALU_BANYAK_PERMINTAAN": (
        429,
        "Terlalu banyak permintaan; coba lagi sebentar lagi.",
        "Too many requests; try again shortly.",
    ),
    "ISI_GZIP_TERLALU_BESAR": (
        413,
        "Isi berkas gzip terlalu besar setelah dibuka.",
        "The gzip file unpacks to more than this upload may hold.",
    ),
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


class ErrorOut(Schema):
    """Every error answer. The optional fields come with the errors that have them: the size
    limit (413), a file refused whole (422: job_id, counts, issues_total, issues_url), a job
    that failed (500: job_id), a query value outside its choices (400: allowed), a rate limit
    (429: retry_after, limit_per_minute)."""

    code: str
    message: str
    message_en: str
    rows: list[dict[str, Any]] = []
    size_bytes: int | None = None
    limit_bytes: int | None = None
    job_id: str | None = None
    counts: dict[str, Any] | None = None
    issues_total: int | None = None
    issues_url: str | None = None
    allowed: list[str] | None = None
    retry_after: int | None = None
    limit_per_minute: int | None = None


class ApiError(Exception):
    def __init__(
        self,
        code: str,
        message: str = "",
        message_en: str = "",
        status: int | None = None,
        rows: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        default_status, default_msg, default_en = ERRORS.get(code, (400, "", ""))
        self.code = code
        self.status = status or default_status
        self.message = message or default_msg
        self.message_en = message_en or default_en
        self.rows = rows or []
        self.extra = extra or {}
        self.headers = headers or {}
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
        path=request.path[:200],
    )


# ---------------------------------------------------------------------------------------------
# Rate limits: fixed one-minute windows counted in the Django cache (settings.CACHES; with
# several web processes a shared cache, or each process counts on its own: docs/deployment.md).

RATE_WINDOW_SECONDS = 60


def _window() -> tuple[int, int]:
    """The current window's number and the whole seconds until it ends (for Retry-After)."""
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    return window, max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now))


def _count(key: str) -> int:
    """Add one to a counter of the current window (its key names the window, so a counter
    never runs into the next one; it lives two windows and is then dropped)."""
    if cache.add(key, 1, 2 * RATE_WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 2 * RATE_WINDOW_SECONDS)
        return 1


def _too_many(limit: int, retry_after: int, message: str, message_en: str) -> ApiError:
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
    window, retry_after = _window()
    n = _count(f"verval:apirate:token:{row.prefix}:{window}")
    if n <= limit:
        return
    if n == limit + 1:
        audit.record(
            actor=None,
            action="api_throttled",
            object_type="provider_token",
            object_id=row.pk,
            provider=row.provider,
            after={"limit_per_minute": limit, "method": request.method, "path": request.path[:200]},
            note=f"token {row.prefix}",
            ip=client_ip(request),
        )
    raise _too_many(
        limit,
        retry_after,
        f"Terlalu banyak permintaan: satu token paling banyak {limit} permintaan per menit. "
        f"Coba lagi dalam {retry_after} detik.",
        f"Too many requests: a token may make at most {limit} calls a minute. "
        f"Try again in {retry_after} seconds.",
    )


def unauthenticated_error(request: HttpRequest) -> ApiError:
    """The answer to a call without a valid token, after its audit row: 401, or 429 once the
    client address has made VERVAL["API_FAILED_AUTH_PER_MINUTE"] such calls in the current
    minute (0: no limit). A valid token is never refused for its address's failures: behind a
    proxy every client shares one address, and a token has its own limit."""
    limit = int(settings.VERVAL.get("API_FAILED_AUTH_PER_MINUTE", 60))
    window, retry_after = _window()
    over = limit > 0 and _count(f"verval:apifail:{client_ip(request)}:{window}") > limit
    audit_unauthenticated(request, window=window, throttled=over)
    if over:
        return _too_many(
            limit,
            retry_after,
            f"Terlalu banyak permintaan tanpa token yang berlaku dari alamat ini: paling banyak {limit} "
            f"per menit. Coba lagi dalam {retry_after} detik.",
            f"Too many calls without a valid token from this address: at most {limit} a minute. "
            f"Try again in {retry_after} seconds.",
        )
    return ApiError("TIDAK_TERAUTENTIKASI", headers={"WWW-Authenticate": "Bearer"})


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
        window = _window()[0]
    ip = client_ip(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    m = _PREFIX_RE.match(token)
    prefix = m.group(1) if m else ""
    row = ProviderToken.objects.filter(prefix=prefix).order_by("-created_at").first() if prefix else None
    known = row is not None and hmac.compare_digest(row.token_hash, hash_token(token))
    if not known:
        n = _count(f"verval:api401:{ip}:{window}")
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
    after: dict[str, Any] = {"reason": reason, "method": request.method, "path": request.path[:200]}
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


# ---------------------------------------------------------------------------------------------
# Uploads

# What an upload may weigh per row the batch holds: the longest plausible results row (36-char
# pd_id, a number, a status and a 255-character keterangan) is ~330 bytes, a typical one ~70.
# The slack covers the header, a BOM and multipart framing, and is the floor for tiny batches.
UPLOAD_BYTES_PER_ROW = 512
UPLOAD_SLACK_BYTES = 1 << 20

# What a gzip body may unpack to: twice the per-row bound of a plain body plus a larger margin,
# so that no honest file (~330 bytes a row at most) comes near it, while a gzip bomb (a few
# hundred KB unpacking to 130 MB once made the web process grow past 1 GB) is refused after
# reading at most this much, one MiB at a time, before anything is stored.
UNPACKED_BYTES_PER_ROW = 1024
UNPACKED_SLACK_BYTES = 4 << 20

# Bodies taken as an upload. Plain or gzip is told by the bytes, not by the type; application/
# x-gzip is the older name some tools still send for application/gzip.
UPLOAD_CONTENT_TYPES = ("text/csv", "application/gzip", "application/x-gzip", "multipart/form-data")

GZIP_MAGIC = b"\x1f\x8b"
_STEP = 1 << 20
# A stream no gzip reader takes. (isal's type stubs declare its error class as an instance.)
_INFLATE_ERRORS: tuple[type[Exception], ...] = (
    zlib.error,
    cast("type[Exception]", isal_zlib.error),
    ValueError,
)


def upload_limit(rows: int) -> int:
    return UPLOAD_SLACK_BYTES + max(rows, 0) * UPLOAD_BYTES_PER_ROW


def unpacked_limit(rows: int) -> int:
    return UNPACKED_SLACK_BYTES + max(rows, 0) * UNPACKED_BYTES_PER_ROW


def _id_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_upload(request: HttpRequest, *, rows: int) -> None:
    """Everything an upload is refused for before a byte of it is read: its length (400, 411,
    413: check_upload_size), then its type (415)."""
    check_upload_size(request, rows=rows)
    check_upload_type(request)


def check_upload_type(request: HttpRequest) -> None:
    """415 for a body that is not sent as a CSV: JSON, a form or no type at all would otherwise
    be read as CSV and refused with a misleading code (KOLOM_SALAH, BERKAS_KOSONG)."""
    if (request.META.get("CONTENT_LENGTH") or "0").strip() == "0":
        return  # an empty body has nothing to read as CSV: BERKAS_KOSONG says what is wrong
    ctype = (request.content_type or "").strip().lower()
    if ctype not in UPLOAD_CONTENT_TYPES:
        raise ApiError("JENIS_ISI_TIDAK_DIDUKUNG", extra={"allowed": list(UPLOAD_CONTENT_TYPES)})


def check_upload_size(request: HttpRequest, *, rows: int) -> None:
    """Refuse an upload before reading it: 400 for a Content-Length that is not a whole number
    (`-5` would read as an empty body), 411 for a chunked body without Content-Length (WSGI
    hands it over as empty: it would read as an empty file), 413 when the body as sent (gzip or
    not) is larger than a file of `rows` rows can be. Decision 0010."""
    raw = (request.META.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            raise ApiError("CONTENT_LENGTH_DIPERLUKAN")
        return  # neither length nor chunks: HTTP says the body is empty (BERKAS_KOSONG follows)
    if not re.fullmatch(r"[0-9]+", raw):
        raise ApiError(
            "PERMINTAAN_TIDAK_VALID",
            "Header Content-Length tidak valid: harus bilangan bulat tidak negatif.",
            "Invalid Content-Length header: it must be a whole number of bytes, not negative.",
        )
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


class _Unpacked:
    """Counts what a gzip stream unpacks to, fed in pieces as they arrive, holding at most
    one step of the unpacked bytes. Every member is counted (a file may hold several, with zero
    padding between them, as gzip readers accept). Bytes no gzip reader takes end the count: the
    ingest reads no further either and refuses the file (BERKAS_TERPOTONG)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.limit = unpacked_limit(rows)
        self.size = 0
        self._inflate: Any = None
        self._pending = b""
        self._broken = False

    def feed(self, data: bytes) -> None:
        while not self._broken:
            if self._inflate is None or self._inflate.eof:
                data = (self._pending + data).lstrip(b"\x00")
                self._pending = b""
                if len(data) < 2:
                    self._pending = data
                    return
                if data[:2] != GZIP_MAGIC:
                    self._broken = True
                    return
                self._inflate = isal_zlib.decompressobj(31)
            try:
                out = self._inflate.decompress(data, _STEP)
            except _INFLATE_ERRORS:
                self._broken = True
                return
            self.size += len(out)
            if self.size > self.limit:
                raise self._too_large()
            if self._inflate.eof:
                data = self._inflate.unused_data
                if not data:
                    return
                continue
            data = self._inflate.unconsumed_tail
            if not data and len(out) < _STEP:
                return  # all taken in; a full step may leave output behind: the loop drains it

    def _too_large(self) -> ApiError:
        limit, rows = self.limit, self.rows
        return ApiError(
            "ISI_GZIP_TERLALU_BESAR",
            f"Isi berkas gzip terlalu besar: setelah dibuka lebih dari {_id_number(limit)} byte. Untuk "
            f"{_id_number(rows)} baris batch ini isi berkas paling besar {_id_number(limit)} byte.",
            f"The gzip file unpacks to more than {limit:,} bytes. For this batch's {rows:,} rows it may "
            f"unpack to at most {limit:,} bytes.",
            extra={"limit_bytes": limit},
        )


class _Prefixed:
    """The request body with the bytes already read to tell gzip from plain put back in front."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        head, self._head = self._head, b""
        if size is not None and 0 <= size <= len(head):
            self._head = head[size:]
            return head[:size]
        more = self._rest.read(-1 if size is None or size < 0 else size - len(head))
        return head + more


@dataclass
class Upload:
    """An upload ready to be stored by the job: `file` has `read()` (or `chunks()`); `unpacked`
    is what a gzip body unpacks to (None for a plain one, which unpacks to the size stored)."""

    file: Any
    name: str
    unpacked: int | None = None
    _spool: Any = None

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


def open_upload(request: HttpRequest, *, rows: int, name: str) -> Upload:
    """The body of an upload, raw or as multipart field `file`. A gzip body is unpacked once as
    it is read (counted, not kept) and refused with 413 ISI_GZIP_TERLALU_BESAR as soon as it
    passes what `rows` rows may unpack to; nothing is stored then. A raw gzip body is spooled
    to an anonymous temporary file meanwhile (the request cannot be read twice); close() the
    Upload once the job has stored it. Call after check_upload."""
    source: Any
    if (request.content_type or "").startswith("multipart/"):
        source = request.FILES.get("file")
        if source is None:
            raise ApiError(
                "PERMINTAAN_TIDAK_VALID", "Bagian 'file' tidak ada.", "Multipart field 'file' is missing."
            )
        name = source.name or name
    else:
        source = request
    head = source.read(2)
    if head != GZIP_MAGIC:
        if isinstance(source, UploadedFile):
            source.seek(0)
            return Upload(source, name)
        return Upload(_Prefixed(head, source), name)
    meter = _Unpacked(rows)
    meter.feed(head)
    if isinstance(source, UploadedFile):  # already stored by Django: read through, then rewind
        for chunk in iter(lambda: source.read(_STEP), b""):
            meter.feed(chunk)
        source.seek(0)
        return Upload(source, name, meter.size)
    spool_dir = files.root() / "tmp"
    spool_dir.mkdir(parents=True, exist_ok=True)
    spool = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - closed by Upload.close()
    try:
        spool.write(head)
        for chunk in iter(lambda: source.read(_STEP), b""):
            meter.feed(chunk)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return Upload(spool, name, meter.size, spool)


# ---------------------------------------------------------------------------------------------
# Refused rows as the API gives them back


def issue_out(issue: Any) -> dict[str, Any]:
    """A stored refused row (JobIssue) as answered. Its value is masked again here: rows stored
    before values were masked when they were made, and by readers that do not mask them
    themselves, must not give a number back in full either."""
    return {
        "line": issue.line,
        "column": issue.column,
        "code": issue.code,
        "message": issue.message,
        "message_en": issue.message_en,
        "value": masked_text(issue.value),
    }


# ---------------------------------------------------------------------------------------------
# Routes

# Answers of an upload: applied (200), queued as a job (202), a bad Content-Length (400), unknown
# batch (404), no Content-Length (411), too large as sent or unpacked (413), not a CSV (415),
# refused whole (422).
UPLOAD_OPENAPI: dict[str, Any] = {
    "responses": {
        202: {
            "description": "Queued as a job: poll `Location` (also `job_url` in the body)",
            "headers": {
                "Location": {
                    "schema": {"type": "string"},
                    "description": "the job, e.g. /api/v1/jobs/{job_id}",
                }
            },
        },
        413: {
            "description": "BERKAS_TERLALU_BESAR (the body as sent, with size_bytes and limit_bytes) or "
            "ISI_GZIP_TERLALU_BESAR (what a gzip body unpacks to, with limit_bytes)",
        },
        415: {
            "description": "JENIS_ISI_TIDAK_DIDUKUNG: send text/csv, application/gzip or multipart/form-data"
        },
    },
}


def upload_openapi(description: str, *, gzip: bool = True) -> dict[str, Any]:
    """The request body and the answers every CSV upload documents (results, injection, usage)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    content: dict[str, Any] = {"text/csv": binary}
    if gzip:
        content["application/gzip"] = binary
    content["multipart/form-data"] = {
        "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
    }
    return {
        "requestBody": {"description": description, "required": True, "content": content},
        **copy.deepcopy(UPLOAD_OPENAPI),
    }


UPLOAD_RESPONSES: dict[int, Any] = {
    400: ErrorOut,
    404: ErrorOut,
    411: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
}


def run_or_queue(
    job: Job,
    *,
    unpacked: int,
    sync_max: int,
    response: HttpResponse,
    out_of: Callable[[Job], dict[str, Any]],
    job_url: str,
) -> Status[Any]:
    """Apply an uploaded file while the request waits (200), or queue it as a job (202, with
    `Location`) when it unpacks to more than VERVAL_API_SYNC_INGEST_BYTES: its size as stored
    would let a small gzip body that unpacks to a lot run inside the web process. A file refused
    whole answers 422, a job that failed 500."""
    if unpacked > sync_max:
        with transaction.atomic():
            jobs.enqueue(job)
        response["Location"] = job_url
        return Status(202, out_of(job))
    job = jobs.run(job.pk)
    out = out_of(job)
    if job.state == Job.State.REFUSED:
        raise ApiError(
            job.error_code,
            job.error_message,
            job.error_message_en,
            status=422,
            rows=out["issues"],
            extra={
                "job_id": out["job_id"],
                "counts": out["counts"],
                "issues_total": out["issues_total"],
                "issues_url": out["issues_url"],
            },
        )
    if job.state == Job.State.FAILED:
        raise ApiError(
            job.error_code,
            job.error_message,
            job.error_message_en,
            status=500,
            extra={"job_id": out["job_id"]},
        )
    return Status(200, out)


def state_filter(state: str | None, allowed: tuple[str, ...]) -> str | None:
    """The `state` a list is filtered by, upper-cased; 400 with the allowed values for any other
    (an unknown state used to answer an empty list, which reads as "nothing there")."""
    if not state:
        return None
    wanted = state.strip().upper()
    if wanted not in allowed:
        choices = ", ".join(allowed)
        raise ApiError(
            "PERMINTAAN_TIDAK_VALID",
            f"Nilai state tidak dikenal. Pilihan: {choices}.",
            f"Unknown state. Allowed: {choices}.",
            rows=[
                {
                    "line": 0,
                    "column": "state",
                    "code": "NILAI_TIDAK_VALID",
                    "message": f"Harus salah satu dari: {choices}.",
                    "message_en": f"Must be one of: {choices}.",
                    "value": masked_text(state)[:40],
                }
            ],
            extra={"allowed": list(allowed)},
        )
    return wanted


def get_with_head(router: Router, path: str, **kwargs: Any) -> Callable[[Any], Any]:
    """Register a GET endpoint that also answers HEAD: the same headers, no body (the body is
    dropped by verval.exchange.middleware). HEAD is its own operation, with its own id, left out
    of the OpenAPI document: every GET there says it answers HEAD too, and a HEAD twin of each
    GET doubled the docs page a provider's engineer reads (RFC 9110 §9.3.2 makes HEAD implied)."""

    def decorator(func: Any) -> Any:
        summary = kwargs.get("summary") or func.__name__
        router.get(path, **{**kwargs, "summary": f"{summary} (also HEAD: headers only)"})(func)
        head = {k: v for k, v in kwargs.items() if k not in ("summary", "operation_id")}
        router.api_operation(
            ["HEAD"],
            path,
            summary=f"{summary} (headers only)",
            operation_id=f"{func.__module__}_{func.__name__}_head".replace(".", "_"),
            include_in_schema=False,
            **head,
        )(func)
        return func

    return decorator
