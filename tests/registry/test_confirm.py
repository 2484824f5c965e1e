"""Confirmation (verifikasi) of one or many numbers, and re-confirming residue."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import RecipientFactory
from tests.registry.helpers import make_recipients
from verval.core.models import AuditEvent
from verval.registry import actions
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db


def test_operator_confirms_many_numbers(client, operator, school):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 3)
    client.force_login(operator)
    response = client.post(
        f"/sekolah/{school.npsn}/verifikasi/", {"pilih": [f"{r.pk}.1" for r in rows]}, follow=True
    )
    assert "3 data diverifikasi." in response.content.decode()
    for r in Recipient.objects.filter(pk__in=[r.pk for r in rows]):
        assert (r.confirmed_by_id, r.status, r.version, r.needs_validation) == (
            operator.pk,
            "BELUM_VERVAL",
            2,
            True,
        )
        assert r.confirmed_at is not None
    assert sorted(NumberHistory.objects.values_list("action", flat=True)) == ["confirm"] * 3
    event = AuditEvent.objects.get(action="confirm_recipients")
    assert (
        event.after["confirmed"] == 3
        and event.after["reconfirmed"] == 0
        and sorted(event.after["ids"]) == sorted(str(r.pk) for r in rows)
    )
    # Confirming again changes nothing.
    again = actions.confirm_recipients(actor=operator, recipient_ids=[r.pk for r in rows])
    assert (again.confirmed, again.unchanged) == (0, 3)
    assert NumberHistory.objects.count() == 3


def test_reconfirming_residue_sends_it_back_through_validation(operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(
        school=school,
        phone_raw="081211112222",
        phone_e164="+6281211112222",
        status="RESIDU",
        reason="MASA_TENGGANG",
        needs_validation=False,
        version=4,
    )
    result = actions.confirm_recipients(
        actor=operator, recipient_ids=[r.pk], expected_versions={str(r.pk): 4}
    )
    assert (result.confirmed, result.reconfirmed, result.refused) == (0, 1, {})
    r.refresh_from_db()
    assert (r.status, r.reason, r.needs_validation, r.version, r.phone_e164) == (
        "BELUM_VERVAL",
        "",
        True,
        5,
        "+6281211112222",
    )
    h = NumberHistory.objects.get(recipient=r)
    assert (h.action, h.from_status, h.to_status, h.reason, h.phone_before, h.phone_after) == (
        "reconfirm",
        "RESIDU",
        "BELUM_VERVAL",
        "MASA_TENGGANG",
        "0812****2222",
        "0812****2222",
    )


def test_confirm_refuses_locked_stale_and_invalid_rows(operator, school):  # type: ignore[no-untyped-def]
    ok, locked, stale = make_recipients(school, 3)
    Recipient.objects.filter(pk=locked.pk).update(locked=True)
    bad = RecipientFactory(school=school, phone_raw="021-5551234", phone_e164="", reason="TELEPON_RUMAH")
    result = actions.confirm_recipients(
        actor=operator,
        recipient_ids=[ok.pk, locked.pk, stale.pk, bad.pk],
        expected_versions={str(ok.pk): 1, str(locked.pk): 1, str(stale.pk): 7, str(bad.pk): 1},
    )
    assert result.confirmed == 1
    assert result.refused == {"TERKUNCI_SPTJM": 1, "VERSI_BERUBAH": 1, "FORMAT_SALAH": 1}
    assert list(Recipient.objects.filter(confirmed_at__isnull=False).values_list("pk", flat=True)) == [ok.pk]


def test_confirm_with_a_record_of_another_school_does_nothing(operator, school, other_school):  # type: ignore[no-untyped-def]
    mine = make_recipients(school, 1)[0]
    theirs = make_recipients(other_school, 1, start=50)[0]
    with pytest.raises(PermissionDenied):
        actions.confirm_recipients(actor=operator, recipient_ids=[mine.pk, theirs.pk])
    assert Recipient.objects.filter(confirmed_at__isnull=False).count() == 0


def test_confirming_from_a_filtered_list_returns_to_that_list(client, operator, school):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 2)
    client.force_login(operator)
    page = client.get(f"/sekolah/{school.npsn}/", {"status": "BELUM_VERVAL"}).content.decode()
    assert '<input type="hidden" name="kembali" value="status=BELUM_VERVAL' in page
    response = client.post(
        f"/sekolah/{school.npsn}/verifikasi/",
        {"pilih": [f"{r.pk}.1" for r in rows], "kembali": "status=BELUM_VERVAL&q=Budi&hal=1"},
    )
    assert response.status_code == 302
    # The filter comes back; a search term never goes into the address (decision 0004).
    assert response["Location"].startswith(f"/sekolah/{school.npsn}/?status=BELUM_VERVAL")
    assert "Budi" not in response["Location"]
