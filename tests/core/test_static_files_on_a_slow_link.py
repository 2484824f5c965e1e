"""`verval serve` hands out /static/ as production's nginx does: gzipped, and kept for a year under
an address that names the file's version; a school's signed-in pages are gzipped too (decision
0080)."""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404
from django.test import RequestFactory

from verval.core import staticserve
from verval.core.management.commands.serve import CachingRunServer

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "src" / "verval" / "static"


def _tag(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def test_a_versioned_static_address_is_sent_gzipped_and_kept_for_a_year() -> None:
    shipped = (STATIC / "vendor" / "htmx.min.js").read_bytes()
    request = RequestFactory().get(
        "/static/vendor/htmx.min.js",
        {"v": _tag("vendor/htmx.min.js")},
        HTTP_ACCEPT_ENCODING="gzip, deflate, br",
    )

    response = staticserve.serve(request, "vendor/htmx.min.js")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Encoding"] == "gzip"
    assert response["Vary"] == "Accept-Encoding"
    assert gzip.decompress(response.content) == shipped
    assert int(response["Content-Length"]) == len(response.content) < len(shipped) // 2


def test_a_static_address_without_the_files_version_is_asked_again_each_time() -> None:
    factory = RequestFactory()
    for query in ({}, {"v": "000000000000"}):
        response = staticserve.serve(factory.get("/static/css/app.css", query), "css/app.css")
        assert response["Cache-Control"] == "no-cache"


def test_a_browser_that_takes_no_gzip_gets_the_file_as_it_is() -> None:
    request = RequestFactory().get("/static/css/app.css", {"v": _tag("css/app.css")})

    response = staticserve.serve(request, "css/app.css")

    assert response.content == (STATIC / "css" / "app.css").read_bytes()
    assert not response.has_header("Content-Encoding")
    assert response["Vary"] == "Accept-Encoding"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_file_smaller_than_a_gzip_header_is_worth_is_sent_as_it_is() -> None:
    request = RequestFactory().get("/static/favicon.svg", HTTP_ACCEPT_ENCODING="gzip")

    response = staticserve.serve(request, "favicon.svg")

    assert response.content == (STATIC / "favicon.svg").read_bytes()
    assert not response.has_header("Content-Encoding")
    assert response["Content-Type"] == "image/svg+xml"


def test_an_unchanged_static_file_answers_304_with_its_cache_rule() -> None:
    first = staticserve.serve(RequestFactory().get("/static/js/app.js"), "js/app.js")
    request = RequestFactory().get(
        "/static/js/app.js", {"v": _tag("js/app.js")}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )

    response = staticserve.serve(request, "js/app.js")

    assert response.status_code == 304
    assert response.content == b""
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_static_file_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(Http404):
        staticserve.serve(RequestFactory().get("/static/js/nope.js"), "js/nope.js")
    # Outside the static folders: refused as Django's own static view refuses it (a 400).
    with pytest.raises(SuspiciousFileOperation):
        staticserve.serve(RequestFactory().get("/static/../settings.py"), "../settings.py")


def test_verval_serve_hands_out_static_files_gzipped_and_kept_for_a_year() -> None:
    handler = CachingRunServer().get_handler(use_static_handler=True, insecure_serving=True)
    assert isinstance(handler, staticserve.CachingStaticFilesHandler)
    environ: dict[str, object] = {
        "PATH_INFO": "/static/css/app.css",
        "QUERY_STRING": f"v={_tag('css/app.css')}",
        "HTTP_ACCEPT_ENCODING": "gzip",
        "wsgi.input": io.BytesIO(b""),
    }
    setup_testing_defaults(environ)
    started: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        started["status"], started["headers"] = status, dict(headers)

    body = b"".join(handler(environ, start_response))

    assert started["status"] == "200 OK"
    headers = started["headers"]
    assert isinstance(headers, dict)
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (STATIC / "css" / "app.css").read_bytes()


def test_a_signed_in_page_is_gzipped_with_a_name_of_random_length_against_breach(client, operator, school):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    sizes = set()
    for _ in range(8):
        response = client.get(f"/sekolah/{school.npsn}/", HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert b"<h1>" in gzip.decompress(response.content)
        sizes.add(len(response.content))
    # Django's GZipMiddleware pads the gzip header's file name by 0-99 bytes at random (its BREACH
    # mitigation): the same page has different lengths. Eight draws all alike: 1 in 100**7.
    assert len(sizes) > 1
