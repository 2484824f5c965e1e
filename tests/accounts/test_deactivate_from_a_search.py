"""Deactivating (or reactivating) an account from a search result of `/pengguna/` shows that
search again, the term carried in the button's form body and never in an address (decisions 0004,
0136); from the unsearched list, the list's role filter and page by address as before."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [u.username for u in response.context["page"].object_list]


@pytest.fixture
def operators(school):  # type: ignore[no-untyped-def]
    return [
        UserFactory(role="OPERATOR", school=school, username=name)
        for name in ("budi.sd1", "budi.sd2", "siti.sd1")
    ]


def test_the_search_result_carries_its_term_in_each_rows_form_and_not_in_an_address(  # type: ignore[no-untyped-def]
    dinas_kab, operators
):
    html = _login(dinas_kab).post(reverse("accounts:users"), {"q": "budi"}).content.decode()

    assert html.count('<input type="hidden" name="q" value="budi">') == 2
    assert f'<form method="post" action="{reverse("accounts:users")}" id="user-search"' in html
    assert "?q=" not in html and "q=budi" not in html


def test_deactivating_from_a_search_shows_the_search_again_with_the_account_inactive(  # type: ignore[no-untyped-def]
    dinas_kab, operators
):
    budi = operators[0]

    response = _login(dinas_kab).post(
        reverse("accounts:user_deactivate", args=[budi.pk]), {"reason": "pindah tugas", "q": "budi"}
    )

    budi.refresh_from_db()
    html = response.content.decode()
    assert (response.status_code, budi.is_active) == (200, False)
    assert _listed(response) == ["budi.sd1", "budi.sd2"]
    assert response.context["q"] == "budi"
    assert f"Akun {budi.username} dinonaktifkan." in html
    assert '<input type="search" id="f-q" name="q" value="budi">' in html
    assert AuditEvent.objects.filter(action="deactivate_user", object_id=str(budi.pk)).count() == 1


def test_reactivating_from_a_search_shows_the_search_again(dinas_kab, operators):  # type: ignore[no-untyped-def]
    budi = operators[1]
    budi.is_active = False
    budi.save(update_fields=["is_active"])

    response = _login(dinas_kab).post(reverse("accounts:user_reactivate", args=[budi.pk]), {"q": "budi"})

    budi.refresh_from_db()
    assert (response.status_code, budi.is_active, _listed(response)) == (200, True, ["budi.sd1", "budi.sd2"])


def test_deactivating_from_the_unsearched_list_goes_back_to_its_role_and_page_by_address(  # type: ignore[no-untyped-def]
    pusdatin, operators
):
    response = _login(pusdatin).post(
        reverse("accounts:user_deactivate", args=[operators[2].pk]),
        {"role": "OPERATOR", "hal": "2", "q": "  "},
    )

    assert (response.status_code, response["Location"]) == (302, "/pengguna/?role=OPERATOR&hal=2")


def test_deactivating_without_a_list_state_goes_back_to_the_whole_list(pusdatin, operators):  # type: ignore[no-untyped-def]
    response = _login(pusdatin).post(
        reverse("accounts:user_deactivate", args=[operators[2].pk]), {"role": "BUKAN", "hal": "x"}
    )

    assert (response.status_code, response["Location"]) == (302, "/pengguna/")
