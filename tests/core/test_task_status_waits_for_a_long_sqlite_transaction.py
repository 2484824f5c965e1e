"""django-tasks' own write of a task's status (`set_successful`, `set_failed`) waits for SQLite's
lock (decision 0082). Decision 0071 made a short job's own writes wait; the backend's bookkeeping
right after it tried three times (the busy timeout each) and gave up: with a long transaction
begun between the job's outcome and that write (an import's, for minutes), the task row stayed
RUNNING for ever although its job had succeeded. Real processes on a SQLite file of their own,
with a 1 s busy timeout so that a lock held for 8 s outlasts django-tasks' three tries."""

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
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult

from tests.core.sqlite_lock import SHORT_TIMEOUT
from verval.core import jobs
from verval.core.management.commands import worker as worker_command

ROOT = Path(__file__).resolve().parents[2]
HOLD_SECONDS = 8  # more than django-tasks' 3 tries of the 1 s busy timeout, twice (success, failure)


SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""

# The interactive worker: an export that ends, then (in the moment between the job's outcome and
# its task's bookkeeping) another process begins a long transaction.
WORKER = """
import json, sys, time
from pathlib import Path
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from verval.core import jobs
import verval.dashboard.services as dashboard

recorded, locked = Path(sys.argv[1]), Path(sys.argv[2])

def runner(job):
    return {"rows": 1}

def meanwhile(job_id):
    recorded.write_text("1")
    while not locked.exists():
        time.sleep(0.05)

jobs.RUNNERS["export_behind"] = "__main__.runner"
dashboard.refresh_after_job = meanwhile
job = jobs.create_job(actor=None, kind="export_behind")
jobs.enqueue(job)
call_command(sys.argv[3], "--queue-name", "interactive", "--batch", "--no-startup-delay", "--no-reload")
job.refresh_from_db()
task = DBTaskResult.objects.get(id=job.task_id)
print(json.dumps({"job": job.state, "task": task.status}), flush=True)
"""


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="verval.settings",
        VERVAL_VAR_DIR=str(var),
        VERVAL_TASK_BACKEND="django_tasks_db.DatabaseBackend",
        VERVAL_JOB_RECOVER_EVERY_SECONDS="1000000",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def _python(code: str, var: Path, *args: str) -> subprocess.Popen[str]:
    script = textwrap.dedent(SHORT_TIMEOUT) + textwrap.dedent(code)
    return subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", script, *args], env=_env(var), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def run_worker_across_a_long_transaction(tmp_path: Path, command: str) -> dict[str, str]:
    """The job's and the task's final states after `command` (`worker`, or django-tasks' own
    `db_worker`) ran an export across a long transaction begun right after the job's outcome."""
    var = tmp_path / "var"
    assert _python(SETUP, var).wait(timeout=300) == 0
    recorded, locked = tmp_path / "recorded", tmp_path / "locked"
    worker = _python(WORKER, var, str(recorded), str(locked), command)
    try:
        deadline = time.monotonic() + 120
        while not recorded.exists() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        holder = sqlite3.connect(var / "verval.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        locked.write_text("1")
        time.sleep(HOLD_SECONDS)
        holder.execute("COMMIT")
        holder.close()
        out, _ = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


# Its processes run on a SQLite file of their own whatever DATABASE_URL says (decision 0111).
@pytest.mark.sqlite_pass
def test_a_tasks_status_waits_for_a_long_sqlite_transaction_and_is_recorded(tmp_path):  # type: ignore[no-untyped-def]
    assert run_worker_across_a_long_transaction(tmp_path, "worker") == {
        "job": "SUCCEEDED",
        "task": "SUCCESSFUL",
    }


@pytest.mark.django_db(transaction=True)
def test_only_a_locked_sqlite_database_is_waited_for_in_a_tasks_status(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(jobs, "BUSY_RETRY_SECONDS", 0)
    tries: list[int] = []

    def write() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise OperationalError("database is locked")
        return "written"

    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        assert worker_command._until_database_free(write, "success", "t") == "written"
        assert len(tries) == 3
    else:  # PostgreSQL, or inside the test's transaction: raised at once
        with pytest.raises(OperationalError):
            worker_command._until_database_free(write, "success", "t")
        assert len(tries) == 1

    def other() -> None:
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")

    with pytest.raises(OperationalError, match="no such table"):
        worker_command._until_database_free(other, "failure", "t")


def test_django_tasks_own_status_writes_are_still_what_verval_worker_runs_without_their_retry():  # type: ignore[no-untyped-def]
    # VervalWorker calls the model's methods under functools.wraps' __wrapped__: a django-tasks
    # release that drops the decorator (or renames the methods) must be noticed here.
    assert DBTaskResult.set_successful.__wrapped__.__name__ == "set_successful"  # type: ignore[attr-defined]
    assert DBTaskResult.set_failed.__wrapped__.__name__ == "set_failed"  # type: ignore[attr-defined]
