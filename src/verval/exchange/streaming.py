"""Serving a stored file with SHA-256, ETag, If-None-Match (304) and single-range Range (206).

Reusable for any stored file (dumps here, disbursement batches in verval.sptjm).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from verval.core import files

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


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
        for k, v in common.items():
            not_modified[k] = v
        return not_modified
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (not if_range or if_range.strip() == etag):
        m = _RANGE_RE.match(range_header.strip())
        if not m or (not m.group(1) and not m.group(2)):
            raise RangeNotSatisfiable
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # suffix: the last N bytes
            start = max(0, size - int(m.group(2)))
        if start >= size or start > end:
            raise RangeNotSatisfiable
        status = 206
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
    response["Content-Encoding"] = "identity"
    return response
