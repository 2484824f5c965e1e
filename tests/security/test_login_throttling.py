"""Login throttling: 5 failures for one username lock it, even against the right password."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOCKED = "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."


@pytest.fixture(autouse=True)
def _clean_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_five_failures_lock_the_account_even_with_the_right_password(client, operator):  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert _login(client, "operator", "salah-salah").status_code == 200
    response = _login(client, "operator", "rahasia-123")
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock(client, operator):  # type: ignore[no-untyped-def]
    for _ in range(4):
        _login(client, "operator", "salah-salah")
    response = _login(client, "operator", "rahasia-123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_success_resets_the_counter(client, operator):  # type: ignore[no-untyped-def]
    for _ in range(4):
        _login(client, "operator", "salah-salah")
    _login(client, "operator", "rahasia-123")
    client.logout()
    for _ in range(4):
        _login(client, "operator", "salah-salah")
    assert _login(client, "operator", "rahasia-123").status_code == 302


def test_lock_is_per_username_not_for_everyone(client, operator, other_operator):  # type: ignore[no-untyped-def]
    for _ in range(5):
        _login(client, "operator", "salah-salah")
    assert _login(client, "operator2", "rahasia-123").status_code == 302


def test_lock_message_does_not_reveal_whether_the_account_exists(client, operator):  # type: ignore[no-untyped-def]
    for _ in range(5):
        _login(client, "tidak-ada", "salah-salah")
    assert LOCKED in _login(client, "tidak-ada", "apa-saja").content.decode()
