"""A small client for the Verval Ponsel provider API, standard library only (urllib).

The HTTP layer is a `transport`: a callable (method, path, headers, body) -> (status, headers,
chunks). `UrllibTransport(base_url)` talks to a server; tests and the in-process simulator pass
another transport (e.g. over django.test.Client) and run the very same client code.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

Response = tuple[int, dict[str, str], Iterator[bytes]]
Transport = Callable[[str, str, dict[str, str], "bytes | BinaryIO | None"], Response]

USER_AGENT = "verval-provider/1.0"

TOKEN_REFUSED_HINT = (
    "Check --token or VERVAL_PROVIDER_TOKEN: a new token from Pusdatin replaces every earlier one "
    "of your company, so use the latest token Pusdatin gave you, or ask Pusdatin for a new one."
)


# What no id is: a normalising proxy would merge or resolve it as a path segment (decision 0075).
NOT_A_SEGMENT = ("", ".", "..")
UNSENDABLE_ID = "ID_TIDAK_SAH"


def api_path(*segments: object, query: dict[str, str | None] | None = None) -> str:
    """A path of the API from its segments, each percent-quoted whole (safe=""): a value typed
    by the engineer or answered by the server (a batch id, a period, a job id) holding `/`, `?`
    or `#` stays one segment of the path it was meant for, never another path, a query or a
    fragment urllib drops (decisions 0045 and 0067). A WSGI server decodes the path before
    Django routes it, so a `/` sent as %2F would still split the segment there: it goes as
    %252F, which the server reads back as the text %2F of an id that no batch has (a 404).
    `query`: its values encoded, None left out.

    A segment that is empty, `.` or `..` is refused before any request (ApiFailure status 0,
    UNSENDABLE_ID): a proxy that normalises paths merges `//` and resolves dot segments, also
    sent as %2E, so `/batches/../file` would reach `/file` of another address (decision 0075)."""
    for s in segments:
        if str(s) in NOT_A_SEGMENT:
            raise ApiFailure(
                0,
                {
                    "code": UNSENDABLE_ID,
                    "message": f"Id {str(s)!r} tidak bisa dikirim sebagai bagian alamat API.",
                    "message_en": f"the id {str(s)!r} cannot be sent as part of an API address: an id "
                    'is never empty, "." or ".."; nothing was asked of the server for it',
                },
            )
    path = "".join("/" + urllib.parse.quote(str(s), safe="").replace("%2F", "%252F") for s in segments)
    params = {k: v for k, v in (query or {}).items() if v}
    return path + (f"?{urllib.parse.urlencode(params)}" if params else "")


class ApiFailure(Exception):
    """An error answer of the API: HTTP status plus its JSON {code, message, message_en, rows}."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.code = str(body.get("code", f"HTTP_{status}"))
        text = body.get("message_en") or body.get("message") or ""
        if status == 401:  # the server's message says what, not what to do about it
            text += f" {TOKEN_REFUSED_HINT}"
        # status 0: no HTTP answer (server unreachable, checksum mismatch), so none to show.
        super().__init__(f"HTTP {status} {self.code}: {text}" if status else f"{self.code}: {text}")


def _range_start(content_range: str) -> int | None:
    """The first byte of a 206's `Content-Range: bytes START-END/TOTAL`, or None if unreadable."""
    unit, _, spec = content_range.strip().partition(" ")
    start = spec.partition("-")[0]
    return int(start) if unit.lower() == "bytes" and start.isdigit() else None


def _unreachable(base_url: str, err: OSError) -> ApiFailure:
    reason = getattr(err, "reason", None) or err
    # "Run again" helps a server that is down or a link that broke, not an address that can
    # never work: a host name that does not resolve, https:// to a server that speaks http, or
    # a certificate this machine cannot verify (a network that inspects TLS) stay as they are.
    if isinstance(reason, socket.gaierror):
        what = "its host name is not known here: check --url (and this machine's DNS)"
    elif isinstance(reason, ssl.SSLCertVerificationError):
        what = (
            "its TLS certificate cannot be verified here: check --url; if your network inspects "
            "TLS, point SSL_CERT_FILE at your company's CA bundle"
        )
    elif isinstance(reason, ssl.SSLError):
        what = "no TLS (https) handshake there: check --url (http:// or https://, and the port)"
    else:
        what = "run again; a download resumes"
    return ApiFailure(
        0,
        {
            "code": "SERVER_TIDAK_TERJANGKAU",
            "message": f"Server {base_url} tidak terjangkau: {reason}",
            "message_en": f"cannot reach {base_url}: {reason} ({what})",
        },
    )


