from __future__ import annotations

import gzip
import uuid
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from tests.sptjm.conftest import aktif, aktif_pinned, approve_all, make_period
from verval.core import files, jobs
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    return jobs.run(job.pk)


def _lines(batch: DisbursementBatch) -> list[str]:
    return gzip.decompress(files.absolute(batch.file_path).read_bytes()).decode().splitlines()


def test_batches_per_provider_carry_approved_recipients_with_their_package(
    operator, pusdatin, school, period
):
    tsel = aktif(school, 2)
    isat = aktif(
        school,
        1,
        operator="indosat",
        phone_raw="081500000001",
        phone_e164="+6281500000001",
        category="PTK",
        kind="PTK",
    )
    aktif(school, 1, status="RESIDU")
    approve_all(operator, pusdatin, school, period)

    job = _run(pusdatin, period)

    assert job.state == "SUCCEEDED", job.error_message_en
    assert (job.counts["scheduled"], job.counts["excluded"]) == (3, 0)
    tsel_batch = DisbursementBatch.objects.get(provider="telkomsel")
    assert tsel_batch.rows == 2
    assert tsel_batch.total_gb == Decimal("70")
    lines = _lines(tsel_batch)
    assert lines[0] == "pd_id,no_ponsel,kuota_gb,kategori"
    assert sorted(lines[1:]) == sorted(f"{r.pk},{r.phone_e164[1:]},35,DIKDASMEN" for r in tsel)
    assert _lines(DisbursementBatch.objects.get(provider="indosat"))[1:] == [
        f"{isat[0].pk},6281500000001,42,PTK"
    ]
    assert files.sha256_file(files.absolute(tsel_batch.file_path)) == tsel_batch.sha256
    assert Disbursement.objects.filter(status="DIJADWALKAN").count() == 3


def test_running_again_changes_nothing(operator, pusdatin, school, period):
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)

    again = _run(pusdatin, period)

    assert again.counts["scheduled"] == 0
    assert again.counts["batches"] == []
    assert DisbursementBatch.objects.count() == 1
    assert Disbursement.objects.count() == 2


def test_unapproved_documents_are_not_disbursed(operator, pusdatin, school, period):
    aktif(school, 2)
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert _run(pusdatin, period).counts["scheduled"] == 0


def test_a_fourth_recipient_on_one_number_is_excluded(operator, pusdatin, school, period):
    shared = aktif(school, 4, phone_raw="081233334444", phone_e164="+6281233334444")
    approve_all(operator, pusdatin, school, period)

    job = _run(pusdatin, period)

    assert job.counts["by_rule"] == {"MAKS_3_PAKET": 1}
    assert Disbursement.objects.filter(status="DIJADWALKAN").count() == 3
    excluded = Disbursement.objects.get(status="DIKECUALIKAN")
    assert excluded.rule == "MAKS_3_PAKET"
    assert excluded.batch is None
    assert excluded.recipient_id in {r.pk for r in shared}
    assert DisbursementBatch.objects.get().rows == 3


def test_2021_low_usage_in_previous_period_is_excluded_and_unchanged_numbers_carry(
    operator, pusdatin, school, period
):
    low, high, fresh = aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    Disbursement.objects.filter(period=period).update(status="BERHASIL")  # usage counts once delivered
    UsageReport.objects.create(
        period=period,
        provider="telkomsel",
        recipient_id=low.pk,
        phone_e164=low.phone_e164,
        usage_gb=Decimal("0.4"),
    )
    UsageReport.objects.create(
        period=period,
        provider="telkomsel",
        recipient_id=high.pk,
        phone_e164=high.phone_e164,
        usage_gb=Decimal("12"),
    )
    p2021 = make_period("2021-03", "2021", date(2021, 3, 1))

    job = _run(pusdatin, p2021)  # no new SPTJM: all three numbers are carried

    assert job.counts["by_rule"] == {"PEMAKAIAN_RENDAH": 1}
    assert job.counts["scheduled"] == 2
    assert Disbursement.objects.get(period=p2021, recipient=low).rule == "PEMAKAIAN_RENDAH"
    assert Disbursement.objects.get(period=p2021, recipient=fresh).package_gb == Decimal("10")


