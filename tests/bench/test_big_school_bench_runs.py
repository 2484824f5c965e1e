"""`bench/bench_big_school.py` (decision 0079) still runs end to end at a tiny size: it drives
the school, SPTJM and Dinas pages through the test client, so a page or a form field renamed
since breaks it unseen until the next measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Its processes run on a SQLite file of their own whatever DATABASE_URL says: the PostgreSQL pass
# would repeat the SQLite pass's run (decision 0111).
pytestmark = pytest.mark.sqlite_pass


def test_big_school_benchmark_runs_every_part_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["TMPDIR"] = str(tmp_path)  # its throw-away SQLite database and file store
    done = subprocess.run(  # noqa: S603
        [
            sys.executable, "bench/bench_big_school.py", "--students", "150", "--teachers", "10",
            "--schools", "40", "--district-students", "600", "--runs", "2", "--corrections", "5",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "| operator, inline edit saved (htmx: row + counts) | 1 |" in out
    assert "SUCCEEDED {'rows': 160, 'changed': 5," in out
    # The request only receives a scan; the worker's check says what it found (decision 0095).
    assert "HTTP 302, status DICETAK, verdict -, Pindaian diterima untuk diperiksa." in out
    checks = {
        line.split("|")[1].strip(): line.split("; ", 1)[1].rstrip(" |")
        for line in out.splitlines()
        if ", the check (worker) |" in line
    }
    assert checks == {
        "upload: whole scan, the check (worker)": "job SUCCEEDED, status DIUNGGAH, verdict QR_COCOK, warnings -",
        "upload: page 4 missing, the check (worker)": (
            "job SUCCEEDED, status DIUNGGAH, verdict QR_COCOK, warnings QR_HALAMAN_KURANG"
        ),
        "upload: pages 4 and 5 swapped, the check (worker)": (
            "job SUCCEEDED, status DIUNGGAH, verdict QR_COCOK, warnings QR_HALAMAN_TIDAK_URUT"
        ),
        "upload: page 4 twice, the check (worker)": (
            "job SUCCEEDED, status DIUNGGAH, verdict QR_COCOK, warnings QR_HALAMAN_GANDA"
        ),
    }
    assert "| late schools (SPTJM, print deadline passed) page | 200 |" in out
