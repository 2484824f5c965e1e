"""Pusdatin cancels a cutoff import while it reads the file (decision 0029): the checkpoint after a
batch (PostgreSQL: in the middle of the import's COPY; SQLite: with the rows spilled and the
registry's indexes set aside on a first load) rolls the import's one transaction back and the
registry stays exactly as it was. Outside a test transaction, as in the worker."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection, connections

from tests.imports.helpers import student, write
from verval.core import actions
from verval.core.models import AuditEvent, Job
from verval.imports import reader, services
from verval.imports.actions import import_file
from verval.reference.models import School
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db(transaction=True)


def _pupils(n: int, start: int = 0, **kw: str) -> list[dict[str, str]]:
    return [student(i, id=str(uuid.UUID(int=(i * 7919) << 96 | i)), **kw) for i in range(start, start + n)]


def _constraints() -> dict[str, tuple[Any, ...]]:
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, "registry_recipient")
    return {name: (tuple(c["columns"]), c["unique"], c["index"]) for name, c in found.items()}


def _registry() -> list[tuple[Any, ...]]:
    return sorted(
        (str(r[0]), *r[1:])
        for r in Recipient.objects.values_list("id", "name", "phone_e164", "status", "active", "version")
    )


def _cancel_the_running_job(close: bool = True) -> None:
    try:
        running = Job.objects.get(state=Job.State.RUNNING)
        actions.cancel_job(actor=None, job_id=running.pk, note="cutoff yang salah")
    finally:
        if close:
            connections.close_all()


def _cancel_on_second_batch(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """Small batches, and Pusdatin's `verval jobs --cancel` arriving while the second is read;
    returns the list of batches validated."""
    settings.VERVAL = {**settings.VERVAL, "JOB_CANCEL_CHECK_SECONDS": 0}
    monkeypatch.setattr(reader, "BLOCK", 1000)
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    monkeypatch.setattr(services._SqliteBuckets, "ROWS_PER_BUCKET", 10)
    real = services.validate
    calls: list[int] = []

    def validate(df, region_codes):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            if connection.vendor == "postgresql":
                # From a connection of its own, as the command line would: the import's
                # connection is in the middle of its COPY.
                clicker = threading.Thread(target=_cancel_the_running_job)
                clicker.start()
                clicker.join(timeout=60)
            else:
                # The test database lives in this process's memory, where another connection
                # meets the import's schema lock; the request writes nothing to it on SQLite
                # (tests/core/test_job_cancel.py makes it from another process).
                _cancel_the_running_job(close=False)
        return real(df, region_codes)

    monkeypatch.setattr(services, "validate", validate)
    return calls


@pytest.fixture
def cancel_on_second_batch(settings, monkeypatch):  # type: ignore[no-untyped-def]
    return _cancel_on_second_batch(settings, monkeypatch)


def _cancelled(job: Job) -> None:
    assert (job.state, job.error_code, job.cancel_note) == (
        Job.State.FAILED,
        "DIBATALKAN",
        "cutoff yang salah",
    )
    assert list(
        AuditEvent.objects.filter(object_id=str(job.pk), action__startswith="job_")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["job_cancel_request", "job_cancel"]
    assert not AuditEvent.objects.filter(action="import_dapodik", object_id=str(job.pk)).exists()
    assert job.issues.count() == 0


def test_a_first_load_cancelled_while_it_reads_leaves_an_empty_registry_with_its_indexes(
    tmp_path, cancel_on_second_batch
):  # type: ignore[no-untyped-def]
    before = _constraints()
    job = import_file(write(tmp_path / "a.csv", _pupils(60)))
    assert len(cancel_on_second_batch) == 2  # it stopped at the checkpoint after the second batch
    _cancelled(job)
    assert (Recipient.objects.count(), School.objects.count(), NumberHistory.objects.count()) == (0, 0, 0)
    assert _constraints() == before


def test_a_later_import_cancelled_while_it_reads_leaves_the_registry_exactly_as_it_was(
    tmp_path, settings, monkeypatch
):  # type: ignore[no-untyped-def]
    first = import_file(write(tmp_path / "a.csv", _pupils(60)))
    assert first.state == Job.State.SUCCEEDED, first.error_message_en
    before = (_registry(), NumberHistory.objects.count(), _constraints())
    calls = _cancel_on_second_batch(settings, monkeypatch)
    # Every number changed, 20 pupils gone, 20 new: a cutoff that would change every row.
    changed = _pupils(40, start=20, nomor_telepon_seluler="081399990000") + _pupils(20, start=100)
    job = import_file(write(tmp_path / "b.csv", changed))
    assert len(calls) == 2
    _cancelled(job)
    assert (_registry(), NumberHistory.objects.count(), _constraints()) == before
