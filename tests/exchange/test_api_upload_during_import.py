"""A small results file is applied while the provider's request waits, but not while an import or
a validation run holds the registry: the request would wait for that job's commit (minutes at
national scale) and hold a web worker all along. It is queued instead: 202 with the job's address
(decision 0041)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.exchange.helpers import dump_rows
from tests.factories import UserFactory
from tests.rowlocks import Holds
from verval.core import jobs
from verval.core.db import REGISTRY_JOBS
from verval.core.models import Job
from verval.registry.models import Recipient


def _upload(client, batch, token):  # type: ignore[no-untyped-def]
    row = dump_rows(batch)[0]
    return row, client.post(
        f"/api/v1/batches/{batch.id}/results",
        data=f"pd_id,no_ponsel,status\n{row['pd_id']},{row['no_ponsel']},AKTIF\n".encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token}"},
    )


def _queued_then_applied(response, row) -> None:  # type: ignore[no-untyped-def]
    job = Job.objects.get(kind="ingest_results")
    assert (response.status_code, response["Location"]) == (202, f"/api/v1/jobs/{job.pk}")
    assert job.state == Job.State.PENDING
    assert Recipient.objects.get(pk=row["pd_id"]).status == "MENUNGGU_PROVIDER"
    # What a worker does with it.
    job = jobs.run(job.pk)
    assert (job.state, job.counts["applied"]) == (Job.State.SUCCEEDED, 1)
    assert Recipient.objects.get(pk=row["pd_id"]).status == "AKTIF"


def test_an_upload_while_an_import_runs_is_queued_not_applied_in_the_request(client, tsel_batch, tsel_token):
    Job.objects.create(
        kind="import_dapodik", state=Job.State.RUNNING, created_by=UserFactory(role="PUSDATIN")
    )
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the import is seen by its lock (the test below)")

    row, response = _upload(client, tsel_batch, tsel_token)

    _queued_then_applied(response, row)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_upload_while_an_import_holds_the_registry_lock_is_queued(
    client, tsel_batch, tsel_token, monkeypatch
):
    # Left for a worker: the immediate task backend of the tests would run it at the request's
    # commit, where the ingest waits for the import (decision 0042) that the test holds open.
    monkeypatch.setattr(jobs, "enqueue", lambda job: None)
    # An import's transaction, as far as the registry lock goes (decision 0042).
    with Holds("SELECT pg_advisory_xact_lock(%s)", [REGISTRY_JOBS]):
        row, response = _upload(client, tsel_batch, tsel_token)

    _queued_then_applied(response, row)


def test_with_no_import_running_a_small_upload_is_applied_in_the_request(client, tsel_batch, tsel_token):
    row, response = _upload(client, tsel_batch, tsel_token)

    assert (response.status_code, response.json()["counts"]["applied"]) == (200, 1)
    assert Recipient.objects.get(pk=row["pd_id"]).status == "AKTIF"


@pytest.mark.postgres
def test_an_import_of_another_database_on_the_same_server_does_not_count(db):  # type: ignore[no-untyped-def]
    import psycopg

    from verval.core.db import registry_job_running

    # Another deployment (staging, a second test run) on the same PostgreSQL server: advisory
    # keys are per database, but pg_locks lists all of them.
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        dbname="postgres",
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [REGISTRY_JOBS])
        assert registry_job_running() is False
        with Holds("SELECT pg_advisory_xact_lock(%s)", [REGISTRY_JOBS]):
            assert registry_job_running() is True
    finally:
        other.close()
