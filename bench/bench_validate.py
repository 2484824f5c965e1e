"""Benchmark Pusdatin's validation run on PostgreSQL (issue 3 item 6: "1 M recipients in seconds").

    python bench/bench_validate.py --rows 1000000 [--database-url postgres://postgres@127.0.0.1:5432/verval_bench_validate]

Creates the database afresh, migrates, loads N recipients in BELUM_VERVAL with stored verdicts
(95 % valid, 5 % refused with a reason, a few numbers shared by whole classes), then times
`validate_pending` (history INSERT … SELECT + one UPDATE + shared-number GROUP BY) and prints a
Markdown row.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/verval_bench_validate")
    args = parser.parse_args()
    from benchdb import fresh_database

    fresh_database(args.database_url)
    from django.db import connection

    n = args.rows
    schools = max(1, n // 400)
    started = time.perf_counter()
    with connection.cursor() as c:
        c.execute(
            "INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active, created_at, updated_at) "
            "SELECT lpad((30000000 + g)::text, 8, '0'), 'SD Bench ' || g, 'SD', 'N', '020501', '020500', '020000', true, now(), now() "
            "FROM generate_series(1, %s) g",
            [schools],
        )
        # Every 20th number is refused (landline); every 1000th row shares one number per 40 rows.
        c.execute(
            "INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw, phone_e164, operator, status, "
            "reason, reason_note, status_changed_at, needs_validation, confirmed_at, confirmed_by_id, locked, active, row_hash, version, created_at, updated_at) "
            "SELECT gen_random_uuid(), 'PD', 'DIKDASMEN', 'Bench ' || g, '', '', 1 + g %% 12, lpad((30000000 + 1 + g %% %s)::text, 8, '0'), '', "
            "CASE WHEN g %% 20 = 0 THEN '' WHEN g %% 1000 < 40 THEN '+62812' || lpad((g / 1000)::text, 8, '0') ELSE '+62812' || lpad(g::text, 8, '0') END, "
            "CASE WHEN g %% 20 = 0 THEN '' ELSE 'telkomsel' END, 'BELUM_VERVAL', CASE WHEN g %% 20 = 0 THEN 'TELEPON_RUMAH' ELSE '' END, '', NULL, true, NULL, NULL, false, true, '', 1, now(), now() "
            "FROM generate_series(1, %s) g",
            [schools, n],
        )
        c.execute("ANALYZE registry_recipient")
    load_s = time.perf_counter() - started

    from verval.registry.services import validate_pending

    started = time.perf_counter()
    counts = validate_pending(actor=None)
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, {platform.platform()}")
    print(f"load of {n:,} recipients: {load_s:.1f} s\n")
    print(
        "| recipients | validated | menunggu_provider | format_salah | shared flags | seconds | rows/s | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {n:,} | {counts['divalidasi']:,} | {counts['menunggu_provider']:,} | {counts['format_salah']:,} | "
        f"{counts['nomor_dipakai_bersama']:,} | {elapsed:.1f} | {counts['divalidasi'] / elapsed:,.0f} | {rss:.0f} |"
    )


if __name__ == "__main__":
    main()
