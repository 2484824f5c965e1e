"""With a worker per queue (decision 0071), a short job can end while another process holds SQLite's
only write lock for longer than the connection's 30 s busy timeout (an import's transaction holds
it for the whole import). Its outcome used to be lost with "database is locked" and the job ran
again once its lease expired; now it waits for the lock and is recorded once. Real processes on a
SQLite file of their own (the test database lives in this process's memory), with a 1 s busy
timeout so that a lock held for 5 s outlasts it several times over: the wait is the same code path
as behind the 30 s timeout, and the test takes seconds instead of the half-minute (decision 0111)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.core.sqlite_lock import SHORT_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]

# Its processes run on a SQLite file of their own whatever DATABASE_URL says: the PostgreSQL pass
# would repeat the SQLite pass's run (decision 0111).
pytestmark = pytest.mark.sqlite_pass
BUSY_TIMEOUT_SECONDS = 1  # the settings' 30 s, lowered in the job's process (SHORT_TIMEOUT)
HOLD_SECONDS = 5  # longer than the busy timeout: the job's outcome meets "database is locked"


SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""

# The interactive worker's side: an export that has written its file when the lock is taken.
SHORT = """
import json, sys, time
from pathlib import Path
from verval.core import jobs
job = jobs.create_job(actor=None, kind="export_behind")
locked = Path(sys.argv[1])

def runner(job):
    print("running", flush=True)
    while not locked.exists():
        time.sleep(0.1)
    return {"rows": 1}

job = jobs.run(job.pk, runner=runner)
start = float(locked.read_text())
print(json.dumps({"state": job.state, "attempts": job.attempts, "counts": job.counts,
                  "waited": round(time.time() - start)}), flush=True)
"""


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="verval.settings", VERVAL_VAR_DIR=str(var), PYTHONPATH=str(ROOT / "src")
    )
    return env


def _python(code: str, var: Path, *args: str) -> subprocess.Popen[str]:
    script = textwrap.dedent(SHORT_TIMEOUT) + textwrap.dedent(code)
    return subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", script, *args], env=_env(var), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def test_a_short_jobs_outcome_waits_for_a_long_transaction_and_is_recorded_once(tmp_path):  # type: ignore[no-untyped-def]
    var = tmp_path / "var"
    assert _python(SETUP, var).wait(timeout=300) == 0
    locked = tmp_path / "locked"
    short = _python(SHORT, var, str(locked))
    try:
        assert short.stdout is not None
        assert short.stdout.readline().strip() == "running"
        # Another job's transaction (an import's, on SQLite BEGIN IMMEDIATE) takes the write lock.
        holder = sqlite3.connect(var / "verval.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        locked.write_text(str(time.time()))
        time.sleep(HOLD_SECONDS)
        holder.execute("COMMIT")
        holder.close()
        out, _ = short.communicate(timeout=120)
    finally:
        if short.poll() is None:
            short.kill()

    result = json.loads(out.strip().splitlines()[-1])
    assert (result["state"], result["attempts"], result["counts"]) == ("SUCCEEDED", 1, {"rows": 1})
    assert HOLD_SECONDS <= result["waited"] <= HOLD_SECONDS + 31
