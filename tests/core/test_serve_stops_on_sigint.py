"""`verval serve` ends, with every worker it started, on SIGINT or SIGTERM even when it was
started with SIGINT ignored (decision 0127): `make run &` or `nohup make run` from a script starts
it so (a non-interactive shell ignores SIGINT in its background jobs, and children inherit it),
and Ctrl-C or `kill -INT` then did nothing to the server. The runner here is `serve`'s own
supervising code (`stop_on_signals`, `start_workers`, `serve_with_workers`) in a process of its
own, with sleeping children in place of the task workers and a sleep in place of runserver: no
database, no port, a few seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

RUNNER = """
import subprocess, sys, time
from verval.core.management.commands import serve

serve.stop_on_signals()
workers = serve.worker_keepers(
    sys.stdout, start=lambda queue: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
)

def runserver():
    try:
        print("serving", flush=True)  # after the workers' "started" lines: the test waits for it
        time.sleep(120)
    except KeyboardInterrupt:  # what Django's runserver does with it
        sys.exit(0)

serve.serve_with_workers(workers, runserver)
"""


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def runner() -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """The runner, started with SIGINT ignored as a script's `&` starts it, and its two children."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "DJANGO_SETTINGS_MODULE": "verval.settings"}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", RUNNER],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,  # noqa: PLW1509 - a signal disposition only, before exec
        start_new_session=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(3)]
    children = [int(line.rsplit("(pid ", 1)[1].rstrip(").\n")) for line in lines[:2]]
    assert [line.split(" (pid")[0] for line in lines] == [
        "Task worker of queue default started",
        "Task worker of queue interactive started",
        "serving\n",
    ]
    try:
        yield process, children
    finally:
        for pid in (process.pid, *children):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("how", "signum"),
    [("kill -INT", signal.SIGINT), ("kill -TERM", signal.SIGTERM), ("Ctrl-C", signal.SIGINT)],
)
def test_serve_started_with_sigint_ignored_ends_with_its_workers_on_a_signal(runner, how, signum):  # type: ignore[no-untyped-def]
    process, children = runner
    assert all(_alive(pid) for pid in children)

    if how == "Ctrl-C":  # the terminal sends it to the whole process group
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)

    out, _ = process.communicate(timeout=5)
    assert (process.returncode, out) == (0, "")  # ended as runserver ends on Ctrl-C, no worker started again
    assert [pid for pid in children if _alive(pid)] == []
