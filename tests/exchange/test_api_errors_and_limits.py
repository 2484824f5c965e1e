"""The provider API's edges: upload limits, refusals, JSON errors, audit of failed calls, ranges
and token rotation (docs/api.md, decision 0010)."""

from __future__ import annotations

import gzip
import io
import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test.client import FakePayload

from tests.exchange.helpers import dump_rows
from verval.core import files
from verval.core.models import AuditEvent, Job, JobIssue
from verval.exchange import actions, services
from verval.exchange.models import ProviderToken
from verval.registry.models import Recipient

# What tsel_batch (10 rows) may weigh: 1 MiB of slack plus 512 bytes a row.
TEN_ROW_LIMIT = (1 << 20) + 10 * 512


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_results(client, batch, body: bytes, token: str, content_type: str = "text/csv"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/batches/{batch.id}/results", data=body, content_type=content_type, headers=auth(token)
    )


@pytest.fixture
def isat_batch(waiting):  # type: ignore[no-untyped-def]
    (batch,) = actions.publish_dumps(actor=None, provider="indosat")
    return batch


@pytest.fixture
def lenient(settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.9}


# ------------------------------------------------------------------ 1. size limit


def test_upload_larger_than_the_batch_allows_is_refused_with_413_before_it_is_stored(
    client, tsel_batch, tsel_token
):
    body = b"pd_id,no_ponsel,status\n" + b"x" * (TEN_ROW_LIMIT - 23 + 1)

    r = post_results(client, tsel_batch, body, tsel_token)

    assert r.status_code == 413
    assert r.json() == {
        "code": "BERKAS_TERLALU_BESAR",
        "message": "Berkas terlalu besar: 1.053.697 byte. Untuk 10 baris batch ini berkas paling besar "
        "1.053.696 byte.",
        "message_en": "File too large: 1,053,697 bytes. For this batch's 10 rows the limit is 1,053,696 bytes.",
        "rows": [],
        "size_bytes": 1053697,
        "limit_bytes": 1053696,
    }
    assert Job.objects.count() == 0
    assert not (files.root() / "results").exists()
    rows = dump_rows(tsel_batch)
    good = "pd_id,no_ponsel,status,keterangan\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},AKTIF,\n" for r in rows
    )
    exactly = good.encode() + b"\n" * (TEN_ROW_LIMIT - len(good.encode()))  # blank lines are skipped
    r = post_results(client, tsel_batch, exactly, tsel_token)
    assert (r.status_code, r.json()["counts"]["applied"]) == (200, 10)


def test_gzip_upload_is_measured_as_sent_not_as_it_unpacks(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    note = "x" * 120_000  # ten of these unpack to more than the limit; stored as 255 characters
    plain = "pd_id,no_ponsel,status,keterangan\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF,{note}\n" for r in rows
    )
    small = gzip.compress(plain.encode())
    big = gzip.compress(plain.encode() + uuid.uuid4().bytes.hex().encode() * 40_000, compresslevel=0)
    assert len(small) < TEN_ROW_LIMIT < len(plain)
    assert len(big) > TEN_ROW_LIMIT

    refused = post_results(client, tsel_batch, big, tsel_token, content_type="application/gzip")
    r = post_results(client, tsel_batch, small, tsel_token, content_type="application/gzip")

    assert refused.status_code == 413
    assert r.status_code == 200, r.content
    assert (r.json()["counts"]["applied"], r.json()["counts"]["residu"]) == (10, 10)
    assert Recipient.objects.get(pk=rows[0]["pd_id"]).reason_note == "x" * 255


def test_file_refused_whole_keeps_only_the_first_report_rows(client, tsel_batch, tsel_token, monkeypatch):
    monkeypatch.setattr(services, "REFUSED_FILE_ISSUES_KEPT", 50)
    unknown = str(uuid.uuid4())
    body = ("pd_id,no_ponsel,status\n" + f"{unknown},6281234567890,AKTIF\n" * 300).encode()

    r = post_results(client, tsel_batch, body, tsel_token)

    assert r.status_code == 422
    data = r.json()
    assert data["code"] == "TERLALU_BANYAK_DITOLAK"
    assert (data["counts"]["refused"], data["issues_total"]) == (300, 50)
    assert data["counts"]["by_code"] == {"DUPLIKAT": 299, "PD_ID_TIDAK_DIKENAL": 1}
    assert JobIssue.objects.count() == 50
    assert list(JobIssue.objects.order_by("line").values_list("line", flat=True)) == list(range(2, 52))


