"""An upload queued while an import runs (202, decision 0041) and the kit's `upload-results`
(security review, decision 0045): no phone number in the answers, the job's messages, the logs or
the kit's output, also for a file without its header (its first row read as column names) and
numbers sent in the wrong column."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection

from tests.exchange.helpers import dump_rows
from tests.factories import UserFactory
from verval.core import jobs
from verval.core.models import Job
from verval.exchange.simulator import DjangoClientTransport
from verval_provider import cli

pytestmark = pytest.mark.django_db


def _forms(number: str) -> list[str]:
    digits = number.lstrip("+")
    return [digits, "0" + digits[2:], digits[2:]]


@pytest.fixture
def import_running(db):  # type: ignore[no-untyped-def]
    if connection.vendor == "postgresql":
        pytest.skip(
            "on PostgreSQL the import is seen by its lock (tests/exchange/test_api_upload_during_import.py)"
        )
    Job.objects.create(
        kind="import_dapodik", state=Job.State.RUNNING, created_by=UserFactory(role="PUSDATIN")
    )


@pytest.mark.parametrize("with_header", [False, True])
def test_a_queued_upload_names_no_number_in_its_answers_job_or_logs(
    client, tsel_batch, tsel_token, import_running, caplog, with_header
):  # type: ignore[no-untyped-def]
    rows = dump_rows(tsel_batch)
    numbers = [r["no_ponsel"] for r in rows[:2]]
    body = f"{rows[0]['pd_id']},{numbers[0]},AKTIF\n{numbers[1]},{rows[1]['pd_id']},{numbers[0]}\n"
    if with_header:
        body = "pd_id,no_ponsel,status\n" + body
    auth = {"Authorization": f"Bearer {tsel_token}"}
    caplog.set_level(logging.DEBUG)

    queued = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results", data=body.encode(), content_type="text/csv", headers=auth
    )
    job = jobs.run(Job.objects.get(kind="ingest_results").pk)
    answer = client.get(f"/api/v1/jobs/{job.pk}", headers=auth)
    report = client.get(f"/api/v1/jobs/{job.pk}/issues", headers={**auth, "Accept": "text/csv"})

    assert (queued.status_code, answer.status_code, report.status_code) == (202, 200, 200)
    # One row of two refused is above the 5 % bar: refused whole either way.
    assert (job.state, job.error_code) == (
        Job.State.REFUSED,
        "TERLALU_BANYAK_DITOLAK" if with_header else "KOLOM_SALAH",
    )
    said = "\n".join(
        [
            queued.content.decode(),
            answer.content.decode(),
            b"".join(report.streaming_content).decode(),
            job.error_message,
            job.error_message_en,
            json.dumps(list(job.issues.values_list("value", "message", "message_en"))),
            "\n".join(r.getMessage() for r in caplog.records),
        ]
    )
    for number in numbers:
        for shown in _forms(number):
            assert shown not in said


def test_the_kits_upload_results_prints_no_number_of_a_headerless_file(
    tsel_batch, tsel_token, monkeypatch, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    rows = dump_rows(tsel_batch)
    number = rows[0]["no_ponsel"]
    results = tmp_path / "hasil.csv"
    results.write_text(f"{rows[0]['pd_id']},{number},AKTIF\n")
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: DjangoClientTransport())

    code = cli.main(
        [
            "upload-results",
            "--url",
            "http://verval.test",
            "--token",
            tsel_token,
            "--batch",
            tsel_batch.id,
            "--results",
            str(results),
        ]
    )

    printed = capsys.readouterr()
    assert code == 2
    for shown in _forms(number):
        assert shown not in printed.out + printed.err
