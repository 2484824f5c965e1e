"""User names are unique ignoring case, so sign-in matches them ignoring case (phone keyboards
capitalise the first letter), and the user-name inputs ask the keyboard not to."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."


def _login(client, username, password):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_user_name_typed_with_a_capital_first_letter_signs_in(client, operator):  # type: ignore[no-untyped-def]
    response = _login(client, "Operator", "rahasia-123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_user_name_typed_in_capitals_signs_in_to_a_mixed_case_account(client, school):  # type: ignore[no-untyped-def]
    user = UserFactory(role="OPERATOR", school=school, username="Budi.Op")
    assert _login(client, "BUDI.OP", "rahasia-123").status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_failures_in_any_case_count_toward_one_lock(client, operator):  # type: ignore[no-untyped-def]
    for name in ("Operator", "OPERATOR", "operator", "oPERATOR", "Operator"):
        _login(client, name, "salah-salah")
    assert LOCKED in _login(client, "operator", "rahasia-123").content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivated_account_typed_in_another_case_is_told_so_with_the_right_password(client, school):  # type: ignore[no-untyped-def]
    UserFactory(role="OPERATOR", school=school, username="lama", is_active=False)
    html = _login(client, "Lama", "rahasia-123").content.decode()
    assert "Akun ini dinonaktifkan." in html


def test_names_that_differ_only_in_case_sign_in_only_when_typed_exactly(client, school):  # type: ignore[no-untyped-def]
    # Older data may hold two such names; a name typed in a third case is ambiguous.
    first = UserFactory(role="OPERATOR", school=school, username="kembar")
    UserFactory(role="OPERATOR", school=school, username="Kembar")
    assert _login(client, "KEMBAR", "rahasia-123").status_code == 200
    assert _login(client, "kembar", "rahasia-123").status_code == 302
    assert client.session["_auth_user_id"] == str(first.pk)


def _username_input(html: str) -> str:
    return re.search(r'<input[^>]*name="username"[^>]*>', html).group(0)  # type: ignore[union-attr]


@pytest.mark.parametrize("url", ["/masuk/", "/daftar/"])
def test_user_name_inputs_ask_phone_keyboards_not_to_capitalise_or_correct(client, url):  # type: ignore[no-untyped-def]
    tag = _username_input(client.get(url).content.decode())
    for attribute in ('autocapitalize="none"', 'autocorrect="off"', 'spellcheck="false"'):
        assert attribute in tag
