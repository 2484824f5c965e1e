"""The provider API's audit rows keep the path of a failed call (`api_refused`,
`api_unauthenticated`, `api_throttled`); the client chooses that path, and a number in it
(schemathesis and a hand probe sent `/api/v1/batches/6281234567890`) is masked as in a log
line, the ids around it left whole."""

from __future__ import annotations

import pytest

from verval.core.models import AuditEvent
from verval.exchange import actions


@pytest.fixture(autouse=True)
def _fresh_api_counters():  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tsel_token(db):  # type: ignore[no-untyped-def]
    return actions.issue_token(actor=None, provider="telkomsel")[1]


# A client sends the number in the path; the audit row must not keep it (decision 0081).
@pytest.mark.address_typed_by_a_client
def test_refused_call_with_a_number_in_its_path_is_audited_with_the_number_masked(client, tsel_token):
    r = client.get("/api/v1/batches/6281234567890", headers={"Authorization": f"Bearer {tsel_token}"})

    assert r.status_code == 404
    assert AuditEvent.objects.get(action="api_refused").after == {
        "status": 404,
        "code": "TIDAK_DITEMUKAN",
        "method": "GET",
        "path": "/api/v1/batches/[nomor]",
    }


# A client sends the number in the path; the audit row must not keep it (decision 0081).
@pytest.mark.address_typed_by_a_client
def test_call_without_token_and_a_number_in_its_path_is_audited_with_the_number_masked(client, db):
    r = client.get("/api/v1/batches/0812-3456-7890/file")

    assert r.status_code == 401
    assert AuditEvent.objects.get(action="api_unauthenticated").after == {
        "reason": "no_token",
        "method": "GET",
        "path": "/api/v1/batches/[nomor]/file",
    }


# A client sends the number in the path; the audit row must not keep it (decision 0081).
@pytest.mark.address_typed_by_a_client
def test_throttled_call_with_a_number_in_its_path_is_audited_with_the_number_masked(
    client, tsel_token, settings
):
    settings.VERVAL = {**settings.VERVAL, "API_RATE_PER_MINUTE": 1}
    headers = {"Authorization": f"Bearer {tsel_token}"}

    statuses = [client.get("/api/v1/jobs/+6281234567890", headers=headers).status_code for _ in range(2)]

    assert statuses == [404, 429]
    assert AuditEvent.objects.get(action="api_throttled").after == {
        "limit_per_minute": 1,
        "method": "GET",
        "path": "/api/v1/jobs/[nomor]",
    }


def test_audited_path_keeps_a_job_id_whole(client, tsel_token):
    job_id = "8123e456-7890-4123-8456-789012345678"

    client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {tsel_token}"})

    assert AuditEvent.objects.get(action="api_refused").after["path"] == f"/api/v1/jobs/{job_id}"
