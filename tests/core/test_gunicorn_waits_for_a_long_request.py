"""gunicorn run with `-c python:verval.gunicorn_conf` lets a request run for 300 s: its own 30 s
killed the worker of a results file or, under a deadline's load, of an SPTJM print (decision
0117). Read the way gunicorn reads its settings, in a process of its own (the settings module
sets the zone of the process that reads it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

READ = (
    "import sys; from gunicorn.app.wsgiapp import WSGIApplication; "
    "sys.argv = ['gunicorn', *sys.argv[1:], 'verval.wsgi:application']; "
    "print(WSGIApplication('%(prog)s').cfg.timeout)"
)


def _timeout(tmp_path: Path, *args: str) -> int:
    gunicorn = pytest.importorskip("gunicorn")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DATABASE_URL")}
    env.update(
        VERVAL_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=os.pathsep.join((str(ROOT / "src"), str(Path(gunicorn.__file__).resolve().parents[1]))),
    )
    out = subprocess.run(  # noqa: S603 - our interpreter, gunicorn's settings reader
        [sys.executable, "-c", READ, *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def test_the_shipped_gunicorn_settings_let_a_request_run_for_five_minutes(tmp_path: Path) -> None:
    assert _timeout(tmp_path) == 30  # gunicorn's own, without our settings
    assert _timeout(tmp_path, "-c", "python:verval.gunicorn_conf") == 300


def test_a_timeout_on_gunicorns_command_line_wins_over_the_shipped_settings(tmp_path: Path) -> None:
    assert _timeout(tmp_path, "-c", "python:verval.gunicorn_conf", "--timeout", "90") == 90
