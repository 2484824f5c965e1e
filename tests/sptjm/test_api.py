from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.core.models import AuditEvent, Job
from verval.exchange.actions import issue_token
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport


@pytest.fixture
def scheduled(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    recipients = aktif(school, 4)
    aktif(school, 1, operator="indosat", phone_raw="081500000009", phone_e164="+6281500000009")
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    return recipients


def _client(provider: str = "telkomsel") -> Client:
    _, token = issue_token(actor=None, provider=provider)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _post_csv(client: Client, url: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(url, data=text.encode(), content_type="text/csv")


def _batch() -> DisbursementBatch:
    return DisbursementBatch.objects.get(provider="telkomsel")


def _results(recipients, statuses) -> str:  # type: ignore[no-untyped-def]
    lines = ["pd_id,no_ponsel,status,keterangan,kuota_gb,waktu"]
    when = timezone.localtime().replace(microsecond=0).isoformat()  # after the batch was made
    for r, s in zip(recipients, statuses, strict=True):
        note = "Nomor tidak aktif saat injeksi" if s == "GAGAL" else ""
        lines.append(f"{r.pk},{r.phone_e164[1:]},{s},{note},{'35' if s == 'BERHASIL' else ''},{when}")
    return "\n".join(lines) + "\n"


def test_provider_lists_and_downloads_only_its_own_batches(scheduled):
    client = _client()
    listed = client.get("/api/v1/disbursements/batches").json()
    assert [(b["provider"], b["rows"], b["total_gb"]) for b in listed] == [("telkomsel", 4, "140")]

    batch = _batch()
    response = client.get(f"/api/v1/disbursements/batches/{batch.pk}/file")
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["ETag"] == f'"{batch.sha256}"'
    assert gzip.decompress(body).decode().splitlines()[0] == "pd_id,no_ponsel,kuota_gb,kategori"
    assert (
        client.get(
            f"/api/v1/disbursements/batches/{batch.pk}/file", HTTP_IF_NONE_MATCH=f'"{batch.sha256}"'
        ).status_code
        == 304
    )
    ranged = client.get(f"/api/v1/disbursements/batches/{batch.pk}/file", HTTP_RANGE="bytes=10-")
    assert ranged.status_code == 206
    assert b"".join(ranged.streaming_content) == body[10:]
    batch.refresh_from_db()
    assert batch.state == "DIAMBIL"
    # One audit row per call (decision 0136; was two for a GET that moved the batch).
    rows = AuditEvent.objects.filter(object_id=str(batch.pk), action__contains="download").order_by("id")
    assert [(e.action, e.before, e.after, e.note[:6]) for e in rows] == [
        (
            "download_disbursement_batch",
            {"state": "TERBIT"},
            {"status": 200, "method": "GET", "range": "", "state": "DIAMBIL"},
            "token ",
        ),
        ("download_disbursement_batch", None, {"status": 304, "method": "GET", "range": ""}, "token "),
        (
            "download_disbursement_batch",
            None,
            {"status": 206, "method": "GET", "range": "bytes=10-"},
            "token ",
        ),
    ]
    assert not AuditEvent.objects.filter(action="api_download_disbursement_batch").exists()

    other = _client("indosat")
    assert other.get(f"/api/v1/disbursements/batches/{batch.pk}/file").status_code == 404
    assert Client().get("/api/v1/disbursements/batches").status_code == 401


def test_every_disbursement_download_call_writes_one_audit_row_and_only_the_first_moves_the_batch(scheduled):
    # docs/api.md "Audit": one row per call, the download's action (decision 0136).
    from verval.core import files

    client = _client()
    batch = _batch()
    url = f"/api/v1/disbursements/batches/{batch.pk}/file"
    assert client.head(url).status_code == 200
    assert _batch().state == "TERBIT"  # a HEAD reads no file
    for _ in range(2):
        b"".join(client.get(url).streaming_content)
    files.absolute(batch.file_path).unlink()
    assert client.get(url).status_code == 410

    rows = AuditEvent.objects.filter(object_id=str(batch.pk)).exclude(action="publish_disbursement_batch")
    assert [(e.action, e.before, e.after) for e in rows.order_by("id")] == [
        ("download_disbursement_batch", None, {"status": 200, "method": "HEAD", "range": ""}),
        (
            "download_disbursement_batch",
            {"state": "TERBIT"},
            {"status": 200, "method": "GET", "range": "", "state": "DIAMBIL"},
        ),
        ("download_disbursement_batch", None, {"status": 200, "method": "GET", "range": ""}),
        ("download_disbursement_batch", None, {"status": 410, "method": "GET"}),
    ]
    assert _batch().state == "DIAMBIL"


def test_injection_results_apply_and_the_same_file_twice_changes_nothing(scheduled):
    client = _client()
    url = f"/api/v1/disbursements/batches/{_batch().pk}/results"
    text = _results(scheduled, ["BERHASIL", "BERHASIL", "BERHASIL", "GAGAL"])

    first = _post_csv(client, url, text)

    assert first.status_code == 200, first.content
    assert {
        k: first.json()["counts"][k] for k in ("rows", "berhasil", "gagal", "unchanged", "refused", "pending")
    } == {"rows": 4, "berhasil": 3, "gagal": 1, "unchanged": 0, "refused": 0, "pending": 0}
    failed = Disbursement.objects.get(status="GAGAL")
    assert failed.reason == "Nomor tidak aktif saat injeksi"
    assert _batch().state == "SELESAI"
    second = _post_csv(client, url, text)
    assert second.json()["counts"]["unchanged"] == 4
    assert second.json()["counts"]["berhasil"] == 0
    job = client.get(f"/api/v1/disbursements/jobs/{second.json()['job_id']}")
    assert job.json()["state"] == "SUCCEEDED"


def test_a_file_with_too_many_bad_rows_is_refused_whole(scheduled):
    client = _client()
    url = f"/api/v1/disbursements/batches/{_batch().pk}/results"
    text = _results(scheduled[:3], ["BERHASIL"] * 3) + f"{scheduled[3].pk},6289999999999,BERHASIL,,,\n"

    response = _post_csv(client, url, text)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "TERLALU_BANYAK_DITOLAK"
    assert body["rows"][0]["code"] == "NOMOR_TIDAK_SESUAI"
    assert (
        body["rows"][0]["message_en"] == "no_ponsel differs from the number sent in the disbursement batch."
    )
    assert body["rows"][0]["line"] == 5
    assert Disbursement.objects.filter(status="BERHASIL").count() == 0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "BERKAS_KOSONG"),
        ("pd_id;no_ponsel;status\n", "PEMISAH_SALAH"),
        ("pd_id,nomor,status\nx,y,z\n", "KOLOM_SALAH"),
    ],
)
def test_structurally_wrong_files_are_refused(scheduled, text, code):
    response = _post_csv(_client(), f"/api/v1/disbursements/batches/{_batch().pk}/results", text)
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_row_checks_name_each_problem(scheduled, settings):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    r = scheduled
    text = (
        "pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n"
        f"{r[0].pk},{r[0].phone_e164[1:]},BERHASIL,,35,\n"
        f"{r[0].pk},{r[0].phone_e164[1:]},BERHASIL,,35,\n"
        f"{r[1].pk},{r[1].phone_e164[1:]},SUKSES,,,\n"
        f"{r[2].pk},{r[2].phone_e164[1:]},BERHASIL,,banyak,\n"
        f"{r[3].pk},{r[3].phone_e164[1:]},BERHASIL,,,kemarin\n"
        "not-a-uuid,6281200000000,BERHASIL,,,\n"
    )
    body = _post_csv(_client(), f"/api/v1/disbursements/batches/{_batch().pk}/results", text).json()
    assert [(i["line"], i["code"]) for i in body["issues"]] == [
        (3, "DUPLIKAT"),
        (4, "STATUS_INJEKSI_TIDAK_VALID"),
        (5, "KUOTA_TIDAK_VALID"),
        (6, "WAKTU_TIDAK_VALID"),
        (7, "PD_ID_TIDAK_VALID"),
    ]
    assert body["counts"]["berhasil"] == 1


