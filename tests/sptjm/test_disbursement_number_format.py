"""A provider's number format in its disbursement batches (decision 0027, "Revision"): the batch
file writes no_ponsel as the provider's dumps do, through the dump's SQL on both databases; the
batch records it, its manifest, the API and the Penyaluran page name it; injection results and
usage give the number back in any of the three forms; the provider kit reads every format."""

from __future__ import annotations

import gzip
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from tests.sptjm.conftest import aktif, aktif_pinned, approve_all
from verval.core import files, jobs
from verval.core.models import AuditEvent
from verval.exchange import actions as exchange_actions
from verval.exchange.actions import issue_token
from verval.reference.models import Period
from verval.sptjm import actions, services
from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport

FORMATS = ("msisdn", "e164", "national")


def _written(e164: str, number_format: str) -> str:
    return {"msisdn": e164[1:], "e164": e164, "national": "0" + e164[3:]}[number_format]


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    return job


def _file(batch: DisbursementBatch) -> str:
    return gzip.decompress(files.absolute(batch.file_path).read_bytes()).decode()


def _client(provider: str = "telkomsel") -> Client:
    _, token = issue_token(actor=None, provider=provider)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def small_run(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    """Two Telkomsel recipients (one a teacher) and one Indosat recipient, approved."""
    tsel = aktif(school, 1, phone_raw="081211112222", phone_e164="+6281211112222")
    tsel += aktif(
        school, 1, kind="PTK", category="PTK", phone_raw="081233334444", phone_e164="+6281233334444"
    )
    isat = aktif(school, 1, operator="indosat", phone_raw="081500000001", phone_e164="+6281500000001")
    approve_all(operator, pusdatin, school, period)
    return {"telkomsel": tsel, "indosat": isat}


@pytest.mark.parametrize("number_format", FORMATS)
def test_a_disbursement_batch_writes_each_number_in_its_providers_format(
    small_run, pusdatin, period, number_format
):
    # Indosat keeps the national form throughout: one run writes two formats (a CASE per row).
    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    exchange_actions.set_number_format(actor=pusdatin, provider="indosat", number_format="national")

    _run(pusdatin, period)

    tsel = DisbursementBatch.objects.get(provider="telkomsel")
    lines = sorted(
        [
            f"{small_run['telkomsel'][0].pk},{_written('+6281211112222', number_format)},35,DIKDASMEN",
            f"{small_run['telkomsel'][1].pk},{_written('+6281233334444', number_format)},42,PTK",
        ]
    )
    assert tsel.number_format == number_format
    assert _file(tsel) == "pd_id,no_ponsel,kuota_gb,kategori\n" + "\n".join(lines) + "\n"
    assert files.sha256_file(files.absolute(tsel.file_path)) == tsel.sha256
    isat = DisbursementBatch.objects.get(provider="indosat")
    assert isat.number_format == "national"
    assert _file(isat) == (
        f"pd_id,no_ponsel,kuota_gb,kategori\n{small_run['indosat'][0].pk},081500000001,35,DIKDASMEN\n"
    )
    # The rows keep the number as stored: only the file is written in the provider's format.
    assert set(Disbursement.objects.filter(batch=tsel).values_list("phone_e164", flat=True)) == {
        "+6281211112222",
        "+6281233334444",
    }


def test_a_provider_without_a_setting_gets_its_batch_as_e164_without_plus(small_run, pusdatin, period):
    job = _run(pusdatin, period)

    batch = DisbursementBatch.objects.get(provider="telkomsel")
    assert batch.number_format == "msisdn"
    assert sorted(_file(batch).splitlines()[1:]) == sorted(
        [
            f"{small_run['telkomsel'][0].pk},6281211112222,35,DIKDASMEN",
            f"{small_run['telkomsel'][1].pk},6281233334444,42,PTK",
        ]
    )
    assert sorted((b["provider"], b["number_format"]) for b in job.counts["batches"]) == [
        ("indosat", "msisdn"),
        ("telkomsel", "msisdn"),
    ]


@pytest.mark.postgres
@pytest.mark.parametrize("number_format", FORMATS)
def test_the_set_based_run_writes_the_files_of_the_row_path_in_each_format(
    small_run, pusdatin, period, number_format
):
    assert connection.vendor == "postgresql"
    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    exchange_actions.set_number_format(actor=pusdatin, provider="indosat", number_format="e164")
    period = Period.objects.select_related("policy").get(pk=period.pk)
    seen = {}
    with transaction.atomic():
        for set_based in (False, True):
            sid = transaction.savepoint()
            services.disburse(actor=None, period=period, set_based=set_based)
            seen[set_based] = sorted(
                (b.provider, b.number_format, _file(b)) for b in DisbursementBatch.objects.all()
            )
            transaction.savepoint_rollback(sid)
    assert seen[True] == seen[False]
    assert [(p, f) for p, f, _text in seen[True]] == [("indosat", "e164"), ("telkomsel", number_format)]
    assert f",{_written('+6281211112222', number_format)},35,DIKDASMEN\n" in seen[True][1][2]


@pytest.mark.parametrize("number_format", FORMATS)
def test_the_manifest_the_batch_and_the_listing_name_the_batchs_number_format(
    small_run, pusdatin, period, number_format
):
    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get(provider="telkomsel")
    client = _client()

    manifest = client.get(f"/api/v1/disbursements/batches/{batch.pk}/manifest").json()
    one = client.get(f"/api/v1/disbursements/batches/{batch.pk}").json()
    listed = client.get("/api/v1/disbursements/batches").json()

    assert manifest["number_format"] == number_format
    assert manifest["columns"] == ["pd_id", "no_ponsel", "kuota_gb", "kategori"]
    assert manifest["sha256"] == batch.sha256
    assert one["number_format"] == number_format
    assert [(b["provider"], b["number_format"]) for b in listed] == [("telkomsel", number_format)]
    audit = AuditEvent.objects.get(action="publish_disbursement_batch", provider="telkomsel")
    assert audit.after["number_format"] == number_format


def test_a_format_changed_after_a_batch_applies_from_the_providers_next_batch(
    operator, pusdatin, school, period
):
    first = aktif(school, 1, phone_raw="081211112222", phone_e164="+6281211112222")
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    old = DisbursementBatch.objects.get()
    written = files.absolute(old.file_path).read_bytes()

    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="national")
    second = aktif(school, 1, phone_raw="081299990000", phone_e164="+6281299990000")
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)

    old.refresh_from_db()
    new = DisbursementBatch.objects.get(seq=2)
    assert (old.number_format, new.number_format) == ("msisdn", "national")
    assert files.absolute(old.file_path).read_bytes() == written  # a published file is never rewritten
    assert _file(old) == f"pd_id,no_ponsel,kuota_gb,kategori\n{first[0].pk},6281211112222,35,DIKDASMEN\n"
    assert _file(new) == f"pd_id,no_ponsel,kuota_gb,kategori\n{second[0].pk},081299990000,35,DIKDASMEN\n"
    assert services.manifest_of(old)["number_format"] == "msisdn"


