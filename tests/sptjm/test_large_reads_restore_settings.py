"""sptjm.services._large_reads: the staged lines read back with settings for a read of every row,
then the settings the transaction had before (core.db.planner_settings), not the defaults."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from verval.sptjm import services

_SQL = "SELECT code FROM reference_region WHERE code LIKE %s ORDER BY code"
_SETTINGS = ("cursor_tuple_fraction", "work_mem", "jit")


def _settings(cursor):  # type: ignore[no-untyped-def]
    cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(_SETTINGS)), list(_SETTINGS))
    return cursor.fetchone()


@pytest.mark.django_db
def test_large_reads_yield_every_row_in_blocks(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "STAGE_BLOCK", 2)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SQL, ["0205%"])
        expected = [row[0] for row in cursor.fetchall()]
        blocks = list(services._large_reads(cursor, _SQL, ["0205%"]))

    assert [code for block in blocks for (code,) in block] == expected
    assert [len(block) for block in blocks[:-1]] == [2] * (len(blocks) - 1)
    assert len(expected) > 4


@pytest.mark.postgres
@pytest.mark.django_db
def test_large_reads_hold_their_settings_while_reading_then_put_back_the_ones_before() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', '12MB', true), set_config('jit', 'on', true)")
        cursor.execute("SELECT set_config('cursor_tuple_fraction', '0.25', true)")
        during = [_settings(cursor) for _block in services._large_reads(cursor, _SQL, ["0205%"])]
        after = _settings(cursor)

    assert set(during) == {("1", "256MB", "off")}
    assert after == ("0.25", "12MB", "on")