# ------------------------------------------------------------------ 2. counts of a refused file


def test_counts_of_a_file_refused_for_too_many_bad_rows_claim_nothing_applied(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    body = "pd_id,no_ponsel,status\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},{'AKTIF' if i < 5 else 'RUSAK'}\n" for i, r in enumerate(rows)
    )

    r = post_results(client, tsel_batch, body.encode(), tsel_token)

    assert r.status_code == 422
    assert r.json()["counts"] == {
        "batch": tsel_batch.id,
        "provider": "telkomsel",
        "rows": 10,
        "refused": 5,
        "by_code": {"STATUS_TIDAK_VALID": 5},
    }
    assert Recipient.objects.filter(status="AKTIF").count() == 0


# ------------------------------------------------------------------ 3. optional trailing column


def test_rows_that_leave_off_the_optional_keterangan_are_applied(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    body = "pd_id,no_ponsel,status,keterangan\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF\n" for r in rows[:9]
    )
    body += f"{rows[9]['pd_id']},{rows[9]['no_ponsel']},TIDAK_AKTIF,Nomor hangus\n"

    r = post_results(client, tsel_batch, body.encode(), tsel_token)

    assert r.status_code == 200, r.content
    assert (r.json()["counts"]["applied"], r.json()["issues_total"]) == (10, 0)
    assert Recipient.objects.get(pk=rows[0]["pd_id"]).reason_note == ""
    assert Recipient.objects.get(pk=rows[9]["pd_id"]).reason_note == "Nomor hangus"
    # A last row without a required column is still a file cut off.
    cut = f"pd_id,no_ponsel,status,keterangan\n{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n"
    cut += f"{rows[1]['pd_id']},{rows[1]['no_ponsel']}\n"
    r = post_results(client, tsel_batch, cut.encode(), tsel_token)
    assert (r.status_code, r.json()["code"]) == (422, "BERKAS_TERPOTONG")


# ------------------------------------------------------------------ 4. values in the report


def test_report_values_give_ids_in_canonical_form_and_a_masked_bad_number(
    client, lenient, tsel_batch, tsel_token, waiting
):
    rows = dump_rows(tsel_batch)
    unknown = str(uuid.uuid4())
    isat = str(waiting["indosat"][0].pk)
    body = "pd_id,no_ponsel,status\n" + "".join(
        [
            f"{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n",  # 2 ok
            f"{unknown},6281234567890,AKTIF\n",  # 3 PD_ID_TIDAK_DIKENAL
            f"{isat},6281234567890,AKTIF\n",  # 4 BUKAN_BATCH_INI
            f"{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n",  # 5 DUPLIKAT
            f"{rows[1]['pd_id']},abc,AKTIF\n",  # 6 NOMOR_TIDAK_VALID
            f"{rows[2]['pd_id']},{rows[2]['no_ponsel']},AKTIF\n",  # 7 ok
        ]
    )

    r = post_results(client, tsel_batch, body.encode(), tsel_token)

    assert r.status_code == 200, r.content
    assert [(i["line"], i["code"], i["value"]) for i in r.json()["issues"]] == [
        (3, "PD_ID_TIDAK_DIKENAL", unknown),
        (4, "BUKAN_BATCH_INI", isat),
        (5, "DUPLIKAT", rows[0]["pd_id"]),
        (6, "NOMOR_TIDAK_VALID", "***"),
    ]


# ------------------------------------------------------------------ 5. JSON everywhere


def test_unknown_path_under_the_api_answers_json_404(client):
    r = client.get("/api/v1/nonexistent")

    assert (r.status_code, r["Content-Type"]) == (404, "application/json")
    assert r.json() == {
        "code": "TIDAK_DITEMUKAN",
        "message": "Tidak ditemukan.",
        "message_en": "Not found.",
        "rows": [],
    }


def test_method_the_path_does_not_take_answers_json_405_with_allow(client, tsel_token):
    r = client.delete("/api/v1/batches", headers=auth(tsel_token))

    assert r.status_code == 405
    assert r.json() == {
        "code": "METODE_TIDAK_DIIZINKAN",
        "message": "Metode HTTP ini tidak diizinkan di alamat ini.",
        "message_en": "Method not allowed.",
        "rows": [],
    }
    assert set(r["Allow"].split(", ")) == {"GET", "HEAD"}


