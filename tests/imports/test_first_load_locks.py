"""A first load sets the registry's keys aside (decision 0015), and dropping a foreign key locks
the table it points at until the import commits (ACCESS EXCLUSIVE on PostgreSQL). The user table
must not be one of them: every page reads it to know who is signed in, so for the whole load
nobody could sign in or follow the import's own progress bar."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection, connections

from tests.imports.helpers import student, write
from verval.core.models import Job
from verval.imports import reader, services
from verval.imports.actions import import_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _read_users(outcome: list[Any]) -> None:
    try:
        with connections["default"].cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")
            cur.execute("SELECT count(*) FROM accounts_user")
            outcome.append(cur.fetchone()[0])
            cur.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'accounts_user' AND l.mode = 'AccessExclusiveLock'"
            )
            outcome.append(cur.fetchone()[0])
    except Exception as exc:  # noqa: BLE001 - the assertion below shows what it was
        outcome.append(type(exc).__name__)
    finally:
        connections.close_all()


def test_a_first_load_leaves_the_user_table_readable_while_it_runs(tmp_path, monkeypatch, pusdatin):
    monkeypatch.setattr(reader, "BLOCK", 1000)
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    real = services.validate
    outcome: list[Any] = []

    def validate(df, region_codes):  # type: ignore[no-untyped-def]
        if not outcome:
            # From a connection of its own, as a web request would, while the import's
            # transaction holds what it took when it set the keys aside.
            reader_thread = threading.Thread(target=_read_users, args=(outcome,))
            reader_thread.start()
            reader_thread.join(timeout=60)
        return real(df, region_codes)

    monkeypatch.setattr(services, "validate", validate)
    rows = [student(i, id=str(uuid.UUID(int=(i * 7919) << 96 | i))) for i in range(3000)]
    job = import_file(write(tmp_path / "a.csv", rows))

    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert outcome == [1, 0]
    assert connection.vendor == "postgresql"
