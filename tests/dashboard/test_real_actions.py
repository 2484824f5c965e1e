"""The aggregates follow the product's real actions and jobs, from import to injection.

Each step goes through the other apps' own functions (validation run, dump, provider results,
number edit, SPTJM print/approve, disbursement, injection results) and then compares every level
of the dashboard with a direct count.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from tests.dashboard.helpers import NATION, aggregated, assert_all_levels_match
from tests.factories import RecipientFactory
from verval.core import jobs
from verval.dashboard import services
from verval.registry.models import Recipient


def _run_job(committed, job):  # type: ignore[no-untyped-def]
    with committed():
        job = jobs.run(job.pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    return job


def _write(tmp_path, name, header, rows):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def period(db):  # type: ignore[no-untyped-def]
    from verval.reference.models import Period

    return Period.objects.create(
        code="2020-09A", name="Tahap 2020-09A", policy_id="2020", starts_on=date(2020, 9, 1), ends_on=date(2020, 9, 28),
        sptjm_print_deadline=date(2020, 9, 20), sptjm_upload_deadline=date(2020, 9, 25), is_open=True,
    )  # fmt: skip


def test_aggregates_follow_every_real_action(
    committed, tmp_path, school, other_school, operator, pusdatin, period
):
    from verval.exchange import actions as exchange_actions
    from verval.exchange.models import DumpBatch
    from verval.registry import actions as registry_actions
    from verval.sptjm import actions as sptjm_actions
    from verval.sptjm.models import DisbursementBatch, Sptjm

    # 1. Import-like bulk insert (what the cutoff import does), then a job ends: full refresh.
    rows = [RecipientFactory.build(school=school) for _ in range(5)]
    rows.append(
        RecipientFactory.build(
            school=school, phone_raw="021555123", phone_e164="", operator="", reason="TELEPON_RUMAH"
        )
    )
    rows += [RecipientFactory.build(school=other_school) for _ in range(2)]
    Recipient.objects.bulk_create(rows)
    services.refresh_all()
    assert aggregated(NATION)["imported"] == 8
    assert aggregated(NATION)["belum"] == 8

    # 2. Pusdatin's validation run (a job): statuses change in bulk.
    _run_job(committed, jobs.create_job(actor=pusdatin, kind="validate"))
    assert_all_levels_match(school, period.code)
    assert aggregated(NATION)["valid"] == 7
    assert aggregated(NATION)["format_salah"] == 1

    # 3. Dump to the provider (a job): numbers become "sent".
    _run_job(committed, jobs.create_job(actor=pusdatin, kind="dump", params={"provider": "telkomsel"}))
    assert_all_levels_match(school, period.code)
    assert aggregated(NATION)["sent"] == 7

    # 4. The provider's match results (a job): AKTIF and residue by reason.
    batch = DumpBatch.objects.get(provider="telkomsel")
    valid = list(Recipient.objects.filter(school=school, status="MENUNGGU_PROVIDER").order_by("phone_e164"))
    others = list(Recipient.objects.filter(school=other_school).order_by("phone_e164"))
    answers = [(r.pk, r.phone_e164[1:], "AKTIF") for r in valid[:4]] + [
        (valid[4].pk, valid[4].phone_e164[1:], "MASA_TENGGANG")
    ]
    answers += [(r.pk, r.phone_e164[1:], "AKTIF") for r in others]
    path = _write(tmp_path, "hasil.csv", ["pd_id", "no_ponsel", "status"], answers)
    _run_job(committed, exchange_actions.create_ingest_job(actor=pusdatin, batch=batch, path=path))
    assert_all_levels_match(school, period.code)
    assert (aggregated(NATION)["aktif"], aggregated(NATION)["residu"]) == (6, 1)

    # 5. A number edited by the school's operator (single-record action): the school goes dirty
    #    and is refreshed after the commit.
    residue = Recipient.objects.get(school=school, status="RESIDU")
    with committed():
        registry_actions.change_number(
            actor=operator, recipient_id=residue.pk, new_raw="081299990000", expected_version=residue.version
        )
    assert_all_levels_match(school, period.code)
    assert (aggregated(NATION)["residu"], aggregated(NATION)["belum"]) == (0, 1)

    # 6. SPTJM printed, then approved.
    with committed():
        sptjm, _created = sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert_all_levels_match(school, period.code)
    assert aggregated(NATION, period.code)["sptjm_printed"] == 4
    with committed():
        Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")  # the scan upload needs a real scan
        sptjm_actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk)
    assert_all_levels_match(school, period.code)
    assert aggregated(NATION, period.code)["sptjm_approved"] == 4

    # 7. Disbursement (a job), then the provider's injection results (a job).
    _run_job(
        committed, sptjm_actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    )
    assert_all_levels_match(school, period.code)
    dbatch = DisbursementBatch.objects.get(provider="telkomsel")
    covered = list(Recipient.objects.filter(disbursements__batch=dbatch).order_by("phone_e164"))
    results = [(r.pk, r.phone_e164[1:], "BERHASIL", "") for r in covered[:3]] + [
        (covered[3].pk, covered[3].phone_e164[1:], "GAGAL", "Nomor tidak aktif")  # GAGAL gives its reason
    ]
    path = _write(tmp_path, "injeksi.csv", ["pd_id", "no_ponsel", "status", "keterangan"], results)
    _run_job(committed, sptjm_actions.create_injection_job(actor=pusdatin, batch=dbatch, path=path))
    assert_all_levels_match(school, period.code)
    assert (aggregated(NATION, period.code)["berhasil"], aggregated(NATION, period.code)["gagal"]) == (3, 1)
