"""Helpers for exchange tests: read a dump back, write a results file."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from verval.core import files
from verval.exchange.models import DumpBatch


def dump_rows(batch: DumpBatch) -> list[dict[str, str]]:
    with gzip.open(files.absolute(batch.file_path), "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def results_file(
    tmp_path: Path, rows: list[tuple[str, ...]], header: str | None = None, name: str = "hasil.csv"
) -> Path:
    if header is None:
        header = (
            "pd_id,no_ponsel,status,keterangan" if rows and len(rows[0]) == 4 else "pd_id,no_ponsel,status"
        )
    buf = io.StringIO()
    buf.write(header + "\n")
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(r)
    path = tmp_path / name
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
