"""What answers at --url is not the API (docs/decisions/0053, part A): another web site, a web page
in front of the server, a path before /api/v1, another JSON service, a proxy whose server is
down. Each command stops in one line that names the address and says what to check, never with
a traceback or the page itself; a run cut off by Ctrl-C says to run it again."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provider_kit.local_server import serving
from verval_provider import cli
from verval_provider.client import ApiClient, ApiFailure, UrllibTransport

TOKEN = "vp_0123abcd_not-a-real-token"
PAGE = b"<!doctype html><html><body>Selamat datang 081234567890</body></html>"
CHECK_URL = (
    "not the Verval Ponsel API (which answers JSON): check --url, the server's address as Pusdatin "
    "gives it, without /api/v1 (e.g. https://verval.example.go.id)"
)


class _Answer(http.server.BaseHTTPRequestHandler):
    """Every request answered alike: `status`, `ctype`, `body` of the server."""

    status, ctype, body = 200, "text/html; charset=utf-8", PAGE

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(self.status)
        self.send_header("Content-Type", self.ctype)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        """Silent: the test reads the kit's output, not the server's access log."""


@pytest.fixture
def site() -> Iterator[tuple[str, type[_Answer]]]:
    handler = type("Handler", (_Answer,), {})
    with serving(handler) as url:
        yield url, handler


def _results(tmp_path: Path) -> Path:
    path = tmp_path / "hasil.csv"
    path.write_text("pd_id,no_ponsel,status\n00000000-0000-0000-0000-000000000001,6281200000000,AKTIF\n")
    return path


def _commands(url: str, tmp_path: Path) -> dict[str, list[str]]:
    subs = tmp_path / "subs.csv"
    subs.write_text("msisdn,status\n6281200000000,active\n")
    work = str(tmp_path / "work")
    return {
        "sync": ["sync", "--url", url, "--subscribers", str(subs), "--workdir", work],
        "pull": ["pull", "--url", url, "--out", str(tmp_path / "dump")],
        "upload-results": ["upload-results", "--url", url, "--batch", "DMP-20200915-telkomsel-0001"],
        "pull-disbursements": ["pull-disbursements", "--url", url, "--workdir", work],
        "send-recap": ["send-recap", "--url", url, "--workdir", work, "--period", "2020-09A"],
    }


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("sync", "/api/v1/batches"),
        ("pull", "/api/v1/batches"),
        ("upload-results", "/api/v1/batches/DMP-20200915-telkomsel-0001"),
        ("pull-disbursements", "/api/v1/disbursements/batches"),
        ("send-recap", "/api/v1/disbursements/batches"),
    ],
)
def test_a_web_page_at_the_url_stops_each_command_naming_the_address_to_check(
    site, command, path, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    url, _ = site
    args = _commands(url, tmp_path)[command]
    if command == "upload-results":
        args += ["--results", str(_results(tmp_path))]

    code = cli.main([*args, "--token", TOKEN])

    printed = capsys.readouterr()
    assert code == 2
    assert printed.err.splitlines()[-1] == (
        f"{'' if command == 'sync' else f'verval-provider {command}: '}"
        f"HTTP 200 BUKAN_API_VERVAL: {url}{path} answered with an HTML page, {CHECK_URL}"
    )
    assert "html" not in printed.out + printed.err.lower().replace("an html page", "")
    assert "081234567890" not in printed.out + printed.err


def test_a_path_in_front_of_the_api_answering_404_html_is_named_with_the_json_line(site, tmp_path, capsys):  # type: ignore[no-untyped-def]
    url, handler = site
    handler.status = 404

    code = cli.main([*_commands(url + "/verval", tmp_path)["pull-disbursements"], "--token", TOKEN, "--json"])

    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (code, out["exit_code"], out["error_code"], out["status"]) == (2, 2, "BUKAN_API_VERVAL", 404)
    assert out["message"] == (
        f"HTTP 404 BUKAN_API_VERVAL: {url}/verval/api/v1/disbursements/batches answered with an HTML page, "
        f"{CHECK_URL}"
    )


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (404, b'{"detail": "Not Found"}', "HTTP 404 BUKAN_API_VERVAL"),  # another JSON service
        (200, b'{"items": []}', "HTTP 200 BUKAN_API_VERVAL"),  # a list expected
        (200, b"", "HTTP 200 BUKAN_API_VERVAL"),  # no body at all
    ],
)
def test_json_or_an_empty_body_that_is_not_the_apis_is_not_taken_for_an_answer(site, status, body, said):  # type: ignore[no-untyped-def]
    url, handler = site
    handler.status, handler.ctype, handler.body = status, "application/json", body
    client = ApiClient(TOKEN, UrllibTransport(url))

    with pytest.raises(ApiFailure) as failure:
        client.batches(state="OPEN")

    assert str(failure.value).startswith(f"{said}: {url}/api/v1/batches answered with a")
    assert failure.value.code == "BUKAN_API_VERVAL"


def test_a_proxy_page_for_a_server_that_is_down_says_to_run_again(site, tmp_path, capsys):  # type: ignore[no-untyped-def]
    url, handler = site
    handler.status, handler.body = 502, f"<html>Bad gateway. Authorization: Bearer {TOKEN}</html>".encode()

    code = cli.main([*_commands(url, tmp_path)["pull"], "--token", TOKEN])

    assert code == 2
    assert capsys.readouterr().err == (
        f"verval-provider pull: HTTP 502 SERVER_TIDAK_TERJANGKAU: {url}/api/v1/batches answered with an "
        "HTML page from a proxy, not the Verval Ponsel API: the server behind it is down or restarting; "
        "run again later (a download resumes)\n"
    )


def test_a_download_answered_by_a_web_page_keeps_no_file(site, tmp_path):  # type: ignore[no-untyped-def]
    url, _ = site
    client = ApiClient(TOKEN, UrllibTransport(url))

    with pytest.raises(ApiFailure) as failure:
        client.download("DMP-20200915-telkomsel-0001", tmp_path / "d.csv.gz", expected_sha256="0" * 64)

    assert failure.value.code == "BUKAN_API_VERVAL"
    assert list(tmp_path.iterdir()) == []


def test_a_run_cut_off_by_ctrl_c_says_to_run_it_again_without_a_traceback(monkeypatch, tmp_path, capsys):  # type: ignore[no-untyped-def]
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "sync", interrupted)

    code = cli.main([*_commands("https://verval.test", tmp_path)["sync"], "--token", TOKEN])

    assert code == 130
    assert capsys.readouterr().err == (
        "verval-provider sync: interrupted: run the same command again, it goes on where this one "
        "stopped (a download resumes; a file the server already applied changes nothing)\n"
    )
