from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
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
        # Before the workers start, so that they begin with SIGINT's default action, not an
        # inherited "ignore".
        stop_on_signals()
        url = f"http://{opts['host']}:{opts['port']}/"

        def run_server() -> None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Verval Ponsel: {url}  (sign in at {url}masuk/, API docs {url}api/v1/docs)"
                )
            )
            call_command(
                CachingRunServer(),
                f"{opts['host']}:{opts['port']}",
                use_reloader=False,
                insecure_serving=True,
            )

        # The workers are separate processes so that a long import never blocks a page, and one
        # per queue so that an export does not wait for the import (decision 0071).
        serve_with_workers([] if opts["no_worker"] else worker_keepers(self.stdout), run_server)


def stop_on_signals() -> None:
    """SIGINT (Ctrl-C, `kill -INT`) and SIGTERM (a service manager, `kill`) both end the server
    with a KeyboardInterrupt in the main thread, so that `serve_with_workers` stops the workers
    too instead of leaving them running. SIGINT is set explicitly (decision 0127): a process
    started with SIGINT ignored (`make run &` or `nohup` from a script: the shell ignores SIGINT
    in its background jobs, and children inherit it) kept Python from installing its own
    handler, so Ctrl-C and `kill -INT` did nothing to the server."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)


def serve_with_workers(workers: list[WorkerKeeper], serve: Callable[[], object], every: float = 2.0) -> None:
    """Start `workers` and keep them alive while `serve` (the web server) runs, then stop every
    worker, whatever ended the server. They start inside the `try`, so that a Ctrl-C right after
    a worker's start stops it too."""
    watch = threading.Event()
    try:
        for worker in workers:
            worker.start()
        if workers:
            threading.Thread(
                target=_keep_alive, args=(workers, watch, every), name="worker-keeper", daemon=True
            ).start()
        serve()
    finally:
        watch.set()
        # A second Ctrl-C while the workers stop must not cut the stop short and leave them
        # running; the stop itself is bounded (SIGKILL after `stop_workers`' timeout).
        with _signals_ignored():
            stop_workers(workers)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set them
        yield
        return
    before = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


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


def worker_keepers(
    out: TextIO | Any, start: Callable[[str], Any] = _start_worker, **keeper: Any
) -> list[WorkerKeeper]:
    """One keeper per queue (`queues.ALL`), its worker not started yet."""
    return [WorkerKeeper(functools.partial(start, queue), out, queue=queue, **keeper) for queue in queues.ALL]


def start_workers(
    out: TextIO | Any, start: Callable[[str], Any] = _start_worker, **keeper: Any
) -> list[WorkerKeeper]:
    """One kept worker per queue (`queues.ALL`), started."""
    workers = worker_keepers(out, start, **keeper)
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
        self.terminate()
        self.wait_or_kill(10.0)

    def terminate(self) -> None:
        """Mark the worker stopping (`check` starts no new one) and send it SIGTERM."""
        with self._lock:
            self.stopping = True
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()

    def wait_or_kill(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stop_workers(workers: list[WorkerKeeper], timeout: float = 10.0) -> None:
    """Stop every worker: all are marked stopping first, so that the keeper starts none of them
    again while another is being stopped (a worker that ended on the same Ctrl-C, exit code 0,
    was started again, decision 0123), then all are told to end at once and waited for."""
    for worker in workers:
        worker.stopping = True
    for worker in workers:
        worker.terminate()
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.wait_or_kill(max(0.0, deadline - time.monotonic()))


def _keep_alive(workers: list[WorkerKeeper], stop: threading.Event, every: float = 2.0) -> None:
    while not stop.wait(every):
        for worker in workers:
            worker.check()
