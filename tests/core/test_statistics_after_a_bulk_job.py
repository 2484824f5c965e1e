"""core.db.analyze_after_commit: a bulk job that changed a large share of a table refreshes its
planner statistics once it commits (decision 0099)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import RecipientFactory
from verval.core.db import ANALYZE_SLACK_ROWS, analyze_after_commit, statistics_stale
from verval.registry.models import Recipient
from verval.registry.services import validate_pending


def _pending(school, count):  # type: ignore[no-untyped-def]
    Recipient.objects.bulk_create(
        [RecipientFactory.build(school=school, needs_validation=True) for _ in range(count)], batch_size=1000
    )


def _known_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        return float(cursor.fetchone()[0])


@pytest.fixture
def fresh_statistics(transactional_db: None) -> None:
    """The registry's statistics as a test starts from. A connection keeps the counts of its
    committed transactions in `pg_stat_xact_user_tables` until it reports them, at most once a
    second and only between transactions; a suite's earlier tests leave hundreds there, and
    thousands in the shared counters since the last ANALYZE. Outside a transaction (hence
    `transactional_db`), the flush is forced, then the two tables analysed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # reported before the next statement
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_recipient, registry_numberhistory")


def test_statistics_are_stale_past_a_tenth_of_the_rows_they_know_plus_the_slack() -> None:
    assert statistics_stale(-1, ANALYZE_SLACK_ROWS) is False
    assert statistics_stale(-1, ANALYZE_SLACK_ROWS + 1) is True
    assert statistics_stale(1_000_000, 101_000) is False
    assert statistics_stale(1_000_000, 101_001) is True


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_validation_run_over_most_of_the_registry_analyses_what_it_changed_once_committed(
    school, django_capture_on_commit_callbacks
) -> None:
    _pending(school, 1500)

    with (
        CaptureQueriesContext(connection) as seen,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        validate_pending(actor=None)

    analysed = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analysed == [
        "ANALYZE (SKIP_LOCKED) registry_numberhistory",
        "ANALYZE (SKIP_LOCKED) registry_recipient",
    ]
    assert len(callbacks) == 1
    assert (_known_rows("registry_recipient"), _known_rows("registry_numberhistory")) == (1500.0, 1500.0)


@pytest.mark.postgres
def test_a_change_within_the_slack_leaves_the_statistics_to_autovacuum(
    school, fresh_statistics, django_capture_on_commit_callbacks
) -> None:
    _pending(school, 20)

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        Recipient.objects.update(needs_validation=False)
        stale = analyze_after_commit()

    assert stale == []
    assert callbacks == []


@pytest.mark.postgres
def test_the_analyze_waits_for_the_commit_of_the_jobs_transaction(school, fresh_statistics) -> None:
    # The rows go in within the job's transaction, as a job's do: rows committed before it are
    # counted only once the connection has reported them, which it may do any time a second
    # after the commit (it did once in CI, the list came back empty).
    with CaptureQueriesContext(connection) as seen, transaction.atomic():
        _pending(school, 1200)
        stale = analyze_after_commit()
        inside = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("ANALYZE")]

    assert stale == ["registry_recipient"]
    assert inside == []


@pytest.mark.django_db
def test_sqlite_is_left_alone(school, django_capture_on_commit_callbacks) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite")
    _pending(school, 1200)

    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as seen:
        stale = analyze_after_commit()

    assert (stale, callbacks, seen.captured_queries) == ([], [], [])
