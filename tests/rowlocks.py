"""Rows held by another connection's open transaction, as a bulk job holds what it updates
until it commits (decision 0041). Needs `django_db(transaction=True)`: the holder must see the
test's rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections


class Holds:
    """Another connection that runs `sql` (a `SELECT … FOR UPDATE` of a batch, a period, an
    SPTJM, or an advisory lock) in an open transaction until released: everything that needs
    the same lock queues behind it, so two actors meant to race are sure to overlap
    (decision 0042)."""

    def __init__(self, sql: str, params: list[Any] | None = None) -> None:
        self.sql, self.params = sql, params or []
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        conn = connections.create_connection("default")
        try:
            with conn.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute(self.sql, self.params)
                self.holding.set()
                self.release.wait(60)
                cur.execute("ROLLBACK")
        finally:
            conn.close()

    def __enter__(self) -> Holds:
        self.thread.start()
        assert self.holding.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(60)


class JobHoldsRows(Holds):
    """Another connection that updates the given recipients and keeps its transaction open, as a
    job does, until released (or 60 s: the code before decision 0041 then saved after the wait)."""

    def __init__(self, ids: list[Any]) -> None:
        super().__init__(
            "UPDATE registry_recipient SET updated_at = now() WHERE id = ANY(%s::uuid[])",
            [[str(i) for i in ids]],
        )


class Actor:
    """A call run in a thread of its own, hence on a database connection of its own, as another
    web request or `verval worker` process would: its return value or its exception is kept."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - kept for the test to assert on
            self.error = exc
        finally:
            connections.close_all()

    def start(self) -> Actor:
        self.thread.start()
        return self

    def join(self) -> Actor:
        self.thread.join(120)
        assert not self.thread.is_alive()
        return self


def waiting_for_locks() -> int:
    """How many other connections of this database wait for a lock now."""
    with connections["default"].cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return int(cur.fetchone()[0])


def wait_until_waiting(n: int, timeout: float = 60) -> None:
    """Block until `n` connections wait for a lock (the actors queued behind a holder)."""
    deadline = time.monotonic() + timeout
    while waiting_for_locks() < n:
        assert time.monotonic() < deadline, f"fewer than {n} connections came to wait for a lock"
        time.sleep(0.05)
