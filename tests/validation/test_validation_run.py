"""Pusdatin's validation run: pending verdicts become statuses, with history, once."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.factories import RecipientFactory
from verval.core.models import AuditEvent, Job
from verval.registry.models import NumberHistory, Recipient, SharedNumber
from verval.registry.services import validate_pending

pytestmark = pytest.mark.django_db


def _invalid(school, reason="TELEPON_RUMAH"):  # type: ignore[no-untyped-def]
    return RecipientFactory(school=school, phone_raw="021-5551234", phone_e164="", operator="", reason=reason)


def test_validation_moves_valid_numbers_to_provider_and_invalid_to_format_salah(school, pusdatin):  # type: ignore[no-untyped-def]
    valid = RecipientFactory.create_batch(3, school=school)
    bad = _invalid(school)
    counts = validate_pending(actor=pusdatin)
    assert counts == {
        "divalidasi": 4,
        "menunggu_provider": 3,
        "format_salah": 1,
        "nomor_dipakai_bersama": 0,
        "nomor_tidak_rasional": 0,
    }
    assert (
        sorted(Recipient.objects.filter(pk__in=[r.pk for r in valid]).values_list("status", flat=True))
        == ["MENUNGGU_PROVIDER"] * 3
    )
    bad.refresh_from_db()
    assert (bad.status, bad.reason, bad.needs_validation, bad.version) == (
        "FORMAT_SALAH",
        "TELEPON_RUMAH",
        False,
        2,
    )
    history = NumberHistory.objects.get(recipient=bad)
    assert (history.from_status, history.to_status, history.reason, history.actor_id) == (
        "BELUM_VERVAL",
        "FORMAT_SALAH",
        "TELEPON_RUMAH",
        pusdatin.pk,
    )
    assert AuditEvent.objects.filter(action="validate").count() == 1


def test_second_validation_run_changes_nothing(school, pusdatin):  # type: ignore[no-untyped-def]
    RecipientFactory.create_batch(2, school=school)
    validate_pending(actor=pusdatin)
    counts = validate_pending(actor=pusdatin)
    assert counts["divalidasi"] == 0
    assert NumberHistory.objects.count() == 2


def test_locked_and_inactive_recipients_are_not_validated(school, pusdatin):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, locked=True)
    RecipientFactory(school=school, active=False)
    assert validate_pending(actor=pusdatin)["divalidasi"] == 0


def test_number_shared_by_more_than_three_is_flagged_and_more_than_ten_is_implausible(
    school, other_school, pusdatin
):  # type: ignore[no-untyped-def]
    RecipientFactory.create_batch(4, school=school, phone_raw="081299990000", phone_e164="+6281299990000")
    RecipientFactory.create_batch(3, school=school, phone_raw="081299990001", phone_e164="+6281299990001")
    RecipientFactory.create_batch(6, school=school, phone_raw="081299990002", phone_e164="+6281299990002")
    RecipientFactory.create_batch(
        5, school=other_school, phone_raw="081299990002", phone_e164="+6281299990002"
    )
    counts = validate_pending(actor=pusdatin)
    assert (counts["nomor_dipakai_bersama"], counts["nomor_tidak_rasional"]) == (2, 1)
    flags = {f.phone_e164: (f.recipients, f.schools, f.level) for f in SharedNumber.objects.all()}
    assert flags == {"+6281299990000": (4, 1, "SEKOLAH"), "+6281299990002": (11, 2, "TIDAK_RASIONAL")}


def test_shared_number_page_names_only_recipients_in_scope(
    client, school, other_school, operator, dinas_kab, pusdatin
):  # type: ignore[no-untyped-def]
    mine = RecipientFactory.create_batch(
        6, school=school, phone_raw="081299990002", phone_e164="+6281299990002"
    )
    theirs = RecipientFactory.create_batch(
        5, school=other_school, phone_raw="081299990002", phone_e164="+6281299990002"
    )
    validate_pending(actor=pusdatin)
    client.force_login(operator)
    html = client.get("/nomor-bersama/").content.decode()
    # The school's own operator reads the number in full (decision 0034), as in its school list.
    assert "0812-9999-0002" in html and "0812****0002" not in html
    assert all(r.name in html for r in mine)
    assert not any(r.name in html for r in theirs)
    client.force_login(dinas_kab)
    html = client.get("/nomor-bersama/").content.decode()
    assert "Tidak rasional" in html
    assert "0812****0002" in html and "0812-9999-0002" not in html


def test_validate_command_prints_json_counts(school):  # type: ignore[no-untyped-def]
    from io import StringIO

    RecipientFactory(school=school)
    _invalid(school)
    out = StringIO()
    call_command("validate", "--json", stdout=out)
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (data["validated"], data["awaiting_provider"], data["invalid_format"]) == (2, 1, 1)
    assert Job.objects.get(pk=data["job"]).state == "SUCCEEDED"


def test_only_pusdatin_can_start_validation(
    client, operator, pusdatin, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    client.force_login(operator)
    assert client.post("/pusdatin/validasi/").status_code == 403
    assert Recipient.objects.filter(status="MENUNGGU_PROVIDER").count() == 0
    client.force_login(pusdatin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/pusdatin/validasi/")
    assert response.status_code == 302
    assert Recipient.objects.filter(status="MENUNGGU_PROVIDER").count() == 1
    (started,) = AuditEvent.objects.filter(action="request_validation")
    assert (started.actor_id, started.object_id) == (pusdatin.pk, str(Job.objects.get(kind="validate").pk))


def test_phone_check_page_shows_each_verdict_with_reason_and_action(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post("/cek-nomor/", {"numbers": "0812-3456-7891\n021-5551234\n"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "0812-3456-7891" in html and "Telkomsel" in html
    assert "TELEPON_RUMAH" in html
    assert "1 valid" in html


def test_phone_check_page_needs_sign_in(client):  # type: ignore[no-untyped-def]
    response = client.post("/cek-nomor/", {"numbers": "081234567891"})
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")


def test_recheck_replaces_stale_verdicts_and_sends_them_through_validation(school):  # type: ignore[no-untyped-def]
    from io import StringIO

    fresh = RecipientFactory(
        school=school, phone_raw="0812-1726-3845", phone_e164="+6281217263845", operator="telkomsel"
    )
    # Stored under an older rule that did not know the prefix: refused, already validated.
    stale = RecipientFactory(
        school=school,
        phone_raw="0851-1726-3845",
        phone_e164="",
        operator="",
        reason="PREFIKS_TIDAK_DIKENAL",
        status="FORMAT_SALAH",
        needs_validation=False,
    )
    out = StringIO()
    call_command("validate", "--recheck", "--json", stdout=out)
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (data["rechecked"], data["verdicts_changed"], data["validated"]) == (2, 1, 2)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.phone_e164, stale.operator, stale.reason, stale.status) == (
        "+6285117263845",
        "telkomsel",
        "",
        "MENUNGGU_PROVIDER",
    )
    assert fresh.status == "MENUNGGU_PROVIDER"


def test_recheck_keeps_provider_answers_of_numbers_whose_verdict_did_not_change(school):  # type: ignore[no-untyped-def]
    from io import StringIO

    residue = RecipientFactory(
        school=school,
        phone_raw="0812-1726-3845",
        phone_e164="+6281217263845",
        operator="telkomsel",
        reason="TIDAK_AKTIF",
        reason_note="",
        status="RESIDU",
        needs_validation=False,
    )
    active = RecipientFactory(
        school=school,
        phone_raw="0812-1726-3846",
        phone_e164="+6281217263846",
        operator="telkomsel",
        status="AKTIF",
        needs_validation=False,
    )
    versions = (residue.version, active.version)
    out = StringIO()
    call_command("validate", "--recheck", "--json", stdout=out)
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (data["rechecked"], data["verdicts_changed"], data["validated"]) == (2, 0, 0)
    residue.refresh_from_db()
    active.refresh_from_db()
    assert (residue.status, residue.reason, residue.needs_validation) == ("RESIDU", "TIDAK_AKTIF", False)
    assert (active.status, active.reason) == ("AKTIF", "")
    assert (residue.version, active.version) == versions
