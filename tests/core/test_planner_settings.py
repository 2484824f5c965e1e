"""core.db.planner_settings: a setting holds for the block's statements only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from verval.core.db import planner_settings


def _setting(cursor, name):  # type: ignore[no-untyped-def]
    cursor.execute("SELECT current_setting(%s)", [name])
    return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_planner_setting_holds_inside_the_block_and_returns_to_the_value_before_it() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', '12MB', true)")
        with planner_settings(cursor, enable_nestloop="off", work_mem="256MB"):
            inside = (_setting(cursor, "enable_nestloop"), _setting(cursor, "work_mem"))
        after = (_setting(cursor, "enable_nestloop"), _setting(cursor, "work_mem"))

    assert inside == ("off", "256MB")
    assert after == ("on", "12MB")


@pytest.mark.postgres
@pytest.mark.django_db
def test_planner_setting_of_a_block_left_by_an_error_ends_with_its_savepoint() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        with pytest.raises(DatabaseError), transaction.atomic():
            with planner_settings(cursor, enable_hashjoin="off"):
                cursor.execute("SELECT 1 / 0")
        after = _setting(cursor, "enable_hashjoin")

    assert after == "on"


@pytest.mark.django_db
def test_planner_settings_send_no_statement_to_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite")
    with CaptureQueriesContext(connection) as seen, connection.cursor() as cursor:
        with planner_settings(cursor, enable_nestloop="off"):
            cursor.execute("SELECT 1")

    assert [q["sql"] for q in seen.captured_queries] == ["SELECT 1"]
