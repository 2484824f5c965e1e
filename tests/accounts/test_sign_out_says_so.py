"""Signing out lands on the sign-in page, which says so (decision 0108): on a phone or computer the
school shares, the next person sees that nobody is signed in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_signing_out_leads_to_the_sign_in_page_which_says_you_have_signed_out(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post("/keluar/")
    assert (response.status_code, response["Location"]) == (302, "/masuk/")
    html = client.get("/masuk/").content.decode()
    assert '<div class="messages"><p class="msg-success" role="status">Anda sudah keluar</p></div>' in html
    assert client.get("/beranda/").status_code == 302
    # Said once: the next visit to the sign-in page is plain.
    assert "Anda sudah keluar" not in client.get("/masuk/").content.decode()
