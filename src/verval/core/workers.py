"""Which task queues a live worker serves (decision 0082).

In production each queue has a worker of its own (docs/deployment.md "Two queues"). A queue whose
worker is not running keeps its jobs waiting for ever, and its page said only "queued". So every
`verval worker` beats, from a thread, a small file per worker under the store's `workers/`
folder: the queues it serves and when it last showed it was alive. The job page, `verval jobs`,
`/healthz` and Pusdatin's page read those files to say when a queue has no live worker.

A file, not a database row: on SQLite an import's transaction holds the only write lock for
minutes, during which a row could not be written and a live worker would look dead. The store is
already shared by the web server and the workers (uploads, lease and cancel files, decision 0022).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from verval.core import files, queues

log = logging.getLogger(__name__)

FOLDER = "workers"
# A worker's file is deleted by the next worker that starts once it was not heard from this long.
FORGET_AFTER = timedelta(days=7)
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def beat_seconds() -> float:
    """How often a worker writes its heartbeat file."""
    return max(1.0, float(settings.VERVAL.get("WORKER_BEAT_SECONDS", 15)))


def silent_seconds() -> int:
    """A worker not heard from for this long no longer counts as serving its queues (at least
    three beats: a worker busy with a long job beats from its own thread all the same)."""
    return max(int(3 * beat_seconds()), int(settings.VERVAL.get("WORKER_SILENT_SECONDS", 60)))


def tracked() -> bool:
    """Workers exist only with django-tasks' database backend (the tests' immediate backend runs
    every task at once, in the process that sends it)."""
    return str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db.")


def served_queues(queue_name: str, exclude_queues: str = "") -> tuple[str, ...]:
    """The queues a worker started with `--queue-name queue_name --exclude-queues …` takes."""
    names = {n for n in str(queue_name or "").split(",") if n}
    excluded = {n for n in str(exclude_queues or "").split(",") if n}
    chosen = set(queues.ALL) if "*" in names else names & set(queues.ALL)
    return tuple(q for q in queues.ALL if q in chosen - excluded)


def _folder() -> Path:
    return files.root() / FOLDER


class Heartbeat:
    """One worker's heartbeat file, written whole (a rename) every `beat_seconds()` from a daemon
    thread, and marked stopped when the worker stops. It holds no person's data."""

    def __init__(self, served: tuple[str, ...]) -> None:
        host = socket.gethostname()[:48] or "host"
        self.served = served
        self.started = time.time()
        self.data: dict[str, Any] = {"queues": list(served), "host": host, "pid": os.getpid()}
        self.path = _folder() / f"{_SAFE.sub('-', host)}-{os.getpid()}-{secrets.token_hex(4)}.json"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self, *, stopped: bool = False) -> None:
        now = time.time()
        data = {**self.data, "started": self.started, "beat": now, "stopped": now if stopped else None}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.path)
        except OSError:  # a full or read-only store: the pages then say no worker is seen
            log.warning("worker heartbeat not written", exc_info=True)

    def start(self) -> Heartbeat:
        self.beat()
        forget_dead()

        def loop() -> None:
            while not self._stop.wait(beat_seconds()):
                self.beat()

        self._thread = threading.Thread(target=loop, name="worker-heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.beat(stopped=True)


@dataclass(frozen=True, slots=True)
class QueueState:
    """What the workers' files say about one queue."""

    name: str
    workers: int  # live workers serving it
    last_seen: datetime | None  # the latest beat of any worker that served it, alive or not

    @property
    def served(self) -> bool:
        return self.workers > 0


def _beats() -> list[dict[str, Any]]:
    found = []
    with contextlib.suppress(OSError):
        for path in _folder().glob("*.json"):
            with contextlib.suppress(OSError, ValueError, TypeError):
                data = json.loads(path.read_text())
                if isinstance(data, dict) and isinstance(data.get("beat"), int | float):
                    found.append({**data, "_path": path})
    return found


def queue_states(now: datetime | None = None) -> dict[str, QueueState]:
    """Every queue's live workers and when a worker of it was last heard from."""
    now = now or timezone.now()
    silent = timedelta(seconds=silent_seconds())
    workers = dict.fromkeys(queues.ALL, 0)
    last: dict[str, datetime | None] = dict.fromkeys(queues.ALL, None)
    for data in _beats():
        beat = datetime.fromtimestamp(float(data["beat"]), tz=UTC)
        alive = not data.get("stopped") and now - beat <= silent
        for name in data.get("queues") or []:
            if name not in workers:
                continue
            workers[name] += alive
            seen = last[name]
            last[name] = beat if seen is None or beat > seen else seen
    return {name: QueueState(name, workers[name], last[name]) for name in queues.ALL}


def unserved(queue: str | None, now: datetime | None = None) -> QueueState | None:
    """The queue's state when no live worker serves it (None when one does, when the queue is
    unknown or no queue applies, and without the database task backend)."""
    if queue is None or not tracked():
        return None
    state = queue_states(now).get(queue)
    return state if state is not None and not state.served else None


def forget_dead(now: float | None = None) -> int:
    """Delete the files of workers not heard from for `FORGET_AFTER` (each start of a worker)."""
    limit = (now or time.time()) - FORGET_AFTER.total_seconds()
    removed = 0
    for data in _beats():
        if float(data["beat"]) < limit:
            with contextlib.suppress(OSError):
                data["_path"].unlink()
                removed += 1
    return removed
