"""HTTP details of the provider API: HEAD, 304, Content-Length, Content-Type and
Content-Encoding, 202 with Location, query values outside their choices, the audit of 405s and
the shape of a request refused by its schema."""

from __future__ import annotations

import gzip

import pytest

from tests.exchange.helpers import dump_rows
from tests.sptjm.conftest import make_period
from verval.core import files, jobs
from verval.core.models import AuditEvent, Job
from verval.exchange import api


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ downloads


def test_not_modified_carries_the_length_of_the_whole_file(client, tsel_batch, tsel_token):
    size = files.absolute(tsel_batch.file_path).stat().st_size

    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file",
        headers={**auth(tsel_token), "If-None-Match": f'"{tsel_batch.sha256}"'},
    )

    assert (r.status_code, r["Content-Length"]) == (304, str(size))


@pytest.mark.parametrize(
    ("method", "headers"),
    [("get", {}), ("get", {"Range": "bytes=10-"}), ("head", {}), ("get", {"Accept-Encoding": "gzip"})],
)
def test_downloads_carry_no_content_encoding(client, tsel_batch, tsel_token, method, headers):
    whole = files.absolute(tsel_batch.file_path).read_bytes()

    r = getattr(client, method)(
        f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), **headers}
    )

    assert r.status_code in (200, 206)
    assert "Content-Encoding" not in r
    if method == "get":
        assert b"".join(r.streaming_content) == whole[10:] if headers.get("Range") else whole


# ------------------------------------------------------------------ HEAD


@pytest.mark.parametrize(
    ("suffix", "action"),
    [("", "api_list_batches"), ("/ID", "api_get_batch"), ("/ID/manifest", "api_get_manifest")],
)
def test_head_answers_like_get_without_the_body(client, tsel_batch, tsel_token, suffix, action):
    path = "/api/v1/batches" + suffix.replace("ID", tsel_batch.id)

    got = client.get(path, headers=auth(tsel_token))
    r = client.head(path, headers=auth(tsel_token))

    assert (r.status_code, r.content) == (200, b"")
    assert (r["Content-Type"], r["Content-Length"]) == (
        "application/json; charset=utf-8",
        str(len(got.content)),
    )
    assert AuditEvent.objects.filter(action=action).count() == 2


def _refused_report_url(client, batch, token) -> str:  # type: ignore[no-untyped-def]
    body = "pd_id,no_ponsel,status\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},RUSAK\n" for r in dump_rows(batch)
    )
    r = client.post(
        f"/api/v1/batches/{batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers=auth(token),
    )
    assert r.status_code == 422
    return r.json()["issues_url"]


@pytest.mark.parametrize("encoding", [{}, {"Accept-Encoding": "gzip"}])
def test_head_on_the_report_of_refused_rows_answers_the_get_headers_without_reading_it(
    client, tsel_batch, tsel_token, monkeypatch, encoding
):
    url = _refused_report_url(client, tsel_batch, tsel_token)
    got = client.get(url, headers={**auth(tsel_token), **encoding})
    report = b"".join(got.streaming_content)
    if encoding:
        assert got["Content-Encoding"] == "gzip"
        report = gzip.decompress(report)
    assert report.count(b"STATUS_TIDAK_VALID") == 10
    started = []
    real = jobs.issues_csv

    def watched(job):  # type: ignore[no-untyped-def]
        started.append(job.pk)
        yield from real(job)

    monkeypatch.setattr(jobs, "issues_csv", watched)

    r = client.head(url, headers={**auth(tsel_token), **encoding})

    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b""
    assert dict(r.headers) == dict(got.headers)
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert "Content-Length" not in r  # nor on the GET: a streamed report's length is not known
    assert started == []  # the report was never read
    reports = AuditEvent.objects.filter(action="download_job_report").order_by("id")
    assert [e.after["method"] for e in reports] == ["GET", "HEAD"]


def test_head_on_the_report_of_another_providers_job_answers_404(client, tsel_batch, tsel_token, isat_token):
    url = _refused_report_url(client, tsel_batch, tsel_token)

    r = client.head(url, headers=auth(isat_token))

    assert (r.status_code, r.content) == (404, b"")


# ------------------------------------------------------------------ uploads


def test_a_negative_content_length_is_refused_400(client, tsel_batch, tsel_token):
    r = client.generic(
        "POST",
        f"/api/v1/batches/{tsel_batch.id}/results",
        b"pd_id,no_ponsel,status\n",
        content_type="text/csv",
        headers=auth(tsel_token),
        CONTENT_LENGTH="-5",
    )

    assert r.status_code == 400
    assert r.json() == {
        "code": "PERMINTAAN_TIDAK_VALID",
        "message": "Header Content-Length tidak valid: harus bilangan bulat tidak negatif.",
        "message_en": "Invalid Content-Length header: it must be a whole number of bytes, not negative.",
        "rows": [],
    }
    assert Job.objects.count() == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded", ""])
def test_an_upload_not_sent_as_csv_is_refused_415(client, tsel_batch, tsel_token, content_type):
    rows = dump_rows(tsel_batch)
    body = f"pd_id,no_ponsel,status\n{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n".encode()

    r = client.generic(
        "POST",
        f"/api/v1/batches/{tsel_batch.id}/results",
        body,
        content_type=content_type,
        headers=auth(tsel_token),
    )

    assert r.status_code == 415
    assert r.json() == {
        "code": "JENIS_ISI_TIDAK_DIDUKUNG",
        "message": "Jenis isi (Content-Type) tidak didukung. Kirim berkas sebagai text/csv, application/gzip "
        "atau multipart/form-data (bagian 'file').",
        "message_en": "Unsupported Content-Type. Send the file as text/csv, application/gzip or "
        "multipart/form-data (field 'file').",
        "rows": [],
        "allowed": ["text/csv", "application/gzip", "application/x-gzip", "multipart/form-data"],
    }
    assert Job.objects.count() == 0
    assert not (files.root() / "results").exists()


