"""Uploads a fuzzer (schemathesis) or a broken client sends are refused with the JSON error of
their kind, never answered 500: a multipart body Django cannot parse (no boundary, an empty or
over-long one, more parts than Django reads) and a gzip body whose deflate stream is broken."""

from __future__ import annotations

import gzip

import pytest

from tests.sptjm.conftest import make_period
from verval.core.models import AuditEvent, Job
from verval.registry.models import Recipient

UNREADABLE_MULTIPART = {
    "code": "PERMINTAAN_TIDAK_VALID",
    "message": "Isi multipart tidak dapat dibaca: periksa boundary pada Content-Type dan kirim satu "
    "bagian 'file'.",
    "message_en": "The multipart body cannot be read: check the boundary in Content-Type and send one "
    "part 'file'.",
    "rows": [],
}

CSV = b"pd_id,no_ponsel,status\n"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "BATAS") -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "B" * 300,
    ],
    ids=["no_boundary", "empty_boundary", "boundary_over_200_characters"],
)
def test_multipart_upload_whose_boundary_cannot_be_read_is_refused_400_and_audited(
    client, tsel_batch, tsel_token, content_type
):
    body = multipart([("file", "hasil.csv", CSV)], boundary="B" * 300)

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body,
        content_type=content_type,
        headers=auth(tsel_token),
    )

    assert r.status_code == 400
    assert r.json() == UNREADABLE_MULTIPART
    assert Job.objects.count() == 0
    assert AuditEvent.objects.get(action="api_refused").after == {
        "status": 400,
        "code": "PERMINTAAN_TIDAK_VALID",
        "method": "POST",
        "path": f"/api/v1/batches/{tsel_batch.id}/results",
    }


@pytest.mark.parametrize(
    "parts",
    [
        [(f"isian{i}", None, b"x") for i in range(1001)] + [("file", "hasil.csv", CSV)],
        [("file", f"hasil{i}.csv", CSV) for i in range(101)],
    ],
    ids=["1001_fields", "101_files"],
)
def test_multipart_upload_with_more_parts_than_django_reads_is_refused_400(
    client, tsel_batch, tsel_token, parts
):
    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=multipart(parts),
        content_type="multipart/form-data; boundary=BATAS",
        headers=auth(tsel_token),
    )

    assert r.status_code == 400
    assert r.json() == UNREADABLE_MULTIPART
    assert Job.objects.count() == 0


def test_multipart_usage_report_whose_boundary_cannot_be_read_is_refused_400(client, tsel_token):
    """The same check guards every upload (open_upload, shared by results, injection results
    and usage reports)."""
    period = make_period()

    r = client.post(
        f"/api/v1/reports/{period.code}/usage",
        data=multipart([("file", "pemakaian.csv", b"pd_id,no_ponsel,pemakaian_gb\n")]),
        content_type="multipart/form-data",
        headers=auth(tsel_token),
    )

    assert r.status_code == 400
    assert r.json() == UNREADABLE_MULTIPART


def test_gzip_upload_with_a_broken_deflate_stream_is_refused_whole_as_cut_off_not_500(
    client, tsel_batch, tsel_token
):
    # A gzip header, then a deflate block of the reserved type 11: no reader takes it (the fast
    # reader, isal, raised an error the ingest did not catch, which answered 500).
    body = gzip.compress(CSV)[:10] + b"\x07" + b"\x00" * 20

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body,
        content_type="application/gzip",
        headers=auth(tsel_token),
    )

    assert r.status_code == 422
    body_out = r.json()
    assert (body_out["code"], body_out["message"], body_out["message_en"], body_out["counts"]) == (
        "BERKAS_TERPOTONG",
        "Berkas gzip terpotong atau rusak: isinya tidak dapat dibuka sampai akhir. Kirim ulang berkas yang utuh.",
        "The gzip file is cut off or damaged: it cannot be unpacked to its end. Send the complete file again.",
        {},
    )
    assert Job.objects.get().state == Job.State.REFUSED
    assert not Recipient.objects.exclude(status="MENUNGGU_PROVIDER").exists()
