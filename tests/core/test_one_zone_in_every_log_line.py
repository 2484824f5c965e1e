"""Every log line of one install in one zone, with its offset (decision 0082): gunicorn's master
never loads the application, so it wrote UTC while its workers, once Django set `TZ`, wrote WIB.
`verval.gunicorn_conf` sets the site's zone in the master and gives gunicorn's own lines the
application's format. Real processes; the gunicorn walk needs gunicorn (not a dependency of the
product: the site picks its WSGI server, decision 0072; the `dev` extra installs it for the suite)
and is skipped without it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0700 (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) \[(\d+)\] "
)


def _env(tmp_path: Path, extra_path: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DATABASE_URL")}
    env.update(
        TZ="UTC",  # the server's own zone, which the master used to log in
        VERVAL_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"), extra_path) if p),
    )
    return env


def test_the_gunicorn_settings_put_the_master_in_the_sites_zone_before_it_forks(tmp_path):  # type: ignore[no-untyped-def]
    code = "import time, verval.gunicorn_conf as c; print(time.strftime('%z'), c.DATE_FORMAT)"
    out = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", code], env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["+0700", "%Y-%m-%dT%H:%M:%S%z"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorns_master_its_workers_and_the_application_log_in_one_zone_and_format(tmp_path):  # type: ignore[no-untyped-def]
    gunicorn = pytest.importorskip("gunicorn")
    port = _free_port()
    env = _env(tmp_path, str(Path(gunicorn.__file__).resolve().parents[1]))
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
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
        ],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(  # noqa: S310 - our own server
                    urllib.request.Request(
                        f"http://127.0.0.1:{port}/tidak-ada/", headers={"Host": "localhost"}
                    ),
                    timeout=10,
                )
            except urllib.error.HTTPError as answer:
                assert answer.code == 404
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()

    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "gunicorn wrote nothing"
    assert [line for line in lines if not LINE.match(line)] == []
    loggers = {(m.group(2), m.group(3)) for m in map(LINE.match, lines) if m}
    master = str(server.pid)
    assert ("gunicorn.error", master) in loggers  # "Starting gunicorn", "Shutting down: Master"
    assert any(name == "gunicorn.error" and pid != master for name, pid in loggers)  # "Booting worker"
    assert any(name == "django.request" and pid != master for name, pid in loggers)  # "Not Found"
