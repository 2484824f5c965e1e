"""A gzip upload is bounded by what it unpacks to, not only by its size as sent: a bomb (a few
hundred KB unpacking to 130 MB) is refused while it is read, before anything is stored, and
the choice between applying in the request and queueing a job follows the unpacked size."""

from __future__ import annotations

import gzip

import pytest

from tests.exchange.helpers import dump_rows
from verval.core import files
from verval.core.models import AuditEvent, Job
from verval.exchange import api
from verval.registry.models import Recipient

# What tsel_batch (10 rows) may unpack to: 4 MiB of slack plus 1 KiB a row.
TEN_ROW_UNPACKED_LIMIT = (4 << 20) + 10 * 1024

BOMB_ANSWER = {
    "code": "ISI_GZIP_TERLALU_BESAR",
    "message": "Isi berkas gzip terlalu besar: setelah dibuka lebih dari 4.204.544 byte. Untuk 10 baris "
    "batch ini isi berkas paling besar 4.204.544 byte.",
    "message_en": "The gzip file unpacks to more than 4,204,544 bytes. For this batch's 10 rows it may "
    "unpack to at most 4,204,544 bytes.",
    "rows": [],
    "limit_bytes": 4204544,
}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def bomb(rows: list[dict[str, str]], repeat: int = 200_000) -> bytes:
    """The same answer repeated: ~13 MB of CSV that gzip packs into a few tens of KB."""
    row = f"{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n"
    return gzip.compress(("pd_id,no_ponsel,status\n" + row * repeat).encode(), compresslevel=9)


def nothing_stored() -> bool:
    spool = files.root() / "tmp"
    return (
        Job.objects.count() == 0
        and not (files.root() / "results").exists()
        and (not spool.exists() or not any(spool.iterdir()))
        and not Recipient.objects.filter(status="AKTIF").exists()
    )


def test_raw_gzip_body_that_unpacks_past_the_batch_limit_is_refused_413_and_nothing_stored(
    client, tsel_batch, tsel_token
):
    body = bomb(dump_rows(tsel_batch))
    assert len(body) < 100_000

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body,
        content_type="application/gzip",
        headers=auth(tsel_token),
    )

    assert r.status_code == 413
    assert r.json() == BOMB_ANSWER
    assert nothing_stored()
    assert AuditEvent.objects.get(action="api_refused").after == {
        "status": 413,
        "code": "ISI_GZIP_TERLALU_BESAR",
        "method": "POST",
        "path": f"/api/v1/batches/{tsel_batch.id}/results",
    }


def test_multipart_gzip_file_that_unpacks_past_the_batch_limit_is_refused_413(
    client, tsel_batch, tsel_token, tmp_path
):
    path = tmp_path / "hasil.csv.gz"
    path.write_bytes(bomb(dump_rows(tsel_batch)))

    with open(path, "rb") as fh:
        r = client.post(
            f"/api/v1/batches/{tsel_batch.id}/results", data={"file": fh}, headers=auth(tsel_token)
        )

    assert (r.status_code, r.json()) == (413, BOMB_ANSWER)
    assert nothing_stored()


def test_a_bomb_hidden_behind_a_small_member_and_zero_padding_is_still_counted(
    client, tsel_batch, tsel_token
):
    rows = dump_rows(tsel_batch)
    honest = gzip.compress(
        f"pd_id,no_ponsel,status\n{rows[0]['pd_id']},{rows[0]['no_ponsel']},AKTIF\n".encode()
    )
    body = honest + b"\x00" * 64 + gzip.compress(b"x" * (TEN_ROW_UNPACKED_LIMIT + 1))

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body,
        content_type="application/gzip",
        headers=auth(tsel_token),
    )

    assert (r.status_code, r.json()["code"]) == (413, "ISI_GZIP_TERLALU_BESAR")
    assert nothing_stored()


def test_gzip_that_unpacks_to_exactly_the_limit_is_taken(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    good = "pd_id,no_ponsel,status,keterangan\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},AKTIF,\n" for r in rows
    )
    # Blank lines are skipped by the reader: they fill the file up to the limit exactly.
    plain = good.encode() + b"\n" * (TEN_ROW_UNPACKED_LIMIT - len(good.encode()))

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=gzip.compress(plain),
        content_type="application/gzip",
        headers=auth(tsel_token),
    )

    assert r.status_code == 200, r.content
    assert r.json()["counts"]["applied"] == 10


def test_gzip_of_several_members_is_applied_whole(client, tsel_batch, tsel_token):
    rows = dump_rows(tsel_batch)
    head = "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows[:5])
    tail = "".join(f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF\n" for r in rows[5:])

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=gzip.compress(head.encode()) + gzip.compress(tail.encode()),
        content_type="application/gzip",
        headers=auth(tsel_token),
    )

    assert r.status_code == 200, r.content
    assert (r.json()["counts"]["aktif"], r.json()["counts"]["residu"]) == (5, 5)


@pytest.mark.parametrize("gzipped", [True, False])
def test_the_choice_between_applying_now_and_queueing_follows_the_unpacked_size(
    client, tsel_batch, tsel_token, monkeypatch, gzipped
):
    rows = dump_rows(tsel_batch)
    plain = (
        "pd_id,no_ponsel,status,keterangan\n"
        + "".join(f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF,{'x' * 200}\n" for r in rows)
    ).encode()
    body = gzip.compress(plain) if gzipped else plain
    # Between the two: the gzip body is smaller than the threshold, what it unpacks to larger.
    monkeypatch.setattr(api, "SYNC_INGEST_MAX_BYTES", len(plain) - 1)
    assert len(gzip.compress(plain)) < api.SYNC_INGEST_MAX_BYTES

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body,
        content_type="application/gzip" if gzipped else "text/csv",
        headers=auth(tsel_token),
    )

    job = Job.objects.get()
    assert r.status_code == 202
    assert r["Location"] == f"/api/v1/jobs/{job.pk}"
    assert (r.json()["job_id"], r.json()["job_url"]) == (str(job.pk), f"/api/v1/jobs/{job.pk}")
