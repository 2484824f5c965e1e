"""Every disbursement attempt kept as its own row, the 3-per-number cap held by failed lines too,
late results applied to the attempt they answer, usage only for delivered recipients
(docs/decisions/0021-disbursement-attempts.md). Runs on both databases: SQLite schedules row by
row, PostgreSQL set-based (test_disbursement_set_based.py compares the two)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import jobs
from verval.exchange.actions import issue_token
from verval.registry.models import Recipient
from verval.sptjm import actions, selectors, services
from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport
from verval.sptjm.services import apply_injection_results, apply_usage

SHARED = "+6281233334444"


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    return job


def _results(batch: DisbursementBatch, outcome: dict[Any, str]) -> str:
    """A results file of `batch` for the given recipients: status, or GAGAL with a reason."""
    lines = ["pd_id,no_ponsel,status,keterangan"]
    for d in Disbursement.objects.filter(batch=batch, recipient__in=list(outcome)).order_by("id"):
        status = outcome[d.recipient]
        note = "Nomor tidak aktif" if status == "GAGAL" else ""
        lines.append(f"{d.recipient_id},{d.phone_e164[1:]},{status},{note}")
    return "\n".join(lines) + "\n"


def _apply(tmp_path: Path, batch: DisbursementBatch, outcome: dict[Any, str]):  # type: ignore[no-untyped-def]
    path = tmp_path / f"hasil-{batch.pk}-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(_results(batch, outcome))
    return apply_injection_results(actor=None, batch=batch, path=path)


def _move(recipient: Recipient, e164: str) -> None:
    """The school corrected the number and validation matched it AKTIF."""
    Recipient.objects.filter(pk=recipient.pk).update(
        phone_raw="0" + e164[3:], phone_e164=e164, status="AKTIF"
    )


def _client(provider: str = "telkomsel") -> Client:
    _, token = issue_token(actor=None, provider=provider)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _failed_then_fixed(operator, pusdatin, school, period, tmp_path):  # type: ignore[no-untyped-def]
    """ok delivered, bad failed in batch 1; bad's number fixed, covered again, retried in batch 2."""
    ok, bad = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    first = DisbursementBatch.objects.get()
    _apply(tmp_path, first, {ok: "BERHASIL", bad: "GAGAL"})
    _move(bad, "+6281377778888")
    approve_all(operator, pusdatin, school, period)
    assert _run(pusdatin, period).counts["retried"] == 1
    second = DisbursementBatch.objects.get(seq=2)
    return ok, bad, first, second


# ------------------------------------------------------------------ 1. the cap per number


def test_a_failed_line_holds_its_place_so_a_fourth_recipient_cannot_take_the_number(
    operator, pusdatin, school, period, tmp_path
):
    a, b, c = aktif(school, 3, phone_raw="081233334444", phone_e164=SHARED)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    _apply(tmp_path, batch, {a: "BERHASIL", b: "BERHASIL", c: "GAGAL"})
    fourth = aktif(school, 1)[0]
    _move(fourth, SHARED)  # a fourth recipient changes to the shared number
    approve_all(operator, pusdatin, school, period)

    job = _run(pusdatin, period)

    assert (job.counts["scheduled"], job.counts["by_rule"]) == (0, {"MAKS_3_PAKET": 1})
    assert Disbursement.objects.get(recipient=fourth).rule == "MAKS_3_PAKET"
    counts, issues = _apply(tmp_path, batch, {c: "BERHASIL"})  # the provider retried c's line
    assert (counts["berhasil"], issues) == (1, [])
    assert Disbursement.objects.filter(period=period, phone_e164=SHARED, status="BERHASIL").count() == 3


