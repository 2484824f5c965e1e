"""Pusdatin creates Dinas and provider accounts; deactivation by Pusdatin (any) and Dinas (its operators)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory
from verval.accounts.models import Role, User
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/akun/reset/\S+)", body).group(1)  # type: ignore[union-attr]


def test_pusdatin_creates_dinas_kab_account_and_owner_sets_password_by_link(client, pusdatin, commit):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    data = {
        "role": "DINAS_KAB",
        "region": "020500",
        "full_name": "Dinas Bogor",
        "username": "dinas.bogor",
        "email": "bogor@example.test",
    }
    with commit():
        response = client.post(reverse("accounts:staff_create"), data)
    assert response.status_code == 302
    user = User.objects.get(username="dinas.bogor")
    assert (user.role, user.region_id, user.is_active, user.has_usable_password()) == (
        "DINAS_KAB",
        "020500",
        True,
        False,
    )
    assert (
        AuditEvent.objects.filter(
            action="create_staff_account", actor=pusdatin, object_id=str(user.pk)
        ).count()
        == 1
    )
    assert mail.outbox[0].to == ["bogor@example.test"]
    client.logout()
    page = client.get(_link(mail.outbox[0].body), follow=True)
    assert "Buat kata sandi baru" in page.content.decode()
    set_url = page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Dinas-Bogor-2020!", "new_password2": "Dinas-Bogor-2020!"})
    assert done.status_code == 302
    assert client.login(username="dinas.bogor", password="Dinas-Bogor-2020!")


def test_pusdatin_creates_provider_account(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    data = {
        "role": "PROVIDER",
        "provider": "xl",
        "full_name": "XL",
        "username": "xl.api",
        "email": "xl@example.test",
    }
    client.post(reverse("accounts:staff_create"), data)
    assert User.objects.filter(username="xl.api", role=Role.PROVIDER, provider="xl").exists()


def test_dinas_account_needs_region_of_the_right_level(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    data = {
        "role": "DINAS_KAB",
        "region": "020000",
        "full_name": "X",
        "username": "salah.level",
        "email": "x@example.test",
    }
    response = client.post(reverse("accounts:staff_create"), data)
    assert "Kode wilayah tidak ditemukan untuk peran ini" in response.content.decode()
    assert not User.objects.filter(username="salah.level").exists()


@pytest.mark.parametrize(
    ("role", "region", "message"),
    [
        (
            "DINAS_KAB",
            "",
            "Kode wilayah wajib diisi untuk peran ini (provinsi PP0000, kabupaten/kota PPKK00).",
        ),
        (
            "DINAS_PROV",
            "  ",
            "Kode wilayah wajib diisi untuk peran ini (provinsi PP0000, kabupaten/kota PPKK00).",
        ),
        (
            "DINAS_KAB",
            "999999",
            "Kode wilayah tidak ditemukan untuk peran ini (provinsi PP0000, kabupaten/kota PPKK00).",
        ),
    ],
)
def test_an_empty_region_is_said_to_be_required_and_an_unknown_one_not_found(
    client, pusdatin, role, region, message
):  # type: ignore[no-untyped-def]
    # Decision 0103: the walk of decision 0097 read "tidak ditemukan" for a field left empty.
    client.force_login(pusdatin)
    data = {
        "role": role,
        "region": region,
        "full_name": "X",
        "username": "dinas.baru",
        "email": "x@example.test",
    }

    response = client.post(reverse("accounts:staff_create"), data)

    assert response.context["form"].errors == {"region": [message]}
    assert not User.objects.filter(username="dinas.baru").exists()


def test_the_new_account_form_offers_a_way_back_to_the_accounts_and_keeps_what_was_typed(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = client.get(reverse("accounts:staff_create")).content.decode()
    assert '<a href="/pengguna/">Batal</a>' in html
    data = {"role": "DINAS_KAB", "region": "999999", "full_name": "Dinas Uji", "username": "dinas.uji"}
    response = client.post(reverse("accounts:staff_create"), {**data, "email": "bukan-surel"})
    html = response.content.decode()
    assert '<a href="/pengguna/">Batal</a>' in html
    assert sorted(response.context["form"].errors) == ["email", "region"]
    for value in ("999999", "Dinas Uji", "dinas.uji", "bukan-surel"):
        assert f'value="{value}"' in html
    assert not User.objects.filter(username="dinas.uji").exists()


def test_dinas_and_operator_cannot_create_accounts(client, dinas_prov, operator):  # type: ignore[no-untyped-def]
    data = {"role": "PUSDATIN", "full_name": "X", "username": "naik.pangkat", "email": "x@example.test"}
    for user in (dinas_prov, operator):
        client.force_login(user)
        assert client.post(reverse("accounts:staff_create"), data).status_code == 403
    assert not User.objects.filter(username="naik.pangkat").exists()


def test_pusdatin_deactivates_any_account_and_it_can_no_longer_sign_in(client, pusdatin, provider_user):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    client.post(reverse("accounts:user_deactivate", args=[provider_user.pk]), {"reason": "kontrak selesai"})
    provider_user.refresh_from_db()
    assert provider_user.is_active is False
    assert (
        AuditEvent.objects.filter(
            action="deactivate_user", object_id=str(provider_user.pk), note="kontrak selesai"
        ).count()
        == 1
    )
    client.logout()
    assert not client.login(username="telkomsel", password="rahasia-123")


def test_deactivated_user_loses_existing_session(client, pusdatin, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    assert client.get(reverse("accounts:home")).status_code == 200
    User.objects.filter(pk=operator.pk).update(is_active=False)
    assert client.get(reverse("accounts:home")).status_code == 302


def test_dinas_deactivates_operator_of_its_school(client, dinas_kab, operator):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    assert "operator" in client.get(reverse("accounts:users")).content.decode()
    client.post(reverse("accounts:user_deactivate", args=[operator.pk]))
    operator.refresh_from_db()
    assert operator.is_active is False


def test_dinas_cannot_deactivate_operator_of_other_regency_or_staff(
    client, dinas_kab, other_operator, pusdatin
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    assert "operator2" not in client.get(reverse("accounts:users")).content.decode()
    for target in (other_operator, pusdatin):
        assert client.post(reverse("accounts:user_deactivate", args=[target.pk])).status_code == 403
        target.refresh_from_db()
        assert target.is_active is True


def test_nobody_deactivates_own_account(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    client.post(reverse("accounts:user_deactivate", args=[pusdatin.pk]))
    pusdatin.refresh_from_db()
    assert pusdatin.is_active is True


def test_pusdatin_reactivates_account(client, pusdatin):  # type: ignore[no-untyped-def]
    gone = UserFactory(role="PROVIDER", provider="tri", username="tri", is_active=False)
    client.force_login(pusdatin)
    client.post(reverse("accounts:user_reactivate", args=[gone.pk]))
    gone.refresh_from_db()
    assert gone.is_active is True


def test_password_reset_sends_link_and_new_password_works(client, operator, commit):  # type: ignore[no-untyped-def]
    with commit():
        response = client.post(reverse("password_reset"), {"email": "operator@example.test"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["operator@example.test"]
    page = client.get(_link(mail.outbox[0].body), follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": "Baru-Sekali-2021", "new_password2": "Baru-Sekali-2021"}
    )
    assert client.login(username="operator", password="Baru-Sekali-2021")


def test_password_reset_pages_render_in_base_layout(client):  # type: ignore[no-untyped-def]
    page = client.get(reverse("password_reset")).content.decode()
    assert "Lupa kata sandi" in page and 'class="brand"' in page
    assert "Periksa surel Anda" in client.get(reverse("password_reset_done")).content.decode()


def test_staff_account_cannot_reuse_another_accounts_email(client, pusdatin, dinas_kab):  # type: ignore[no-untyped-def]
    from verval.accounts.models import User

    client.force_login(pusdatin)
    response = client.post(
        reverse("accounts:staff_create"),
        {
            "role": "PROVIDER",
            "provider": "xl",
            "full_name": "Tim XL",
            "username": "xl.baru",
            "email": dinas_kab.email.upper(),
        },
    )
    assert "Surel ini sudah dipakai akun lain" in response.content.decode()
    assert not User.objects.filter(username="xl.baru").exists()


def test_createsuperuser_makes_the_first_pusdatin_account(monkeypatch):  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    from verval.accounts.models import User

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Kuota-Belajar-2020")
    call_command(
        "createsuperuser", interactive=False, username="admin.pusdatin", email="a@example.test", verbosity=0
    )
    user = User.objects.get(username="admin.pusdatin")
    assert (user.role, user.is_superuser, user.check_password("Kuota-Belajar-2020")) == (
        "PUSDATIN",
        True,
        True,
    )


def test_account_search_reads_the_term_from_the_body_never_from_the_address(
    client, pusdatin, operator, other_operator
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    found = client.post(reverse("accounts:users"), {"q": "operator2"}).content.decode()
    assert ">operator2<br>" in found
    assert ">operator<br>" not in found
    assert 'value="operator2"' in found
    # A term in the query string is ignored: the whole list shows.
    listed = client.get(reverse("accounts:users"), {"q": "operator2"}).content.decode()
    assert ">operator<br>" in listed and ">operator2<br>" in listed
    assert '<form method="post" action="/pengguna/" id="user-search"' in listed
