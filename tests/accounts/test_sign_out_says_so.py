"""Signing out says so on the page it lands on (decision 0108): on a phone or computer the school
shares, the next person sees that nobody is signed in. The public page is kept by the browser for
a few minutes; the copy with the message is not, so the message does not come back from the cache."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_signing_out_leads_to_the_public_page_which_says_you_have_signed_out_once(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post("/keluar/")
    assert (response.status_code, response["Location"]) == (302, "/")
    landed = client.get("/")
    assert '<div class="messages"><p class="msg-success" role="status">Anda sudah keluar</p></div>' in (
        landed.content.decode()
    )
    assert set(landed["Cache-Control"].split(", ")) == {"private", "max-age=0"}
    assert client.get("/beranda/").status_code == 302
    # Said once; the plain public page is cacheable again.
    again = client.get("/")
    assert "Anda sudah keluar" not in again.content.decode()
    assert set(again["Cache-Control"].split(", ")) == {"private", "max-age=300"}
