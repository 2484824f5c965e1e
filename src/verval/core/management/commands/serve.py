from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.contrib.staticfiles.management.commands.runserver import Command as RunServer
from django.core.management import call_command
from django.core.management.base import BaseCommand

from verval.core import queues
from verval.core.staticserve import CachingStaticFilesHandler


class Command(BaseCommand):
    help = (
        "Runs the web server and two task workers, one per queue (what `make run` uses). Ctrl-C stops "
        "all three."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-worker", action="store_true", help="start only the web server")

    def handle(self, *args: Any, **opts: Any) -> None:
        workers: list[WorkerKeeper] = []
        watch = threading.Event()
        if not opts["no_worker"]:
            # The workers are separate processes so that a long import never blocks a page, and
            # one per queue so that an export does not wait for the import (decision 0071).
            workers = start_workers(self.stdout)
            threading.Thread(
                target=_keep_alive, args=(workers, watch), name="worker-keeper", daemon=True
            ).start()
        # SIGTERM (a service manager, `kill`) ends the server the way Ctrl-C does, so that the
        # `finally` below stops the worker too instead of leaving it running.
        signal.signal(signal.SIGTERM, _interrupt)
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"Verval Ponsel: {url}  (sign in at {url}masuk/, API docs {url}api/v1/docs)")
        )
        try:
            call_command(
                CachingRunServer(),
                f"{opts['host']}:{opts['port']}",
                use_reloader=False,
                insecure_serving=True,
            )
        finally:
            watch.set()
            for worker in workers:
                worker.stop()


class CachingRunServer(RunServer):
    """Django's `runserver` whose `/static/` is compressed and cached as in production
    (`verval.core.staticserve`, decision 0080): the demo is what schools on slow links try first."""

    def get_handler(self, *args: Any, **options: Any) -> Any:
        handler = super().get_handler(*args, **options)
        if isinstance(handler, StaticFilesHandler):
            return CachingStaticFilesHandler(handler.application)
        return handler


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _start_worker(queue: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "verval.cli", "worker", "--interval", "1", "--queue-name", queue],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "verval.settings"},
    )


def start_workers(
    out: TextIO | Any, start: Callable[[str], Any] = _start_worker, **keeper: Any
) -> list[WorkerKeeper]:
    """One kept worker per queue (`queues.ALL`), started."""
    workers = [
        WorkerKeeper(functools.partial(start, queue), out, queue=queue, **keeper) for queue in queues.ALL
    ]
    for worker in workers:
        worker.start()
    return workers


class WorkerKeeper:
    """The task worker of `verval serve`, started again when it dies (decision 0062). Without it a
    worker killed under `make run` (kill -9, the OOM killer) left the web server answering with no
    worker behind it: the job pages promised a rerun "as soon as a worker runs again", and none
    did until `make run` was restarted. A worker that dies again within `quick` seconds of its
    start `give_up_after` times in a row is left dead (it would only loop), and the terminal says
    so. Each queue's worker has its own keeper (decision 0071), whose lines name the queue."""

    def __init__(
        self,
        start: Callable[[], Any],
        out: TextIO | Any,
        *,
        queue: str = "",
        quick: float = 30.0,
        give_up_after: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start = start
        self._out = out
        self._quick = quick
        self._give_up_after = give_up_after
        self._clock = clock
        self._name = f"Task worker of queue {queue}" if queue else "Task worker"
        self._lock = threading.Lock()
        self.process: Any = None
        self.started_at = 0.0
        self.quick_deaths = 0
        self.stopping = False
        self.given_up = False

    def _say(self, line: str) -> None:
        self._out.write(line + "\n")  # a management command's stdout would add it; a plain stream not

    def start(self) -> None:
        self.process = self._start()
        self.started_at = self._clock()
        self._say(f"{self._name} started (pid {self.process.pid}).")

    def check(self) -> None:
        """Start the worker again if it died (called every few seconds by `_keep_alive`)."""
        with self._lock:
            if self.stopping or self.given_up or self.process is None:
                return
            code = self.process.poll()
            if code is None:
                return
            quick = self._clock() - self.started_at < self._quick
            self.quick_deaths = self.quick_deaths + 1 if quick else 0
            if self.quick_deaths >= self._give_up_after:
                self.given_up = True
                self._say(
                    f"{self._name} (pid {self.process.pid}) stopped (exit code {code}) {self.quick_deaths} "
                    "times in a row right after its start; not started again. Its jobs wait until a "
                    "worker runs (`verval worker`)."
                )
                return
            self._say(
                f"{self._name} (pid {self.process.pid}) stopped (exit code {code}); starting a new one. "
                "Its job, if it had one, is run again once its lease expires (decision 0022)."
            )
            self.start()

    def stop(self) -> None:
        with self._lock:
            self.stopping = True
            if self.process is None:
                return
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _keep_alive(workers: list[WorkerKeeper], stop: threading.Event, every: float = 2.0) -> None:
    while not stop.wait(every):
        for worker in workers:
            worker.check()
