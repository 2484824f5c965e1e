"""Confirmation (verifikasi) of one or many numbers, and re-confirming residue."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import RecipientFactory, UserFactory
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


def _ticked(page: str, rows: list[Recipient]) -> list[str]:
    """The checkbox values of the rows as the page shows them (what a tick sends)."""
    values = []
    for r in rows:
        start = page.index(f'name="pilih" value="{r.pk}.')
        values.append(page[start:].split('value="', 1)[1].split('"', 1)[0])
    return values


def test_the_list_names_each_rows_version_and_number_in_its_checkbox_and_keeps_no_tick(
    client, operator, school
):  # type: ignore[no-untyped-def]
    r = make_recipients(school, 1)[0]
    client.force_login(operator)
    page = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert f'name="pilih" value="{r.pk}.1.{r.number_tag}" autocomplete="off" aria-label=' in page
    assert len(r.number_tag) == 16
    assert 'class="select-all" data-target="pilih" autocomplete="off"' in page
    assert "data-reload-on-restore" in page


def test_confirming_again_from_the_page_shown_before_the_first_confirmation_is_answered_as_done(
    client, operator, school
):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, 2)
    client.force_login(operator)
    ticked = _ticked(client.get(f"/sekolah/{school.npsn}/").content.decode(), rows)
    first = client.post(f"/sekolah/{school.npsn}/verifikasi/", {"pilih": ticked}, follow=True)
    assert "2 data diverifikasi." in first.content.decode()

    # The Back button: the same page, the same (now old) versions, sent again.
    again = client.post(f"/sekolah/{school.npsn}/verifikasi/", {"pilih": ticked}, follow=True)
    text = again.content.decode()
    assert "0 data diverifikasi. 2 sudah diverifikasi sebelumnya." in text
    assert "Tidak diverifikasi" not in text
    assert sorted(Recipient.objects.values_list("version", flat=True)) == [2, 2]
    assert NumberHistory.objects.filter(action="confirm").count() == 2
    assert AuditEvent.objects.filter(action="confirm_recipients").count() == 1


def test_reconfirming_residue_twice_from_one_page_sends_it_to_validation_once(operator, school):  # type: ignore[no-untyped-def]
    r = make_recipients(school, 1, status="RESIDU", reason="MASA_TENGGANG", version=4)[0]
    seen = {"expected_versions": {str(r.pk): 4}, "shown_numbers": {str(r.pk): r.number_tag}}
    first = actions.confirm_recipients(actor=operator, recipient_ids=[r.pk], **seen)
    second = actions.confirm_recipients(actor=operator, recipient_ids=[r.pk], **seen)
    assert (first.reconfirmed, first.unchanged, first.refused) == (1, 0, {})
    assert (second.reconfirmed, second.unchanged, second.refused) == (0, 1, {})
    r.refresh_from_db()
    assert (r.status, r.version) == ("BELUM_VERVAL", 5)
    assert list(NumberHistory.objects.values_list("action", flat=True)) == ["reconfirm"]


def test_a_stale_confirmation_of_a_number_someone_else_changed_is_still_refused(client, operator, school):  # type: ignore[no-untyped-def]
    colleague = UserFactory(role="OPERATOR", school=school, username="operator.kedua")
    r = make_recipients(school, 1)[0]
    client.force_login(operator)
    ticked = _ticked(client.get(f"/sekolah/{school.npsn}/").content.decode(), [r])
    # The colleague's typed number counts as confirmed (decision 0005): confirmed, but not what
    # this page showed.
    actions.change_number(actor=colleague, recipient_id=r.pk, new_raw="081377451902", expected_version=1)
    response = client.post(f"/sekolah/{school.npsn}/verifikasi/", {"pilih": ticked}, follow=True)
    text = response.content.decode()
    assert "0 data diverifikasi." in text and "sebelumnya" not in text
    assert "Tidak diverifikasi: 1 diubah orang lain sejak halaman dibuka, muat ulang." in text
    r.refresh_from_db()
    assert (r.phone_e164, r.confirmed_by_id, r.version) == ("+6281377451902", colleague.pk, 2)


def test_a_stale_confirmation_of_a_row_that_validation_sent_back_to_residue_is_still_refused(
    operator, school
):  # type: ignore[no-untyped-def]
    r = make_recipients(school, 1)[0]
    shown = {"expected_versions": {str(r.pk): 1}, "shown_numbers": {str(r.pk): r.number_tag}}
    actions.confirm_recipients(actor=operator, recipient_ids=[r.pk], **shown)
    Recipient.objects.filter(pk=r.pk).update(status="RESIDU", reason="TIDAK_AKTIF", version=3)
    result = actions.confirm_recipients(actor=operator, recipient_ids=[r.pk], **shown)
    assert (result.reconfirmed, result.unchanged, result.refused) == (0, 0, {"VERSI_BERUBAH": 1})
    assert Recipient.objects.get(pk=r.pk).status == "RESIDU"


def test_a_stale_confirmation_without_the_number_shown_is_refused_as_before(operator, school):  # type: ignore[no-untyped-def]
    r = make_recipients(school, 1)[0]
    actions.confirm_recipients(actor=operator, recipient_ids=[r.pk], expected_versions={str(r.pk): 1})
    result = actions.confirm_recipients(
        actor=operator, recipient_ids=[r.pk], expected_versions={str(r.pk): 1}
    )
    assert (result.unchanged, result.refused) == (0, {"VERSI_BERUBAH": 1})