def test_unhandled_error_answers_json_500_without_its_text(client, tsel_batch, tsel_token, monkeypatch):
    from verval.exchange import api

    def broken(batch):  # type: ignore[no-untyped-def]
        raise RuntimeError("rahasia 081234567890")

    monkeypatch.setattr(api, "_batch_out", broken)

    r = client.get("/api/v1/batches", headers=auth(tsel_token))

    assert r.status_code == 500
    assert r.json() == {
        "code": "KESALAHAN_SISTEM",
        "message": "Terjadi kesalahan sistem; data tidak diubah. Hubungi Pusdatin.",
        "message_en": "System error; no data was changed. Contact Pusdatin.",
        "rows": [],
    }


def test_body_that_is_not_json_answers_in_indonesian(client, tsel_token):
    r = client.put(
        "/api/v1/reports/2020-09A/recap",
        data=b"bukan json",
        content_type="application/json",
        headers=auth(tsel_token),
    )

    assert r.status_code == 400
    assert r.json() == {
        "code": "PERMINTAAN_TIDAK_VALID",
        "message": "Isi permintaan tidak dapat dibaca (harus JSON yang valid).",
        "message_en": "Cannot parse request body",
        "rows": [],
    }


# ------------------------------------------------------------------ 6. audit of failed calls


def test_asking_for_another_providers_batch_leaves_an_audit_row(client, tsel_batch, isat_batch, tsel_token):
    prefix = ProviderToken.objects.get(provider="telkomsel").prefix

    r = client.get(f"/api/v1/batches/{isat_batch.id}", headers=auth(tsel_token))
    # A call that had written its own row before failing gets no second one.
    body = b"pd_id,no_ponsel,status\n" + f"{uuid.uuid4()},6281234567890,AKTIF\n".encode()
    assert post_results(client, tsel_batch, body, tsel_token).status_code == 422

    assert r.status_code == 404
    assert list(
        AuditEvent.objects.filter(action__startswith="api_").order_by("id").values_list("action", flat=True)
    ) == [
        "api_refused",
        "api_upload_results",
    ]
    event = AuditEvent.objects.get(action="api_refused")
    assert (event.provider, event.note) == ("telkomsel", f"token {prefix}")
    assert event.after == {
        "status": 404,
        "code": "TIDAK_DITEMUKAN",
        "method": "GET",
        "path": f"/api/v1/batches/{isat_batch.id}",
    }


def test_unsatisfiable_range_leaves_an_audit_row(client, tsel_batch, tsel_token):
    size = files.absolute(tsel_batch.file_path).stat().st_size

    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), "Range": f"bytes={size}-"}
    )

    assert r.status_code == 416
    event = AuditEvent.objects.get(action="download_dump")
    assert event.after == {"status": 416, "method": "GET", "range": f"bytes={size}-"}


def test_a_revoked_token_leaves_an_audit_row_with_its_prefix_and_never_the_token(
    client, tsel_batch, tsel_token
):
    cache.clear()
    old = ProviderToken.objects.get(provider="telkomsel")
    actions.issue_token(actor=None, provider="telkomsel")

    r = client.get("/api/v1/batches", headers=auth(tsel_token))

    assert r.status_code == 401
    event = AuditEvent.objects.get(action="api_unauthenticated")
    assert (event.provider, event.object_id, event.note) == ("telkomsel", str(old.pk), f"token {old.prefix}")
    assert event.after == {"reason": "revoked_token", "method": "GET", "path": "/api/v1/batches"}
    secret = tsel_token.split("_", 2)[2]
    assert not any(
        secret in str(v) for v in AuditEvent.objects.values_list("note", "after", "before", "object_id")
    )


def test_calls_without_a_token_are_audited_at_most_ten_a_minute_per_address(client, tsel_batch):
    cache.clear()

    for _ in range(12):
        assert client.get("/api/v1/batches").status_code == 401

    events = AuditEvent.objects.filter(action="api_unauthenticated")
    assert events.count() == 10
    assert events.first().after == {"reason": "no_token", "method": "GET", "path": "/api/v1/batches"}


# ------------------------------------------------------------------ 7. ranges, HEAD, 304


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=50-10", "bytes=0-1,5-6", "items=0-5", "bytes=-"])
def test_a_range_that_cannot_be_read_is_ignored_and_the_whole_file_served(
    client, tsel_batch, tsel_token, header
):
    whole = files.absolute(tsel_batch.file_path).read_bytes()

    r = client.get(f"/api/v1/batches/{tsel_batch.id}/file", headers={**auth(tsel_token), "Range": header})

    assert r.status_code == 200
    assert b"".join(r.streaming_content) == whole
    assert "Content-Range" not in r