def test_the_penyaluran_page_shows_each_batchs_number_format(small_run, pusdatin, period):
    exchange_actions.set_number_format(actor=pusdatin, provider="indosat", number_format="e164")
    _run(pusdatin, period)
    c = Client()
    c.force_login(pusdatin)

    html = c.get(f"/pusdatin/penyaluran/?periode={period.code}").content.decode()

    assert '<code>e164</code> <small class="muted">+628… (E.164 dengan +)</small>' in html
    assert '<code>msisdn</code> <small class="muted">628… (E.164 tanpa +, bawaan)</small>' in html


# ------------------------------------------------------------------ what the provider sends back


@pytest.fixture
def national_batch(operator, pusdatin, school, period, settings):  # type: ignore[no-untyped-def]
    # Some rows are refused on purpose: the refusal share is not the subject.
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="national")
    recipients = aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    return recipients


def _results(rows: list[str]) -> str:
    when = timezone.localtime().replace(microsecond=0).isoformat()
    return "pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n" + "".join(
        f"{row},BERHASIL,,35,{when}\n" for row in rows
    )


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize("batch_format", FORMATS)
def test_injection_results_are_accepted_with_the_number_in_any_form(
    operator, pusdatin, school, period, batch_format, form
):
    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=batch_format)
    r = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    text = _results([f"{x.pk},{_written(x.phone_e164, form)}" for x in r])

    response = _client().post(
        f"/api/v1/disbursements/batches/{batch.pk}/results", data=text.encode(), content_type="text/csv"
    )

    assert response.status_code == 200, response.content
    assert response.json()["issues"] == []
    assert response.json()["counts"]["berhasil"] == 2
    assert sorted(Disbursement.objects.values_list("status", flat=True)) == ["BERHASIL", "BERHASIL"]


