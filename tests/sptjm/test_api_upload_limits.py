"""Injection results and usage reports take the same upload rules as the dump results: a gzip
body is bounded by what it unpacks to (413 before anything is stored), a body that is not sent
as a CSV is refused (415), and numbers in the wrong column never come back in full."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.core.models import AuditEvent, Job
from verval.exchange.actions import issue_token
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch

# The batch and the period hold 4 Telkomsel rows: 4 MiB of slack plus 1 KiB a row.
FOUR_ROW_UNPACKED_LIMIT = (4 << 20) + 4 * 1024


@pytest.fixture
def scheduled(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    recipients = aktif(school, 4)
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    return recipients


def _client() -> Client:
    _, token = issue_token(actor=None, provider="telkomsel")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _batch() -> DisbursementBatch:
    return DisbursementBatch.objects.get(provider="telkomsel")


def _bomb(header: str) -> bytes:
    return gzip.compress((header + "\n" + "x" * (FOUR_ROW_UNPACKED_LIMIT + 1)).encode(), compresslevel=9)


@pytest.mark.parametrize("kind", ["injection", "usage"])
def test_a_gzip_body_that_unpacks_past_the_limit_is_refused_413_and_nothing_stored(scheduled, period, kind):
    if kind == "injection":
        url, body = f"/api/v1/disbursements/batches/{_batch().pk}/results", _bomb("pd_id,no_ponsel,status")
    else:
        url, body = f"/api/v1/reports/{period.code}/usage", _bomb("pd_id,no_ponsel,pemakaian_gb")

    response = _client().post(url, data=body, content_type="application/gzip")

    # A usage report's limit counts the rows sent in the period, not a batch's (decision 0100).
    rows_id, rows_en = {
        "injection": ("baris batch ini", "this batch's"),
        "usage": ("baris yang dikirim kepada Anda pada periode ini", "the period's"),
    }[kind]
    assert response.status_code == 413
    assert response.json() == {
        "code": "ISI_GZIP_TERLALU_BESAR",
        "message": "Isi berkas gzip terlalu besar: setelah dibuka lebih dari 4.198.400 byte. Untuk 4 "
        f"{rows_id} isi berkas paling besar 4.198.400 byte.",
        "message_en": f"The gzip file unpacks to more than 4,198,400 bytes. For {rows_en} 4 rows it may "
        "unpack to at most 4,198,400 bytes.",
        "rows": [],
        "limit_bytes": 4198400,
    }
    assert not Job.objects.filter(kind__in=("ingest_injection", "ingest_usage")).exists()
    assert not AuditEvent.objects.filter(
        action__in=("upload_injection_results", "upload_usage_report")
    ).exists()


def test_gzip_injection_results_within_the_limit_are_applied(scheduled):
    text = "pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n" + "".join(
        f"{r.pk},{r.phone_e164[1:]},BERHASIL,,35,\n" for r in scheduled
    )

    response = _client().post(
        f"/api/v1/disbursements/batches/{_batch().pk}/results",
        data=gzip.compress(text.encode()),
        content_type="application/gzip",
    )

    assert response.status_code == 200, response.content
    assert response.json()["counts"]["berhasil"] == 4
    assert response.json()["job_url"] == f"/api/v1/disbursements/jobs/{response.json()['job_id']}"
    assert Disbursement.objects.filter(status="BERHASIL").count() == 4


def test_a_json_body_on_an_upload_is_refused_415(scheduled):
    response = _client().post(
        f"/api/v1/disbursements/batches/{_batch().pk}/results",
        data=b'{"pd_id": "x"}',
        content_type="application/json",
    )

    assert (response.status_code, response.json()["code"]) == (415, "JENIS_ISI_TIDAK_DIDUKUNG")
    assert not Job.objects.filter(kind="ingest_injection").exists()


def test_a_number_sent_as_status_comes_back_masked_in_the_answer_the_job_and_the_report(scheduled, settings):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    r = scheduled[0]
    text = f"pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n{r.pk},{r.phone_e164[1:]},6281778404110,,,\n"
    client = _client()

    body = client.post(
        f"/api/v1/disbursements/batches/{_batch().pk}/results", data=text.encode(), content_type="text/csv"
    ).json()
    job = client.get(body["job_url"]).json()
    report = b"".join(client.get(body["issues_url"]).streaming_content).decode()

    assert [(i["code"], i["value"]) for i in body["issues"]] == [
        ("STATUS_INJEKSI_TIDAK_VALID", "0817****4110")
    ]
    assert [i["value"] for i in job["issues"]] == ["0817****4110"]
    assert job["period"] == _batch().period_id
    assert report.splitlines()[1].endswith(",0817****4110")
    assert "6281778404110" not in report
    # Stored masked too, not only masked on the way out.
    from verval.core.models import JobIssue

    assert list(JobIssue.objects.values_list("value", flat=True)) == ["0817****4110"]
