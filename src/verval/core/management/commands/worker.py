"""`verval worker`: django-tasks' database worker (`db_worker`, same options) that also recovers
jobs whose worker died (decision 0022): once when it starts, then every
VERVAL["JOB_RECOVER_EVERY_SECONDS"] from a thread, so that several workers share the duty. It
serves every queue by default; `--queue-name default` or `--queue-name interactive` makes it one
queue's worker (decision 0071)."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.utils import is_locked_database_exception

from verval.core import queues

log = logging.getLogger("verval.core.worker")


def recover_once() -> dict[str, int]:
    from verval.core import actions

    try:
        counts = actions.recover_jobs()
        # Previews never applied expire in the same pass (decision 0035).
        counts["expired"] = actions.expire_previews()
    except Exception:  # noqa: BLE001 - SQLite busy with a job, a database restart: next round
        log.warning("job recovery skipped this round", exc_info=True)
        return {}
    if any(counts.values()):
        log.warning(
            "jobs recovered: %s re-queued, %s failed, %s previews expired",
            counts["requeued"],
            counts["failed"],
            counts["expired"],
        )
    return counts


def _recover_forever(stop: threading.Event, every: float) -> None:
    try:
        while not stop.wait(every):
            recover_once()
            connections.close_all()  # this thread's connections; reopened next round
    finally:
        connections.close_all()


class Command(DbWorkerCommand):
    help = (
        "Runs the task worker (django-tasks' db_worker, same options) and recovers jobs whose worker "
        "died: when it starts and every VERVAL_JOB_RECOVER_EVERY_SECONDS. Serves every queue unless "
        "--queue-name names some (default, interactive: decision 0071)."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # db_worker serves only the queue named "default" unless told otherwise: a deployment that
        # kept its one `verval worker` line would never run an export or a school's refresh.
        parser.set_defaults(queue_name="*")

    def configure_logging(self, verbosity: int) -> None:
        # db_worker sets its loggers to INFO at the default verbosity, over the LOGGING settings:
        # its "Task id=… state=RUNNING/SUCCESSFUL" lines, dozens a minute in the demo, pushed the
        # printed accounts off the `make run` terminal. Those levels (VERVAL_TASK_LOG_LEVEL,
        # WARNING by default) stand unless more is asked for with -v 2 or -v 0.
        if verbosity in (0, 2, 3):
            super().configure_logging(verbosity)

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = sorted(set(str(options.get("queue_name") or "").split(",")) - {"*", *queues.ALL})
        if unknown:
            # A misspelt name would make a worker that waits for ever on a queue nobody sends to.
            raise CommandError(f"unknown queue {', '.join(unknown)}; the queues are {', '.join(queues.ALL)}")
        # With --reload the first process only watches files; the child it starts does the work.
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            recover_once()
            connections.close_all()
            every = max(1.0, float(settings.VERVAL.get("JOB_RECOVER_EVERY_SECONDS", 60)))
            threading.Thread(
                target=_recover_forever, args=(threading.Event(), every), name="job-recovery", daemon=True
            ).start()
        while True:
            try:
                super().handle(*args, **options)
                return
            except OperationalError as error:
                # db_worker takes each task in an EXCLUSIVE transaction whose BEGIN it does not
                # guard: on SQLite, while another worker's import holds the write lock past the
                # 30 s busy timeout, the worker process died (decision 0071). It waits instead.
                if connections["default"].vendor != "sqlite" or not is_locked_database_exception(error):
                    raise
                log.warning("database busy with another worker's transaction; looking for tasks again")
                connections["default"].close()
