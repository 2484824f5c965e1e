"""The set-based disbursement (PostgreSQL) against the row-by-row one (SQLite's, and the reference):
the same rows, rules, batches and batch-file lines on a data set that fires every rule
(docs/decisions/0012-disbursement-at-scale.md)."""

from __future__ import annotations

import gzip
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import files
from verval.reference.models import Period, QuotaRule
from verval.registry.models import Recipient
from verval.sptjm import services
from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport

pytestmark = pytest.mark.postgres


def _snapshot(period: Period) -> tuple[list[Any], list[Any]]:
    rows = sorted(
        (
            str(d.recipient_id),
            d.attempts,  # a recipient has a row per attempt
            d.provider,
            (d.batch.provider, d.batch.seq) if d.batch else None,
            d.sptjm_item_id,
            d.school_id,
            d.phone_e164,
            d.category,
            d.package_gb,
            d.status,
            d.rule,
            d.reason,
            d.reported_gb,
            d.reported_at,
            d.result_job_id,
            d.is_current,
            d.is_duplicate,
            # A retried recipient's earlier row is kept untouched (its updated_at too) on both paths.
            d.updated_at if not d.is_current else None,
        )
        for d in Disbursement.objects.filter(period=period).select_related("batch")
    )
    batches = [
        (
            b.provider,
            b.seq,
            b.rows,
            b.total_gb,
            b.state,
            gzip.decompress(files.absolute(b.file_path).read_bytes()),
        )
        for b in DisbursementBatch.objects.filter(period=period).order_by("provider", "seq")
    ]
    return rows, batches


def _counts(counts: dict[str, Any]) -> dict[str, Any]:
    """The job's counts without what names a file or a row id (they differ between runs)."""
    return {
        **counts,
        "batches": [
            {k: v for k, v in b.items() if k not in ("id", "file", "sha256")} for b in counts["batches"]
        ],
    }


def _both_ways(period: Period) -> dict[str, Any]:
    """Disburse with the row path, note everything, roll it back; then the set-based path (kept)."""
    period = Period.objects.select_related("policy").get(pk=period.pk)
    seen = {}
    for set_based in (False, True):
        sid = transaction.savepoint()
        counts = services.disburse(actor=None, period=period, set_based=set_based)
        seen[set_based] = (_counts(counts), _snapshot(period))
        if set_based:
            transaction.savepoint_commit(sid)
        else:
            transaction.savepoint_rollback(sid)
    assert seen[True] == seen[False]
    return seen[True][0]


