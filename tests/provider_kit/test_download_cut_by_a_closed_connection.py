"""A server killed or restarted in the middle of a download closes the connection before the body
it announced is complete; http.client then ends the body quietly. The kit counts the bytes
against Content-Length: the download stops as cut off (SERVER_TIDAK_TERJANGKAU, exit code 2),
its part is kept, and the next run resumes it, instead of taking the part for the whole file,
failing its SHA-256 and throwing it away (decision 0063)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provider_kit.local_server import serving
from verval_provider import ApiClient, ApiFailure, UrllibTransport

FILE = gzip.compress(
    b"pd_id,tingkat_pendidikan,npsn,no_ponsel\n"
    + b"".join(b"%08d-1111-4111-8111-111111111111,4,20100001,62812%08d\n" % (i, i) for i in range(400))
)
SHA = hashlib.sha256(FILE).hexdigest()


class _File(http.server.BaseHTTPRequestHandler):
    """Serves FILE with Range; while `cut_at` is set, the next answer announces the whole length
    and closes the connection after `cut_at` bytes."""

    cut_at: int | None = None
    ranges: list[str] = []

    def do_GET(self) -> None:
        asked = self.headers.get("Range", "")
        type(self).ranges.append(asked)
        start = int(asked[len("bytes=") : -1]) if asked else 0
        body = FILE[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", f'"{SHA}"')
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(FILE) - 1}/{len(FILE)}")
        self.end_headers()
        cut = type(self).cut_at
        if cut is not None:
            type(self).cut_at = None
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Silent: the test reads what the kit wrote."""


@pytest.fixture
def server() -> Iterator[tuple[str, type[_File]]]:
    handler = type("Handler", (_File,), {"cut_at": None, "ranges": []})
    with serving(handler) as url:
        yield url, handler


def test_a_download_whose_connection_closes_early_is_kept_as_a_part_and_resumed(server, tmp_path: Path):  # type: ignore[no-untyped-def]
    url, handler = server
    client = ApiClient("vp_0123abcd_x", UrllibTransport(url))
    dest = tmp_path / "DMP-1.csv.gz"
    handler.cut_at = 700

    with pytest.raises(ApiFailure) as cut:
        client.download("DMP-1", dest, SHA)

    assert cut.value.code == "SERVER_TIDAK_TERJANGKAU"
    assert str(cut.value) == (
        f"SERVER_TIDAK_TERJANGKAU: cannot reach {url}: the connection closed after 700 of "
        f"{len(FILE):,} bytes (run again; a download resumes)"
    )
    assert not dest.exists()
    assert (tmp_path / "DMP-1.csv.gz.part").read_bytes() == FILE[:700]

    client.download("DMP-1", dest, SHA)

    assert dest.read_bytes() == FILE
    assert handler.ranges == ["", "bytes=700-"]
    assert not (tmp_path / "DMP-1.csv.gz.part").exists()


def test_a_resumed_download_cut_again_keeps_what_both_answers_brought(server, tmp_path: Path):  # type: ignore[no-untyped-def]
    url, handler = server
    client = ApiClient("vp_0123abcd_x", UrllibTransport(url))
    dest = tmp_path / "DMP-1.csv.gz"
    handler.cut_at = 300
    with pytest.raises(ApiFailure):
        client.download("DMP-1", dest, SHA)
    handler.cut_at = 200

    with pytest.raises(ApiFailure):
        client.download("DMP-1", dest, SHA)

    assert (tmp_path / "DMP-1.csv.gz.part").read_bytes() == FILE[:500]
    client.download("DMP-1", dest, SHA)
    assert dest.read_bytes() == FILE
    assert handler.ranges == ["", "bytes=300-", "bytes=500-"]
