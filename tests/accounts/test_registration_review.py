"""What a Dinas sees and receives about a registration: the other requests for the same school or
from the same e-mail address, an address that already holds the school's operator account, and a
notification in Indonesian with the address of the approval page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.helpers import registration_data
from tests.factories import SchoolFactory, UserFactory
from verval.accounts.models import OperatorRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _register(client, school, username: str, email: str, **extra):  # type: ignore[no-untyped-def]
    data = registration_data(school, username=username, email=email)
    return client.post(reverse("accounts:register"), data, **extra)


def _row(html: str, registration: OperatorRegistration) -> str:
    start = html.index(f'<tr id="reg-{registration.pk}">')
    return html[start : html.index("</tr>", start)]


def test_dinas_sees_the_other_pending_requests_for_the_same_school(client, school, dinas_kab):  # type: ignore[no-untyped-def]
    for n in range(3):
        _register(client, school, f"calon{n}", f"calon{n}@example.test")
    client.force_login(dinas_kab)
    html = client.get(reverse("accounts:registrations")).content.decode()
    for registration in OperatorRegistration.objects.all():
        assert "2 pendaftaran lain untuk sekolah ini juga menunggu." in _row(html, registration)


def test_dinas_sees_the_other_pending_requests_from_the_same_email(client, school, dinas_kab):  # type: ignore[no-untyped-def]
    second_school = SchoolFactory()  # same regency
    _register(client, school, "calon1", "sama@example.test")
    _register(client, second_school, "calon2", "SAMA@example.test")
    _register(client, second_school, "calon3", "lain@example.test")
    client.force_login(dinas_kab)
    html = client.get(reverse("accounts:registrations")).content.decode()
    first = OperatorRegistration.objects.get(username="calon1")
    other = OperatorRegistration.objects.get(username="calon3")
    assert "1 pendaftaran lain dengan surel ini juga menunggu." in _row(html, first)
    assert "dengan surel ini" not in _row(html, other)
    assert "untuk sekolah ini" not in _row(html, first)


def test_the_same_email_count_stays_within_the_dinas_scope(client, school, other_school, dinas_kab):  # type: ignore[no-untyped-def]
    _register(client, school, "calon1", "sama@example.test")
    _register(client, other_school, "calon2", "sama@example.test")
    client.force_login(dinas_kab)
    html = client.get(reverse("accounts:registrations")).content.decode()
    assert "dengan surel ini" not in html


def test_dinas_is_warned_when_the_email_already_holds_an_active_operator_account_of_the_school(
    client, school, dinas_kab
):  # type: ignore[no-untyped-def]
    existing = UserFactory(
        role="OPERATOR", school=school, username="operator.lama", email="Budi@Example.test"
    )
    _register(client, school, "budi.op", "budi@example.test")
    client.force_login(dinas_kab)
    warning = "Surel ini sudah dipakai akun operator aktif sekolah ini."
    assert warning in client.get(reverse("accounts:registrations")).content.decode()
    assert warning in client.get(reverse("core:dinas")).content.decode()
    existing.is_active = False
    existing.save(update_fields=["is_active"])
    assert warning not in client.get(reverse("accounts:registrations")).content.decode()


def test_decided_registrations_carry_no_warnings(client, school, dinas_kab, operator):  # type: ignore[no-untyped-def]
    _register(client, school, "calon1", operator.email)
    _register(client, school, "calon2", operator.email)
    client.force_login(dinas_kab)
    first = OperatorRegistration.objects.get(username="calon1")
    client.post(reverse("accounts:registration_reject", args=[first.pk]), {"reason": "ganda"})
    html = client.get(reverse("accounts:registrations") + "?status=REJECTED").content.decode()
    row = _row(html, first)
    assert "operator aktif" not in row and "juga menunggu" not in row


def test_new_registration_mail_to_dinas_is_in_indonesian_with_the_approval_page_address(
    client, school, dinas_kab, commit
):  # type: ignore[no-untyped-def]
    with commit():
        _register(client, school, "budi.op", "budi@example.test", HTTP_ACCEPT_LANGUAGE="en")
    registration = OperatorRegistration.objects.get()
    (to_dinas,) = [m for m in mail.outbox if m.to == [dinas_kab.email]]
    assert to_dinas.subject == "Pendaftaran operator baru menunggu persetujuan"
    assert f"http://testserver/pendaftaran/#reg-{registration.pk}" in to_dinas.body
    assert school.npsn in to_dinas.body and school.name in to_dinas.body
    # The applicant, who chose English, is answered in English.
    (to_applicant,) = [m for m in mail.outbox if m.to == ["budi@example.test"]]
    assert to_applicant.subject == "Verval Ponsel operator registration received"


def test_new_registration_mail_uses_the_configured_site_address(client, school, dinas_kab, settings, commit):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "SITE_URL": "https://verval.example.go.id/"}
    with commit():
        _register(client, school, "budi.op", "budi@example.test")
    registration = OperatorRegistration.objects.get()
    (to_dinas,) = [m for m in mail.outbox if m.to == [dinas_kab.email]]
    assert f"https://verval.example.go.id/pendaftaran/#reg-{registration.pk}" in to_dinas.body


def test_decision_mail_to_the_applicant_is_in_indonesian_whatever_the_dinas_language(
    client, school, dinas_kab, commit
):  # type: ignore[no-untyped-def]
    _register(client, school, "budi.op", "budi@example.test")
    registration = OperatorRegistration.objects.get()
    mail.outbox.clear()
    client.force_login(dinas_kab)
    client.cookies["django_language"] = "en"
    with commit():
        client.post(reverse("accounts:registration_approve", args=[registration.pk]))
    assert mail.outbox[0].subject == "Pendaftaran operator Verval Ponsel disetujui"
