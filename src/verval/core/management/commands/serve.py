from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Runs the web server and the task worker together (what `make run` uses). Ctrl-C stops both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-worker", action="store_true", help="start only the web server")

    def handle(self, *args: Any, **opts: Any) -> None:
        worker = None
        if not opts["no_worker"]:
            # The worker is a separate process so that a long import never blocks a page.
            worker = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "verval.cli", "worker", "--interval", "1"],
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "verval.settings"},
            )
            self.stdout.write(f"Task worker started (pid {worker.pid}).")
        # SIGTERM (a service manager, `kill`) ends the server the way Ctrl-C does, so that the
        # `finally` below stops the worker too instead of leaving it running.
        signal.signal(signal.SIGTERM, _interrupt)
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(
            self.style.SUCCESS(f"Verval Ponsel: {url}  (sign in at {url}masuk/, API docs {url}api/v1/docs)")
        )
        try:
            call_command(
                "runserver", f"{opts['host']}:{opts['port']}", use_reloader=False, insecure_serving=True
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
