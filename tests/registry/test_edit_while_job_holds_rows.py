"""A bulk job (a results ingest, a cutoff import, a validation run) holds the rows it updates
until it commits, for minutes at 10 M rows. A school operator's save of one of those rows must
answer at once that the data is being processed, not hang the request (and the web worker)
until the job commits (decision 0041)."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from tests.rowlocks import JobHoldsRows
from verval.core.models import AuditEvent
from verval.registry import actions
from verval.registry.models import Recipient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_operator_saving_a_number_a_job_holds_is_told_it_is_being_processed(operator, brief_lock_wait):
    r = RecipientFactory(school=operator.school, phone_raw="081377451902", phone_e164="+6281377451902")
    with JobHoldsRows([r.pk]), pytest.raises(actions.RecordBusy) as caught:
        actions.change_number(
            actor=operator, recipient_id=r.pk, new_raw="085261904417", expected_version=r.version
        )
    assert caught.value.code == "SEDANG_DIPROSES"
    stored = Recipient.objects.get(pk=r.pk)
    assert (stored.phone_e164, stored.version) == ("+6281377451902", r.version)
    assert AuditEvent.objects.filter(action="change_number").count() == 0
    # Once the job is done the same save goes through.
    saved = actions.change_number(
        actor=operator, recipient_id=r.pk, new_raw="085261904417", expected_version=r.version
    )
    assert (saved.phone_e164, saved.version) == ("+6285261904417", r.version + 1)


def test_edit_page_answers_busy_with_the_typed_number_kept(client, operator, brief_lock_wait):
    r = RecipientFactory(school=operator.school, phone_raw="081377451902", phone_e164="+6281377451902")
    client.force_login(operator)
    url = f"/sekolah/{operator.school.npsn}/penerima/{r.pk}/ubah/"
    with JobHoldsRows([r.pk]):
        response = client.post(url, {"nomor": "085261904417", "versi": r.version})
    assert response.status_code == 409
    body = response.content.decode()
    assert "sedang diperbarui oleh proses" in body
    assert 'value="085261904417"' in body
    assert Recipient.objects.get(pk=r.pk).phone_e164 == "+6281377451902"


def test_confirming_rows_a_job_holds_says_so_and_confirms_nothing(client, operator, brief_lock_wait):
    rows = [RecipientFactory(school=operator.school) for _ in range(2)]
    client.force_login(operator)
    with JobHoldsRows([rows[0].pk]):
        response = client.post(
            f"/sekolah/{operator.school.npsn}/verifikasi/",
            {"pilih": [f"{r.pk}.{r.version}" for r in rows]},
            follow=True,
        )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("sedang diperbarui oleh proses" in m for m in shown), shown
    assert Recipient.objects.filter(pk__in=[r.pk for r in rows], confirmed_at__isnull=False).count() == 0
