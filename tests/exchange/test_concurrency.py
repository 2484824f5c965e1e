"""Two actors on one batch or one dump round at the same moment, on PostgreSQL with real
connections (decision 0042): each call runs on a connection of its own, queued behind a third
that holds the lock they contend for, so that they surely overlap."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tests.exchange.helpers import dump_rows, results_file
from tests.rowlocks import Actor, Holds, wait_until_waiting
from verval.core import db, jobs
from verval.core.models import Job
from verval.exchange.models import DumpBatch, DumpItem
from verval.registry.models import Recipient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _results(tsel_batch, tmp_path):  # type: ignore[no-untyped-def]
    rows = dump_rows(tsel_batch)
    return results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows])


def _api_upload(batch_id: str, token: str, body: bytes):  # type: ignore[no-untyped-def]
    def call():  # type: ignore[no-untyped-def]
        response = Client().post(
            f"/api/v1/batches/{batch_id}/results",
            data=body,
            content_type="text/csv",
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.json()

    return call


def _batch_lock(batch_id: str) -> Holds:
    return Holds("SELECT 1 FROM exchange_dumpbatch WHERE id = %s FOR UPDATE", [batch_id])


def _applied_once(tsel_batch, outcomes) -> None:  # type: ignore[no-untyped-def]
    assert sorted((o["applied"], o["unchanged"]) for o in outcomes) == [(0, 10), (10, 0)]
    tsel_batch.refresh_from_db()
    assert (tsel_batch.state, tsel_batch.answered, tsel_batch.aktif) == ("COMPLETE", 10, 10)
    # One status change each: AKTIF at version 2, not a second write.
    assert sorted(set(Recipient.objects.filter(status="AKTIF").values_list("version", flat=True))) == [2]
    assert Recipient.objects.filter(status="AKTIF").count() == 10
    assert DumpItem.objects.filter(batch=tsel_batch, applied=True).count() == 10


def test_the_same_results_uploaded_twice_at_once_through_the_api_are_applied_once(
    tsel_batch, tsel_token, tmp_path
):
    body = _results(tsel_batch, tmp_path).read_bytes()
    with _batch_lock(tsel_batch.id):
        calls = [Actor(_api_upload(tsel_batch.id, tsel_token, body)).start() for _ in range(2)]
        wait_until_waiting(2)
    answers = [c.join().result for c in calls]

    assert [status for status, _ in answers] == [200, 200]
    _applied_once(tsel_batch, [out["counts"] for _, out in answers])
    assert Job.objects.filter(kind="ingest_results", state=Job.State.SUCCEEDED).count() == 2


def test_results_sent_by_the_command_and_the_api_at_once_are_applied_once(tsel_batch, tsel_token, tmp_path):
    path = _results(tsel_batch, tmp_path)

    def command() -> dict:  # type: ignore[type-arg]
        out = StringIO()
        call_command("ingest_results", str(path), "--batch", tsel_batch.id, "--json", stdout=out)
        return json.loads(out.getvalue().strip().splitlines()[-1])

    with _batch_lock(tsel_batch.id):
        api = Actor(_api_upload(tsel_batch.id, tsel_token, path.read_bytes())).start()
        cli = Actor(command).start()
        wait_until_waiting(2)
    status, answer = api.join().result
    printed = cli.join().result

    assert status == 200
    _applied_once(tsel_batch, [answer["counts"], printed])


def test_two_dump_runs_at_once_put_each_recipient_in_one_open_batch(waiting, pusdatin):
    runs = [jobs.create_job(actor=pusdatin, kind="dump", params={"provider": ""}) for _ in range(2)]
    with Holds("SELECT pg_advisory_xact_lock(%s)", [db.DUMP_JOBS]):
        actors = [Actor(lambda j=j: jobs.run(j.pk)).start() for j in runs]
        wait_until_waiting(2)
    done = [a.join().result for a in actors]

    assert [j.state for j in done] == [Job.State.SUCCEEDED, Job.State.SUCCEEDED]
    assert sorted(j.counts["rows"] for j in done) == [0, 13]
    assert sorted(DumpBatch.objects.values_list("provider", "rows")) == [("indosat", 3), ("telkomsel", 10)]
    assert DumpItem.objects.filter(is_open=True).count() == 13
    assert DumpItem.objects.values("recipient_id").distinct().count() == 13


def _ingest_command(batch_id: str, path):  # type: ignore[no-untyped-def]
    def command() -> dict:  # type: ignore[type-arg]
        out = StringIO()
        call_command("ingest_results", str(path), "--batch", batch_id, "--json", stdout=out)
        return json.loads(out.getvalue().strip().splitlines()[-1])

    return command


def test_an_ingest_waits_for_a_running_import_instead_of_deadlocking_with_it(tsel_batch, tmp_path):
    ingest = _ingest_command(tsel_batch.id, _results(tsel_batch, tmp_path))
    # An import's (or a validation run's) transaction, as far as the registry lock goes.
    with Holds("SELECT pg_advisory_xact_lock(%s)", [db.REGISTRY_JOBS]):
        actor = Actor(ingest).start()
        wait_until_waiting(1)
        assert Recipient.objects.filter(status="AKTIF").count() == 0
    assert actor.join().result["applied"] == 10
    assert Recipient.objects.filter(status="AKTIF").count() == 10


def test_an_ingest_does_not_wait_for_another_ingest(tsel_batch, tmp_path):
    ingest = _ingest_command(tsel_batch.id, _results(tsel_batch, tmp_path))
    # Another ingest's transaction, as far as the registry lock goes.
    with Holds("SELECT pg_advisory_xact_lock_shared(%s)", [db.REGISTRY_JOBS]):
        actor = Actor(ingest).start()
        actor.thread.join(60)
        assert not actor.thread.is_alive()
        assert db.registry_job_running() is False
    assert actor.join().result["applied"] == 10
