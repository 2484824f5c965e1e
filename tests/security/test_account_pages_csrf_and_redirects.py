"""`/akun/saya/` and `/akun/zona-waktu/` (security review, decision 0045): a POST without the CSRF
token changes nothing, and the zone form's `next` never sends the reader off the site."""

from __future__ import annotations

import pytest
from django.test import Client

from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _strict(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_the_zone_form_without_its_csrf_token_is_refused_and_changes_nothing(operator):  # type: ignore[no-untyped-def]
    response = _strict(operator).post("/akun/zona-waktu/", {"zona": "WIT", "next": "/beranda/"})

    assert response.status_code == 403
    operator.refresh_from_db()
    assert operator.time_zone == ""
    assert not AuditEvent.objects.filter(action="set_time_zone").exists()


def test_the_digest_switch_without_its_csrf_token_is_refused_and_changes_nothing(operator):  # type: ignore[no-untyped-def]
    response = _strict(operator).post("/akun/saya/", {"digest_enabled": ""})

    assert response.status_code == 403
    operator.refresh_from_db()
    assert operator.digest_enabled is True
    assert not AuditEvent.objects.filter(action="set_digest").exists()


@pytest.mark.parametrize(
    "nxt",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "http:evil.example",
        " //evil.example/",
        "javascript:alert(1)",
        "https://testserver@evil.example/",
    ],
)
def test_the_zone_form_never_sends_the_reader_off_the_site(client, operator, nxt):  # type: ignore[no-untyped-def]
    client.force_login(operator)

    response = client.post("/akun/zona-waktu/", {"zona": "WITA", "next": nxt})

    assert (response.status_code, response["Location"]) == (302, "/beranda/")
    operator.refresh_from_db()
    assert operator.time_zone == "WITA"


def test_the_zone_form_goes_back_to_the_page_it_was_sent_from(client, operator, school):  # type: ignore[no-untyped-def]
    client.force_login(operator)

    response = client.post("/akun/zona-waktu/", {"zona": "WIT", "next": f"/sekolah/{school.npsn}/?page=2"})

    assert (response.status_code, response["Location"]) == (302, f"/sekolah/{school.npsn}/?page=2")


def test_a_line_break_in_next_stays_inside_the_location_header(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)

    response = client.post(
        "/akun/zona-waktu/", {"zona": "WIT", "next": "/beranda/\r\nSet-Cookie: sessionid=x"}
    )

    assert (response.status_code, response["Location"]) == (302, "/beranda/%0D%0ASet-Cookie:%20sessionid=x")
    assert "sessionid=x" not in str(response.cookies)