def test_berhasil_cannot_turn_into_gagal(scheduled):
    client = _client()
    url = f"/api/v1/disbursements/batches/{_batch().pk}/results"
    _post_csv(client, url, _results(scheduled, ["BERHASIL"] * 4))
    response = _post_csv(client, url, _results(scheduled, ["BERHASIL"] * 3 + ["GAGAL"]))
    assert response.status_code == 422  # 1 of 4 rows refused is above 5 %
    assert response.json()["rows"][0]["code"] == "BERTENTANGAN_INJEKSI"
    assert Disbursement.objects.filter(status="BERHASIL").count() == 4


def test_usage_and_recap_feed_the_reconciliation(scheduled, period):
    client = _client()
    _post_csv(
        client,
        f"/api/v1/disbursements/batches/{_batch().pk}/results",
        _results(scheduled, ["BERHASIL"] * 3 + ["GAGAL"]),
    )
    delivered = scheduled[:3]  # usage only of delivered recipients (decision 0021)
    usage = "pd_id,no_ponsel,pemakaian_gb\n" + "".join(
        f"{r.pk},{r.phone_e164[1:]},{i}.5\n" for i, r in enumerate(delivered)
    )

    response = _post_csv(client, f"/api/v1/reports/{period.code}/usage", usage)

    assert response.status_code == 200, response.content
    assert response.json()["counts"]["added"] == 3
    assert UsageReport.objects.get(recipient_id=scheduled[0].pk).usage_gb == Decimal("0.5")
    recap = client.put(
        f"/api/v1/reports/{period.code}/recap",
        data=json.dumps({"sent": 4, "injected": 3, "failed": 1, "gb": "105"}),
        content_type="application/json",
    )
    assert recap.status_code == 200, recap.content
    assert recap.json()["ok"] is True
    assert recap.json()["flags"] == []
    wrong = client.put(
        f"/api/v1/reports/{period.code}/recap",
        data=json.dumps({"sent": 5, "injected": 4, "failed": 1, "gb": "140"}),
        content_type="application/json",
    ).json()
    assert wrong["flags"] == ["TERKIRIM_BERBEDA", "BERHASIL_BERBEDA", "GB_BERBEDA"]
    assert _client("indosat").get(f"/api/v1/reports/{period.code}/reconciliation").json()["sent"] == 1


