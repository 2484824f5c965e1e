"""The API never takes `.`, `..` or nothing for an id (decision 0075): Django routes the path as
the WSGI server decoded it, without resolving dot segments, so `/batches/../file` (or
`%2E%2E`) asks for a batch whose id is `..`, which no batch has, and `/batches//file` matches
no route. Each answers the API's JSON 404, whatever the kit or another client sends; a report's
period path names the period it does not know (decision 0133)."""

from __future__ import annotations

import pytest

from verval.exchange import actions

ROUTES = [
    ("get", "/api/v1/batches/{}"),
    ("get", "/api/v1/batches/{}/manifest"),
    ("get", "/api/v1/batches/{}/file"),
    ("post", "/api/v1/batches/{}/results"),
    ("get", "/api/v1/jobs/{}"),
    ("get", "/api/v1/jobs/{}/issues"),
    ("get", "/api/v1/disbursements/batches/{}"),
    ("get", "/api/v1/disbursements/batches/{}/manifest"),
    ("get", "/api/v1/disbursements/batches/{}/file"),
    ("post", "/api/v1/disbursements/batches/{}/results"),
    ("get", "/api/v1/disbursements/jobs/{}"),
    ("get", "/api/v1/disbursements/jobs/{}/issues"),
    ("post", "/api/v1/reports/{}/usage"),
    ("put", "/api/v1/reports/{}/recap"),
    ("get", "/api/v1/reports/{}/reconciliation"),
]

RECAP = {"sent": 1, "injected": 1, "failed": 0, "gb": "2"}


@pytest.mark.parametrize("segment", ["..", ".", "%2E%2E", "%2e", ""])
@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_an_id_of_dots_or_nothing_answers_the_apis_json_404_on_every_route(
    method, route, segment, client, db
):  # type: ignore[no-untyped-def]
    token = actions.issue_token(actor=None, provider="telkomsel")[1]

    # A recap that would be taken for a real period: only the id is wrong.
    body = {"data": RECAP, "content_type": "application/json"} if method == "put" else {}

    r = getattr(client, method)(route.format(segment), headers={"Authorization": f"Bearer {token}"}, **body)

    assert (r.status_code, r["Content-Type"].split(";")[0]) == (404, "application/json")
    if route.startswith("/api/v1/reports/") and segment:
        # A report's period is no provider's own: an unknown one is named (decision 0133), as
        # the WSGI server decoded it.
        period = segment.replace("%2E", ".").replace("%2e", ".")
        assert r.json() == {
            "code": "TIDAK_DITEMUKAN",
            "message": f"Periode {period} tidak dikenal. Kode periode didaftar oleh GET /api/v1/periods.",
            "message_en": f"Unknown period {period}: GET /api/v1/periods lists the period codes.",
            "rows": [],
        }
        return
    assert r.json() == {
        "code": "TIDAK_DITEMUKAN",
        "message": "Tidak ditemukan.",
        "message_en": "Not found.",
        "rows": [],
    }
