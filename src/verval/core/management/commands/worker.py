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
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from verval.core import audit, jobs, queues, workers

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


def _until_database_free(write: Any, what: str, task_id: Any) -> Any:
    """Run django-tasks' own write of a task's status again for as long as SQLite answers
    "database is locked" (decision 0082). Its `set_successful` / `set_failed` try three times,
    i.e. 90 s with the 30 s busy timeout; an import's transaction holds the lock for minutes,
    after which the worker lost the task's status (the task stayed RUNNING for ever) and went
    back to looking for tasks. PostgreSQL and any other error: raised at once, as before."""
    return jobs.while_sqlite_locked(
        write,
        on_first_wait=lambda: log.warning(
            "task %s: database busy; recording its %s when it is free", task_id, what
        ),
    )


class VervalWorker(Worker):
    """db_worker's loop; the status of a task that ran waits for SQLite's lock (decision 0082)."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The model's methods without their 3-attempt retry (functools.wraps keeps them): ours
        # retries a locked database for as long as it takes, and nothing else.
        successful = DBTaskResult.set_successful.__wrapped__  # type: ignore[attr-defined]
        failed = DBTaskResult.set_failed.__wrapped__  # type: ignore[attr-defined]
        task_id = db_task_result.id

        def set_successful(return_value: Any) -> None:
            _until_database_free(lambda: successful(db_task_result, return_value), "success", task_id)

        def set_failed(exc: BaseException) -> None:
            _until_database_free(lambda: failed(db_task_result, exc), "failure", task_id)

        db_task_result.set_successful = set_successful  # type: ignore[method-assign]
        db_task_result.set_failed = set_failed  # type: ignore[method-assign]
        super().run_task(db_task_result)


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
        # The worker's own rows (a job re-queued by its recovery round) are the system's, whoever
        # started it; a job's rows say job:<origin> (jobs.run; decision 0138).
        audit.set_via(audit.SYSTEM)
        # With --reload the first process only watches files; the child it starts does the work.
        heartbeat = None
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            # Which queues this worker serves, for the pages that say when one has no worker
            # (decision 0082): a file beaten from a thread, marked stopped when the worker stops.
            served = workers.served_queues(
                str(options.get("queue_name") or ""), str(options.get("exclude_queues") or "")
            )
            heartbeat = workers.Heartbeat(served).start()
            recover_once()
            connections.close_all()
            every = max(1.0, float(settings.VERVAL.get("JOB_RECOVER_EVERY_SECONDS", 60)))
            threading.Thread(
                target=_recover_forever, args=(threading.Event(), every), name="job-recovery", daemon=True
            ).start()
        try:
            self._serve(**options)
        finally:
            if heartbeat is not None:
                heartbeat.stop()

    def _serve(self, **options: Any) -> None:
        while True:
            try:
                self._run_worker(**options)
                return
            except OperationalError as error:
                # db_worker takes each task in an EXCLUSIVE transaction whose BEGIN it does not
                # guard: on SQLite, while another worker's import holds the write lock past the
                # 30 s busy timeout, the worker process died (decision 0071). It waits instead.
                if connections["default"].vendor != "sqlite" or not is_locked_database_exception(error):
                    raise
                log.warning("database busy with another worker's transaction; looking for tasks again")
                connections["default"].close()

    def _run_worker(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        """db_worker's `handle` with `VervalWorker` in place of its `Worker` (django-tasks-db 0.13)."""
        self.configure_logging(verbosity)
        if reload and batch:
            log.warning("--reload and --batch cannot be specified together; not reloading")
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = VervalWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
