"""Only the period that is open is disbursed (SPEC §3 step 10): the action, the job, the command
and the Pusdatin pages refuse or do not offer a period that was never opened or was closed."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import jobs
from verval.core.models import Job
from verval.reference.models import Period
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch
from verval.sptjm.reasons import ActionRefused


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def never_opened(db):  # type: ignore[no-untyped-def]
    return make_period("2020-10A", "2020", date(2020, 10, 1), is_open=False)


def test_a_period_never_opened_cannot_be_disbursed(pusdatin, never_opened):
    with pytest.raises(ActionRefused) as refused:
        actions.request_disbursement(actor=pusdatin, period_code=never_opened.code, enqueue=False)

    assert refused.value.code == "PERIODE_TIDAK_DIBUKA"
    assert not Job.objects.filter(kind="disbursement").exists()


def test_verval_disburse_refuses_a_period_that_is_not_open(never_opened):
    with pytest.raises(CommandError) as refused:
        call_command("disburse", "--period", never_opened.code, "--json")

    assert str(refused.value).startswith("PERIODE_TIDAK_DIBUKA: ")
    assert not Job.objects.filter(kind="disbursement").exists()


def test_a_disbursement_job_of_a_period_closed_after_it_was_queued_changes_nothing(
    operator, pusdatin, school, period
):
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    job = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    Period.objects.filter(pk=period.pk).update(is_open=False)

    done = jobs.run(job.pk)

    assert (done.state, done.error_code) == (Job.State.REFUSED, "PERIODE_TIDAK_DIBUKA")
    assert not Disbursement.objects.exists()
    assert not DisbursementBatch.objects.exists()


def test_disbursement_page_opens_on_the_open_period_not_the_newest_one(pusdatin, period, never_opened):
    page = _login(pusdatin).get("/pusdatin/penyaluran/").content.decode()

    assert f'<option value="{period.code}" selected>Tahap 2020-09A (dibuka)</option>' in page
    assert f'<option value="{never_opened.code}">Tahap 2020-10A</option>' in page
    assert f'<input type="hidden" name="periode" value="{period.code}">' in page


def test_disbursement_page_of_a_closed_period_reads_without_the_run_button(pusdatin, period, never_opened):
    page = _login(pusdatin).get(f"/pusdatin/penyaluran/?periode={never_opened.code}").content.decode()

    assert f'<option value="{never_opened.code}" selected>Tahap 2020-10A</option>' in page
    assert "Buat batch penyaluran" not in page
    assert (
        '<p class="muted">Periode ini tidak dibuka: penyaluran hanya dibuat untuk periode yang sedang '
        "dibuka. Data periode ini tetap dapat dibaca.</p>"
    ) in page


def test_the_run_button_posted_for_a_closed_period_is_refused_with_the_reason(pusdatin, never_opened):
    client = _login(pusdatin)

    response = client.post("/pusdatin/penyaluran/jalankan/", {"periode": never_opened.code}, follow=True)

    assert "Periode tidak ditemukan atau tidak dibuka." in response.content.decode()
    assert not Job.objects.filter(kind="disbursement").exists()


def test_pusdatin_page_offers_only_open_periods_for_disbursement(pusdatin, period, never_opened):
    page = _login(pusdatin).get("/pusdatin/").content.decode()

    form = page[page.index('action="/pusdatin/penyaluran/jalankan/"') :]
    form = form[: form.index("</form>")]
    assert f'<option value="{period.code}">Tahap 2020-09A (dibuka)</option>' in form
    assert never_opened.code not in form
