"""The access logs of the servers we ship leave query strings out (decision 0087): a search term
typed into a GET form (`/dinas/?q=`, `/pusdatin/?q=`: a school's name, or whatever a person types
there) reached `verval serve`'s log and gunicorn's access log as sent. The path stays.

The gunicorn walk needs gunicorn (not a dependency: the site picks its WSGI server, decision 0072)
and is skipped without it; `access_atoms`, which it runs, is checked here without it."""

from __future__ import annotations

import io
import logging
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils.log import ServerFormatter

from tests.core.test_one_zone_in_every_log_line import ROOT, _env


def _runserver_line(*args: object) -> str:
    logger = logging.getLogger("django.server")
    (handler,) = [h for h in logger.handlers if isinstance(h.formatter, ServerFormatter)]
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    previous = handler.setStream(out)
    try:
        logger.info(*args, extra={"status_code": 200, "server_time": "01/Dec/2026 06:00:00"})
    finally:
        handler.setStream(previous)
    return out.getvalue()


def test_verval_serves_access_log_writes_the_path_without_the_query_string():
    # What WSGIRequestHandler.log_message hands the logger for one request.
    line = _runserver_line('"%s" %s %s', "GET /dinas/?q=Budi+Santoso&sort=-residu HTTP/1.1", "200", "5120")
    assert line == '[01/Dec/2026 06:00:00] "GET /dinas/ HTTP/1.1" 200 5120\n'
    # A request line it could not read is quoted in its error line: the query goes there too.
    bad = _runserver_line("code %d, message %s", 400, "Bad request syntax ('GET /pusdatin/?q=Siti Aminah')")
    assert bad == "[01/Dec/2026 06:00:00] code 400, message Bad request syntax ('GET /pusdatin/')\n"


def test_gunicorns_access_atoms_leave_the_query_out_and_mask_numbers():
    from verval.gunicorn_conf import access_atoms

    atoms = {
        "h": "10.0.0.7",
        "r": "GET /dinas/?q=Budi+Santoso HTTP/1.1",
        "U": "/dinas/",
        "q": "q=Budi+Santoso",
        "f": "https://verval.example.go.id/pusdatin/?q=Siti",
        "a": "Mozilla/5.0 (Linux; Android 10)",
        "s": "200",
        "{referer}i": "https://verval.example.go.id/pusdatin/?q=Siti",
        "{query_string}e": "q=Budi+Santoso",
        "{raw_uri}e": "/api/v1/batches/6281234567890?state=open",
    }
    assert access_atoms(atoms) == {
        "h": "10.0.0.7",
        "r": "GET /dinas/ HTTP/1.1",
        "U": "/dinas/",
        "q": "",
        "f": "https://verval.example.go.id/pusdatin/",
        "a": "Mozilla/5.0 (Linux; Android 10)",
        "s": "200",
        "{referer}i": "https://verval.example.go.id/pusdatin/",
        "{query_string}e": "",
        "{raw_uri}e": "/api/v1/batches/[nomor]",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorns_access_log_under_our_settings_writes_no_query_string(tmp_path):  # type: ignore[no-untyped-def]
    gunicorn = pytest.importorskip("gunicorn")
    port = _free_port()
    env = _env(tmp_path, str(Path(gunicorn.__file__).resolve().parents[1]))
    access = tmp_path / "access.log"
    server = subprocess.Popen(  # noqa: S603 - our interpreter, gunicorn's module
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:verval.gunicorn_conf",
            "verval.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(access),
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
        ],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/tidak-ada/?q=Budi+Santoso",
                headers={"Host": "localhost", "Referer": "http://localhost/dinas/?q=Siti+Aminah"},
            )
            try:
                urllib.request.urlopen(request, timeout=30)  # noqa: S310 - our own server
            except urllib.error.HTTPError as answer:
                assert answer.code == 404
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        while not access.exists() or not access.read_text():
            assert time.monotonic() < deadline, "gunicorn wrote no access line"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=60)

    # On a loaded machine the first request may time out and be sent again: every line then
    # stands for the same request, and none may carry its query.
    lines = access.read_text().splitlines()
    assert lines
    for line in lines:
        assert '"GET /tidak-ada/ HTTP/1.1" 404 ' in line
        assert '"http://localhost/dinas/"' in line
        assert "Budi" not in line and "Siti" not in line and "?" not in line


def test_the_deployment_docs_nginx_example_logs_no_query_string():
    docs = (ROOT / "docs" / "deployment.md").read_text()
    assert "log_format verval" in docs
    fmt = docs[docs.index("log_format verval") :]
    fmt = fmt[: fmt.index(";")]
    # nginx's default ("combined") writes $request and $http_referer, both with the query string.
    assert "$request " not in fmt and "$request_uri" not in fmt and "$http_referer" not in fmt
    assert "$verval_path" in fmt and "$verval_referer" in fmt
    assert "access_log /var/log/nginx/verval.access.log verval;" in docs