def not_the_api(base_url: str, path: str, status: int, content_type: str) -> ApiFailure:
    """An answer that is not the API's (every answer of the API is JSON, or the file asked for):
    a wrong --url (another site, a web page, a path in front of /api/v1) or a proxy's error page.
    Said as what answered and where, never with the page itself (HTML, maybe the request echoed)."""
    url = f"{base_url}{path.split('?')[0]}" if base_url else path.split("?")[0]
    kind = content_type.split(";")[0].strip().lower()
    what = "an HTML page" if kind == "text/html" else f"a {kind} body" if kind else "a body"
    if status in (502, 503, 504):  # a proxy in front of a server that is down or restarting
        return ApiFailure(
            status,
            {
                "code": "SERVER_TIDAK_TERJANGKAU",
                "message": f"{url}: server di belakang proxy tidak menjawab (HTTP {status}); jalankan lagi nanti.",
                "message_en": f"{url} answered with {what} from a proxy, not the Verval Ponsel API: "
                "the server behind it is down or restarting; run again later (a download resumes)",
            },
        )
    return ApiFailure(
        status,
        {
            "code": "BUKAN_API_VERVAL",
            "message": f"{url} menjawab HTTP {status} dengan isi yang bukan dari API Verval Ponsel: periksa --url.",
            "message_en": f"{url} answered with {what}, not the Verval Ponsel API (which answers JSON): "
            "check --url, the server's address as Pusdatin gives it, without /api/v1 "
            "(e.g. https://verval.example.go.id)",
        },
    )


class UrllibTransport:
    def __init__(self, base_url: str, timeout: float = 300.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes | BinaryIO | None = None
    ) -> Response:
        url = self.base_url + path
        req = urllib.request.Request(
            url, data=body, method=method, headers={"User-Agent": USER_AGENT, **headers}
        )  # noqa: S310
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)  # noqa: S310
        except urllib.error.HTTPError as err:
            resp = err
        except OSError as err:  # URLError (refused, unknown host, TLS), timeout, reset
            raise _unreachable(self.base_url, err) from None
        hdrs = {k.lower(): v for k, v in resp.headers.items()}
        length = hdrs.get("content-length", "")
        expected = int(length) if length.isdigit() and method != "HEAD" else None

        def chunks() -> Iterator[bytes]:
            got = 0
            try:
                while True:
                    try:
                        data = resp.read(1 << 20)
                    except OSError as err:  # cut mid-body; a download resumes from its .part
                        raise _unreachable(self.base_url, err) from None
                    if not data:
                        break
                    got += len(data)
                    yield data
            finally:
                resp.close()
            if expected is not None and got < expected:
                # http.client ends a body quietly when the server closes the connection early (a
                # server killed or restarted mid-download): without this the part would be taken
                # for the whole file, fail its SHA-256 and be thrown away instead of resumed.
                closed = ConnectionError(f"the connection closed after {got:,} of {expected:,} bytes")
                raise _unreachable(self.base_url, closed)

        return resp.status if hasattr(resp, "status") else resp.code, hdrs, chunks()


