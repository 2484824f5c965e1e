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


# --- one address shared by many people (carrier-grade NAT, the reverse proxy): decision 0019 -------


def _fail_from_one_address(client, times: int) -> None:  # type: ignore[no-untyped-def]
    """`times` failures from the test client's address over as many user names (a spray)."""
    for i in range(times):
        _login(client, f"tebakan{i}", "salah-salah")


def test_failures_from_a_shared_address_do_not_lock_out_another_user_with_the_right_password(
    client, operator
):  # type: ignore[no-untyped-def]
    _fail_from_one_address(client, 25)  # past the address's limit (4 × 5)
    response = _login(client, "operator", "rahasia-123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)


def test_an_address_over_its_limit_still_locks_an_account_after_five_failures(client, operator):  # type: ignore[no-untyped-def]
    _fail_from_one_address(client, 25)
    for _ in range(4):
        assert LOCKED not in _login(client, "operator", "salah-salah").content.decode()
    _login(client, "operator", "salah-salah")
    response = _login(client, "operator", "rahasia-123")
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_over_its_limit_gets_the_plain_message_for_a_wrong_password(client, operator):  # type: ignore[no-untyped-def]
    _fail_from_one_address(client, 25)
    html = _login(client, "operator", "salah-salah").content.decode()
    assert "Nama pengguna atau kata sandi salah." in html and LOCKED not in html
    html = _login(client, "tidak-ada-sama-sekali", "salah-salah").content.decode()
    assert "Nama pengguna atau kata sandi salah." in html and LOCKED not in html


def test_an_address_over_its_limit_spends_no_password_hash_on_unknown_user_names(
    client, operator, monkeypatch
):  # type: ignore[no-untyped-def]
    from verval.accounts.models import User

    hashed: list[str] = []
    real = User.set_password
    monkeypatch.setattr(User, "set_password", lambda self, raw: (hashed.append(raw), real(self, raw))[1])
    _login(client, "tidak-ada", "tebakan-1")
    assert hashed == ["tebakan-1"]  # under the limit: the same cost as a known name
    _fail_from_one_address(client, 25)
    hashed.clear()
    _login(client, "tidak-ada", "tebakan-2")
    assert hashed == []


def test_a_right_password_from_an_address_over_its_limit_does_not_clear_the_address(client, operator):  # type: ignore[no-untyped-def]
    from verval.accounts import backends

    _fail_from_one_address(client, 25)
    assert _login(client, "operator", "rahasia-123").status_code == 302
    request = client.get("/").wsgi_request
    assert backends.address_over_limit(request) is True


def test_the_lock_keeps_its_fifteen_minutes_on_the_database_cache(client, operator, settings):  # type: ignore[no-untyped-def]
    # The database cache's incr stores the new count with the default timeout (5 minutes): the
    # lock must get its own lifetime back (docs/deployment.md recommends that cache).
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "verval_test_cache"}
    }
    call_command("createcachetable", verbosity=0)
    for _ in range(5):
        _login(client, "operator", "salah-salah")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, expires FROM verval_test_cache")
        rows = cursor.fetchall()
    account_rows = [expires for key, expires in rows if "login-fail:u:" in key]
    assert len(account_rows) == 1
    expires = account_rows[0]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    assert expires - dt.datetime.now(dt.UTC) > dt.timedelta(minutes=10)
    assert LOCKED in _login(client, "operator", "rahasia-123").content.decode()
