"""A deactivated account's e-mail address may go to its replacement, and Pusdatin corrects an
account's e-mail address and scope (a Dinas's region, an operator's school), audited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import SchoolFactory, UserFactory
from verval.accounts import access
from verval.accounts.models import User
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _edit(client, user, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:user_edit", args=[user.pk]), data)


def test_replacement_account_may_reuse_the_email_of_a_deactivated_account(client, pusdatin, dinas_kab):  # type: ignore[no-untyped-def]
    dinas_kab.is_active = False
    dinas_kab.save(update_fields=["is_active"])
    client.force_login(pusdatin)
    data = {
        "role": "DINAS_KAB",
        "region": "020500",
        "full_name": "Dinas Bogor",
        "username": "dinas.bogor.baru",
        "email": dinas_kab.email,
    }
    assert client.post(reverse("accounts:staff_create"), data).status_code == 302
    assert User.objects.get(username="dinas.bogor.baru").email == dinas_kab.email


def test_reactivating_an_account_whose_email_went_to_its_replacement_is_refused(client, pusdatin, dinas_kab):  # type: ignore[no-untyped-def]
    dinas_kab.is_active = False
    dinas_kab.save(update_fields=["is_active"])
    UserFactory(role="DINAS_KAB", region_id="020500", username="pengganti", email=dinas_kab.email)
    client.force_login(pusdatin)
    response = client.post(reverse("accounts:user_reactivate", args=[dinas_kab.pk]), follow=True)
    assert "Surel akun ini sekarang dipakai akun aktif lain" in response.content.decode()
    dinas_kab.refresh_from_db()
    assert dinas_kab.is_active is False


def test_pusdatin_corrects_a_mistyped_email_and_the_invitation_goes_to_the_new_address(
    client, pusdatin, school, commit
):  # type: ignore[no-untyped-def]
    invited = UserFactory(
        role="DINAS_KAB", region_id=school.regency_id, username="dinas.baru", email="slah@example.test"
    )
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    client.force_login(pusdatin)
    with commit():
        response = _edit(client, invited, email="salah.tidak@example.test", region="020500")
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.email == "salah.tidak@example.test"
    assert [m.to for m in mail.outbox] == [["salah.tidak@example.test"]]
    assert "/akun/reset/" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="update_account", object_id=str(invited.pk))
    assert (event.actor_id, event.before, event.after) == (
        pusdatin.pk,
        {"email": "slah@example.test", "region": "020500"},
        {"email": "salah.tidak@example.test", "region": "020500"},
    )


def test_an_account_with_a_password_is_not_sent_an_invitation_when_its_email_changes(
    client, pusdatin, provider_user, commit
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    with commit():
        _edit(client, provider_user, email="tim.baru@example.test")
    provider_user.refresh_from_db()
    assert provider_user.email == "tim.baru@example.test"
    assert mail.outbox == []


def test_pusdatin_moves_a_dinas_account_to_another_region_of_its_level(
    client, pusdatin, dinas_kab, other_school
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    assert _edit(client, dinas_kab, email=dinas_kab.email, region="020600").status_code == 302
    dinas_kab.refresh_from_db()
    assert dinas_kab.region_id == "020600"
    assert list(access.schools_for(dinas_kab)) == [other_school]
    event = AuditEvent.objects.get(action="update_account")
    assert (event.before["region"], event.after["region"], event.region_code) == (
        "020500",
        "020600",
        "020600",
    )


def test_a_region_of_another_level_is_refused(client, pusdatin, dinas_kab, dinas_prov):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = _edit(client, dinas_kab, email=dinas_kab.email, region="020000").content.decode()
    assert "Kode wilayah tidak ditemukan untuk peran ini" in html
    _edit(client, dinas_prov, email=dinas_prov.email, region="020500")
    dinas_kab.refresh_from_db()
    dinas_prov.refresh_from_db()
    assert (dinas_kab.region_id, dinas_prov.region_id) == ("020500", "020000")
    assert not AuditEvent.objects.filter(action="update_account").exists()


def test_pusdatin_moves_an_operator_to_another_active_school_only(client, pusdatin, operator, other_school):  # type: ignore[no-untyped-def]
    closed = SchoolFactory(npsn="29999999", active=False)
    client.force_login(pusdatin)
    html = _edit(client, operator, email=operator.email, npsn=closed.npsn).content.decode()
    assert "NPSN tidak ditemukan atau sekolah tidak aktif." in html
    assert _edit(client, operator, email=operator.email, npsn=other_school.npsn).status_code == 302
    operator.refresh_from_db()
    assert operator.school_id == other_school.npsn


def test_an_email_used_by_another_active_account_is_refused(client, pusdatin, operator, provider_user):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = _edit(client, provider_user, email=operator.email.upper()).content.decode()
    assert "Surel ini sudah dipakai akun lain" in html
    provider_user.refresh_from_db()
    assert provider_user.email == "telkomsel@example.test"


def test_only_pusdatin_edits_accounts_and_never_its_own(client, pusdatin, dinas_kab, operator):  # type: ignore[no-untyped-def]
    for user in (dinas_kab, operator):
        client.force_login(user)
        assert client.get(reverse("accounts:user_edit", args=[operator.pk])).status_code == 403
        assert _edit(client, operator, email="lain@example.test", npsn=operator.school_id).status_code == 403
    client.force_login(pusdatin)
    html = _edit(client, pusdatin, email="saya@example.test").content.decode()
    assert "Akun Anda sendiri diubah oleh pengguna Pusdatin lain." in html
    operator.refresh_from_db()
    pusdatin.refresh_from_db()
    assert (operator.email, pusdatin.email) == ("operator@example.test", "pusdatin@example.test")


def test_edit_page_offers_only_the_fields_of_the_accounts_role(
    client, pusdatin, dinas_kab, operator, provider_user
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    dinas_page = client.get(reverse("accounts:user_edit", args=[dinas_kab.pk])).content.decode()
    operator_page = client.get(reverse("accounts:user_edit", args=[operator.pk])).content.decode()
    provider_page = client.get(reverse("accounts:user_edit", args=[provider_user.pk])).content.decode()
    assert 'name="region" value="020500"' in dinas_page and 'name="npsn"' not in dinas_page
    assert (
        f'name="npsn" value="{operator.school_id}"' in operator_page and 'name="region"' not in operator_page
    )
    assert 'name="region"' not in provider_page and 'name="npsn"' not in provider_page
    assert (
        reverse("accounts:user_edit", args=[operator.pk])
        in client.get(reverse("accounts:users")).content.decode()
    )
