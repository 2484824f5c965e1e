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
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

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
    """Tasks ready to run and how long the oldest has waited (the database task backend only)."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return {}
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready()
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "tasks_waiting": waiting.count(),
        "oldest_task_waiting_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


def status() -> tuple[bool, dict[str, Any]]:
    """(healthy, the JSON body): counts and "ok"/"error" only, no names, paths or messages."""
    database = _database()
    store = _file_store()
    body: dict[str, Any] = {
        "status": "ok" if database and store else "error",
        "database": "ok" if database else "error",
        "file_store": "ok" if store else "error",
    }
    if database:
        body.update(_task_queue())
    return database and store, body
