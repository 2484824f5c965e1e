from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection


@pytest.fixture
def committed():  # type: ignore[no-untyped-def]
    """Like django_capture_on_commit_callbacks(execute=True), but, as a real commit does, the
    callbacks leave the connection's queue once run (the dashboard coalesces its refreshes by
    looking at that queue)."""

    @contextmanager
    def run() -> Iterator[None]:
        start = len(connection.run_on_commit)
        yield
        while len(connection.run_on_commit) > start:
            _sids, func, _robust = connection.run_on_commit.pop(start)
            func()

    return run
