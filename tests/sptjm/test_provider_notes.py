"""A provider's note on a failed injection (keterangan of a GAGAL row) is free text: a number in it
is masked where it is stored and wherever it is shown (SPEC §9 privacy)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.exchange.actions import issue_token
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch


@pytest.fixture
def scheduled(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    recipients = aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    return recipients


@pytest.mark.parametrize(
    ("note", "stored"),
    [
        ("Nomor 0812-3456-7890 diblokir", "Nomor 0812****7890 diblokir"),
        ("Hubungi +62 813 1111 2222 atau 6281533334444", "Hubungi 0813****2222 atau 0815****4444"),
        ("Nomor (0812) 3456.7890 tidak aktif", "Nomor 0812****7890 tidak aktif"),
        ("Gagal sistem injeksi, kode 42", "Gagal sistem injeksi, kode 42"),
    ],
)
def test_a_number_in_the_reason_of_a_failed_injection_is_stored_masked(scheduled, note, stored):
    r = scheduled[0]
    batch = DisbursementBatch.objects.get()
    _, token = issue_token(actor=None, provider="telkomsel")
    text = f'pd_id,no_ponsel,status,keterangan\n{r.pk},{r.phone_e164[1:]},GAGAL,"{note}"\n'

    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        f"/api/v1/disbursements/batches/{batch.pk}/results", data=text.encode(), content_type="text/csv"
    )

    assert response.status_code == 200, response.content
    assert Disbursement.objects.get(recipient=r).reason == stored


def test_a_number_in_a_stored_provider_note_is_masked_for_the_school_dinas_and_pusdatin(
    scheduled, school, operator, dinas_kab, pusdatin
):
    # A note stored before notes were masked on the way in.
    Disbursement.objects.update(status="GAGAL", reason="Nomor 0812-9999-1234 diblokir operator")

    for user in (operator, dinas_kab, pusdatin):
        client = Client()
        client.force_login(user)
        page = client.get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

        assert "0812****1234 diblokir operator" in page, user.role
        assert "9999" not in page, user.role


def test_a_long_note_is_masked_before_it_is_cut_to_its_column(scheduled):
    r = scheduled[0]
    batch = DisbursementBatch.objects.get()
    _, token = issue_token(actor=None, provider="telkomsel")
    note = "x" * 247 + " 081234567890"
    text = f"pd_id,no_ponsel,status,keterangan\n{r.pk},{r.phone_e164[1:]},GAGAL,{note}\n"

    Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        f"/api/v1/disbursements/batches/{batch.pk}/results", data=text.encode(), content_type="text/csv"
    )

    assert Disbursement.objects.get(recipient=r).reason == "x" * 247 + " 0812***"
