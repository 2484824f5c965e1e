"""The client address that throttling and audit rows use: REMOTE_ADDR, or behind a trusted reverse
proxy (VERVAL_TRUSTED_PROXIES) the nearest untrusted address of X-Forwarded-For (decision 0019)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from verval.accounts.throttle import client_ip


@pytest.fixture
def proxies(settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "TRUSTED_PROXIES": ["10.0.0.0/8", "192.0.2.1"]}


def _request(remote: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_ignored() -> None:
    assert client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_client_is_taken_from_x_forwarded_for(proxies) -> None:  # type: ignore[no-untyped-def]
    assert client_ip(_request("10.1.2.3", "198.51.100.7")) == "198.51.100.7"
    # A chain of our proxies: the nearest address that is not one of them.
    assert client_ip(_request("10.1.2.3", "198.51.100.7, 192.0.2.1")) == "198.51.100.7"


def test_addresses_a_client_typed_before_the_real_one_are_not_believed(proxies) -> None:  # type: ignore[no-untyped-def]
    assert client_ip(_request("10.1.2.3", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(proxies) -> None:  # type: ignore[no-untyped-def]
    assert client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_a_malformed_x_forwarded_for_falls_back_to_the_proxy_address(proxies) -> None:  # type: ignore[no-untyped-def]
    assert client_ip(_request("10.1.2.3", "bukan-alamat")) == "10.1.2.3"
    assert client_ip(_request("10.1.2.3")) == "10.1.2.3"


@pytest.mark.django_db
def test_sign_in_failures_behind_a_trusted_proxy_count_per_client(client, operator, proxies):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from verval.accounts import backends

    cache.clear()
    for i in range(25):
        client.post(
            "/masuk/",
            {"username": f"tebakan{i}", "password": "x"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    assert backends.address_over_limit(_request("10.0.0.5", "198.51.100.7")) is True
    assert backends.address_over_limit(_request("10.0.0.5", "198.51.100.8")) is False
    cache.clear()
