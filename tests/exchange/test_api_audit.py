"""GET /api/v1/audit: a provider reads its own audit rows (decision 0135), newest first, paged
with `limit` and `before`; never another provider's row, never another party's address; the call
itself is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from verval.core import audit
from verval.core.models import AuditEvent
from verval.exchange import actions

pytestmark = pytest.mark.django_db


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _at(row: AuditEvent, when: datetime) -> AuditEvent:
    AuditEvent.objects.filter(pk=row.pk).update(at=when)
    row.refresh_from_db()
    return row


@pytest.fixture
def rows(pusdatin, provider_user):  # type: ignore[no-untyped-def]
    """Telkomsel's: a token's call, a download by its own account, a token issued by Pusdatin on
    the server's command line; and an Indosat call, a school's row."""
    with audit.acting_via("api"):
        call = audit.record(
            actor=None, action="api_get_batch", provider="telkomsel", note="token aaaa1111", ip="192.0.2.1"
        )
    with audit.acting_via("web"):
        account = audit.record(
            actor=provider_user,
            action="download_dump",
            provider="telkomsel",
            object_id="DMP-1",
            ip="192.0.2.2",
        )
    with audit.acting_via("cli:pusdatin.admin"):
        staff = audit.record(
            actor=pusdatin,
            action="issue_provider_token",
            provider="telkomsel",
            ip="10.1.1.1",
            after={"prefix": "x"},
        )
    made = {
        "call": call,
        "account": account,
        "staff": staff,
        "other": audit.record(
            actor=None, action="api_get_batch", provider="indosat", note="token bbbb2222", ip="192.0.2.9"
        ),
        "school": audit.record(actor=pusdatin, action="change_number", school_id="20100001"),
    }
    for i, key in enumerate(made):
        made[key] = _at(made[key], datetime(2020, 9, 10 + i, 3, 0, tzinfo=UTC))
    return made


@pytest.fixture
def tsel_token(db):  # type: ignore[no-untyped-def]
    token = actions.issue_token(actor=None, provider="telkomsel")[1]
    AuditEvent.objects.filter(action="issue_provider_token", actor=None).delete()
    return token


def test_a_provider_reads_its_own_rows_newest_first_with_its_own_addresses_only(client, rows, tsel_token):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/audit", headers=auth(tsel_token))

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": rows["staff"].pk,
            "at": "2020-09-12T03:00:00Z",
            "action": "issue_provider_token",
            "object_type": "",
            "object_id": "",
            "by": "staff",
            "user": "",
            # Pusdatin's OS login on the server is not the provider's to read: the kind only.
            "via": "cli",
            "before": None,
            "after": {"prefix": "x"},
            "note": "",
            "ip": None,
        },
        {
            "id": rows["account"].pk,
            "at": "2020-09-11T03:00:00Z",
            "action": "download_dump",
            "object_type": "",
            "object_id": "DMP-1",
            "by": "account",
            "user": "telkomsel",
            "via": "web",
            "before": None,
            "after": None,
            "note": "",
            "ip": "192.0.2.2",
        },
        {
            "id": rows["call"].pk,
            "at": "2020-09-10T03:00:00Z",
            "action": "api_get_batch",
            "object_type": "",
            "object_id": "",
            "by": "token",
            "user": "",
            "via": "api",
            "before": None,
            "after": None,
            "note": "token aaaa1111",
            "ip": "192.0.2.1",
        },
    ]


def test_the_call_is_audited_and_listed_by_the_next_call(client, rows, tsel_token):  # type: ignore[no-untyped-def]
    client.get("/api/v1/audit?action=download_dump", headers=auth(tsel_token))

    row = AuditEvent.objects.get(action="api_list_audit")
    assert (row.provider, row.object_type, row.after) == (
        "telkomsel",
        "audit",
        {"count": 1, "of_action": "download_dump"},
    )
    newest = client.get("/api/v1/audit?limit=1", headers=auth(tsel_token)).json()
    assert [(r["action"], r["by"], r["via"]) for r in newest] == [("api_list_audit", "token", "api")]


def test_another_provider_reads_none_of_telkomsels_rows(client, rows):  # type: ignore[no-untyped-def]
    token = actions.issue_token(actor=None, provider="indosat")[1]

    answer = client.get("/api/v1/audit?action=api_get_batch", headers=auth(token)).json()

    assert [r["id"] for r in answer] == [rows["other"].pk]


def test_limit_and_before_page_back_and_since_starts_at_a_wib_day(client, rows, tsel_token):  # type: ignore[no-untyped-def]
    first = client.get("/api/v1/audit?limit=2", headers=auth(tsel_token)).json()
    last = client.get(f"/api/v1/audit?limit=2&before={first[-1]['id']}", headers=auth(tsel_token)).json()
    since = client.get("/api/v1/audit?since=2020-09-11", headers=auth(tsel_token)).json()

    assert [r["id"] for r in first] == [rows["staff"].pk, rows["account"].pk]
    assert [r["id"] for r in last] == [rows["call"].pk]
    # The two calls before it are listed too, newest first (audited in 2026).
    assert [r["action"] for r in since[:2]] == ["api_list_audit", "api_list_audit"]
    assert [r["id"] for r in since[2:]] == [rows["staff"].pk, rows["account"].pk]


@pytest.mark.parametrize(
    ("query", "column"),
    [("limit=0", "limit"), ("limit=1001", "limit"), ("action=DROP%20TABLE", "action")],
)
def test_a_limit_out_of_range_or_an_action_that_is_no_code_answers_400(client, tsel_token, query, column):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/audit?{query}", headers=auth(tsel_token))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "PERMINTAAN_TIDAK_VALID"
    assert [r["column"] for r in body["rows"]] == [column]


@pytest.mark.parametrize("query", ["since=kemarin", "before=x", "limit=semua"])
def test_a_malformed_day_id_or_limit_answers_400_too(client, tsel_token, query):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/audit?{query}", headers=auth(tsel_token))

    assert (response.status_code, response.json()["code"]) == (400, "PERMINTAAN_TIDAK_VALID")


def test_without_a_token_the_audit_answers_401(client, rows):  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/audit").status_code == 401
