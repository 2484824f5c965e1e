"""The fast (polars) reader of a results file stages exactly what the row-by-row reader stages."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction

from verval.exchange import services

GOOD = str(uuid.UUID(int=7))
ROWS = [
    f"{GOOD},6281234567890,AKTIF,",
    f" {GOOD.upper()} , +6281234567891 , tidak_aktif ,  nomor hangus  ",
    f"{GOOD.replace('-', '')},081234567892,MASA_TENGGANG,catatan; dengan titik koma",
    "bukan-uuid,6281234567893,AKTIF,",
    f"{GOOD},62812,AKTIF,",
    f"{GOOD},6281234567894,HIDUP,",
    f"{GOOD},6281234567895,BUKAN_PELANGGAN,{'x' * 300}",
]


def _stage(path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple], list[tuple]]:
    if not fast:
        monkeypatch.setattr(services, "_stage_rows_fast", lambda path, table: None)
    with transaction.atomic(), connection.cursor() as c:
        rid_type = "uuid" if connection.vendor == "postgresql" else "char(32)"  # as in apply_results
        c.execute(
            f"CREATE TEMPORARY TABLE t_stage (line bigint NOT NULL, rid {rid_type} NOT NULL, "
            "phone varchar(16) NOT NULL, status varchar(20) NOT NULL, note varchar(255) NOT NULL)"
        )
        staged = services._stage_rows(path, "t_stage", None)
        c.execute("SELECT line, rid, phone, status, note FROM t_stage ORDER BY line")
        rows = c.fetchall()
        c.execute("DROP TABLE t_stage")
    monkeypatch.undo()
    issues = [(i.line, i.column, i.code, i.value) for i in staged.issues or []]
    return [(staged.rows, *r) for r in rows], issues


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("gz", ["plain", "gzip", "gzip in two members"])
def test_fast_reader_stages_the_same_rows_and_refusals_as_the_careful_reader(tmp_path, monkeypatch, gz):
    text = "pd_id,no_ponsel,status,keterangan\r\n" + "\r\n".join(ROWS) + "\r\n"
    path = tmp_path / "hasil.csv"
    raw = text.encode()
    if gz == "gzip":
        raw = gzip.compress(raw)
    elif gz == "gzip in two members":  # `cat a.gz b.gz`: one valid gzip file
        raw = gzip.compress(raw[:100]) + gzip.compress(raw[100:])
    path.write_bytes(raw)
    calls: list[object] = []
    real = services._stage_rows_fast
    monkeypatch.setattr(services, "_stage_rows_fast", lambda p, t: calls.append(real(p, t)) or calls[-1])
    fast = _stage(path, fast=True, monkeypatch=monkeypatch)
    assert calls and calls[0] is not None  # the fast reader took this file
    careful = _stage(path, fast=False, monkeypatch=monkeypatch)
    assert fast == careful
    rows, issues = fast
    assert [r[1] for r in rows] == [2, 3, 4, 8]
    assert [(r[3], r[4], len(r[5])) for r in rows] == [
        ("+6281234567890", "AKTIF", 0),
        ("+6281234567891", "TIDAK_AKTIF", 12),
        ("+6281234567892", "MASA_TENGGANG", 26),
        ("+6281234567895", "BUKAN_PELANGGAN", 255),
    ]
    assert issues == [
        (5, "pd_id", "PD_ID_TIDAK_VALID", "bukan-uuid"),
        (6, "no_ponsel", "NOMOR_TIDAK_VALID", services.mask("62812")),
        (7, "status", "STATUS_TIDAK_VALID", "HIDUP"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_quoted_field_sends_the_file_to_the_careful_reader(tmp_path, monkeypatch):
    path = tmp_path / "hasil.csv"
    path.write_text(f'pd_id,no_ponsel,status,keterangan\n{GOOD},6281234567890,TIDAK_AKTIF,"hangus, lama"\n')
    assert services._stage_rows_fast(path, "t_unused") is None
    rows, issues = _stage(path, fast=True, monkeypatch=monkeypatch)
    assert (rows[0][4:], issues) == (("TIDAK_AKTIF", "hangus, lama"), [])


@pytest.mark.django_db(transaction=True)
def test_a_file_larger_than_the_fast_limit_is_read_row_by_row(tmp_path, monkeypatch):
    path = tmp_path / "hasil.csv"
    path.write_text("pd_id,no_ponsel,status,keterangan\n" + "\n".join(ROWS) + "\n")
    monkeypatch.setattr(services, "FAST_READ_LIMIT", 100)
    assert services._stage_rows_fast(path, "t_unused") is None
    rows, issues = _stage(path, fast=True, monkeypatch=monkeypatch)
    assert ([r[1] for r in rows], [i[2] for i in issues]) == (
        [2, 3, 4, 8],
        ["PD_ID_TIDAK_VALID", "NOMOR_TIDAK_VALID", "STATUS_TIDAK_VALID"],
    )
