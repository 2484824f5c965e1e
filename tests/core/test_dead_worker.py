"""A real worker process killed with SIGKILL in the middle of a job (decision 0022), on a SQLite
file of its own (the test database lives in this process's memory): the job stays alive while
the process runs (its heartbeat thread), is abandoned once the process is gone, is re-queued by
the recovery, and the real `verval worker` runs it to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Its processes run on a SQLite file of their own whatever DATABASE_URL says: the PostgreSQL pass
# would repeat the SQLite pass's run (decision 0111).
pytestmark = pytest.mark.sqlite_pass

SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
"""

# The worker's side: a job handed to the worker, its task taken (as db_worker does), and a run
# that takes its time; the test kills this process while it sleeps.
DOOMED = """
import time
from django.utils import timezone
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from verval.core import jobs
from verval.core.models import Job
with transaction.atomic():
    job = jobs.create_job(actor=None, kind="validate")
    jobs.enqueue(job)
job.refresh_from_db()
DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", started_at=timezone.now())

def slow(job):
    print(job.pk, flush=True)
    time.sleep(120)
    return {}

jobs.run(job.pk, runner=slow, requeue_on_interrupt=True)
"""

LOOK = """
import json, sys
from django_tasks_db.models import DBTaskResult
from verval.core import actions, jobs
from verval.core.models import Job
job = Job.objects.get(pk=sys.argv[1])
out = {"state": job.state, "liveness": jobs.liveness(job), "attempts": job.attempts,
       "tasks": sorted(DBTaskResult.objects.values_list("status", flat=True))}
if "--recover" in sys.argv:
    out["recovered"] = actions.recover_jobs()
print(json.dumps(out))
"""


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="verval.settings",
        VERVAL_VAR_DIR=str(var),
        VERVAL_TASK_BACKEND="django_tasks_db.DatabaseBackend",
        VERVAL_JOB_LEASE_SECONDS="2",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def _python(code: str, var: Path, *args: str) -> subprocess.Popen[str]:
    script = "import django; django.setup()\n" + textwrap.dedent(code)
    return subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", script, *args],
        env=_env(var),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _look(var: Path, job_id: str, *args: str) -> dict:  # type: ignore[type-arg]
    out, _ = _python(LOOK, var, job_id, *args).communicate(timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def test_a_job_whose_worker_is_killed_is_recovered_and_run_by_the_next_worker(tmp_path):  # type: ignore[no-untyped-def]
    var = tmp_path / "var"
    assert _python(SETUP, var).wait(timeout=300) == 0
    doomed = _python(DOOMED, var)
    try:
        assert doomed.stdout is not None
        job_id = doomed.stdout.readline().strip()
        time.sleep(3.5)  # past the 2 s lease of the claim: only the heartbeat thread keeps it
        alive = _look(var, job_id)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    assert alive == {"state": "RUNNING", "liveness": "alive", "attempts": 1, "tasks": ["RUNNING"]}
    time.sleep(2.5)
    assert _look(var, job_id, "--recover") == {
        "state": "RUNNING",
        "liveness": "abandoned",
        "attempts": 1,
        "tasks": ["RUNNING"],
        "recovered": {"requeued": 1, "failed": 0},
    }
    # The dead worker's task is closed; a new one waits for the next worker.
    assert _look(var, job_id)["tasks"] == ["FAILED", "READY"]
    worker = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "verval.cli", "worker", "--batch", "--no-startup-delay", "--no-reload", "-v0"],
        env=_env(var),
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert worker.returncode == 0
    after = _look(var, job_id)
    assert (after["state"], after["liveness"], after["attempts"]) == ("SUCCEEDED", "finished", 2)
