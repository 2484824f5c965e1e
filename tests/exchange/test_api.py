from __future__ import annotations

import gzip
import json

import pytest

from tests.exchange.helpers import dump_rows
from verval.core import files
from verval.core.models import AuditEvent
from verval.exchange import actions


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def isat_batch(waiting):  # type: ignore[no-untyped-def]
    (batch,) = actions.publish_dumps(actor=None, provider="indosat")
    return batch


def test_call_without_token_is_401_with_json_error(client, tsel_batch):
    r = client.get("/api/v1/batches")
    assert r.status_code == 401
    assert r.json()["code"] == "TIDAK_TERAUTENTIKASI"
    assert set(r.json()) >= {"code", "message", "message_en", "rows"}


def test_wrong_or_rotated_token_is_401(client, tsel_batch, tsel_token):
    assert client.get("/api/v1/batches", headers=auth(tsel_token + "x")).status_code == 401
    assert client.get("/api/v1/batches", headers=auth("vp_nope_nope")).status_code == 401
    _row, fresh = actions.issue_token(actor=None, provider="telkomsel")
    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 401
    assert client.get("/api/v1/batches", headers=auth(fresh)).status_code == 200


def test_provider_lists_only_its_own_batches_and_every_call_is_audited(
    client, tsel_batch, isat_batch, tsel_token
):
    r = client.get("/api/v1/batches", headers=auth(tsel_token))
    assert r.status_code == 200
    assert [b["id"] for b in r.json()] == [tsel_batch.id]
    assert r.json()[0]["rows"] == 10 and r.json()[0]["sha256"] == tsel_batch.sha256
    event = AuditEvent.objects.get(action="api_list_batches")
    assert event.provider == "telkomsel"


@pytest.mark.parametrize("suffix", ["", "/manifest", "/file"])
def test_other_providers_batch_is_404(client, isat_batch, tsel_token, suffix):
    r = client.get(f"/api/v1/batches/{isat_batch.id}{suffix}", headers=auth(tsel_token))
    assert r.status_code == 404
    assert r.json()["code"] == "TIDAK_DITEMUKAN"


def test_upload_to_other_providers_batch_is_404_and_changes_nothing(client, isat_batch, tsel_token):
    r = client.post(
        f"/api/v1/batches/{isat_batch.id}/results",
        data=b"pd_id,no_ponsel,status\n",
        content_type="text/csv",
        headers=auth(tsel_token),
    )
    assert r.status_code == 404


def test_manifest_endpoint(client, tsel_batch, tsel_token):
    m = client.get(f"/api/v1/batches/{tsel_batch.id}/manifest", headers=auth(tsel_token)).json()
    assert (m["batch_id"], m["rows"], m["sha256"]) == (tsel_batch.id, 10, tsel_batch.sha256)


def test_download_gives_the_file_with_sha256_etag_and_audit(client, tsel_batch, tsel_token):
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), "Accept-Encoding": "gzip"}
    )
    body = b"".join(r.streaming_content)
    assert r.status_code == 200
    assert body == files.absolute(tsel_batch.file_path).read_bytes()
    assert r["X-Content-SHA256"] == tsel_batch.sha256
    assert r["ETag"] == f'"{tsel_batch.sha256}"'
    assert gzip.decompress(body).startswith(b"pd_id,tingkat_pendidikan,npsn,no_ponsel\n")
    assert (
        AuditEvent.objects.filter(
            action="download_dump", provider="telkomsel", object_id=tsel_batch.id
        ).count()
        == 1
    )


def test_if_none_match_gives_304(client, tsel_batch, tsel_token):
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file",
        headers={**auth(tsel_token), "If-None-Match": f'"{tsel_batch.sha256}"'},
    )
    assert r.status_code == 304


def test_range_resumes_a_download_with_206(client, tsel_batch, tsel_token):
    whole = files.absolute(tsel_batch.file_path).read_bytes()
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), "Range": "bytes=100-"}
    )
    assert r.status_code == 206
    assert r["Content-Range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    assert b"".join(r.streaming_content) == whole[100:]
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), "Range": "bytes=0-9"}
    )
    assert (r.status_code, b"".join(r.streaming_content)) == (206, whole[:10])
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), "Range": f"bytes={len(whole)}-"}
    )
    assert r.status_code == 416
    assert r["Content-Range"] == f"bytes */{len(whole)}"


@pytest.mark.parametrize(
    ("if_range", "resumed"),
    [
        pytest.param("{etag}", True, id="the-files-etag"),
        pytest.param('"0000"', False, id="another-etag"),
        pytest.param("W/{etag}", False, id="weak-etag"),
        pytest.param("Mon, 30 Nov 2026 10:00:00 GMT", False, id="a-date"),
    ],
)
def test_range_with_if_range_resumes_only_the_same_file_else_sends_it_whole(
    client, tsel_batch, tsel_token, if_range, resumed
):
    whole = files.absolute(tsel_batch.file_path).read_bytes()
    etag = f'"{tsel_batch.sha256}"'

    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file",
        headers={**auth(tsel_token), "Range": "bytes=100-", "If-Range": if_range.format(etag=etag)},
    )

    if resumed:
        assert (r.status_code, r["Content-Range"]) == (206, f"bytes 100-{len(whole) - 1}/{len(whole)}")
        assert b"".join(r.streaming_content) == whole[100:]
    else:  # the part the client holds is of another file: the whole file, to start over
        assert (r.status_code, r.has_header("Content-Range"), r["ETag"]) == (200, False, etag)
        assert b"".join(r.streaming_content) == whole
    # Past the end, but for another file: the whole file, not 416.
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file",
        headers={**auth(tsel_token), "Range": f"bytes={len(whole)}-", "If-Range": '"0000"'},
    )
    assert r.status_code == 200