def test_head_gives_the_download_headers_without_the_file(client, tsel_batch, tsel_token):
    size = files.absolute(tsel_batch.file_path).stat().st_size

    r = client.head(f"/api/v1/batches/{tsel_batch.id}/file", headers=auth(tsel_token))

    assert r.status_code == 200
    assert r.content == b""
    assert (r["Content-Length"], r["ETag"], r["Accept-Ranges"]) == (
        str(size),
        f'"{tsel_batch.sha256}"',
        "bytes",
    )
    assert AuditEvent.objects.get(action="download_dump").after["method"] == "HEAD"
    documented = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/batches/{batch_id}/file"]
    assert documented["head"]["operationId"] != documented["get"]["operationId"]


def test_not_modified_carries_no_content_type(client, tsel_batch, tsel_token):
    r = client.get(
        f"/api/v1/batches/{tsel_batch.id}/file",
        headers={**auth(tsel_token), "If-None-Match": f'"{tsel_batch.sha256}"'},
    )

    assert r.status_code == 304
    assert "Content-Type" not in r


# ------------------------------------------------------------------ 8. token rotation


def test_rotating_a_token_revokes_every_earlier_token_of_the_provider(client, tsel_batch):
    _row, demo = actions.issue_token(actor=None, provider="telkomsel", label="demo", rotate=False)
    out = io.StringIO()

    call_command("provider_token", "--provider", "telkomsel", stdout=out, stderr=io.StringIO())
    fresh = out.getvalue().strip()

    assert client.get("/api/v1/batches", headers=auth(demo)).status_code == 401
    assert client.get("/api/v1/batches", headers=auth(fresh)).status_code == 200
    assert ProviderToken.objects.filter(provider="telkomsel", revoked_at__isnull=True).count() == 1


def test_pusdatin_revokes_a_providers_tokens_without_issuing_one_and_the_api_refuses_them(
    client, pusdatin, tsel_batch, tsel_token, isat_token
):  # type: ignore[no-untyped-def]
    _row, sim = actions.issue_token(actor=None, provider="telkomsel", label="simulator", rotate=False)
    client.force_login(pusdatin)
    response = client.post("/pusdatin/dump/token/cabut/", {"provider": "telkomsel"})
    assert response.status_code == 302 and response["Location"] == "/pusdatin/dump/"
    client.logout()

    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 401
    assert client.get("/api/v1/batches", headers=auth(sim)).status_code == 401
    assert client.get("/api/v1/batches", headers=auth(isat_token)).status_code == 200
    assert ProviderToken.objects.filter(provider="telkomsel", revoked_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action="revoke_provider_tokens")
    assert (event.actor_id, event.provider, event.after["revoked"]) == (pusdatin.pk, "telkomsel", 2)
    assert tsel_token not in str(event.after) and sim not in str(event.after)


def test_the_command_line_revokes_a_providers_tokens_and_says_how_many(client, tsel_batch, tsel_token):
    out = io.StringIO()
    call_command("provider_token", "--provider", "telkomsel", "--revoke", "--json", stdout=out)
    assert out.getvalue().strip() == '{"provider": "telkomsel", "revoked": 1}'
    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 401


def test_a_tool_token_replaces_only_its_own_label(client, tsel_batch, tsel_token):
    _row, sim = actions.issue_token(actor=None, provider="telkomsel", label="simulator", rotate=False)

    assert client.get("/api/v1/batches", headers=auth(tsel_token)).status_code == 200
    assert client.get("/api/v1/batches", headers=auth(sim)).status_code == 200


# ------------------------------------------------------------------ 9. chunked upload


def test_chunked_upload_without_content_length_is_refused_with_411(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    body = ("pd_id,no_ponsel,status\n" + f"{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n").encode()

    # What a WSGI server hands over for `Transfer-Encoding: chunked`: no CONTENT_LENGTH.
    r = client.generic(
        "POST",
        f"/api/v1/batches/{tsel_batch.id}/results",
        headers={**auth(tsel_token), "Transfer-Encoding": "chunked"},
        CONTENT_TYPE="text/csv",
        **{"wsgi.input": FakePayload(body)},
    )

    assert r.status_code == 411
    assert r.json() == {
        "code": "CONTENT_LENGTH_DIPERLUKAN",
        "message": "Header Content-Length wajib ada; kirim berkas dengan panjangnya, bukan secara chunked.",
        "message_en": "The Content-Length header is required; send the file with its length, not chunked.",
        "rows": [],
    }
    assert Job.objects.count() == 0
