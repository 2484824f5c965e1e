"""Rows held by another connection's open transaction, as a bulk job holds what it updates
until it commits (decision 0041). Needs `django_db(transaction=True)`: the holder must see the
test's rows."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections


class JobHoldsRows:
    """Another connection that updates the given rows and keeps its transaction open, as a job
    does, until released (or 60 s: the code before decision 0041 then saved after the wait)."""

    def __init__(self, ids: list[Any]) -> None:
        self.ids = [str(i) for i in ids]
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        conn = connections.create_connection("default")
        try:
            with conn.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute(
                    "UPDATE registry_recipient SET updated_at = now() WHERE id = ANY(%s::uuid[])", [self.ids]
                )
                self.holding.set()
                self.release.wait(60)
                cur.execute("ROLLBACK")
        finally:
            conn.close()

    def __enter__(self) -> JobHoldsRows:
        self.thread.start()
        assert self.holding.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(60)