def test_a_late_berhasil_beyond_the_number_cap_is_refused(
    operator, pusdatin, school, period, tmp_path, settings
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    a, b, c = aktif(school, 3, phone_raw="081233334444", phone_e164=SHARED)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    _apply(tmp_path, batch, {a: "BERHASIL", b: "BERHASIL", c: "GAGAL"})
    # A fourth line on the number, as a run before decision 0021 wrote it (GAGAL held no place).
    fourth = aktif(school, 1, phone_raw="081233334444", phone_e164=SHARED)[0]
    Disbursement.objects.create(
        recipient=fourth,
        period=period,
        provider="telkomsel",
        batch=batch,
        school=school,
        phone_e164=SHARED,
        category="DIKDASMEN",
        package_gb=Decimal("35"),
        status="DIJADWALKAN",
    )
    assert _apply(tmp_path, batch, {fourth: "BERHASIL"})[0]["berhasil"] == 1

    counts, issues = _apply(tmp_path, batch, {c: "BERHASIL"})

    assert (counts["berhasil"], counts["refused"]) == (0, 1)
    assert [(i.line, i.column, i.code) for i in issues] == [(2, "status", "MELEBIHI_MAKS_PAKET")]
    assert issues[0].message.startswith("Nomor ini sudah menerima paket sebanyak batas per periode")
    assert issues[0].message_en.startswith("This number has already received the most packages")
    assert Disbursement.objects.get(recipient=c).status == "GAGAL"
    assert Disbursement.objects.filter(period=period, phone_e164=SHARED, status="BERHASIL").count() == 3


def test_two_lines_of_one_file_on_a_full_number_deliver_up_to_the_cap_in_line_order(
    operator, pusdatin, school, period, tmp_path, settings, monkeypatch
):
    # One line per staging block and per block read back: the count of packages delivered on
    # the number carries from one line of the file to the next (decision 0028).
    monkeypatch.setattr(services, "STAGE_BLOCK", 1)
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    a, b, c = aktif(school, 3, phone_raw="081233334444", phone_e164=SHARED)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    _apply(tmp_path, batch, {a: "BERHASIL", b: "BERHASIL", c: "GAGAL"})
    # A fourth line on the number, as a run before decision 0021 wrote it (GAGAL held no place).
    fourth = aktif(school, 1, phone_raw="081233334444", phone_e164=SHARED)[0]
    Disbursement.objects.create(
        recipient=fourth,
        period=period,
        provider="telkomsel",
        batch=batch,
        school=school,
        phone_e164=SHARED,
        category="DIKDASMEN",
        package_gb=Decimal("35"),
        status="DIJADWALKAN",
    )

    counts, issues = _apply(tmp_path, batch, {c: "BERHASIL", fourth: "BERHASIL"})  # c's line first

    assert (counts["rows"], counts["berhasil"], counts["refused"]) == (2, 1, 1)
    assert [(i.line, i.column, i.code) for i in issues] == [(3, "status", "MELEBIHI_MAKS_PAKET")]
    assert Disbursement.objects.get(recipient=c).status == "BERHASIL"
    assert Disbursement.objects.get(recipient=fourth).status == "DIJADWALKAN"
    assert Disbursement.objects.filter(period=period, phone_e164=SHARED, status="BERHASIL").count() == 3


def test_usage_in_blocks_of_one_line_is_added_then_changed_then_unchanged(
    operator, pusdatin, school, period, tmp_path, monkeypatch
):
    monkeypatch.setattr(services, "STAGE_BLOCK", 1)
    a, b, c = aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    _apply(tmp_path, DisbursementBatch.objects.get(), {a: "BERHASIL", b: "BERHASIL", c: "BERHASIL"})

    def usage(figures: dict[Any, str]) -> dict[str, Any]:
        path = tmp_path / f"pemakaian-{len(list(tmp_path.iterdir()))}.csv"
        text = "pd_id,no_ponsel,pemakaian_gb\n" + "".join(
            f"{r.pk},{r.phone_e164[1:]},{gb}\n" for r, gb in figures.items()
        )
        path.write_text(text)
        counts, issues = apply_usage(actor=None, period=period, provider="telkomsel", path=path)
        assert issues == []
        return counts

    first = usage({a: "1.5", b: "2"})
    second = usage({a: "1.5", b: "3", c: "0.25"})

    assert (first["added"], first["changed"], first["unchanged"]) == (2, 0, 0)
    assert (second["added"], second["changed"], second["unchanged"]) == (1, 1, 1)
    stored = {u.recipient_id: str(u.usage_gb) for u in UsageReport.objects.filter(period=period)}
    assert stored == {a.pk: "1.50", b.pk: "3.00", c.pk: "0.25"}


# ------------------------------------------------------------------ 2. every attempt kept


def test_a_retried_recipient_keeps_its_failed_attempt_with_reason_and_batch(
    operator, pusdatin, school, period, tmp_path
):
    _ok, bad, first, second = _failed_then_fixed(operator, pusdatin, school, period, tmp_path)

    rows = list(Disbursement.objects.filter(recipient=bad).order_by("attempts"))

    assert [(d.attempts, d.batch_id, d.phone_e164, d.status, d.reason, d.is_current) for d in rows] == [
        (1, first.pk, bad.phone_e164, "GAGAL", "Nomor tidak aktif", False),
        (2, second.pk, "+6281377778888", "DIJADWALKAN", "", True),
    ]
    assert _run(pusdatin, period).counts["candidates"] == 0  # the same run again adds nothing


def test_reconciliation_counts_every_batch_line_so_an_honest_recap_matches(
    operator, pusdatin, school, period, tmp_path
):
    _ok, bad, first, second = _failed_then_fixed(operator, pusdatin, school, period, tmp_path)
    _apply(tmp_path, second, {bad: "BERHASIL"})
    # The provider's recap: every line of its batches, as it counts them.
    lines = first.rows + second.rows
    sent_gb = first.total_gb + second.total_gb

    recap = _client().put(
        f"/api/v1/reports/{period.code}/recap",
        data=json.dumps({"sent": lines, "injected": 2, "failed": 1, "gb": "70"}),
        content_type="application/json",
    )

    body = recap.json()
    assert (lines, sent_gb) == (3, Decimal("105"))
    assert (body["sent"], body["berhasil"], body["gagal"], body["gb_sent"]) == (3, 2, 1, "105")
    assert (body["ok"], body["flags"]) == (True, [])


def test_a_late_berhasil_for_an_earlier_attempt_is_applied_to_that_attempt(
    operator, pusdatin, school, period, tmp_path
):
    ok, bad, first, second = _failed_then_fixed(operator, pusdatin, school, period, tmp_path)
    client = _client()

    late = client.post(
        f"/api/v1/disbursements/batches/{first.pk}/results",
        data=_results(first, {bad: "BERHASIL"}).encode(),
        content_type="text/csv",
    ).json()

    assert (late["counts"]["berhasil"], late["issues"]) == (1, [])
    old, new = Disbursement.objects.filter(recipient=bad).order_by("attempts")
    assert (old.status, old.reason, old.is_current, old.is_duplicate) == ("BERHASIL", "", True, False)
    assert (new.status, new.is_current) == ("DIJADWALKAN", False)

    # The provider injects the new line too: recorded as it reported, flagged, counted once.
    again = client.post(
        f"/api/v1/disbursements/batches/{second.pk}/results",
        data=_results(second, {bad: "BERHASIL"}).encode(),
        content_type="text/csv",
    ).json()

    assert (again["counts"]["berhasil"], again["counts"]["duplicate"], again["issues"]) == (1, 1, [])
    new.refresh_from_db()
    assert (new.status, new.is_current, new.is_duplicate) == ("BERHASIL", False, True)
    row = selectors.reconcile(period, "telkomsel")[0]
    assert (row["sent"], row["berhasil"], row["duplicates"]) == (3, 3, 1)
    assert "BERHASIL_GANDA" in row["flags"]
    assert selectors.disbursement_counts(pusdatin, period)["by_status"] == {"BERHASIL": 2}
    assert Disbursement.objects.filter(recipient=bad, is_current=True).count() == 1
    assert _run(pusdatin, period).counts["candidates"] == 0


# ------------------------------------------------------------------ 3. usage of delivered recipients only


def test_usage_is_refused_for_a_recipient_whose_injection_failed_or_has_no_result(
    operator, pusdatin, school, period, settings
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    ok, bad, waiting = aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    client = _client()
    batch = DisbursementBatch.objects.get()
    client.post(
        f"/api/v1/disbursements/batches/{batch.pk}/results",
        data=_results(batch, {ok: "BERHASIL", bad: "GAGAL"}).encode(),
        content_type="text/csv",
    )
    usage = "pd_id,no_ponsel,pemakaian_gb\n" + "".join(
        f"{r.pk},{r.phone_e164[1:]},0.2\n" for r in (ok, bad, waiting)
    )

    body = client.post(
        f"/api/v1/reports/{period.code}/usage", data=usage.encode(), content_type="text/csv"
    ).json()

    assert (body["counts"]["added"], body["counts"]["refused"]) == (1, 2)
    assert [(i["line"], i["column"], i["code"]) for i in body["issues"]] == [
        (3, "pd_id", "INJEKSI_TIDAK_BERHASIL"),
        (4, "pd_id", "INJEKSI_TIDAK_BERHASIL"),
    ]
    assert body["issues"][0]["message"].startswith("Penerima ini tidak berhasil diinjeksi")
    assert body["issues"][0]["message_en"].startswith("This recipient was not injected successfully")
    assert list(UsageReport.objects.values_list("recipient_id", flat=True)) == [ok.pk]

    job = _run(pusdatin, make_period("2021-03", "2021", date(2021, 3, 1)))  # numbers carried

    assert job.counts["by_rule"] == {"PEMAKAIAN_RENDAH": 1}  # ok's own low figure only
    assert Disbursement.objects.get(period="2021-03", recipient=bad).status == "DIJADWALKAN"


def test_usage_recorded_for_a_failed_injection_does_not_exclude_the_number_next_period(
    operator, pusdatin, school, period, tmp_path
):
    ok, bad = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    _apply(tmp_path, DisbursementBatch.objects.get(), {ok: "BERHASIL", bad: "GAGAL"})
    for r in (ok, bad):  # as an upload before decision 0021 stored them
        UsageReport.objects.create(
            period=period,
            provider="telkomsel",
            recipient_id=r.pk,
            phone_e164=r.phone_e164,
            usage_gb=Decimal("0.2"),
        )

    job = _run(pusdatin, make_period("2021-03", "2021", date(2021, 3, 1)))

    assert job.counts["by_rule"] == {"PEMAKAIAN_RENDAH": 1}
    assert Disbursement.objects.get(period="2021-03", recipient=ok).rule == "PEMAKAIAN_RENDAH"
    assert Disbursement.objects.get(period="2021-03", recipient=bad).status == "DIJADWALKAN"


def test_usage_of_a_retried_recipient_is_taken_for_the_number_it_was_delivered_on(
    operator, pusdatin, school, period, tmp_path, settings
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    _ok, bad, _first, second = _failed_then_fixed(operator, pusdatin, school, period, tmp_path)
    _apply(tmp_path, second, {bad: "BERHASIL"})
    path = tmp_path / "pemakaian.csv"
    old_number = Disbursement.objects.get(recipient=bad, attempts=1).phone_e164
    path.write_text(f"pd_id,no_ponsel,pemakaian_gb\n{bad.pk},6281377778888,4\n")

    counts, issues = apply_usage(actor=None, period=period, provider="telkomsel", path=path)

    assert (counts["added"], issues) == (1, [])
    path.write_text(f"pd_id,no_ponsel,pemakaian_gb\n{bad.pk},{old_number[1:]},4\n")
    counts, issues = apply_usage(actor=None, period=period, provider="telkomsel", path=path)
    assert [i.code for i in issues] == ["INJEKSI_TIDAK_BERHASIL"]  # that line failed