def test_a_result_for_another_number_or_a_number_without_its_0_is_not_the_number_sent(national_batch):
    r = national_batch
    batch = DisbursementBatch.objects.get()
    text = _results(
        [
            f"{r[0].pk},{r[0].phone_e164[3:]}",  # 812… : the national form without its 0
            f"{r[1].pk},081299999999",  # another number, in the batch's own form
            f"{r[2].pk},{_written(r[2].phone_e164, 'national')}",
        ]
    )

    response = _client().post(
        f"/api/v1/disbursements/batches/{batch.pk}/results", data=text.encode(), content_type="text/csv"
    )

    assert response.status_code == 200, response.content
    assert [(i["line"], i["column"], i["code"]) for i in response.json()["issues"]] == [
        (2, "no_ponsel", "NOMOR_TIDAK_SESUAI"),
        (3, "no_ponsel", "NOMOR_TIDAK_SESUAI"),
    ]
    assert response.json()["counts"]["berhasil"] == 1


@pytest.mark.parametrize("form", FORMATS)
def test_usage_is_accepted_with_the_number_in_any_form(national_batch, period, form):
    r = national_batch
    batch = DisbursementBatch.objects.get()
    client = _client()
    answered = client.post(
        f"/api/v1/disbursements/batches/{batch.pk}/results",
        data=_results([f"{x.pk},{_written(x.phone_e164, 'national')}" for x in r]).encode(),
        content_type="text/csv",
    )
    assert answered.json()["counts"]["berhasil"] == 3
    text = "pd_id,no_ponsel,pemakaian_gb\n" + "".join(
        f"{x.pk},{_written(x.phone_e164, form)},{n + 1}.5\n" for n, x in enumerate(r)
    )

    response = client.post(
        f"/api/v1/reports/{period.code}/usage", data=text.encode(), content_type="text/csv"
    )

    assert response.status_code == 200, response.content
    assert response.json()["issues"] == []
    assert response.json()["counts"]["added"] == 3
    assert sorted(UsageReport.objects.values_list("phone_e164", "usage_gb")) == sorted(
        (x.phone_e164, Decimal(n) + Decimal("1.5")) for n, x in enumerate(r)
    )


# ------------------------------------------------------------------ the provider kit


@pytest.mark.parametrize("number_format", ["e164", "national"])
def test_the_provider_kit_injects_and_reports_a_batch_in_any_format(
    operator, pusdatin, school, period, number_format, tmp_path
):
    from verval.sptjm.simulator import simulate_injection

    exchange_actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    aktif_pinned(school, *range(1, 11))  # seed 1 answers the fourth GAGAL
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)

    out = simulate_injection(period.code, fail_share=0.2, seed=1, workdir=tmp_path)

    assert (out["batches"], out["rows"], out["refused"], out["berhasil"], out["gagal"]) == (1, 10, 0, 9, 1)
    report = out["providers"]["telkomsel"]["periods"][period.code]
    assert (report["usage"]["refused"], report["usage"]["added"]) == (0, 9)
    assert (report["reconciliation"]["ok"], report["reconciliation"]["flags"]) == (True, [])
    assert DisbursementBatch.objects.get().state == "SELESAI"
    # The simulated provider sends the numbers back as its batch wrote them.
    (sent,) = (tmp_path / "telkomsel").rglob("*.csv.gz")
    numbers = [line.split(",")[1] for line in gzip.decompress(sent.read_bytes()).decode().splitlines()[1:]]
    assert all(n.startswith("+628" if number_format == "e164" else "08") for n in numbers)
    assert services.manifest_of(DisbursementBatch.objects.get())["number_format"] == number_format
