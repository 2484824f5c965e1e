"""`bench/bench_dinas_list.py` (decision 0085) still runs over the kabupaten that
`bench/bench_big_school.py --part district --keep` leaves, and reads the figures from the school
summaries its `refresh-dashboard` wrote."""

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


def test_dinas_list_benchmark_runs_over_the_big_school_benchs_kabupaten(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["TMPDIR"] = str(tmp_path)
    built = subprocess.run(  # noqa: S603
        [
            sys.executable, "bench/bench_big_school.py", "--part", "district", "--schools", "40",
            "--district-students", "600", "--runs", "1", "--keep",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (var,) = tmp_path.glob("verval-bigschool-*")
    env["VERVAL_VAR_DIR"] = str(var)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/bench_dinas_list.py", "--runs", "2", "--label", "smoke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    assert "### smoke: 40 schools of " in done.stdout
    assert ", sqlite, figures summaries, load " in done.stdout
    for case in (
        "page 1 (least advanced first)",
        "last page (1)",
        "CSV of every school",
        "page 1, 25 schools marked dirty",
    ):
        assert f"| {case} |" in done.stdout
