"""A dump plans its joins on fresh registry statistics and never as a nested loop over the dump
rows it is writing (decision 0079): the dump of a kabupaten of 5,000 schools after its import and
validation ran for more than 15 minutes, and a first dump of 1 M recipients into dump rows
analysed empty never ended."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from verval.exchange import actions, services


@pytest.mark.parametrize(
    ("known", "changed", "live", "stale"),
    [
        (-1, 0, 0, True),  # never analysed
        (0, 0, 1001, True),  # analysed empty, rows added since
        (0, 0, 1000, False),  # within the slack
        (274_000, 533_000, 274_000, True),  # a validation run rewrote every status since
        (274_000, 55_800, 274_000, False),  # a fifth plus 1,000: not yet
        (274_000, 55_801, 274_000, True),
        (1_000, 0, 3_001, True),  # the table tripled
        (1_000, 0, 3_000, False),
    ],
)
def test_statistics_are_stale_when_never_taken_or_a_fifth_of_the_rows_changed(known, changed, live, stale):  # type: ignore[no-untyped-def]
    assert services.statistics_stale(known, changed, live) is stale


def _analyses(waiting) -> list[str]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as seen:
        actions.publish_dumps(actor=None)
    return [q["sql"] for q in seen.captured_queries if q["sql"].startswith("ANALYZE")]


def _set_known_rows(table: str, rows: float) -> None:
    with connection.cursor() as cur:  # the tests run as a superuser; rolled back with the test
        cur.execute("UPDATE pg_class SET reltuples = %s WHERE oid = %s::regclass", [rows, table])


@pytest.mark.postgres
def test_dump_analyses_the_registry_never_analysed_before_planning(waiting):  # type: ignore[no-untyped-def]
    _set_known_rows("registry_recipient", -1)
    _set_known_rows("exchange_dumpitem", -1)

    assert _analyses(waiting) == ["ANALYZE registry_recipient"]


@pytest.mark.postgres
def test_dump_does_not_analyse_a_registry_whose_statistics_are_current(waiting):  # type: ignore[no-untyped-def]
    _set_known_rows("registry_recipient", 1e9)

    assert _analyses(waiting) == []


@pytest.mark.postgres
def test_dump_rows_are_inserted_without_a_nested_loop_over_the_table_being_written(waiting):  # type: ignore[no-untyped-def]
    # The dump rows analysed empty: the state in which the planner read them once per recipient,
    # the rows the INSERT had written included (a first dump of 1 M recipients never ended).
    with connection.cursor() as cur:
        cur.execute("ANALYZE exchange_dumpitem")
    with CaptureQueriesContext(connection) as seen:
        batches = actions.publish_dumps(actor=None)
    statements = [q["sql"] for q in seen.captured_queries]
    insert = next(i for i, sql in enumerate(statements) if sql.startswith("INSERT INTO exchange_dumpitem"))

    assert statements[insert - 1] == "SELECT set_config('enable_nestloop', 'off', true)"
    assert statements[insert + 1] == "SELECT set_config('enable_nestloop', 'on', true)"
    assert sorted((b.provider, b.rows) for b in batches) == [("indosat", 3), ("telkomsel", 10)]


def test_dump_on_sqlite_runs_no_analyse(waiting):  # type: ignore[no-untyped-def]
    if connection.vendor != "sqlite":
        pytest.skip("SQLite")
    assert _analyses(waiting) == []
