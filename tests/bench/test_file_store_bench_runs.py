"""`bench/bench_file_store.py` (decision 0120) builds documents and jobs with the models' fields
and times the retention code by its names (`orphan_scans`, `plan`, `prune_files`): a change of
those would break it unseen until the next measurement. This runs it at a tiny size and requires
its table and the counts the data makes; no time it prints is looked at."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def test_file_store_benchmark_finds_the_orphans_and_prunes_the_unaccepted_scans(tmp_path: Path) -> None:
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    server = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = server
    name = (parts.path.lstrip("/") or "verval") + "_benchfs"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/bench_file_store.py", "--sptjm", "300", "--periods", "2", "--other-jobs", "50",
         "--unaccepted", "7", "--orphans", "3", "--strategies", "1", "--db-name", name,
         "--data-dir", str(tmp_path / "files")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sptjm-scans/ read 1×; orphans 3" in done.stdout
    assert "| `prune_files` (--prune --yes) |" in done.stdout
    assert "{'sptjm-scans': 7, 'sptjm-scans-orphaned': 3}" in done.stdout
    assert done.stdout.count("unnamed 3 |") == 4