def test_2020_period_needs_its_own_sptjm(operator, pusdatin, school, period):
    aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    later = make_period("2020-10A", "2020", date(2020, 10, 1))
    assert _run(pusdatin, later).counts["scheduled"] == 0


def test_unknown_period_is_refused(pusdatin):
    from verval.sptjm.reasons import ActionRefused

    with pytest.raises(ActionRefused):
        actions.request_disbursement(actor=pusdatin, period_code="nope")


def test_a_failed_injection_goes_out_again_once_the_school_fixed_the_number(
    operator, pusdatin, school, period, tmp_path
):
    from verval.sptjm.services import apply_injection_results

    ok, bad = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    results = tmp_path / "hasil.csv"
    results.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        f"{ok.pk},{ok.phone_e164[1:]},BERHASIL,\n"
        f"{bad.pk},{bad.phone_e164[1:]},GAGAL,Nomor tidak aktif\n"
    )
    counts, issues = apply_injection_results(actor=None, batch=batch, path=results)
    assert (counts["berhasil"], counts["gagal"], issues) == (1, 1, [])
    assert _run(pusdatin, period).counts["scheduled"] == 0  # same number: not again

    Recipient = type(bad)
    Recipient.objects.filter(pk=bad.pk).update(phone_e164="+6281377778888", status="AKTIF")
    second = approve_all(operator, pusdatin, school, period)
    assert list(second.items.values_list("recipient_id", flat=True)) == [bad.pk]
    job = _run(pusdatin, period)

    assert (job.counts["scheduled"], job.counts["retried"]) == (1, 1)
    row = Disbursement.objects.get(recipient=bad, is_current=True)
    assert (row.status, row.phone_e164, row.attempts, row.reason) == ("DIJADWALKAN", "+6281377778888", 2, "")
    assert row.batch.seq == 2


def test_simulated_provider_injects_and_reports_through_the_api(operator, pusdatin, school, period):
    from verval.sptjm.simulator import simulate_injection

    aktif_pinned(school, *range(1, 11))  # seed 1 answers the fourth GAGAL
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)

    out = simulate_injection(period.code, fail_share=0.2, seed=1)

    assert (out["batches"], out["rows"], out["berhasil"], out["gagal"]) == (1, 10, 9, 1)
    assert list(Disbursement.objects.filter(status="GAGAL").values_list("recipient_id", flat=True)) == [
        uuid.UUID("00000000-0000-4000-8000-000000000004")
    ]
    recon = out["providers"]["telkomsel"]["periods"][period.code]["reconciliation"]
    assert (recon["ok"], recon["flags"]) == (True, [])
    assert UsageReport.objects.filter(period=period).count() == 9
    assert DisbursementBatch.objects.get().state == "SELESAI"


def test_disbursement_candidates_look_their_sptjm_items_up_by_recipient_and_period(period):  # type: ignore[no-untyped-def]
    # Through the (period, approved) index SQLite read every approved item of the period for each
    # recipient: 18 s for the demo's 3,800 candidates, and quadratic beyond.
    from django.db import connection

    from verval.sptjm.services import disbursement_candidates

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL plans from its statistics")
    sql, params = disbursement_candidates(period).query.sql_with_params()
    with connection.cursor() as c:
        c.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in c.fetchall()]
    item_lookups = [step for step in plan if step.startswith("SEARCH U0 USING") and "sptjm_item" in step]
    assert (
        item_lookups
        == ["SEARCH U0 USING INDEX sptjm_item_recipient_period (recipient_id=? AND period_id=?)"] * 3
    )


def test_verval_disburse_names_the_exclusion_rule_by_its_code(operator, pusdatin, school, period):
    aktif(school, 4, phone_raw="081233334444", phone_e164="+6281233334444")
    approve_all(operator, pusdatin, school, period)
    out = StringIO()

    call_command("disburse", "--period", period.code, stdout=out)

    assert out.getvalue().splitlines()[-1] == "SUCCEEDED: scheduled 3, excluded 1 (MAKS_3_PAKET 1), retried 0"
