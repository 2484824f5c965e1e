"""core.trace.PhaseTrace: the one helper behind VERVAL_IMPORT_TRACE and VERVAL_INGEST_TRACE
(decisions 0088, 0099); its line is what docs/benchmarks.md shows and bench/bench_import.py reads."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from verval.core import trace as trace_module
from verval.core.trace import PhaseTrace


@pytest.fixture
def clocks(monkeypatch):  # type: ignore[no-untyped-def]
    """Wall clock 10, 11.5, 14, …; CPU 1, 1.25, 2, …: each phase has known figures."""
    wall = itertools.chain([10.0, 11.5, 14.0], itertools.repeat(14.0))
    cpu = itertools.chain([1.0, 1.25, 2.0], itertools.repeat(2.0))
    monkeypatch.setattr(
        trace_module, "time", SimpleNamespace(perf_counter=lambda: next(wall), process_time=lambda: next(cpu))
    )


def test_import_trace_prints_wall_time_per_phase_and_a_noted_figure(monkeypatch, clocks, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VERVAL_IMPORT_TRACE", "1")
    tick = PhaseTrace("import", "VERVAL_IMPORT_TRACE")
    tick("read")
    tick.note("insert thread cpu", 4.42)
    tick("merge")
    tick.report()

    assert capsys.readouterr().err == "import phases: read 1.50s, insert thread cpu 4.42s, merge 2.50s\n"


@pytest.mark.django_db
def test_ingest_trace_adds_the_clients_cpu_and_the_servers(monkeypatch, clocks, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VERVAL_INGEST_TRACE", "1")
    server = iter([0.5, 0.75, 1.5])
    monkeypatch.setattr(PhaseTrace, "_server_cpu", lambda self: next(server))
    trace = PhaseTrace("ingest", "VERVAL_INGEST_TRACE", cpu=True)
    trace("stage")
    trace("stage")
    trace.report()

    line = capsys.readouterr().err
    if trace._stat is None:  # SQLite, or a server on another machine: no server figure
        assert line == "ingest phases: stage 4.00s (client 1.00)\n"
    else:
        assert line == "ingest phases: stage 4.00s (client 1.00, server 1.00)\n"


@pytest.mark.postgres
@pytest.mark.django_db
def test_ingest_trace_reads_the_cpu_of_the_local_server_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VERVAL_INGEST_TRACE", "1")
    trace = PhaseTrace("ingest", "VERVAL_INGEST_TRACE", cpu=True)
    trace("start")

    assert trace._stat is not None
    assert list(trace.acc) == ["start"]
    assert trace.line().startswith("ingest phases: start ")
    assert ", server " in trace.line()


def test_a_trace_switched_off_records_and_prints_nothing(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("VERVAL_INGEST_TRACE", raising=False)
    trace = PhaseTrace("ingest", "VERVAL_INGEST_TRACE", cpu=True)
    trace("stage")
    trace.note("insert thread cpu", 1.0)
    trace.report()

    assert (trace.acc, capsys.readouterr().err) == ({}, "")
