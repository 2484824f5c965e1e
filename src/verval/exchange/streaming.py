"""Serving a stored file with SHA-256, ETag, If-None-Match (304) and single-range Range (206).

Reusable for any stored file (dumps here, disbursement batches in verval.sptjm).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from verval.core import files

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII)

# The Content-Encoding a file answer carries only between the view and the outermost API
# middleware (see file_response).
KEEP_UNCOMPRESSED = "identity"


def DOWNLOAD_OPENAPI(description: str | None) -> dict[str, Any]:  # noqa: N802 - reads as a constant
    """What the OpenAPI document says of a file download (GET, or HEAD without a description
    and without the file) beyond ninja's status list: the conditional and range request headers
    and the headers and body of each answer."""

    def header(name: str, text: str, kind: str = "string") -> dict[str, Any]:
        return {name: {"schema": {"type": kind}, "description": text}}

    sha = {
        **header("ETag", '`"<sha256>"` of the stored file'),
        **header("X-Content-SHA256", "SHA-256 of the whole file (hex)"),
        **header("Accept-Ranges", "`bytes`"),
    }
    body = {"application/gzip": {"schema": {"type": "string", "format": "binary"}}} if description else None

    def answer(text: str, headers: dict[str, Any], with_body: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"description": text, "headers": headers}
        if body is not None and with_body:
            out["content"] = body
        return out

    return {
        "parameters": [
            {
                "in": "header",
                "name": "Range",
                "required": False,
                "schema": {"type": "string"},
                "description": "`bytes=N-`, `bytes=N-M` or `bytes=-N` to resume (206); an unreadable or "
                "multiple range is ignored (200 with the whole file)",
            },
            {
                "in": "header",
                "name": "If-Range",
                "required": False,
                "schema": {"type": "string"},
                "description": "the ETag the part already held belongs to; another one gives the whole file",
            },
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": "the ETag held; the same file answers 304 without a body",
            },
        ],
        "responses": {
            200: answer(
                description or "The headers of the whole file",
                {**sha, **header("Content-Length", "size of the file", "integer")},
            ),
            206: answer(
                "Part of the file (resume)",
                {
                    **sha,
                    **header("Content-Range", "`bytes first-last/size`"),
                    **header("Content-Length", "size of the part", "integer"),
                },
            ),
            304: answer(
                "Not modified: the ETag sent is the file's; no body",
                {**sha, **header("Content-Length", "size of the whole file", "integer")},
                with_body=False,
            ),
            416: {
                "description": "The range starts past the end of the file (RENTANG_TIDAK_VALID)",
                "headers": header("Content-Range", "`bytes */size`"),
            },
        },
    }


class RangeNotSatisfiable(Exception):
    pass


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range, or None when the header is to be ignored.

    RFC 9110 §14.2: a server may ignore a Range it does not understand or does not serve, and
    answers the whole file; 416 is only for a well-formed range that starts past the end. So a
    malformed range (`bytes=abc`, `bytes=50-10`), another unit and a multi-range request (which
    we do not serve) give None. Raises RangeNotSatisfiable for `bytes=N-` with N >= size and for
    the empty suffix `bytes=-0`.
    """
    m = _RANGE_RE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if m.group(1):
        start = int(m.group(1))
        if m.group(2) and int(m.group(2)) < start:
            return None
        if start >= size:
            raise RangeNotSatisfiable
        return start, min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    suffix = int(m.group(2))
    if suffix == 0 or size == 0:
        raise RangeNotSatisfiable
    return max(0, size - suffix), size - 1


def file_response(
    request: HttpRequest, path: Path, *, sha256: str, filename: str, content_type: str = "application/gzip"
) -> HttpResponse | StreamingHttpResponse:
    size = path.stat().st_size
    etag = f'"{sha256}"'
    common = {
        "ETag": etag,
        "X-Content-SHA256": sha256,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-transform",
    }
    inm = request.headers.get("If-None-Match")
    if inm and _etag_matches(inm, etag):
        not_modified = HttpResponse(status=304)
        # A 304 has no body, so no media type (Django would otherwise send text/html).
        del not_modified["Content-Type"]
        for k, v in common.items():
            not_modified[k] = v
        # A 304 may only carry the Content-Length of the full file (RFC 9110 §8.6); without one
        # Django's CommonMiddleware adds `Content-Length: 0`, the length of this empty answer.
        not_modified["Content-Length"] = str(size)
        return not_modified
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (not if_range or if_range.strip() == etag):
        wanted = byte_range(range_header, size)
        if wanted is not None:
            (start, end), status = wanted, 206
    response: HttpResponse | StreamingHttpResponse
    if request.method == "HEAD":
        # The headers of the GET, without opening the file.
        response = HttpResponse(content_type=content_type, status=status)
    else:
        response = StreamingHttpResponse(
            files.read_chunks(path, start, end), content_type=content_type, status=status
        )
    for k, v in common.items():
        response[k] = v
    response["Content-Length"] = str(end - start + 1)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The file is already gzip: keep GZipMiddleware from compressing it again (it skips responses
    # that carry a Content-Encoding), so byte ranges and the SHA-256 stay those of the stored file.
    # `identity` is not a content coding to send (RFC 9110 §8.4.1): ApiJsonErrorsMiddleware, which
    # runs after GZipMiddleware, takes the header off again (KEEP_UNCOMPRESSED).
    response["Content-Encoding"] = KEEP_UNCOMPRESSED
    return response


def range_not_satisfiable(path: Path) -> HttpResponse:
    """The 416 answer: JSON error plus `Content-Range: bytes */size`, as RFC 9110 asks."""
    from django.http import JsonResponse

    from verval.exchange.apierrors import ApiError, error_body

    err = ApiError("RENTANG_TIDAK_VALID")
    response = JsonResponse(error_body(err.code, err.message, err.message_en), status=err.status)
    response["Content-Range"] = f"bytes */{path.stat().st_size}"
    return response
