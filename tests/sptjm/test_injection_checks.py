"""Injection results and usage reports: values that are not quantities (NaN, inf), implausible
rows (GAGAL without a reason or with quota, a time in the future or before the batch) and wrong
headers are refused with a code and a message that says what is wrong (SPEC §3 steps 11–12, §9)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.exchange.actions import issue_token
from verval.phones import mask
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport

HEADER = "pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n"


@pytest.fixture
def scheduled(operator, pusdatin, school, period, settings):  # type: ignore[no-untyped-def]
    # Each test sends a few rows, some refused on purpose: the refusal share is not the subject.
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    recipients = aktif(school, 4)
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    return recipients


def _client() -> Client:
    _, token = issue_token(actor=None, provider="telkomsel")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _post(text: str, url: str = ""):  # type: ignore[no-untyped-def]
    batch = DisbursementBatch.objects.get(provider="telkomsel")
    url = url or f"/api/v1/disbursements/batches/{batch.pk}/results"
    return _client().post(url, data=text.encode(), content_type="text/csv")


def _row(r, status: str, note: str = "", kuota: str = "", waktu: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"{r.pk},{r.phone_e164[1:]},{status},{note},{kuota},{waktu}\n"


def _issues(response) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(i["line"], i["column"], i["code"]) for i in response.json()["issues"]]


# ------------------------------------------------------------------ numbers that are no quantity


@pytest.mark.parametrize(
    "value", ["NaN", "nan", "NAN", "sNaN", "-nan", "inf", "-inf", "Infinity", "1e400000"]
)
def test_a_quota_that_is_not_a_finite_number_is_a_refused_row_not_a_server_error(scheduled, value):
    r = scheduled
    response = _post(HEADER + _row(r[0], "BERHASIL", kuota=value) + _row(r[1], "BERHASIL", kuota="35"))

    assert response.status_code == 200, response.content
    assert _issues(response) == [(2, "kuota_gb", "KUOTA_TIDAK_VALID")]
    assert response.json()["counts"]["berhasil"] == 1


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity"])
def test_a_usage_that_is_not_a_finite_number_is_a_refused_row_not_a_server_error(scheduled, period, value):
    r = scheduled
    assert _issues(_post(HEADER + _row(r[0], "BERHASIL"))) == []  # usage is taken for delivered rows only
    text = f"pd_id,no_ponsel,pemakaian_gb\n{r[0].pk},{r[0].phone_e164[1:]},{value}\n"

    response = _post(text, f"/api/v1/reports/{period.code}/usage")

    assert response.status_code == 200, response.content
    assert _issues(response) == [(2, "pemakaian_gb", "PEMAKAIAN_TIDAK_VALID")]
    assert not UsageReport.objects.exists()


@pytest.mark.parametrize("value", ["-0", "-0.00", "0"])
def test_a_negative_zero_quota_or_usage_reads_as_zero(scheduled, period, value):
    r = scheduled
    injected = _post(HEADER + _row(r[0], "BERHASIL", kuota=value))
    usage = _post(
        f"pd_id,no_ponsel,pemakaian_gb\n{r[0].pk},{r[0].phone_e164[1:]},{value}\n",
        f"/api/v1/reports/{period.code}/usage",
    )

    assert (_issues(injected), _issues(usage)) == ([], [])
    row = Disbursement.objects.get(recipient=r[0])
    report = UsageReport.objects.get(recipient_id=r[0].pk)
    assert (str(row.reported_gb), str(report.usage_gb)) == ("0.00", "0.00")


def test_a_negative_quota_that_rounds_to_zero_is_still_refused(scheduled):
    response = _post(HEADER + _row(scheduled[0], "BERHASIL", kuota="-0.001"))

    assert _issues(response) == [(2, "kuota_gb", "KUOTA_TIDAK_VALID")]


# ------------------------------------------------------------------ GAGAL rows


def test_a_gagal_row_without_a_reason_is_refused(scheduled):
    r = scheduled
    response = _post(HEADER + _row(r[0], "GAGAL") + _row(r[1], "GAGAL", note="Nomor tidak aktif"))

    issue = response.json()["issues"][0]
    assert (issue["line"], issue["column"], issue["code"]) == (2, "keterangan", "ALASAN_GAGAL_WAJIB")
    assert issue["message"] == "Baris GAGAL wajib menyebutkan alasannya di kolom keterangan."
    assert issue["message_en"] == "A GAGAL row must give its reason in the keterangan column."
    assert Disbursement.objects.get(recipient=r[0]).status == "DIJADWALKAN"
    assert Disbursement.objects.get(recipient=r[1]).reason == "Nomor tidak aktif"


def test_a_file_sent_again_without_keterangan_keeps_the_stored_reason(scheduled):
    r = scheduled
    _post(HEADER + _row(r[0], "GAGAL", note="Nomor dalam masa tenggang"))

    again = _post(f"pd_id,no_ponsel,status\n{r[0].pk},{r[0].phone_e164[1:]},GAGAL\n")

    assert _issues(again) == []
    assert again.json()["counts"]["unchanged"] == 1
    row = Disbursement.objects.get(recipient=r[0])
    assert (row.status, row.reason) == ("GAGAL", "Nomor dalam masa tenggang")


def test_a_gagal_row_carrying_quota_is_refused(scheduled):
    r = scheduled
    response = _post(
        HEADER
        + _row(r[0], "GAGAL", note="Nomor tidak aktif", kuota="35")
        + _row(r[1], "GAGAL", note="Nomor tidak aktif", kuota="0")
    )

    assert _issues(response) == [(2, "kuota_gb", "KUOTA_PADA_GAGAL")]
    assert response.json()["issues"][0]["message_en"] == (
        "A GAGAL row cannot carry a kuota_gb above 0: no quota was delivered. Leave kuota_gb empty."
    )
    assert Disbursement.objects.get(recipient=r[0]).status == "DIJADWALKAN"
    assert (
        Disbursement.objects.get(recipient=r[1]).status,
        Disbursement.objects.get(recipient=r[1]).reported_gb,
    ) == (
        "GAGAL",
        None,
    )


def test_an_injection_time_in_the_future_is_refused(scheduled):
    r = scheduled
    now = timezone.localtime().replace(microsecond=0)
    response = _post(
        HEADER
        + _row(r[0], "BERHASIL", waktu=(now + timedelta(hours=2)).isoformat())
        + _row(r[1], "BERHASIL", waktu=(now + timedelta(minutes=30)).isoformat())  # clock skew
    )

    assert _issues(response) == [(2, "waktu", "WAKTU_DI_MASA_DEPAN")]
    assert Disbursement.objects.get(recipient=r[0]).status == "DIJADWALKAN"
    assert Disbursement.objects.get(recipient=r[1]).status == "BERHASIL"


def test_an_injection_time_before_the_batch_was_created_is_refused(scheduled):
    r = scheduled
    created = DisbursementBatch.objects.get(provider="telkomsel").created_at
    response = _post(
        HEADER
        + _row(r[0], "BERHASIL", waktu="2020-09-21T10:00:00+07:00")
        + _row(r[1], "BERHASIL", waktu=(created - timedelta(hours=2)).isoformat())
        + _row(r[2], "BERHASIL", waktu=(created - timedelta(minutes=5)).isoformat())  # clock skew
    )

    assert _issues(response) == [(2, "waktu", "WAKTU_SEBELUM_BATCH"), (3, "waktu", "WAKTU_SEBELUM_BATCH")]
    assert Disbursement.objects.get(recipient=r[2]).status == "BERHASIL"


def test_a_refused_injection_time_comes_back_as_written_and_its_number_masked(scheduled):
    # Decision 0136: the walk of 0133 read `20****01T00:00:00` for the time it sent.
    r = scheduled
    response = _post(
        HEADER
        + _row(r[0], "BERHASIL", waktu="2020-01-01T00:00:00")
        + _row(r[1], "BERHASIL", waktu="2020-09-21T10:00:00+07:00")
        + f"{r[2].pk},0812-3456-7890,BERHASIL,,,\n"
    )

    assert [(i["line"], i["column"], i["code"], i["value"]) for i in response.json()["issues"]] == [
        (2, "waktu", "WAKTU_SEBELUM_BATCH", "2020-01-01T00:00:00"),
        (3, "waktu", "WAKTU_SEBELUM_BATCH", "2020-09-21T10:00:00+07:00"),
        (4, "no_ponsel", "NOMOR_TIDAK_VALID", "0812****7890"),
    ]
    report = _client().get(f"/api/v1/disbursements/jobs/{response.json()['job_id']}/issues")
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert ",2020-01-01T00:00:00\r\n" in text and "0812-3456-7890" not in text and "0812****7890" in text


def test_a_utc_time_without_an_offset_is_read_as_wib_and_the_refusal_names_the_batchs_time(scheduled):
    r = scheduled
    created = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    DisbursementBatch.objects.filter(provider="telkomsel").update(created_at=created)
    # The platform injected an hour after the batch and logged it in UTC, without an offset.
    utc = (created + timedelta(hours=1)).astimezone(ZoneInfo("UTC"))
    response = _post(
        HEADER
        + _row(r[0], "BERHASIL", waktu=utc.strftime("%Y-%m-%dT%H:%M:%S"))
        + _row(r[1], "BERHASIL", waktu=utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    )

    assert _issues(response) == [(2, "waktu", "WAKTU_SEBELUM_BATCH")]
    wib = created.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M:%S+07:00")
    (refused,) = response.json()["issues"]
    assert refused["message"] == (
        "waktu injeksi lebih dari 1 jam lebih awal daripada pembuatan batch penyaluran "
        f"({wib} WIB). Waktu tanpa zona waktu dibaca sebagai WIB (+07:00): jika platform "
        "Anda mencatat UTC, tulis zonanya (2020-09-10T01:15:00Z atau +00:00)."
    )
    assert refused["message_en"] == (
        "waktu (injection time) is more than 1 hour earlier than the creation of the disbursement "
        f"batch ({wib} WIB). A time without an offset is read as WIB (+07:00): if your platform "
        "logs UTC, write its offset (2020-09-10T01:15:00Z or +00:00)."
    )
    assert Disbursement.objects.get(recipient=r[1]).status == "BERHASIL"


# ------------------------------------------------------------------ headers


def test_a_wrong_results_header_names_the_unexpected_and_missing_columns(scheduled):
    response = _post("pd_id,nomor,status,catatan\nx,y,z,w\n")

    body = response.json()
    assert (response.status_code, body["code"]) == (422, "KOLOM_SALAH")
    assert body["message"] == (
        "Judul kolom tidak sesuai format. Kolom tidak dikenal: nomor, catatan. "
        "Kolom wajib yang tidak ada: no_ponsel. "
        "Judul yang diharapkan: pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]"
    )
    assert body["message_en"] == (
        "The header does not match the format. Unexpected column(s): nomor, catatan. "
        "Missing column(s): no_ponsel. "
        "Expected header: pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]"
    )


def test_a_wrong_usage_header_names_the_missing_column_and_the_expected_header(scheduled, period):
    response = _post("pd_id,no_ponsel,pemakaian\nx,y,1\n", f"/api/v1/reports/{period.code}/usage")

    assert (response.status_code, response.json()["code"]) == (422, "KOLOM_SALAH")
    assert response.json()["message_en"] == (
        "The header does not match the format. Unexpected column(s): pemakaian. "
        "Missing column(s): pemakaian_gb. Expected header: pd_id,no_ponsel,pemakaian_gb"
    )


def test_a_results_file_without_its_header_row_names_its_first_row_with_the_number_masked(scheduled):
    r = scheduled[0]
    response = _post(f"{r.pk},{r.phone_e164[1:]},BERHASIL\n")

    body = response.json()
    assert body["code"] == "KOLOM_SALAH"
    assert body["message_en"] == (
        f"The header does not match the format. Unexpected column(s): {r.pk}, {mask(r.phone_e164)}, berhasil. "
        "Missing column(s): pd_id, no_ponsel, status. "
        "Expected header: pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]"
    )
    assert r.phone_e164[1:] not in body["message"]


def test_a_results_header_with_a_column_twice_says_which(scheduled):
    response = _post("pd_id,no_ponsel,status,status\nx,y,z,w\n")

    assert response.json()["message_en"] == (
        "The header does not match the format. Duplicate column(s): status. "
        "Expected header: pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]"
    )
