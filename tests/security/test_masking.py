"""Numbers are masked everywhere except the school's own editing view and the routed provider's API:
Dinas and Pusdatin pages (and their CSV exports) never show a full number."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import RecipientFactory
from verval.phones import national_display

pytestmark = pytest.mark.django_db

NUMBERS = ["+6281234567801", "+6285712345678", "+6289612345679"]


def _forms(e164: str) -> set[str]:
    national = "0" + e164[3:]
    return {e164, e164[1:], national, national_display(e164), national[1:]}


@pytest.fixture
def recipients(school):  # type: ignore[no-untyped-def]
    return [
        RecipientFactory(school=school, phone_raw="0" + n[3:], phone_e164=n, status="AKTIF") for n in NUMBERS
    ]


def _assert_no_full_number(body: str, where: str) -> None:
    for n in NUMBERS:
        for form in _forms(n):
            assert form not in body, f"full number {form[:4]}… visible on {where}"


def _body(response) -> str:  # type: ignore[no-untyped-def]
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ["dinas_kab", "dinas_prov", "pusdatin"])
def test_dinas_and_pusdatin_pages_show_no_full_number(role, request, client, school, recipients):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(role)
    client.force_login(user)
    pages = [
        reverse("accounts:home"),
        reverse("registry:school", args=[school.npsn]),
        reverse("registry:history", args=[school.npsn, recipients[0].pk]),
        reverse("dashboard:school", args=[school.npsn]),
        reverse("accounts:users"),
    ]
    if role == "pusdatin":
        pages += [reverse("core:pusdatin") + f"?q={school.npsn}", reverse("exchange:batches")]
    else:
        pages += [reverse("core:dinas"), reverse("core:dinas_export"), reverse("accounts:registrations")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_no_full_number(_body(response), url)


def test_school_page_shows_the_school_its_own_numbers_for_editing(client, operator, school, recipients):  # type: ignore[no-untyped-def]
    """The one web exception: the school's own operator edits its numbers."""
    client.force_login(operator)
    body = client.get(reverse("registry:edit", args=[school.npsn, recipients[0].pk])).content.decode()
    assert any(form in body for form in _forms(NUMBERS[0]))
