"""Phase timings of a bulk job on stderr, for the benchmarks: `VERVAL_IMPORT_TRACE=1` (the cutoff
import, read by bench/bench_import.py) and `VERVAL_INGEST_TRACE=1` (the results ingest, decision
0088). One line at the end of the job, `<job> phases: <phase> <seconds>s, …`; with `cpu`, each
phase also says this process's CPU time and, when PostgreSQL runs on this machine, the CPU time of
the server process that runs the statements: `<phase> 0.65s (client 0.17, server 0.47)`.
Switched off (the default), a phase costs one attribute test."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from django.db import connection


class PhaseTrace:
    """Call it with a phase's name when the phase ends: the time since the previous call (or the
    start) is added to that phase. `report()` writes the line when `env` is "1"."""

    def __init__(self, job: str, env: str, *, cpu: bool = False) -> None:
        self.job = job
        self.on = os.environ.get(env) == "1"
        self.cpu = cpu
        self.acc: dict[str, list[float]] = {}
        self._stat: Path | None = None
        if self.on and cpu and connection.vendor == "postgresql":
            connection.ensure_connection()
            stat = Path(f"/proc/{connection.connection.info.backend_pid}/stat")
            self._stat = stat if stat.exists() else None
        self.last = self._now() if self.on else (0.0, 0.0, 0.0)

    def _now(self) -> tuple[float, float, float]:
        """Wall clock, this process's CPU (all its threads: polars reads in several) and the
        server process's CPU (its parallel workers not counted)."""
        if not self.cpu:
            return time.perf_counter(), 0.0, 0.0
        return time.perf_counter(), time.process_time(), self._server_cpu()

    def _server_cpu(self) -> float:
        if self._stat is None:
            return 0.0
        # The server process may be gone between two phases: its share then reads as 0.
        with contextlib.suppress(OSError):
            fields = self._stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return 0.0

    def __call__(self, phase: str) -> None:
        if not self.on:
            return
        now = self._now()
        acc = self.acc.setdefault(phase, [0.0, 0.0, 0.0])
        for i in range(3):
            acc[i] += now[i] - self.last[i]
        self.last = now

    def note(self, what: str, seconds: float) -> None:
        """A figure that is not a phase of the wall clock (a thread's CPU time), shown as it is."""
        if self.on:
            self.acc[what] = [seconds]

    def line(self) -> str:
        server = self._stat is not None
        parts = []
        for name, figures in self.acc.items():
            part = f"{name} {figures[0]:.2f}s"
            if self.cpu and len(figures) == 3:
                part += f" (client {figures[1]:.2f}" + (f", server {figures[2]:.2f})" if server else ")")
            parts.append(part)
        return f"{self.job} phases: " + ", ".join(parts)

    def report(self) -> None:
        if self.on:
            sys.stderr.write(self.line() + "\n")
