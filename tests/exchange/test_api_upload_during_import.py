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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_upload_meeting_an_import_that_started_after_the_check_is_queued_after_a_brief_wait(
    client, tsel_batch, tsel_token, monkeypatch, settings
):
    from verval.exchange import apiupload

    settings.VERVAL = {**settings.VERVAL, "EDIT_LOCK_WAIT_MS": 200}
    monkeypatch.setattr(jobs, "enqueue", lambda job: None)  # left for a worker, as above
    # The import starts between the check (which saw none) and the apply.
    monkeypatch.setattr(apiupload, "registry_job_running", lambda: False)
    with Holds("SELECT pg_advisory_xact_lock(%s)", [REGISTRY_JOBS]):
        row, response = _upload(client, tsel_batch, tsel_token)
        job = Job.objects.get(kind="ingest_results")
        # Answered as the queued path answers: 202, Location, the job as it waits.
        assert response.json() == {
            "job_id": str(job.pk),
            "state": "PENDING",
            "batch_id": tsel_batch.id,
            "counts": {},
            "error_code": "",
            "error_message": "",
            "error_message_en": "",
            "issues_total": 0,
            "issues": [],
            "issues_url": f"/api/v1/jobs/{job.pk}/issues",
            "job_url": f"/api/v1/jobs/{job.pk}",
        }
        assert (job.state, job.attempts) == (Job.State.PENDING, 0)

    _queued_then_applied(response, row)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_upload_applied_in_the_request_leaves_no_registry_lock_behind(client, tsel_batch, tsel_token):
    row, response = _upload(client, tsel_batch, tsel_token)

    assert (response.status_code, response.json()["counts"]["applied"]) == (200, 1)
    with connection.cursor() as cursor:  # the session lock the apply held is released
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert cursor.fetchone()[0] == 0
    with Holds("SELECT pg_advisory_xact_lock(%s)", [REGISTRY_JOBS]):  # an import can start
        pass


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