class ApiClient:
    def __init__(
        self, token: str, transport: Transport | None = None, base_url: str = "", prefix: str = "/api/v1"
    ) -> None:
        if transport is None:
            transport = UrllibTransport(base_url)
        self.transport = transport
        self.token = token
        self.prefix = prefix.rstrip("/")

    def _call(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | BinaryIO | None = None,
    ) -> Response:
        hdrs = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        hdrs.update(headers or {})
        return self.transport(method, self.prefix + path, hdrs, body)

    def _json(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | BinaryIO | None = None,
        ok: Iterable[int] = (200,),
        shape: type | None = None,
    ) -> tuple[int, Any]:
        status, hdrs, chunks = self._call(method, path, headers, body)
        raw = b"".join(chunks)
        try:
            data = json.loads(raw)
        except ValueError:  # not JSON, or no body at all: not this API that answered
            raise self._not_the_api(path, status, hdrs) from None
        if status not in ok:
            raise self._failure(path, status, hdrs, data)
        if shape is not None and not isinstance(data, shape):
            raise self._not_the_api(path, status, hdrs)
        return status, data

    def _not_the_api(self, path: str, status: int, hdrs: dict[str, str]) -> ApiFailure:
        base = getattr(self.transport, "base_url", "")
        return not_the_api(base, self.prefix + path, status, hdrs.get("content-type", ""))

    def _without_token(self, body: dict[str, Any]) -> dict[str, Any]:
        """An error answer as the kit prints it: a proxy's or a broken server's page may echo the
        request's headers, and the token must not reach the provider's terminal or logs."""
        if not self.token:
            return body
        return json.loads(json.dumps(body).replace(self.token, "[token]"))

    def batches(self, state: str | None = None) -> list[dict[str, Any]]:
        return self._json("GET", api_path("batches", query={"state": state}), shape=list)[1]

    def manifest(self, batch_id: str) -> dict[str, Any]:
        return self._json("GET", api_path("batches", batch_id, "manifest"))[1]

    def download(self, batch_id: str, dest: Path, expected_sha256: str | None = None) -> Path:
        """Download a dump batch to `dest`, resuming a partial `dest.part` with Range, then check SHA-256."""
        return self.download_file(api_path("batches", batch_id, "file"), dest, expected_sha256, what=batch_id)

    def download_file(self, path: str, dest: Path, expected_sha256: str | None = None, *, what: str) -> Path:
        """GET a file of the API (a dump or a disbursement batch) to `dest`, resuming a partial
        `dest.part` with Range, then check its SHA-256 (`expected_sha256`, else the server's
        X-Content-SHA256); a mismatch discards the file. `what` names it in the error.

        The ETag of the file a `.part` was begun from is kept beside it (`dest.part.etag`) and
        sent as If-Range when resuming: a server whose file changed meanwhile answers 200 with
        the whole new file, which replaces the part (decision 0049). A part without it (an older
        kit's) resumes with Range alone, as before; the SHA-256 check still guards it."""
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")
        tag = part.with_name(part.name + ".etag")
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        if have and tag.exists():
            headers["If-Range"] = tag.read_text().strip()
        status, hdrs, chunks = self._call("GET", path, headers)
        if status == 416:  # the partial file is complete (or stale): read the answer, start over
            b"".join(chunks)
            part.unlink(missing_ok=True)
            status, hdrs, chunks = self._call("GET", path)
            have = 0
        if status not in (200, 206):
            raise self._download_failure(path, status, hdrs, chunks)
        if status == 206 and _range_start(hdrs.get("content-range", "")) != have:
            # A proxy or server that answers another range than the one asked (RFC 9110 §14.4
            # lets it) would be appended at the wrong offset; the SHA-256 check would then
            # discard the whole part. Read nothing of it and fetch the whole file instead.
            close = getattr(chunks, "close", None)
            if close:
                close()
            status, hdrs, chunks = self._call("GET", path)
            have = 0
            if status not in (200, 206):
                raise self._download_failure(path, status, hdrs, chunks)
        if hdrs.get("content-type", "").lower().startswith("text/html"):  # a page, never a batch file
            b"".join(chunks)
            raise self._not_the_api(path, status, hdrs)
        if status == 200:  # the whole file (the one held changed, or no part): start over
            have = 0
            etag = hdrs.get("etag", "")
            # Only a strong ETag can resume a byte range (RFC 9110 §13.1.5).
            if etag and not etag.startswith("W/"):
                tag.write_text(etag)
            else:
                tag.unlink(missing_ok=True)
        mode = "ab" if status == 206 and have else "wb"
        with open(part, mode) as out:
            for data in chunks:
                out.write(data)
        want = expected_sha256 or hdrs.get("x-content-sha256", "")
        digest = hashlib.sha256()
        with open(part, "rb") as fh:
            for data in iter(lambda: fh.read(1 << 20), b""):
                digest.update(data)
        if want and digest.hexdigest() != want:
            part.unlink(missing_ok=True)
            tag.unlink(missing_ok=True)
            raise ApiFailure(
                0,
                {
                    "code": "SHA256_TIDAK_COCOK",
                    "message_en": f"SHA-256 mismatch for {what}; file discarded (run again)",
                },
            )
        os.replace(part, dest)
        tag.unlink(missing_ok=True)
        return dest

    def _failure(self, path: str, status: int, hdrs: dict[str, str], body: Any) -> ApiFailure:
        """The error an answer the caller did not expect stands for: the API's JSON error (every
        one has a `code`), or an answer that is not the API's at all (a web page, a proxy's)."""
        if not isinstance(body, dict) or "code" not in body:
            return self._not_the_api(path, status, hdrs)
        return ApiFailure(status, self._without_token(body))

    def _download_failure(
        self, path: str, status: int, hdrs: dict[str, str], chunks: Iterable[bytes]
    ) -> ApiFailure:
        try:
            body = json.loads(b"".join(chunks))
        except ValueError:
            body = None
        return self._failure(path, status, hdrs, body)

    def upload_results(self, batch_id: str, path: Path) -> tuple[int, dict[str, Any]]:
        """POST the results file as the raw body. 200: applied; 202: running as a job."""
        path = Path(path)
        ctype = "application/gzip" if path.name.endswith(".gz") else "text/csv"
        with open(path, "rb") as fh:
            headers = {"Content-Type": ctype, "Content-Length": str(path.stat().st_size)}
            return self._json("POST", api_path("batches", batch_id, "results"), headers, fh, ok=(200, 202))

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", api_path("jobs", job_id))[1]
