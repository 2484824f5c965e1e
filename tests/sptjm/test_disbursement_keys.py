"""What a disbursement line points at, now that its period, batch and school carry no database
foreign key (docs/decisions/0023-disbursement-keys-the-run-already-holds.md; decision 0048 dropped
the recipient, SPTJM item and result job keys too: test_disbursement_lines_in_place.py): the run
writes the right ones, and the ORM's on_delete still protects (PROTECT) or clears (SET_NULL).
Both databases: SQLite schedules row by row, PostgreSQL set-based."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import ProtectedError

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.registry.models import Recipient
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch
from verval.sptjm.services import apply_injection_results


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    return job.counts


def _lines(period):  # type: ignore[no-untyped-def]
    """(recipient, attempt) -> (school, period, batch's period, batch's provider, provider, status)."""
    return {
        (d.recipient_id, d.attempts): (
            d.school_id,
            d.period_id,
            d.batch.period_id if d.batch else None,
            d.batch.provider if d.batch else None,
            d.provider,
            d.status,
        )
        for d in Disbursement.objects.filter(period=period).select_related("batch")
    }


def test_every_line_names_its_recipients_school_the_period_run_and_a_batch_of_that_period_and_provider(
    operator, other_operator, pusdatin, school, other_school, period
):
    here = aktif(school, 2)
    shared = aktif(school, 4, phone_raw="081233334444", phone_e164="+6281233334444")
    there = [
        aktif(
            other_school, 1, operator="indosat", phone_raw=f"08150000000{i}", phone_e164=f"+628150000000{i}"
        )[0]
        for i in (1, 2)
    ]
    approve_all(operator, pusdatin, school, period)
    approve_all(other_operator, pusdatin, other_school, period)

    counts = _run(pusdatin, period)

    assert (counts["scheduled"], counts["by_rule"]) == (7, {"MAKS_3_PAKET": 1})
    code = period.code
    excluded = Disbursement.objects.get(period=period, status="DIKECUALIKAN").recipient_id
    expected = {
        (r.pk, 1): (school.npsn, code, code, "telkomsel", "telkomsel", "DIJADWALKAN")
        for r in here + shared
        if r.pk != excluded
    }
    expected[(excluded, 1)] = (school.npsn, code, None, None, "telkomsel", "DIKECUALIKAN")
    for r in there:
        expected[(r.pk, 1)] = (other_school.npsn, code, code, "indosat", "indosat", "DIJADWALKAN")
    assert _lines(period) == expected
    # The school pages read lines by school: each school sees its own recipients' lines only.
    assert set(
        Disbursement.objects.filter(school=other_school, period=period).values_list("recipient_id", flat=True)
    ) == {r.pk for r in there}


def test_a_recipient_retried_after_moving_school_has_the_new_line_under_the_new_school(
    operator, other_operator, pusdatin, school, other_school, period, tmp_path: Path
):
    ok, moved = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get(period=period)
    results = tmp_path / "hasil.csv"
    results.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        f"{ok.pk},{ok.phone_e164[1:]},BERHASIL,\n"
        f"{moved.pk},{moved.phone_e164[1:]},GAGAL,Nomor tidak aktif\n"
    )
    apply_injection_results(actor=None, batch=batch, path=results)
    # The cutoff moved the recipient to the other school, which gives a new number and covers it.
    Recipient.objects.filter(pk=moved.pk).update(
        school=other_school, phone_raw="081377778888", phone_e164="+6281377778888"
    )
    approve_all(other_operator, pusdatin, other_school, period)

    assert _run(pusdatin, period)["retried"] == 1

    assert list(
        Disbursement.objects.filter(period=period, recipient=moved)
        .order_by("attempts")
        .values_list("attempts", "school_id", "phone_e164", "status", "is_current")
    ) == [
        (1, school.npsn, moved.phone_e164, "GAGAL", False),
        (2, other_school.npsn, "+6281377778888", "DIJADWALKAN", True),
    ]
    second = DisbursementBatch.objects.get(period=period, seq=2)
    assert list(Disbursement.objects.filter(batch=second).values_list("recipient_id", "school_id")) == [
        (moved.pk, other_school.npsn)
    ]
    # Current lines by school (the school pages): the recipient counts at its new school only.
    current = Disbursement.objects.filter(period=period, is_current=True)
    assert sorted(current.filter(school=school).values_list("recipient_id", flat=True)) == [ok.pk]
    assert list(current.filter(school=other_school).values_list("recipient_id", flat=True)) == [moved.pk]


def test_a_school_or_period_named_by_a_line_cannot_be_deleted_and_a_deleted_batch_leaves_its_lines(
    operator, pusdatin, school, other_school, period
):
    (r,) = aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    line = Disbursement.objects.get(recipient=r)
    # The recipient moved away: only its disbursement line still names the first school.
    Recipient.objects.filter(pk=r.pk).update(school=other_school)

    with pytest.raises(ProtectedError) as refused:
        school.delete()
    assert line in refused.value.protected_objects
    with pytest.raises(ProtectedError) as refused:
        period.delete()
    assert line in refused.value.protected_objects

    DisbursementBatch.objects.filter(period=period).delete()
    line.refresh_from_db()
    assert (line.batch_id, line.status, line.school_id, line.period_id) == (
        None,
        "DIJADWALKAN",
        school.npsn,
        period.code,
    )
