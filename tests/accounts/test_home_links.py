"""Home pages link to what each role may use: the shared-number list and two-step setup."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SHARED = 'href="/nomor-bersama/"'
TWO_FACTOR = 'href="/akun/2fa/"'


@pytest.mark.parametrize("who", ["dinas_kab", "dinas_prov"])
def test_dinas_home_and_region_page_link_to_shared_numbers_and_two_step_setup(client, request, who):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("accounts:home"), reverse("core:dinas")):
        html = client.get(url).content.decode()
        assert SHARED in html and TWO_FACTOR in html, url
    assert client.get("/nomor-bersama/").status_code == 200
    assert client.get("/akun/2fa/").status_code == 200


def test_pusdatin_home_links_to_both(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = client.get(reverse("accounts:home")).content.decode()
    assert SHARED in html and TWO_FACTOR in html


def test_operator_home_links_to_shared_numbers_but_not_to_two_step_setup(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(reverse("accounts:home")).content.decode()
    assert SHARED in html and TWO_FACTOR not in html


def test_provider_home_links_to_neither(client, provider_user):  # type: ignore[no-untyped-def]
    client.force_login(provider_user)
    html = client.get(reverse("accounts:home")).content.decode()
    assert SHARED not in html and TWO_FACTOR not in html


def test_two_step_link_follows_the_configured_roles(client, dinas_kab, settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "TWO_FACTOR_ROLES": ["PUSDATIN"]}
    client.force_login(dinas_kab)
    assert TWO_FACTOR not in client.get(reverse("core:dinas")).content.decode()