@pytest.mark.parametrize(
    "content_type", ["text/csv; charset=utf-8", "application/gzip", "application/x-gzip"]
)
def test_uploads_sent_as_csv_or_gzip_are_taken(client, tsel_batch, tsel_token, content_type):
    rows = dump_rows(tsel_batch)
    body = (
        "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows)
    ).encode()

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=gzip.compress(body) if "gzip" in content_type else body,
        content_type=content_type,
        headers=auth(tsel_token),
    )

    assert (r.status_code, r.json()["counts"]["applied"]) == (200, 10)


def test_a_queued_upload_answers_202_with_location_and_job_url(client, tsel_batch, tsel_token, monkeypatch):
    monkeypatch.setattr(api, "SYNC_INGEST_MAX_BYTES", 0)
    rows = dump_rows(tsel_batch)

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=f"pd_id,no_ponsel,status\n{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n".encode(),
        content_type="text/csv",
        headers=auth(tsel_token),
    )

    job = Job.objects.get()
    assert r.status_code == 202
    assert r["Location"] == f"/api/v1/jobs/{job.pk}"
    assert r.json()["job_url"] == f"/api/v1/jobs/{job.pk}"
    assert client.get(r["Location"], headers=auth(tsel_token)).json()["job_id"] == str(job.pk)


# ------------------------------------------------------------------ query values, 405, validation


def test_an_unknown_state_is_refused_400_with_the_allowed_values(client, tsel_batch, tsel_token):
    r = client.get("/api/v1/batches?state=bogus", headers=auth(tsel_token))

    assert r.status_code == 400
    assert r.json() == {
        "code": "PERMINTAAN_TIDAK_VALID",
        "message": "Nilai state tidak dikenal. Pilihan: OPEN, INCOMPLETE, COMPLETE.",
        "message_en": "Unknown state. Allowed: OPEN, INCOMPLETE, COMPLETE.",
        "rows": [
            {
                "line": 0,
                "column": "state",
                "code": "NILAI_TIDAK_VALID",
                "message": "Harus salah satu dari: OPEN, INCOMPLETE, COMPLETE.",
                "message_en": "Must be one of: OPEN, INCOMPLETE, COMPLETE.",
                "value": "bogus",
            }
        ],
        "allowed": ["OPEN", "INCOMPLETE", "COMPLETE"],
    }
    assert [b["id"] for b in client.get("/api/v1/batches?state=open", headers=auth(tsel_token)).json()] == [
        tsel_batch.id
    ]
    disbursements = client.get("/api/v1/disbursements/batches?state=bogus", headers=auth(tsel_token))
    assert (disbursements.status_code, disbursements.json()["allowed"]) == (
        400,
        ["TERBIT", "DIAMBIL", "SELESAI"],
    )


def test_an_empty_state_lists_without_filter_on_both_batch_lists(client, tsel_batch, tsel_token):
    """`?state=` is taken as no filter (the OpenAPI document says so with allowEmptyValue);
    decision 0032."""
    dumps = client.get("/api/v1/batches?state=", headers=auth(tsel_token))
    disbursements = client.get("/api/v1/disbursements/batches?state=", headers=auth(tsel_token))

    assert (dumps.status_code, [b["id"] for b in dumps.json()]) == (200, [tsel_batch.id])
    assert (disbursements.status_code, disbursements.json()) == (200, [])


def test_a_method_the_path_does_not_take_is_audited_for_a_valid_token(client, tsel_batch, tsel_token):
    assert client.delete("/api/v1/batches", headers=auth(tsel_token)).status_code == 405
    assert client.delete("/api/v1/batches", headers=auth("vp_00000000_junk")).status_code == 405

    event = AuditEvent.objects.get(action="api_refused")
    assert (event.provider, event.after) == (
        "telkomsel",
        {"status": 405, "code": "METODE_TIDAK_DIIZINKAN", "method": "DELETE", "path": "/api/v1/batches"},
    )


def test_a_body_refused_by_its_schema_names_each_field_in_both_languages(client, tsel_token):
    make_period()

    r = client.put(
        "/api/v1/reports/2020-09A/recap",
        data=b'{"sent": "x", "injected": 3, "failed": "6281234567890x", "gb": "1"}',
        content_type="application/json",
        headers=auth(tsel_token),
    )

    assert r.status_code == 400
    assert r.json() == {
        "code": "PERMINTAAN_TIDAK_VALID",
        "message": "Permintaan tidak valid: periksa isian pada `rows`.",
        "message_en": "Invalid request: see the fields in `rows`.",
        "rows": [
            {
                "line": 0,
                "column": "sent",
                "code": "NILAI_TIDAK_VALID",
                "message": "Harus bilangan bulat.",
                "message_en": "Input should be a valid integer, unable to parse string as an integer",
                "value": "x",
            },
            {
                "line": 0,
                "column": "failed",
                "code": "NILAI_TIDAK_VALID",
                "message": "Harus bilangan bulat.",
                "message_en": "Input should be a valid integer, unable to parse string as an integer",
                "value": "0812****7890x",
            },
        ],
    }
    missing = client.put(
        "/api/v1/reports/2020-09A/recap",
        data=b'{"sent": 1, "injected": 1, "failed": 0}',
        content_type="application/json",
        headers=auth(tsel_token),
    ).json()["rows"]
    assert missing == [
        {
            "line": 0,
            "column": "gb",
            "code": "WAJIB_DIISI",
            "message": "Wajib diisi.",
            "message_en": "Field required",
            "value": "",
        }
    ]
