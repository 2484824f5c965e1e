"""Rate limits of the provider API (calls per token, calls without a valid token per address)
and the audit of calls without a valid token (capped, but never hiding a real token's use)."""

from __future__ import annotations

import types

import pytest

from verval.core.models import AuditEvent
from verval.exchange import actions, apiratelimit
from verval.exchange.models import ProviderToken

# 30 seconds into a minute: the window ends in 30 seconds, whenever the test runs.
NOW = 1_800_000_030.0


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(apiratelimit, "time", types.SimpleNamespace(time=lambda: NOW))


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    def set_limits(per_token: int = 600, failed: int = 60) -> None:
        settings.VERVAL = {
            **settings.VERVAL,
            "API_RATE_PER_MINUTE": per_token,
            "API_FAILED_AUTH_PER_MINUTE": failed,
        }

    return set_limits


def test_a_token_over_its_calls_per_minute_gets_429_with_retry_after(client, tsel_batch, tsel_token, limits):
    limits(per_token=5)

    answers = [client.get("/api/v1/batches", headers=auth(tsel_token)).status_code for _ in range(7)]
    r = client.get("/api/v1/batches", headers=auth(tsel_token))

    assert answers == [200] * 5 + [429] * 2
    assert (r.status_code, r["Retry-After"]) == (429, "30")
    assert r.json() == {
        "code": "TERLALU_BANYAK_PERMINTAAN",
        "message": "Terlalu banyak permintaan: satu token paling banyak 5 permintaan per menit. "
        "Coba lagi dalam 30 detik.",
        "message_en": "Too many requests: a token may make at most 5 calls a minute. Try again in 30 seconds.",
        "rows": [],
        "retry_after": 30,
        "limit_per_minute": 5,
    }
    row = ProviderToken.objects.get(provider="telkomsel")
    throttled = AuditEvent.objects.get(action="api_throttled")  # one row, not one per refused call
    assert (throttled.provider, throttled.object_id, throttled.note) == (
        "telkomsel",
        str(row.pk),
        f"token {row.prefix}",
    )
    assert throttled.after == {"limit_per_minute": 5, "method": "GET", "path": "/api/v1/batches"}
    assert AuditEvent.objects.filter(action="api_list_batches").count() == 5


def test_the_limit_is_per_token_and_starts_again_with_the_next_minute(
    client, tsel_batch, tsel_token, limits, monkeypatch
):
    limits(per_token=2)
    _row, other = actions.issue_token(actor=None, provider="telkomsel", label="simulator", rotate=False)
    for _ in range(2):
        client.get("/api/v1/batches", headers=auth(tsel_token))

    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 429
    assert client.get("/api/v1/batches", headers=auth(other)).status_code == 200
    monkeypatch.setattr(apiratelimit, "time", types.SimpleNamespace(time=lambda: NOW + 30))
    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 200


def test_an_address_over_its_failed_calls_per_minute_gets_429_but_a_valid_token_still_works(
    client, tsel_batch, tsel_token, limits
):
    limits(failed=3)

    answers = [client.get("/api/v1/batches", headers=auth("vp_00000000_junk")).status_code for _ in range(5)]
    r = client.get("/api/v1/batches")

    assert answers == [401, 401, 401, 429, 429]
    assert (r.status_code, r["Retry-After"]) == (429, "30")
    assert "WWW-Authenticate" not in r
    assert r.json() == {
        "code": "TERLALU_BANYAK_PERMINTAAN",
        "message": "Terlalu banyak permintaan tanpa token yang berlaku dari alamat ini: paling banyak 3 per "
        "menit. Coba lagi dalam 30 detik.",
        "message_en": "Too many calls without a valid token from this address: at most 3 a minute. "
        "Try again in 30 seconds.",
        "rows": [],
        "retry_after": 30,
        "limit_per_minute": 3,
    }
    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 200
    assert client.get("/api/v1/batches", REMOTE_ADDR="10.0.0.9").status_code == 401


def test_behind_a_trusted_proxy_failed_calls_count_per_client_not_per_proxy(
    client, settings, tsel_batch, limits
):  # type: ignore[no-untyped-def]
    limits(failed=3)
    settings.VERVAL = {**settings.VERVAL, "TRUSTED_PROXIES": ["10.0.0.0/8"]}

    def call(client_address: str) -> int:
        return client.get(
            "/api/v1/batches",
            headers=auth("vp_00000000_junk"),
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=client_address,
        ).status_code

    assert [call("198.51.100.7") for _ in range(4)] == [401, 401, 401, 429]
    assert call("203.0.113.9") == 401  # another client behind the same proxy is not held back


def test_a_limit_of_zero_turns_the_limit_off(client, tsel_batch, tsel_token, limits):
    limits(per_token=0, failed=0)

    assert {client.get("/api/v1/batches", headers=auth(tsel_token)).status_code for _ in range(20)} == {200}
    assert {client.get("/api/v1/batches").status_code for _ in range(20)} == {401}


def test_a_revoked_token_is_audited_even_after_ten_junk_calls_from_the_same_address(
    client, tsel_batch, tsel_token
):
    old = ProviderToken.objects.get(provider="telkomsel")
    actions.issue_token(actor=None, provider="telkomsel")
    for _ in range(10):
        client.get("/api/v1/batches", headers=auth("vp_00000000_junk"))

    r = client.get("/api/v1/batches", headers=auth(tsel_token))

    assert r.status_code == 401
    event = AuditEvent.objects.get(action="api_unauthenticated", provider="telkomsel")
    assert (event.object_id, event.note) == (str(old.pk), f"token {old.prefix}")
    assert event.after == {"reason": "revoked_token", "method": "GET", "path": "/api/v1/batches"}


def test_calls_over_the_audit_cap_are_counted_in_one_summary_row_per_minute(client, tsel_batch):
    for _ in range(15):
        client.get("/api/v1/batches", headers=auth("vp_00000000_junk"))

    summary = AuditEvent.objects.get(action="api_unauthenticated_summary")
    assert AuditEvent.objects.filter(action="api_unauthenticated").count() == 10
    assert (summary.ip, summary.provider) == ("127.0.0.1", "")
    assert summary.after == {
        "not_recorded": 5,
        "window_start": "2027-01-15T08:00:00+00:00",
        "window_seconds": 60,
        "recorded_individually": 10,
    }
    for _ in range(3):
        client.get("/api/v1/batches")
    summary.refresh_from_db()
    assert summary.after["not_recorded"] == 8
    assert AuditEvent.objects.filter(action="api_unauthenticated_summary").count() == 1
