"""`/static/` under `verval serve` as the production web server serves it (decision 0080).

Django's development server hands the files out as they are: app.css, app.js and htmx (77 KB)
uncompressed, and with only `Last-Modified`, so a browser asked again whenever its guess of their
freshness ran out. On a 400 kbit/s link that was 1.5 s of a school operator's first page. Here:

- a text file (CSS, JavaScript, SVG, JSON, plain text) is sent gzipped to a browser that accepts
  it (`Vary: Accept-Encoding`); a static file holds no secret, so BREACH does not apply;
- an address whose `?v=` is the hash of the very file sent (the address every page links,
  `verval.core.staticfiles`) may be kept for a year without asking again
  (`public, max-age=31536000, immutable`): a new file gets a new address. Any other address is
  `no-cache`: the browser asks again each time and gets a 304 while the file is unchanged.

What nginx does in production (docs/deployment.md, step 8) is the same.
"""

from __future__ import annotations

import gzip
import mimetypes
import posixpath
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date
from django.views.static import was_modified_since

from verval.core import staticfiles

FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Below this a gzip header costs more than it saves.
GZIP_MIN_BYTES = 256
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@lru_cache(maxsize=256)
def _content(path: str, mtime_ns: int, size: int) -> tuple[bytes, bytes, str]:
    """The file's bytes, their gzip (level 9, once per version of the file) and its version tag.
    The modification time and size are in the key, so an edited file is read again."""
    data = Path(path).read_bytes()
    return data, gzip.compress(data, compresslevel=9, mtime=0), staticfiles.tag(data)


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """The static file `path` (relative to `/static/`), found as Django's `runserver` finds it."""
    name = posixpath.normpath(path).lstrip("/")
    found = finders.find(name)
    if not found or not Path(str(found)).is_file():
        raise Http404("no such static file")
    full = Path(str(found))
    stat = full.stat()
    data, zipped, tag = _content(str(full), stat.st_mtime_ns, stat.st_size)
    versioned = bool(tag) and request.GET.get("v") == tag
    cache_control = FOREVER if versioned else REVALIDATE
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        not_modified = HttpResponseNotModified()
        not_modified["Cache-Control"] = cache_control
        return not_modified
    content_type, encoding = mimetypes.guess_type(name)
    content_type = content_type or "application/octet-stream"
    compressible = encoding is None and content_type.startswith(COMPRESSIBLE)
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    body = data
    response = HttpResponse(content_type=content_type)
    if compressible and accepts_gzip and len(data) >= GZIP_MIN_BYTES and len(zipped) < len(data):
        body = zipped
        response["Content-Encoding"] = "gzip"
    elif encoding:
        response["Content-Encoding"] = encoding
    if compressible:
        response["Vary"] = "Accept-Encoding"
    response.content = body
    response["Content-Length"] = str(len(body))
    response["Last-Modified"] = http_date(stat.st_mtime)
    response["Cache-Control"] = cache_control
    return response


class CachingStaticFilesHandler(StaticFilesHandler):
    """The static handler of `verval serve` (its `runserver`): `serve` above instead of Django's."""

    def serve(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        return serve(request, self.file_path(request.path))
