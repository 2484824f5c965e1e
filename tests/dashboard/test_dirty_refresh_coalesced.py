"""One waiting refresh of the dirty schools, however many saves mark schools meanwhile (decision
0117). The deadline soak (bench/soak_deadline.py) found every save queuing a refresh of its own:
311 in 267 s on the quick queue, 188 of them finding nothing left to refresh, while the correction
files and scan checks behind them waited 63 s on average. The tasks go through django-tasks'
database backend here (the tests' default runs them at once)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from verval.core import queues
from verval.dashboard import services
from verval.dashboard.models import DirtySchool
from verval.dashboard.tasks import refresh_dirty_task

# Each save commits for real: its refresh is queued by its commit (on_commit), as in production.
pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": list(queues.ALL)}}


@pytest.fixture
def db_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = DB_TASKS


def _mark(npsn: str) -> None:
    with transaction.atomic():
        services.mark_dirty([npsn])


def _dirty_tasks() -> list[str]:
    return list(
        DBTaskResult.objects.filter(task_path=refresh_dirty_task.module_path)
        .order_by("enqueued_at")
        .values_list("status", flat=True)
    )


def test_saves_while_a_refresh_of_dirty_schools_waits_queue_no_second_one(db_tasks):  # type: ignore[no-untyped-def]
    for npsn in ("20100001", "20100002", "20100003", "20100001", "20100004"):
        _mark(npsn)

    assert _dirty_tasks() == ["READY"]
    assert sorted(DirtySchool.objects.values_list("npsn", flat=True)) == [
        "20100001",
        "20100002",
        "20100003",
        "20100004",
    ]


def test_a_save_after_the_waiting_refresh_started_queues_another(db_tasks):  # type: ignore[no-untyped-def]
    _mark("20100001")
    # The worker took it: it may have read the marks already, so a new mark needs a new refresh.
    DBTaskResult.objects.filter(task_path=refresh_dirty_task.module_path).update(status="RUNNING")
    _mark("20100002")
    _mark("20100003")

    assert _dirty_tasks() == ["RUNNING", "READY"]


def test_a_save_while_the_waiting_refresh_is_held_to_a_later_time_queues_no_second_one(db_tasks):  # type: ignore[no-untyped-def]
    """Not started is what counts, not the backend's `ready()` (its `run_after` passed, decision
    0120): a refresh held back reads the marks when it starts, after this save, and covers it."""
    from datetime import timedelta

    from django.utils import timezone

    _mark("20100001")
    DBTaskResult.objects.filter(task_path=refresh_dirty_task.module_path).update(
        run_after=timezone.now() + timedelta(hours=1)
    )
    assert not DBTaskResult.objects.ready().filter(task_path=refresh_dirty_task.module_path).exists()

    _mark("20100002")

    assert _dirty_tasks() == ["READY"]
