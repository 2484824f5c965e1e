"""Match a dump against the provider's subscriber export with duckdb (file to file).

Dump: CSV or CSV.gz `pd_id,tingkat_pendidikan,npsn,no_ponsel` (no_ponsel like 6281234567890).
Subscribers: CSV (or .gz) `msisdn,status`, status active | grace | inactive (also accepted:
not_subscriber -> BUKAN_PELANGGAN); a number absent from the export is TIDAK_TERDAFTAR.
Results: CSV `pd_id,no_ponsel,status` (gzip when the name ends in .gz), one row per dump row.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

STATUS_MAP = {
    "active": "AKTIF",
    "grace": "MASA_TENGGANG",
    "inactive": "TIDAK_AKTIF",
    "not_subscriber": "BUKAN_PELANGGAN",
}
ABSENT = "TIDAK_TERDAFTAR"
# When a number appears more than once in the export, the best state wins.
_RANK = {"active": 1, "grace": 2, "inactive": 3, "not_subscriber": 4}


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def match(
    dump: str | Path,
    subscribers: str | Path,
    out: str | Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    count: bool = True,
) -> dict[str, Any]:
    """Write the results file; returns counts by status, rows and seconds."""
    import duckdb

    started = time.perf_counter()
    dump, subscribers, out = Path(dump), Path(subscribers), Path(out)
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
        con.execute("SET preserve_insertion_order = false")
        rank_case = " ".join(f"WHEN {_sql_str(k)} THEN {v}" for k, v in _RANK.items())
        status_case = " ".join(f"WHEN {v} THEN {_sql_str(STATUS_MAP[k])}" for k, v in _RANK.items())
        dump_src = (
            f"read_csv({_sql_str(str(dump))}, header = true, all_varchar = true, delim = ',', quote = '\"')"
        )
        subs_src = f"read_csv({_sql_str(str(subscribers))}, header = true, all_varchar = true, delim = ',', quote = '\"')"
        compression = "gzip" if out.name.endswith(".gz") else "none"
        tmp = out.with_name(out.name + ".part")
        written = con.execute(
            f"""
            COPY (
              WITH s AS (
                SELECT ltrim(trim(msisdn), '+') AS msisdn,
                       min(CASE lower(trim(status)) {rank_case} ELSE NULL END) AS rank
                FROM {subs_src} GROUP BY 1
              )
              SELECT d.pd_id, d.no_ponsel,
                     coalesce(CASE s.rank {status_case} END, {_sql_str(ABSENT)}) AS status
              FROM {dump_src} d LEFT JOIN s ON s.msisdn = d.no_ponsel
            ) TO {_sql_str(str(tmp))} (FORMAT csv, HEADER true, COMPRESSION {_sql_str(compression)})
            """  # noqa: S608 - every value is quoted with _sql_str
        ).fetchone()
        tmp.replace(out)
        rows = int(written[0]) if written else 0
        if not count:
            return {
                "rows": rows,
                "by_status": {},
                "seconds": round(time.perf_counter() - started, 3),
                "out": str(out),
            }
        counts = dict(
            con.execute(  # noqa: S608
                f"SELECT status, count(*) FROM read_csv({_sql_str(str(out))}, header = true, all_varchar = true) GROUP BY 1 ORDER BY 1"  # noqa: S608
            ).fetchall()
        )
    finally:
        con.close()
    return {
        "rows": sum(counts.values()),
        "by_status": counts,
        "seconds": round(time.perf_counter() - started, 3),
        "out": str(out),
    }
