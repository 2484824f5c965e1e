"""A GET of an address that only takes a form's POST (a bookmark, a link pasted from the address
bar, a browser reloading after a session expired) never answers an empty 405: it leads to the
page where the form is, with a notice (decision 0096). Walks every route whose authorization
rules are all POST, as every role. The provider API keeps its JSON 405 (a program reads it)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from tests.security import authz_rules as R
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import ROUTES, _build_path, rules_for

# The matrix's fixtures: its world of objects and roles, without two-factor or throttling.
world = matrix.world
no_two_factor_no_throttle = matrix._no_two_factor_no_throttle

POST_ONLY = [
    r
    for r in ROUTES
    if not r.is_api
    and not r.route.startswith("django-admin/")
    and (rules := rules_for(r.key))
    and all(rule.method.upper() == "POST" for rule in rules)
]


def test_the_walk_finds_the_post_only_routes() -> None:
    keys = {r.key for r in POST_ONLY}
    assert {"accounts:time_zone", "accounts:registration_approve", "imports:upload", "validate"} <= keys
    assert len(POST_ONLY) >= 30


@pytest.mark.django_db
@pytest.mark.parametrize("route", POST_ONLY, ids=lambda r: r.key)
def test_a_get_of_a_post_only_route_leads_to_its_form(route, world) -> None:  # type: ignore[no-untyped-def]
    path = _build_path(route, world)
    wrong = []
    for role in R.ROLES:
        client = Client()
        with transaction.atomic():
            if role != R.ANONYMOUS:
                client.force_login(world.users[role])
            response = client.get(path)
            transaction.set_rollback(True)
        if response.status_code == 405 or response.status_code >= 500:
            wrong.append(f"GET {path} as {role}: {response.status_code}")
        elif response.status_code == 200 and b"<a " not in response.content:
            wrong.append(f"GET {path} as {role}: 200 without a link")
    assert not wrong, "\n".join(wrong)


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.wsgi_request._messages]


NOTICE = "Alamat tadi hanya bekerja lewat tombol atau formulirnya, tidak bisa dibuka langsung. Silakan ulangi dari halaman ini."


@pytest.mark.django_db
def test_a_get_of_the_time_zone_form_goes_home_with_the_notice(client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)

    response = client.get("/akun/zona-waktu/")

    assert (response.status_code, response["Location"]) == (302, "/beranda/")
    assert _messages(response) == [NOTICE]
    assert NOTICE in client.get("/beranda/").content.decode()


@pytest.mark.django_db
def test_a_get_of_a_decision_goes_to_the_registration_on_the_list(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.users[R.DINAS_KAB])
    pk = world.registration.pk

    response = client.get(f"/pendaftaran/{pk}/setujui/")

    assert (response.status_code, response["Location"]) == (302, f"/pendaftaran/#reg-{pk}")
    world.registration.refresh_from_db()
    assert world.registration.status == "PENDING"


@pytest.mark.django_db
def test_a_get_of_the_cutoff_upload_goes_to_the_pusdatin_page(client, pusdatin) -> None:  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    response = client.get("/pusdatin/impor/")

    assert (response.status_code, response["Location"]) == (302, "/pusdatin/")


@pytest.mark.django_db
def test_a_get_of_an_sptjm_upload_outside_the_scope_is_refused_as_its_post(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.users[R.OTHER_OPERATOR])
    assert client.get(f"/sptjm/{world.sptjm.pk}/unggah/").status_code == 403

    client.force_login(world.users[R.OPERATOR])
    response = client.get(f"/sptjm/{world.sptjm.pk}/unggah/")
    assert (response.status_code, response["Location"]) == (302, f"/sekolah/{world.school.npsn}/sptjm/")


@pytest.mark.django_db
def test_a_signed_out_get_of_a_post_only_address_still_goes_to_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/pusdatin/impor/")

    assert response.status_code == 302 and response["Location"].startswith("/masuk/?next=")


@pytest.mark.django_db
def test_a_get_of_either_sign_out_address_keeps_the_session(client, operator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(operator)

    for path in ("/keluar/", "/akun/logout/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/beranda/")
    assert client.get("/beranda/").status_code == 200


@pytest.mark.django_db
def test_other_methods_than_get_and_post_still_answer_405(client, pusdatin) -> None:  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    assert client.put("/pusdatin/impor/").status_code == 405
    assert client.delete("/keluar/").status_code == 405


@pytest.mark.django_db
def test_a_get_of_a_pusdatin_forms_address_by_a_dinas_ends_on_the_403_page_without_the_go_on_notice(
    client, dinas_kab
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)

    response = client.get("/pusdatin/impor/", follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [("/pusdatin/", 302)]
    assert response.status_code == 403
    assert "<h1>Tidak boleh diakses</h1>" in html
    assert "Silakan ulangi dari halaman ini" not in html
    # Dropped, not kept for the next page either.
    assert "Silakan ulangi dari halaman ini" not in client.get("/beranda/").content.decode()


@pytest.mark.django_db
def test_the_403_page_still_shows_other_messages(client, dinas_kab) -> None:  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    client.post("/akun/zona-waktu/", {"zona": "Mars/Olympus", "next": "/pusdatin/"})

    html = client.get("/pusdatin/").content.decode()

    assert '<div class="messages"><p class="msg-error" role="alert">' in html
