"""A number of more than 20 digits (two numbers typed in one field, as Dapodik holds them) in the
history's masked columns (decision 0117): the soak found the inline save of such a row answered
500 on PostgreSQL, whose `varchar(20)` refused the 24-character mask the history row was given."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from tests.registry.test_bulk_correction import _apply, _download, _fill, _upload
from verval.core.models import AuditEvent
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
TWO_NUMBERS = "0812-1111-2222 / 0813-3333-4444"


def test_correcting_a_number_stored_as_two_numbers_in_one_field_saves_it(client, operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(
        school=school, phone_raw=TWO_NUMBERS, phone_e164="", status="FORMAT_SALAH", reason="DUA_NOMOR"
    )
    client.force_login(operator)
    response = client.post(
        f"/sekolah/{school.npsn}/penerima/{r.pk}/ubah/", {"nomor": "0813-2468-1357", "versi": "1"}, **HX
    )
    assert response.status_code == 200
    stored = Recipient.objects.get(pk=r.pk)
    assert (stored.phone_e164, stored.version) == ("+6281324681357", 2)
    h = NumberHistory.objects.get(recipient=r)
    assert (h.phone_before, h.phone_after) == ("0812************4444", "0813****1357")
    assert AuditEvent.objects.get(action="change_number").before["phone"] == "0812************4444"


def test_typing_two_numbers_in_one_field_saves_them_with_their_reason(client, operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(school=school, phone_raw="081211112222", phone_e164="+6281211112222", status="AKTIF")
    client.force_login(operator)
    response = client.post(
        f"/sekolah/{school.npsn}/penerima/{r.pk}/ubah/", {"nomor": TWO_NUMBERS, "versi": "1"}, **HX
    )
    assert response.status_code == 200
    stored = Recipient.objects.get(pk=r.pk)
    assert (stored.phone_raw, stored.status, stored.reason, stored.version) == (
        TWO_NUMBERS,
        "BELUM_VERVAL",
        "DUA_NOMOR",
        2,
    )
    h = NumberHistory.objects.get(recipient=r)
    assert (h.phone_before, h.phone_after) == ("0812****2222", "0812************4444")


def test_a_correction_file_replacing_two_numbers_in_one_field_is_applied(
    client, operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    r = RecipientFactory(
        school=school, phone_raw=TWO_NUMBERS, phone_e164="", status="FORMAT_SALAH", reason="DUA_NOMOR"
    )
    client.force_login(operator)
    data = _fill(_download(client, school.npsn), {str(r.pk): "081324681357"})
    job = _apply(client, school.npsn, _upload(client, school.npsn, data), django_capture_on_commit_callbacks)
    assert (job.state, job.counts["changed"]) == ("SUCCEEDED", 1)
    h = NumberHistory.objects.get(recipient=r)
    assert (h.action, h.phone_before, h.phone_after) == (
        "bulk_correction",
        "0812************4444",
        "0813****1357",
    )