def test_upload_raw_csv_applies_results_and_reports_refused_rows(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    body = "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows[:9])
    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers=auth(tsel_token),
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["state"] == "SUCCEEDED"
    assert (data["counts"]["applied"], data["counts"]["batch_state"], data["counts"]["unanswered"]) == (
        9,
        "INCOMPLETE",
        1,
    )
    job = client.get(f"/api/v1/jobs/{data['job_id']}", headers=auth(tsel_token)).json()
    assert job["counts"]["applied"] == 9


def test_upload_multipart_file(client, tsel_batch, tsel_token, tmp_path):
    rows = dump_rows(tsel_batch)
    path = tmp_path / "hasil.csv"
    path.write_text(
        "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF\n" for r in rows)
    )
    with open(path, "rb") as fh:
        r = client.post(
            f"/api/v1/batches/{tsel_batch.id}/results", data={"file": fh}, headers=auth(tsel_token)
        )
    assert r.status_code == 200, r.content
    assert r.json()["counts"]["residu"] == 10


def test_file_refused_whole_answers_422_with_rows_and_report(client, tsel_batch, tsel_token, isat_token):
    rows = dump_rows(tsel_batch)
    body = "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},RUSAK\n" for r in rows)
    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers=auth(tsel_token),
    )
    assert r.status_code == 422
    data = r.json()
    assert data["code"] == "TERLALU_BANYAK_DITOLAK"
    assert len(data["rows"]) == 10 and data["rows"][0] == {
        "line": 2,
        "column": "status",
        "code": "STATUS_TIDAK_VALID",
        "message": data["rows"][0]["message"],
        "message_en": data["rows"][0]["message_en"],
        "value": "RUSAK",
    }
    report = client.get(data["issues_url"], headers=auth(tsel_token))
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert len(lines) == 11 and lines[0].startswith("baris,kolom,kode")
    assert client.get(data["issues_url"], headers=auth(isat_token)).status_code == 404


def test_openapi_document_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/batches/{batch_id}/results" in paths
    assert "/api/v1/batches/{batch_id}/file" in paths


def test_openapi_document_repeats_no_key_so_the_docs_page_can_render_it(client):
    # Swagger UI (/api/v1/docs) reads the document with a YAML parser that refuses a key given
    # twice in one object ("duplicated mapping key") and then shows no operation at all.
    repeated: list[str] = []

    def no_repeats(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in pairs]
        repeated.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(pairs)

    document = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_repeats)
    assert repeated == []
    for path in ("/api/v1/batches/{batch_id}/file", "/api/v1/disbursements/batches/{batch_id}/file"):
        ok = document["paths"][path]["get"]["responses"]["200"]
        assert list(ok["content"]) == ["application/gzip"]
        assert ok["description"].startswith("gzip CSV `pd_id,")


def test_openapi_job_schema_describes_what_the_jobs_endpoint_answers(client, tsel_batch, tsel_token):
    # The disbursement side had its own "JobOut" (with a required `kind`); one name for two shapes
    # made the document describe this endpoint's answers with the other's.
    rows = dump_rows(tsel_batch)
    body = "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows)
    uploaded = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers=auth(tsel_token),
    ).json()
    answer = client.get(f"/api/v1/jobs/{uploaded['job_id']}", headers=auth(tsel_token)).json()
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    def schema_of(path: str, method: str) -> dict[str, object]:
        ref = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"][
            "$ref"
        ]
        return schemas[ref.rsplit("/", 1)[1]]

    for path, method, sample in (
        ("/api/v1/jobs/{job_id}", "get", answer),
        ("/api/v1/batches/{batch_id}/results", "post", uploaded),
    ):
        schema = schema_of(path, method)
        assert set(schema["required"]) <= set(sample), path
        assert set(sample) == set(schema["properties"]), path
    assert set(schema_of("/api/v1/disbursements/jobs/{job_id}", "get")["required"]) >= {"kind", "job_id"}


def test_a_job_id_that_is_not_a_uuid_is_not_found_as_json(client, tsel_token):  # type: ignore[no-untyped-def]
    for path in ("/api/v1/jobs/not-a-uuid", "/api/v1/jobs/not-a-uuid/issues"):
        r = client.get(path, headers=auth(tsel_token))
        assert (r.status_code, r.json()["code"]) == (404, "TIDAK_DITEMUKAN"), path
