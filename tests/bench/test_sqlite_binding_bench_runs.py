"""`bench/sqlite_binding.py` (decision 0118) still inserts a first load's rows into today's
`registry_recipient`: it writes raw SQL against the table, so a column added since would break it
unseen until the next measurement. Without the ADBC driver (not a dependency) it runs the
`executemany` way only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The benchmark runs on SQLite files of its own whatever DATABASE_URL says: the PostgreSQL pass
# would repeat the SQLite pass's run (decisions 0111, 0129).
pytestmark = pytest.mark.sqlite_pass


def test_sqlite_binding_benchmark_inserts_every_row_of_a_small_cutoff() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/sqlite_binding.py", "--students", "300", "--runs", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| 1 | exec | 300 |" in done.stdout
