"""Uploads to the provider API (results, injection results, usage reports), refused as early as
possible, then applied while the request waits or queued as a job.

- `check_upload`: before a byte is read, 400 for a Content-Length that is not a number, 411
  without one, 413 above what the batch can need (decision 0010), 415 for a body that is not a
  CSV.
- `open_upload`: the body (raw or multipart `file`), with what a gzip body unpacks to measured
  and bounded (413 ISI_GZIP_TERLALU_BESAR) before anything is stored.
- `run_or_queue`: 200 (applied), 202 with `Location` (queued), 422 (refused whole), 500.
- `upload_openapi`, `UPLOAD_OPENAPI`, `UPLOAD_RESPONSES`: what the OpenAPI document says of an
  upload.
"""

from __future__ import annotations

import copy
import re
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from isal import isal_zlib
from ninja.responses import Status

from verval.core import files, jobs
from verval.core.db import registry_job_running, registry_shared_briefly
from verval.core.models import Job
from verval.exchange.apierrors import ApiError, ErrorOut

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


# What the rows an upload's limits are counted from are, in a refusal's two languages: a batch's
# rows, or for a usage report the rows sent to the provider in the period (decision 0100).
BATCH_ROWS = ("baris batch ini", "this batch's")
PERIOD_ROWS = ("baris yang dikirim kepada Anda pada periode ini", "the period's")


def _id_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_upload(request: HttpRequest, *, rows: int, rows_of: tuple[str, str] = BATCH_ROWS) -> None:
    """Everything an upload is refused for before a byte of it is read: its length (400, 411,
    413: check_upload_size), then its type (415)."""
    check_upload_size(request, rows=rows, rows_of=rows_of)
    check_upload_type(request)


def check_upload_type(request: HttpRequest) -> None:
    """415 for a body that is not sent as a CSV: JSON, a form or no type at all would otherwise
    be read as CSV and refused with a misleading code (KOLOM_SALAH, BERKAS_KOSONG)."""
    if (request.META.get("CONTENT_LENGTH") or "0").strip() == "0":
        return  # an empty body has nothing to read as CSV: BERKAS_KOSONG says what is wrong
    ctype = (request.content_type or "").strip().lower()
    if ctype not in UPLOAD_CONTENT_TYPES:
        raise ApiError("JENIS_ISI_TIDAK_DIDUKUNG", extra={"allowed": list(UPLOAD_CONTENT_TYPES)})


def check_upload_size(request: HttpRequest, *, rows: int, rows_of: tuple[str, str] = BATCH_ROWS) -> None:
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
            f"Berkas terlalu besar: {_id_number(length)} byte. Untuk {_id_number(rows)} {rows_of[0]} "
            f"berkas paling besar {_id_number(limit)} byte.",
            f"File too large: {length:,} bytes. For {rows_of[1]} {rows:,} rows the limit is {limit:,} bytes.",
            extra={"size_bytes": length, "limit_bytes": limit},
        )


class _Unpacked:
    """Counts what a gzip stream unpacks to, fed in pieces as they arrive, holding at most
    one step of the unpacked bytes. Every member is counted (a file may hold several, with zero
    padding between them, as gzip readers accept). Bytes no gzip reader takes end the count: the
    ingest reads no further either and refuses the file (BERKAS_TERPOTONG)."""

    def __init__(self, rows: int, rows_of: tuple[str, str] = BATCH_ROWS) -> None:
        self.rows = rows
        self.rows_of = rows_of
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
            f"{_id_number(rows)} {self.rows_of[0]} isi berkas paling besar {_id_number(limit)} byte.",
            f"The gzip file unpacks to more than {limit:,} bytes. For {self.rows_of[1]} {rows:,} rows it may "
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


def open_upload(
    request: HttpRequest, *, rows: int, name: str, rows_of: tuple[str, str] = BATCH_ROWS
) -> Upload:
    """The body of an upload, raw or as multipart field `file`. A gzip body is unpacked once as
    it is read (counted, not kept) and refused with 413 ISI_GZIP_TERLALU_BESAR as soon as it
    passes what `rows` rows may unpack to; nothing is stored then. A raw gzip body is spooled
    to an anonymous temporary file meanwhile (the request cannot be read twice); close() the
    Upload once the job has stored it. Call after check_upload."""
    source: Any
    if (request.content_type or "").startswith("multipart/"):
        try:
            source = request.FILES.get("file")
        except (MultiPartParserError, SuspiciousOperation):
            # No boundary, an empty or over-long one, more parts than Django reads (fields or
            # files): Django raises while parsing, which used to answer 500.
            raise ApiError(
                "PERMINTAAN_TIDAK_VALID",
                "Isi multipart tidak dapat dibaca: periksa boundary pada Content-Type dan kirim satu "
                "bagian 'file'.",
                "The multipart body cannot be read: check the boundary in Content-Type and send one "
                "part 'file'.",
            ) from None
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
    meter = _Unpacked(rows, rows_of)
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
        "schema": {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
            "required": ["file"],
        }
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
    whole answers 422, a job that failed 500. While an import or a validation run holds the
    registry (`core.db.registry_job_running`) the file is queued too: applied in the request it
    would wait for that job's commit, minutes, and hold a web worker all that time. One that
    starts after that check is met by `registry_shared_briefly`: the request waits for it at most
    VERVAL_EDIT_LOCK_WAIT_MS, then queues the file the same way (decision 0049)."""

    def queued() -> Status[Any]:
        with transaction.atomic():
            jobs.enqueue(job)
        response["Location"] = job_url
        return Status(202, out_of(job))

    if unpacked > sync_max or registry_job_running():
        return queued()
    with registry_shared_briefly() as registry_free:
        if not registry_free:  # nothing is held: queue it as during an import
            return queued()
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
