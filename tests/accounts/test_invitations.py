"""An account created without a password whose owner missed the link can still get one: Pusdatin
(and a Dinas for the operators of its schools) sends a new link, and "Lupa kata sandi?" reaches it
too — never a deactivated account (decision 0019)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _without_password(user):  # type: ignore[no-untyped-def]
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def new_dinas(school):  # type: ignore[no-untyped-def]
    """A Dinas account created by Pusdatin whose owner never followed the link."""
    return _without_password(
        UserFactory(
            role="DINAS_KAB", region_id=school.regency_id, username="dinas.baru", email="baru@example.test"
        )
    )


@pytest.fixture
def new_operator(school):  # type: ignore[no-untyped-def]
    return _without_password(
        UserFactory(role="OPERATOR", school=school, username="operator.baru", email="opbaru@example.test")
    )


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/akun/reset/\S+)", body).group(1)  # type: ignore[union-attr]


def _set_password_with(client, body: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(_link(body), follow=True)
    assert "Buat kata sandi baru" in page.content.decode()
    done = client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302


def test_pusdatin_resends_the_invitation_of_an_account_that_never_set_a_password(
    client, pusdatin, new_dinas, commit
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    with commit():
        response = client.post(reverse("accounts:user_resend_invitation", args=[new_dinas.pk]))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["baru@example.test"]]
    assert "dinas.baru" in mail.outbox[0].body and "berlaku 3 hari" in mail.outbox[0].body
    events = AuditEvent.objects.filter(
        action="resend_invitation", actor=pusdatin, object_id=str(new_dinas.pk)
    )
    assert events.count() == 1
    client.logout()
    _set_password_with(client, mail.outbox[0].body, "Dinas-Baru-2020!")
    assert client.login(username="dinas.baru", password="Dinas-Baru-2020!")


def test_dinas_resends_the_invitation_of_an_operator_of_its_school(client, dinas_kab, new_operator, commit):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    with commit():
        client.post(reverse("accounts:user_resend_invitation", args=[new_operator.pk]))
    assert [m.to for m in mail.outbox] == [["opbaru@example.test"]]
    assert AuditEvent.objects.filter(action="resend_invitation", actor=dinas_kab).count() == 1


def test_dinas_cannot_resend_invitations_outside_its_operators(
    client, other_dinas_kab, dinas_prov, new_operator, new_dinas, commit
):  # type: ignore[no-untyped-def]
    client.force_login(other_dinas_kab)
    with commit():
        assert (
            client.post(reverse("accounts:user_resend_invitation", args=[new_operator.pk])).status_code == 403
        )
    client.force_login(dinas_prov)
    with commit():
        assert client.post(reverse("accounts:user_resend_invitation", args=[new_dinas.pk])).status_code == 403
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="resend_invitation").exists()


def test_no_invitation_for_an_account_with_a_password_or_a_deactivated_one(
    client, pusdatin, operator, new_dinas, commit
):  # type: ignore[no-untyped-def]
    new_dinas.is_active = False
    new_dinas.save(update_fields=["is_active"])
    client.force_login(pusdatin)
    with commit():
        has_password = client.post(
            reverse("accounts:user_resend_invitation", args=[operator.pk]), follow=True
        )
        deactivated = client.post(
            reverse("accounts:user_resend_invitation", args=[new_dinas.pk]), follow=True
        )
    assert "Akun ini sudah punya kata sandi" in has_password.content.decode()
    assert "Akun ini nonaktif" in deactivated.content.decode()
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="resend_invitation").exists()


def test_accounts_page_offers_a_new_invitation_only_to_accounts_that_never_set_a_password(
    client, pusdatin, operator, new_dinas
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = client.get(reverse("accounts:users")).content.decode()
    assert reverse("accounts:user_resend_invitation", args=[new_dinas.pk]) in html
    assert reverse("accounts:user_resend_invitation", args=[operator.pk]) not in html
    assert "Belum membuat kata sandi" in html


def test_forgotten_password_form_reaches_an_active_account_that_never_set_a_password(
    client, new_dinas, commit
):  # type: ignore[no-untyped-def]
    with commit():
        response = client.post(reverse("password_reset"), {"email": "BARU@example.test"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["baru@example.test"]]
    _set_password_with(client, mail.outbox[0].body, "Dinas-Baru-2020!")
    assert client.login(username="dinas.baru", password="Dinas-Baru-2020!")


def test_forgotten_password_form_never_reaches_a_deactivated_account(client, school, commit):  # type: ignore[no-untyped-def]
    gone = UserFactory(
        role="OPERATOR", school=school, username="lama", email="lama@example.test", is_active=False
    )
    _without_password(
        UserFactory(role="PROVIDER", provider="xl", username="xl", email="xl@example.test", is_active=False)
    )
    with commit():
        for email in (gone.email, "xl@example.test"):
            assert client.post(reverse("password_reset"), {"email": email}).status_code == 302
    assert mail.outbox == []


def test_forgotten_password_link_starts_with_the_configured_site_address(client, operator, settings, commit):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "SITE_URL": "https://verval.example.go.id"}
    with commit():
        client.post(reverse("password_reset"), {"email": operator.email}, HTTP_HOST="testserver")
    assert "https://verval.example.go.id/akun/reset/" in mail.outbox[0].body


def test_invitation_is_written_in_indonesian_whatever_the_senders_language(client, pusdatin, commit):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    client.cookies["django_language"] = "en"
    data = {
        "role": "PROVIDER",
        "provider": "xl",
        "full_name": "XL",
        "username": "xl.api",
        "email": "xl@example.test",
    }
    with commit():
        client.post(reverse("accounts:staff_create"), data)
    assert mail.outbox[0].subject == "Akun Verval Ponsel Anda"
    assert "Pusdatin membuat akun Verval Ponsel untuk Anda" in mail.outbox[0].body