def test_injected_quota_is_rounded_to_cents_and_one_that_rounds_to_10000_gb_is_refused(scheduled, settings):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    r = scheduled
    text = (
        "pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n"
        f"{r[0].pk},{r[0].phone_e164[1:]},BERHASIL,,35.004,\n"
        f"{r[1].pk},{r[1].phone_e164[1:]},BERHASIL,,9999.994,\n"
        f"{r[2].pk},{r[2].phone_e164[1:]},BERHASIL,,9999.995,\n"
    )
    body = _post_csv(_client(), f"/api/v1/disbursements/batches/{_batch().pk}/results", text).json()
    assert [(i["line"], i["code"]) for i in body["issues"]] == [(4, "KUOTA_TIDAK_VALID")]
    assert sorted(Disbursement.objects.exclude(reported_gb=None).values_list("reported_gb", flat=True)) == [
        Decimal("35.00"),
        Decimal("9999.99"),
    ]


@pytest.mark.parametrize(
    "recap",
    [
        {"sent": 4, "injected": 3, "failed": 1, "gb": 123456789012345678901234567890},
        {"sent": 4, "injected": 3, "failed": 1, "gb": "1e12"},
        {"sent": 99999999999999999999999, "injected": 3, "failed": 1, "gb": "105"},
        {"sent": 2_147_483_648, "injected": 3, "failed": 1, "gb": "105"},
        {"sent": 4, "injected": -1, "failed": 1, "gb": "105"},
    ],
)
def test_a_recap_that_does_not_fit_is_refused_and_the_reconciliation_still_reads(scheduled, period, recap):
    client = _client()
    url = f"/api/v1/reports/{period.code}/recap"
    good = {"sent": 4, "injected": 3, "failed": 1, "gb": "105.005"}
    assert (
        client.put(url, data=json.dumps(good), content_type="application/json").json()["recap_gb"] == "105.01"
    )

    response = client.put(url, data=json.dumps(recap), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "REKAP_TIDAK_VALID"
    after = client.get(f"/api/v1/reports/{period.code}/reconciliation")
    assert after.status_code == 200
    assert (after.json()["recap_sent"], after.json()["recap_injected"], after.json()["recap_gb"]) == (
        4,
        3,
        "105.01",
    )


def test_counts_of_a_refused_injection_file_claim_nothing_injected(scheduled):
    client = _client()
    url = f"/api/v1/disbursements/batches/{_batch().pk}/results"
    text = _results(scheduled[:3], ["BERHASIL"] * 3) + f"{scheduled[3].pk},6289999999999,BERHASIL,,,\n"

    response = _post_csv(client, url, text)

    assert response.status_code == 422
    assert response.json()["counts"] == {"rows": 4, "refused": 1}


def test_injection_upload_larger_than_the_batch_allows_is_refused_with_413(scheduled):
    limit = (1 << 20) + 4 * 512  # the batch holds 4 rows
    text = "pd_id,no_ponsel,status\n" + "x" * (limit - 23 + 1)

    response = _post_csv(_client(), f"/api/v1/disbursements/batches/{_batch().pk}/results", text)

    assert (response.status_code, response.json()["limit_bytes"]) == (413, limit)
    assert not Job.objects.filter(kind="ingest_injection").exists()


def test_usage_upload_larger_than_the_period_allows_is_refused_with_413(scheduled, period):
    limit = (1 << 20) + 4 * 512  # telkomsel was sent 4 rows in the period
    text = "pd_id,no_ponsel,pemakaian_gb\n" + "x" * limit

    response = _post_csv(_client(), f"/api/v1/reports/{period.code}/usage", text)

    assert (response.status_code, response.json()["limit_bytes"]) == (413, limit)
    assert response.json()["message_en"] == (
        f"File too large: {len(text):,} bytes. For the period's 4 rows the limit is {limit:,} bytes."
    )


def test_head_of_a_disbursement_file_does_not_mark_it_downloaded(scheduled):
    batch = _batch()

    response = _client().head(f"/api/v1/disbursements/batches/{batch.pk}/file")

    assert (response.status_code, response["Content-Length"]) == (200, str(batch.size))
    batch.refresh_from_db()
    assert batch.state == "TERBIT"


def test_head_on_the_report_of_an_injection_job_answers_the_get_headers_without_the_body(scheduled):
    client = _client()
    url = f"/api/v1/disbursements/batches/{_batch().pk}/results"
    text = _results(scheduled[:3], ["BERHASIL"] * 3) + f"{scheduled[3].pk},6289999999999,BERHASIL,,,\n"
    report_url = _post_csv(client, url, text).json()["issues_url"]
    got = client.get(report_url)
    assert b"NOMOR_TIDAK_SESUAI" in b"".join(got.streaming_content)

    response = client.head(report_url)

    assert (response.status_code, b"".join(response.streaming_content)) == (200, b"")
    assert dict(response.headers) == dict(got.headers)
    assert _client("indosat").head(report_url).status_code == 404
    methods = AuditEvent.objects.filter(action="download_job_report").order_by("id")
    assert [e.after["method"] for e in methods] == ["GET", "HEAD"]


def test_an_injection_row_refused_for_its_pd_id_names_that_pd_id(scheduled, settings):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    r = scheduled
    stranger = "0b8e3c1e-5f7a-4d2b-9c1e-3a4b5c6d7e8f"
    text = (
        "pd_id,no_ponsel,status\n"
        f"{r[0].pk},{r[0].phone_e164[1:]},BERHASIL\n"
        f"{str(r[0].pk).upper()},{r[0].phone_e164[1:]},BERHASIL\n"
        f"{stranger},6281200000000,BERHASIL\n"
        "nomor-6281234567890,6281200000000,BERHASIL\n"
    )
    body = _post_csv(_client(), f"/api/v1/disbursements/batches/{_batch().pk}/results", text).json()
    assert [(i["line"], i["code"], i["value"]) for i in body["issues"]] == [
        (3, "DUPLIKAT", str(r[0].pk)),
        (4, "BUKAN_PENERIMA_PROVIDER", stranger),
        (5, "PD_ID_TIDAK_VALID", "nomor-0812****7890"),
    ]


def test_a_usage_row_refused_for_its_pd_id_names_that_pd_id(scheduled, period, settings):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    r = scheduled
    client = _client()
    _post_csv(
        client,
        f"/api/v1/disbursements/batches/{_batch().pk}/results",
        _results(r, ["BERHASIL"] * 3 + ["GAGAL"]),
    )
    stranger = "0b8e3c1e-5f7a-4d2b-9c1e-3a4b5c6d7e8f"
    text = (
        "pd_id,no_ponsel,pemakaian_gb\n"
        f"{r[0].pk},{r[0].phone_e164[1:]},1.5\n"
        f"{r[0].pk},{r[0].phone_e164[1:]},2.5\n"
        f"{r[3].pk},{r[3].phone_e164[1:]},0.5\n"
        f"{stranger},6281200000000,0.5\n"
        "bukan-uuid,6281200000000,0.5\n"
    )
    body = _post_csv(client, f"/api/v1/reports/{period.code}/usage", text).json()
    assert [(i["line"], i["code"], i["value"]) for i in body["issues"]] == [
        (3, "DUPLIKAT", str(r[0].pk)),
        (4, "INJEKSI_TIDAK_BERHASIL", str(r[3].pk)),
        (5, "BUKAN_PENERIMA_PROVIDER", stranger),
        (6, "PD_ID_TIDAK_VALID", "bukan-uuid"),
    ]


# A client that puts a number where the period goes gets it back masked.
@pytest.mark.address_typed_by_a_client
def test_a_report_for_an_unknown_period_names_the_period_and_where_the_codes_are(scheduled):
    client = _client()
    usage = _post_csv(client, "/api/v1/reports/2020-13-T9/usage", "pd_id,no_ponsel,pemakaian_gb\n")
    recap = client.put(
        "/api/v1/reports/0812345678901/recap",
        data=json.dumps({"sent": 1, "injected": 1, "failed": 0, "gb": 1}),
        content_type="application/json",
    )
    reconciliation = client.get("/api/v1/reports/2020-13-T9/reconciliation")
    assert [(r.status_code, r.json()["code"]) for r in (usage, recap, reconciliation)] == [
        (404, "TIDAK_DITEMUKAN")
    ] * 3
    assert (usage.json()["message"], usage.json()["message_en"]) == (
        "Periode 2020-13-T9 tidak dikenal. Kode periode didaftar oleh GET /api/v1/periods.",
        "Unknown period 2020-13-T9: GET /api/v1/periods lists the period codes.",
    )
    assert (
        recap.json()["message_en"]
        == "Unknown period 0812*****8901: GET /api/v1/periods lists the period codes."
    )
