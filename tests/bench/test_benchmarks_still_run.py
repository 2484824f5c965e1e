"""The benchmarks that load their data with raw SQL run against today's schema.

`make bench` is run by hand, so a benchmark that inserts into a table with a column added since
(a NOT NULL one without a database default) broke unseen until the next measurement: the
eighteenth session found `bench_dashboard.py` failing on `exchange_dumpbatch.number_format`
and `sptjm_disbursement.is_current`. These run each such script at a tiny size in a database of
its own and require it to finish."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def _server() -> str:
    """The test run's PostgreSQL server, without its database name."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _run(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["VERVAL_VAR_DIR"] = str(var)  # the file store of the batches it writes
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_dashboard_benchmark_loads_and_times_every_page_on_the_current_schema(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        "bench/bench_dashboard.py", "--recipients", "3000", "--runs", "1",
        "--base-url", _server(), "--db", f"verval_bench_smoke_dash_{os.getpid()}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| school page (Dinas kab) |" in done.stdout


def test_disbursement_benchmark_runs_and_ingests_the_answers_on_the_current_schema(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        "bench/bench_disburse.py", "--rows", "2000",
        "--database-url", f"{_server()}/verval_bench_smoke_disb_{os.getpid()}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "checks passed" in done.stdout
    assert "| injection results: all providers |" in done.stdout


def test_national_benchmark_builds_the_nation_in_sql_and_opens_every_page(tmp_path: Path) -> None:
    import psycopg

    db = f"verval_bench_smoke_national_{os.getpid()}"
    try:
        built = _run(
            tmp_path, "bench/bench_national.py", "--part", "build", "--schools", "3000",
            "--recipients", "12000", "--base-url", _server(), "--db", db,
        )  # fmt: skip
        assert built.returncode == 0, built.stderr[-3000:]
        assert f"### Built {db}: 2,999 schools, 12,000 recipients" in built.stdout
        done = _run(
            tmp_path, "bench/bench_national.py", "--part", "pages", "--runs", "1", "--label", "smoke",
            "--base-url", _server(), "--db", db,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert "### smoke: 2,999 schools" in done.stdout
        for case in ("Pusdatin home", "school list CSV, province Dinas", "late schools, Pusdatin"):
            assert f"| {case} |" in done.stdout
    finally:
        with psycopg.connect(f"{_server()}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
