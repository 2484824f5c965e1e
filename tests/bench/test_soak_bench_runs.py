"""`bench/soak_deadline.py` finds the pages' forms by their markup (the row checkboxes, the edit
form's version, the correction file's columns, the SPTJM forms) and reads the refusals by their
texts: a change of those would break the soak unseen until the next deadline-day measurement.
This runs it at a tiny size (four schools, two operators and a second operator of the first
school, one Dinas user, a reviewer, one round of Pusdatin's jobs with a disbursement and the
providers' injection results) and requires its table and its consistency checks; no time it
prints is looked at (decisions 0117, 0121)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def test_soak_benchmark_runs_users_and_jobs_at_once_and_finds_the_data_consistent(tmp_path: Path) -> None:
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    server = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = server
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "bench/soak_deadline.py",
            "--students",
            "800",
            "--teachers",
            "80",
            "--schools",
            "4",
            "--operators",
            "2",
            "--dinas",
            "1",
            "--duration",
            "40",
            "--sptjm-share",
            "0.3",
            "--warmup",
            "3",
            "--import-lead",
            "1",
            "--rounds",
            "1",
            "--web-workers",
            "2",
            "--drain",
            "90",
            "--db-name",
            f"verval_bench_smoke_soak_{os.getpid()}",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-12000:] + done.stderr[-3000:]
    assert "| operator: save a number (htmx POST) |" in done.stdout
    assert "| import-later-1 | 0 |" in done.stdout
    # Two operators of one school: a form the other made stale, and both saving one row at once.
    assert "| operator: save a row the other just saved (stale form) |" in done.stdout
    assert "| operator: save the same row at once (two operators) |" in done.stdout
    assert "| operator: save a row while the other prints the SPTJM |" in done.stdout
    # Pusdatin reviews the uploaded scans, disburses, and the providers' results come back.
    assert "| pusdatin: review queue |" in done.stdout
    assert "| pusdatin: approve SPTJM |" in done.stdout
    assert "| pusdatin: run disbursement (page) | 1 |" in done.stdout
    assert "| simulate-injection | 0 |" in done.stdout
    assert "checks: 0 problem(s)" in done.stdout
    assert "server-side ERROR lines and tracebacks: 0" in done.stdout