def _report(tmp_path, batch: DisbursementBatch, failed: set[Any]):  # type: ignore[no-untyped-def]
    lines = ["pd_id,no_ponsel,status,keterangan"]
    for d in Disbursement.objects.filter(batch=batch):
        status = "GAGAL,Nomor tidak aktif" if d.recipient_id in failed else "BERHASIL,"
        lines.append(f"{d.recipient_id},{d.phone_e164[1:]},{status}")
    path = tmp_path / f"hasil-{batch.provider}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_set_based_disbursement_gives_the_rows_and_files_of_the_row_path(
    operator, pusdatin, school, period, tmp_path
):
    assert connection.vendor == "postgresql"
    shared = aktif(school, 4, phone_raw="081233334444", phone_e164="+6281233334444")
    ok, bad, low = aktif(school, 3)
    paud = aktif(school, 2, category="PAUD", grade=None)
    aktif(
        school,
        1,
        kind="PTK",
        category="PTK",
        operator="indosat",
        phone_raw="081500000001",
        phone_e164="+6281500000001",
    )
    aktif(school, 1, operator="")  # no provider: never a candidate
    aktif(school, 1, status="RESIDU")
    approve_all(operator, pusdatin, school, period)

    # 1. First run of a 2020 period: the fourth recipient on one number is excluded.
    first = _both_ways(period)
    assert first["by_rule"] == {"MAKS_3_PAKET": 1}
    assert (first["scheduled"], first["retried"]) == (9, 0)

    # 2. A failed injection, a number fixed for it and for the excluded recipient, a fifth recipient
    # on the shared number (which already holds three packages): two retries and one exclusion.
    excluded = Disbursement.objects.get(period=period, status="DIKECUALIKAN").recipient_id
    for batch in DisbursementBatch.objects.filter(period=period):
        services.apply_injection_results(actor=None, batch=batch, path=_report(tmp_path, batch, {bad.pk}))
    Recipient.objects.filter(pk=bad.pk).update(phone_raw="081377778888", phone_e164="+6281377778888")
    Recipient.objects.filter(pk=excluded).update(phone_raw="081399990000", phone_e164="+6281399990000")
    fifth = aktif(school, 1, phone_raw="081233334444", phone_e164="+6281233334444")[0]
    approve_all(operator, pusdatin, school, period)

    second = _both_ways(period)
    assert (second["scheduled"], second["retried"], second["by_rule"]) == (2, 2, {"MAKS_3_PAKET": 1})
    assert Disbursement.objects.get(period=period, recipient=fifth).rule == "MAKS_3_PAKET"
    assert Disbursement.objects.get(period=period, recipient=bad, is_current=True).attempts == 2

    # 3. A 2021 period (numbers carried from 2020's SPTJMs): low usage in the previous period, a
    # category without a package, and the cap again.
    for d in Disbursement.objects.filter(period=period, status="BERHASIL"):
        UsageReport.objects.create(
            period=period,
            provider=d.provider,
            recipient_id=d.recipient_id,
            phone_e164=d.phone_e164,
            usage_gb=Decimal("0.4") if d.recipient_id == low.pk else Decimal("12"),
        )
    QuotaRule.objects.filter(policy_id="2021", category="PAUD").update(general_gb=0, learning_gb=0)
    p2021 = make_period("2021-03", "2021", date(2021, 3, 1))

    third = _both_ways(p2021)
    assert third["by_rule"] == {"MAKS_3_PAKET": 1, "PEMAKAIAN_RENDAH": 1, "TANPA_PAKET": len(paud)}
    assert Disbursement.objects.get(period=p2021, recipient=low).rule == "PEMAKAIAN_RENDAH"
    assert {r.pk for r in shared} & set(
        Disbursement.objects.filter(period=p2021, status="DIJADWALKAN").values_list("recipient_id", flat=True)
    )
    assert Disbursement.objects.get(period=p2021, recipient=ok).package_gb == Decimal("10")

    # 4. Again: nothing new either way.
    again = _both_ways(p2021)
    assert (again["candidates"], again["batches"]) == (0, [])


def test_set_based_disbursement_holds_failed_lines_and_keeps_attempts_as_the_row_path(
    operator, pusdatin, school, period, tmp_path
):
    # decisions/0021: a GAGAL line holds its place on the number for the period (also once its
    # recipient moved to another number), a retry is a new row, and usage of a failed injection
    # does not make a number "low usage".
    s1, s2, s3 = aktif(school, 3, phone_raw="081233334444", phone_e164="+6281233334444")
    failed = aktif(school, 1)[0]
    approve_all(operator, pusdatin, school, period)
    first = _both_ways(period)
    assert (first["scheduled"], first["by_rule"]) == (4, {})
    batch = DisbursementBatch.objects.get(period=period)
    services.apply_injection_results(
        actor=None, batch=batch, path=_report(tmp_path, batch, {s3.pk, failed.pk})
    )

    Recipient.objects.filter(pk=s3.pk).update(phone_raw="081399990000", phone_e164="+6281399990000")
    fourth = aktif(school, 1, phone_raw="081233334444", phone_e164="+6281233334444")[0]
    approve_all(operator, pusdatin, school, period)

    second = _both_ways(period)
    assert (second["scheduled"], second["retried"], second["by_rule"]) == (1, 1, {"MAKS_3_PAKET": 1})
    assert Disbursement.objects.get(period=period, recipient=fourth).rule == "MAKS_3_PAKET"
    assert list(
        Disbursement.objects.filter(period=period, recipient=s3)
        .order_by("attempts")
        .values_list("attempts", "status", "is_current")
    ) == [(1, "GAGAL", False), (2, "DIJADWALKAN", True)]

    for r, usage in ((s1, "0.3"), (failed, "0.2")):
        UsageReport.objects.create(
            period=period,
            provider="telkomsel",
            recipient_id=r.pk,
            phone_e164=r.phone_e164,
            usage_gb=Decimal(usage),
        )
    p2021 = make_period("2021-03", "2021", date(2021, 3, 1))

    third = _both_ways(p2021)
    # The shared number is low (s1 used 0.3 GB of a delivered package): s1, s2 and fourth; the
    # failed recipient's 0.2 GB was never a package, so it goes out again.
    assert third["by_rule"] == {"PEMAKAIAN_RENDAH": 3}
    assert Disbursement.objects.get(period=p2021, recipient=failed).status == "DIJADWALKAN"
    assert Disbursement.objects.get(period=p2021, recipient=s3).status == "DIJADWALKAN"
