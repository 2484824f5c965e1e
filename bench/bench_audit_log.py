"""The audit log at national size (decision 0135): the "Jejak audit" page as Pusdatin, a kabupaten's
and a province's Dinas, with each filter, a deep page, the action select, and the CSV's first rows.

Builds a fresh PostgreSQL database (dropped at the end unless --keep), 220,000 schools over every
kecamatan of the shipped regions, and --rows audit rows (default 3,000,000) over a year: half of
them provider API calls (no school, no region), 40 % a school's, 5 % a region's, 5 % neither
(periods, prunes). Then each page is requested through Django's test client --runs times:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verval_bench_audit PYTHONPATH=src \\
        python bench/bench_audit_log.py --rows 3000000 --runs 5 [--explain]

Prints a Markdown table: wall time p50 / p95 and the rows shown; --explain prints the plan of
each page's row query (EXPLAIN ANALYZE).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

ACTIONS_API = ["api_list_batches", "api_get_batch", "download_dump", "api_get_manifest", "api_refused"]
ACTIONS_SCHOOL = [
    "change_number",
    "confirm",
    "bulk_correction",
    "print_sptjm",
    "upload_sptjm_scan",
    "download_school_xlsx",
]


def load(rows: int) -> None:
    from django.db import connection

    from verval.accounts.models import User
    from verval.reference.models import Region

    with connection.cursor() as c:
        c.execute(
            """WITH d AS (SELECT array_agg(code ORDER BY code) a FROM reference_region WHERE level = %s)
               INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id,
                   active, created_at, updated_at)
               SELECT lpad((10000000 + g)::text, 8, '0'), 'SD ' || g, 'SD', 'N', c,
                      substr(c, 1, 4) || '00', substr(c, 1, 2) || '0000', true, now(), now()
               FROM (SELECT g, a[1 + (g * 7919) %% array_length(a, 1)] c
                     FROM generate_series(1, 220000) g, d) s""",
            [Region.Level.DISTRICT],
        )
        User.objects.bulk_create(
            User(username=f"op{g}", password="!", role="OPERATOR", school_id=f"{10000000 + g:08d}")
            for g in range(1, 2001)
        )
        c.execute("SELECT min(id), max(id) FROM accounts_user WHERE role = 'OPERATOR'")
        lo, hi = c.fetchone()
        c.execute(
            """INSERT INTO core_auditevent (at, actor_id, action, object_type, object_id, school_id,
                   region_code, provider, before, after, note, ip)
               SELECT now() - (g::float / %(rows)s) * interval '365 days',
                      CASE WHEN k < 50 THEN NULL ELSE %(lo)s + (g %% (%(hi)s - %(lo)s + 1)) END,
                      CASE WHEN k < 50 THEN (%(api)s::text[])[1 + g %% 5]
                           WHEN k < 90 THEN (%(school)s::text[])[1 + g %% 6]
                           WHEN k < 95 THEN 'download_region_school_list' ELSE 'open_period' END,
                      'recipient', (g %% 100000)::text,
                      CASE WHEN k >= 50 AND k < 90 THEN lpad((10000000 + 1 + (g * 31) %% 220000)::text, 8, '0')
                           ELSE '' END,
                      CASE WHEN k >= 90 AND k < 95 THEN (SELECT regency_id FROM reference_school
                           WHERE npsn = lpad((10000000 + 1 + g %% 220000)::text, 8, '0')) ELSE '' END,
                      CASE WHEN k < 50 THEN (ARRAY['telkomsel','indosat','xl','axis','tri','smartfren'])[1 + g %% 6]
                           ELSE '' END,
                      CASE WHEN k >= 50 AND k < 90 THEN '{"nomor": "0812****7890"}'::jsonb END,
                      CASE WHEN k >= 50 AND k < 90 THEN '{"nomor": "0813****1111"}'::jsonb END,
                      CASE WHEN k < 50 THEN 'token abcd1234' ELSE '' END,
                      '10.0.0.1'
               FROM (SELECT g, (g * 37) %% 100 AS k FROM generate_series(1, %(rows)s) g) s""",
            {"rows": rows, "lo": lo, "hi": hi, "api": ACTIONS_API, "school": ACTIONS_SCHOOL},
        )
        c.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database (it is dropped and created)")
    if not os.environ.get("PYTHONPATH"):
        sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("VERVAL_LOG_LEVEL", "WARNING")
    from benchdb import drop_database, fresh_database

    fresh_database(url)
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from verval.accounts.models import User
    from verval.core import selectors

    setup_test_environment()  # the response's context (the rows shown)
    settings.ALLOWED_HOSTS = ["*"]
    started = time.perf_counter()
    load(args.rows)
    print(f"loaded {args.rows:,} audit rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as c:
        c.execute(
            "SELECT regency_id, count(*) FROM reference_school GROUP BY regency_id ORDER BY count(*) DESC LIMIT 1"
        )
        regency = c.fetchone()[0]
        c.execute("SELECT min(npsn) FROM reference_school WHERE regency_id = %s", [regency])
        npsn = c.fetchone()[0]
        c.execute(
            "SELECT regency_id FROM reference_school GROUP BY regency_id ORDER BY count(*), regency_id LIMIT 1"
        )
        small = c.fetchone()[0]
    from verval.reference.models import School

    schools = School.objects.filter(regency_id=regency).count()
    users = {
        "pusdatin": User.objects.create(username="bench-pusdatin", role="PUSDATIN"),
        "kab": User.objects.create(username="bench-kab", role="DINAS_KAB", region_id=regency),
        "prov": User.objects.create(username="bench-prov", role="DINAS_PROV", region_id=regency[:2] + "0000"),
        "small kab": User.objects.create(username="bench-kab-small", role="DINAS_KAB", region_id=small),
    }
    cases = [
        ("pusdatin", "page 1", {}),
        ("pusdatin", "page 200", {"hal": "200"}),
        ("pusdatin", "action open_period", {"aksi": "open_period"}),
        ("pusdatin", "user op17", {"pengguna": "op17"}),
        ("pusdatin", "school", {"npsn": npsn}),
        (
            "pusdatin",
            "provider xl, one day",
            {"provider": "xl", "dari": "2026-06-01", "sampai": "2026-06-01"},
        ),
        ("kab", "page 1", {}),
        ("kab", "page 20", {"hal": "20"}),
        ("kab", "action change_number", {"aksi": "change_number"}),
        ("kab", "action open_period (none)", {"aksi": "open_period"}),
        ("small kab", "page 1", {}),
        ("small kab", "page 5", {"hal": "5"}),
        ("small kab", "action change_number", {"aksi": "change_number"}),
        ("small kab", "action download_region_school_list", {"aksi": "download_region_school_list"}),
        ("prov", "page 1", {}),
        ("prov", "action open_period (none)", {"aksi": "open_period"}),
        ("prov", "user op17", {"pengguna": "op17"}),
    ]
    print(f"\n{args.rows:,} audit rows; kabupaten {regency} ({schools:,} schools), small kabupaten {small}")
    print("\n| reader | page | rows | p50 ms | p95 ms |\n|---|---|---:|---:|---:|")
    for who, label, query in cases:
        client = Client()
        client.force_login(users[who])
        times = []
        for _ in range(args.runs):
            cache.delete(selectors.AUDIT_ACTIONS_CACHE)
            t = time.perf_counter()
            response = client.get("/jejak-audit/", query)
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        shown = len(response.context["rows"])
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"| {who} | {label} | {shown} | {statistics.median(times):.0f} | {p95:.0f} |")
        if args.explain:
            filters, _ = selectors.audit_filters(query)
            qs = selectors.audit_events(users[who], filters)[:51]
            with connection.cursor() as c:
                sql, params = qs.query.sql_with_params()
                c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print("\n".join("    " + r[0] for r in c.fetchall()))
    for label, fn in (
        ("actions: loose index scan", selectors.audit_actions),
        (
            "actions: DISTINCT",
            lambda: list(
                selectors.AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
            ),
        ),
    ):
        cache.delete(selectors.AUDIT_ACTIONS_CACHE)
        t = time.perf_counter()
        fn()
        print(f"| - | {label} | - | {(time.perf_counter() - t) * 1000:.0f} | - |")
    if not args.keep:
        drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
