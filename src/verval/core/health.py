"""What `/healthz` answers a load balancer or a monitoring probe (docs/deployment.md, decision 0072).

The database and the file store decide whether this web process can serve: without either every
page or upload fails. The task queue does not (the pages work while no worker runs), so its
backlog is reported for a monitor to alert on, not turned into a failure: a worker that stopped
shows as tasks waiting longer and longer, which nothing else on the server says.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from verval.core import workers

log = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        log.exception("health: the database did not answer")
        return False


def _file_store() -> bool:
    store = settings.DATA_DIR
    # A fresh install has no store folder until its first file; the store makes it then too. A
    # folder it cannot make is what the check below reports.
    with contextlib.suppress(OSError):
        store.mkdir(parents=True, exist_ok=True)
    if store.is_dir() and os.access(store, os.W_OK | os.X_OK):
        return True
    log.error("health: the file store is not a folder this process can write to (VERVAL_DATA_DIR)")
    return False


def _task_queue() -> dict[str, Any]:
    """Tasks ready to run and how long the oldest has waited (the database task backend only),
    and per queue its live workers and waiting tasks (decision 0082): `queues_without_worker`
    names each queue whose tasks have waited `workers.silent_seconds()` with no live worker."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return {}
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    per_queue: dict[str, dict[str, Any]] = {
        row["queue_name"]: dict(row)
        for row in DBTaskResult.objects.ready()
        .values("queue_name")
        .annotate(n=Count("id"), oldest=Min("enqueued_at"))
    }
    # The totals over every queue, from the same one query.
    oldest = min((row["oldest"] for row in per_queue.values()), default=None)
    states = workers.queue_states(now)
    body: dict[str, Any] = {
        "tasks_waiting": sum(row["n"] for row in per_queue.values()),
        "oldest_task_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "queues": {},
        "queues_without_worker": [],
    }
    for name, state in states.items():
        row = per_queue.get(name) or {"n": 0, "oldest": None}
        first: datetime | None = row["oldest"]
        age = int((now - first).total_seconds()) if first else 0
        body["queues"][name] = {
            "workers": state.workers,
            "tasks_waiting": row["n"],
            "oldest_task_waiting_seconds": age,
        }
        if not state.served and row["n"] and age >= workers.silent_seconds():
            body["queues_without_worker"].append(name)
    return body


def status() -> tuple[bool, dict[str, Any]]:
    """(healthy, the JSON body): counts and "ok"/"degraded"/"error" only, no names, paths or
    messages. "degraded" (still 200: the pages work) when tasks wait in a queue no live worker
    serves (decision 0082)."""
    database = _database()
    store = _file_store()
    body: dict[str, Any] = {
        "status": "ok" if database and store else "error",
        "database": "ok" if database else "error",
        "file_store": "ok" if store else "error",
    }
    if database:
        body.update(_task_queue())
        if body["status"] == "ok" and body.get("queues_without_worker"):
            body["status"] = "degraded"
    return database and store, body
