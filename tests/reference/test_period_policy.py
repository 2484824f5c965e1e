"""A period's quota policy is fixed once its disbursement started: its rows carry that policy's
packages (SPEC §6), so the period cannot say 35/42 GB while its rows carry 10/12 GB."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import jobs
from verval.core.models import AuditEvent
from verval.reference import actions
from verval.reference.models import Period
from verval.sptjm import actions as sptjm_actions
from verval.sptjm.models import Disbursement


def _save(actor, period: Period, **changes):  # type: ignore[no-untyped-def]
    fields = {
        "name": period.name,
        "policy": period.policy,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
        "sptjm_print_deadline": period.sptjm_print_deadline,
        "sptjm_upload_deadline": period.sptjm_upload_deadline,
        "handover_on": period.handover_on,
    }
    fields.update(changes)
    return actions.save_period(actor=actor, code=period.code, **fields)


@pytest.fixture
def period(db):  # type: ignore[no-untyped-def]
    return make_period()


@pytest.fixture
def disbursed(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    jobs.run(sptjm_actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert set(Disbursement.objects.values_list("package_gb", flat=True)) == {Decimal("35")}
    return period


def test_policy_of_a_period_whose_disbursement_started_cannot_be_changed(pusdatin, disbursed):
    from verval.reference.models import QuotaPolicy

    with pytest.raises(ValidationError) as refused:
        _save(pusdatin, disbursed, policy=QuotaPolicy.objects.get(code="2021"))

    assert refused.value.code == "policy"
    assert refused.value.messages == [
        "Kebijakan kuota periode 2020-09A tidak dapat diubah: penyalurannya sudah dimulai dan setiap "
        "baris penyaluran membawa paket kebijakan 2020. Bidang lain tetap dapat diubah."
    ]
    assert Period.objects.get(pk=disbursed.pk).policy_id == "2020"
    assert not AuditEvent.objects.filter(action="update_period").exists()


def test_other_fields_of_a_period_whose_disbursement_started_stay_editable(pusdatin, disbursed):
    saved = _save(pusdatin, disbursed, name="September 2020 tahap 1")

    assert (saved.name, saved.policy_id) == ("September 2020 tahap 1", "2020")
    assert Period.objects.get(pk=disbursed.pk).name == "September 2020 tahap 1"


def test_policy_of_a_period_without_disbursement_can_still_change(pusdatin, period):
    from verval.reference.models import QuotaPolicy

    saved = _save(pusdatin, period, policy=QuotaPolicy.objects.get(code="2021"))

    assert Period.objects.get(pk=saved.pk).policy_id == "2021"


def test_period_form_locks_the_policy_once_disbursement_started(pusdatin, disbursed):
    client = Client()
    client.force_login(pusdatin)
    url = f"/pusdatin/periode/{disbursed.code}/ubah/"

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Tahap baru",
            "policy": "2021",
            "starts_on": "2020-09-01",
            "ends_on": "2020-09-28",
            "sptjm_print_deadline": "2020-09-20",
            "sptjm_upload_deadline": "2020-09-25",
        },
    )

    assert '<select name="policy"' in page and "disabled" in page[page.index('<select name="policy"') :][:120]
    assert "Tidak dapat diubah: penyaluran periode ini sudah dimulai." in page
    assert response.status_code == 302
    assert Period.objects.filter(pk=disbursed.pk).values_list("name", "policy_id").get() == (
        "Tahap baru",
        "2020",
    )
