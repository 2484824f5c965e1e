"""Dashboard at scale (issue: every page < 100 ms p95 at 10 M recipients on PostgreSQL).

    python bench/bench_dashboard.py --recipients 10000000

1. Creates a fresh PostgreSQL database (default `verval_bench_dash` on
   postgres://postgres@127.0.0.1:5432, override with --base-url / --db) and migrates it.
2. Bulk-loads synthetic schools (about --per-school recipients each, spread over every Dapodik
   kecamatan) and recipients with COPY (indexes dropped during the load and rebuilt after), with
   the status mix of the 2020 programme; open dump rows for the waiting numbers; SPTJM items and
   disbursements for part of the AKTIF numbers (server-side INSERT ... SELECT).
3. Times the full refresh of the aggregates (`refresh_all`), and per-school refreshes.
4. Times each dashboard page with Django's test client (the whole request: middleware, queries,
   template, no gzip): cold (page cache cleared before every request, so the aggregates are read
   from the database) and warm (cached per stats version). Prints a Markdown table with p50/p95.

--keep leaves the database for inspection; by default it is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This checkout's code unless PYTHONPATH names one: bench_national.py imports this module, and
# with the line unconditional its "PYTHONPATH=/tmp/old/src" ran this checkout's code all the same
# (decision 0105).
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

STATUS_MIX = [  # (status, reason, weight %) — roughly the 2020 figures (SPEC §1)
    ("BELUM_VERVAL", "", 8),
    ("FORMAT_SALAH", "KOSONG", 4),
    ("FORMAT_SALAH", "TELEPON_RUMAH", 2),
    ("FORMAT_SALAH", "TERLALU_PENDEK", 1),
    ("FORMAT_SALAH", "NOMOR_CONTOH", 1),
    ("MENUNGGU_PROVIDER", "", 10),
    ("AKTIF", "", 44),
    ("RESIDU", "TIDAK_AKTIF", 17),
    ("RESIDU", "MASA_TENGGANG", 8),
    ("RESIDU", "TIDAK_TERDAFTAR", 4),
    ("RESIDU", "BUKAN_PELANGGAN", 1),
]
OPERATORS = [("telkomsel", 50), ("indosat", 17), ("xl", 12), ("axis", 8), ("tri", 9), ("smartfren", 4)]
BENTUK = [("SD", 45), ("SMP", 20), ("SMA", 10), ("SMK", 10), ("TK", 10), ("SLB", 2), ("PKBM", 3)]
PERIOD = "2020-09A"
NULL = "\\N"


def open_dump_rows(cur) -> None:  # type: ignore[no-untyped-def]
    """One open Telkomsel batch holding half the waiting numbers (they count as "sent")."""
    cur.execute("INSERT INTO exchange_dumpbatch (id, provider, created_at, rows, sha256, size, file_path, manifest_path, state, answered, aktif, residu, superseded, contradictions, number_format)"
                " VALUES ('DMP-BENCH', 'telkomsel', now(), 0, '', 0, '', '', 'OPEN', 0, 0, 0, 0, 0, 'msisdn')")  # fmt: skip
    cur.execute("INSERT INTO exchange_dumpitem (batch_id, recipient_id, phone, grade, npsn, result, note, is_open, superseded, conflict_result)"
                " SELECT 'DMP-BENCH', id, phone_e164, '', school_id, '', '', true, false, '' FROM registry_recipient"
                " WHERE status = 'MENUNGGU_PROVIDER' AND hashtext(id::text) % 2 = 0")  # fmt: skip


def weighted(items: list[tuple], rnd: random.Random, n: int) -> list[tuple]:
    return rnd.choices(items, weights=[i[-1] for i in items], k=n)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument(
        "--per-school", type=int, default=116, help="recipients per school (50 M / 430 k ≈ 116)"
    )
    parser.add_argument("--base-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="verval_bench_dash")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="skip create/load; reuse a kept database")
    parser.add_argument(
        "--pages-only", action="store_true", help="with --reuse: skip the refreshes, time the pages"
    )
    args = parser.parse_args()

    import psycopg

    admin_url = f"{args.base_url}/postgres"
    if not args.reuse:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
            conn.execute(f'CREATE DATABASE "{args.db}"')
    os.environ["DATABASE_URL"] = f"{args.base_url}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ.setdefault("VERVAL_LOG_LEVEL", "WARNING")
    os.environ.setdefault("VERVAL_FAST_HASHER", "1")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from verval.accounts.models import User
    from verval.dashboard import services
    from verval.reference.models import Period, Region

    timings: dict[str, float] = {}
    rnd = random.Random(args.seed)
    n_schools = max(1, args.recipients // args.per_school)
    if not args.reuse:
        t = time.monotonic()
        call_command("migrate", verbosity=0)
        timings["migrate"] = time.monotonic() - t
        districts = list(Region.objects.filter(level=3).values_list("code", flat=True))
        Period.objects.update_or_create(
            code=PERIOD, defaults={"name": "Tahap 2020-09A", "policy_id": "2020", "starts_on": "2020-09-01", "ends_on": "2020-09-28",
                                   "sptjm_print_deadline": "2020-09-20", "sptjm_upload_deadline": "2020-09-25", "is_open": True},
        )  # fmt: skip
        t = time.monotonic()
        load(connection, rnd, args.recipients, n_schools, districts)
        timings["load (COPY + indexes)"] = time.monotonic() - t
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM registry_recipient")
        total = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM reference_school")
        n_schools = cur.fetchone()[0]

    if args.pages_only:
        from verval.dashboard.models import RegionStat, SchoolStat, SchoolSummary

        result = {
            "school_rows": SchoolStat.objects.count(),
            "region_rows": RegionStat.objects.count(),
            "schools": SchoolSummary.objects.count(),
        }
    else:
        t = time.monotonic()
        result = services.refresh_all()
        timings["refresh_all"] = time.monotonic() - t
    with connection.cursor() as cur:
        cur.execute(
            "SELECT npsn, regency_id, province_id FROM reference_school ORDER BY npsn LIMIT 1 OFFSET %s",
            [n_schools // 2],
        )
        npsn, regency, province = cur.fetchone()
        cur.execute("SELECT npsn FROM reference_school ORDER BY npsn LIMIT 100")
        hundred = [r[0] for r in cur.fetchall()]
    if not args.pages_only:
        t = time.monotonic()
        services.refresh_schools([npsn])
        timings["refresh_schools (1 school)"] = time.monotonic() - t
        t = time.monotonic()
        services.refresh_schools(hundred)
        timings["refresh_schools (100 schools)"] = time.monotonic() - t

    users = {}
    for username, role, extra in (
        ("bench-pusdatin", "PUSDATIN", {}),
        ("bench-dinas-prov", "DINAS_PROV", {"region_id": province}),
        ("bench-dinas-kab", "DINAS_KAB", {"region_id": regency}),
    ):
        users[username], _ = User.objects.update_or_create(
            username=username, defaults={"role": role, **extra}
        )
    pages = [
        ("/ (public, nation + map)", None, "/"),
        ("/ filtered (PD, telkomsel)", None, "/?jenis=PD&provider=telkomsel"),
        ("province page (public)", None, f"/progres/wilayah/{province}/"),
        ("regency page (public)", None, f"/progres/wilayah/{regency}/"),
        ("regency page with schools (Dinas kab)", "bench-dinas-kab", f"/progres/wilayah/{regency}/"),
        ("school page (Dinas kab)", "bench-dinas-kab", f"/progres/sekolah/{npsn}/"),
        ("behind schedule (Pusdatin, national)", "bench-pusdatin", "/progres/tertinggal/"),
        ("behind schedule (Dinas prov)", "bench-dinas-prov", "/progres/tertinggal/"),
        ("data.json (public)", None, "/progres/data.json"),
    ]
    rows = []
    for label, username, url in pages:
        client = Client()
        if username:
            client.force_login(users[username])
        assert client.get(url).status_code == 200, url
        cold, warm = [], []
        for _ in range(args.runs):
            cache.clear()
            t = time.perf_counter()
            r = client.get(url)
            cold.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        for _ in range(args.runs):
            t = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - t) * 1000)
        rows.append((label, url, cold, warm, len(r.content)))

    print(
        f"\n## Dashboard — {args.recipients:,} recipients requested, {total:,} loaded, {n_schools:,} schools"
    )
    print(f"\nMachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{connection.cursor().connection.info.server_version} PostgreSQL server version")  # fmt: skip
    print(f"Command: `python bench/bench_dashboard.py --recipients {args.recipients}`\n")
    print("| step | seconds |\n|---|---:|")
    for k, v in timings.items():
        print(f"| {k} | {v:.2f} |")
    print(
        f"\nAggregate rows: SchoolStat {result['school_rows']:,}, RegionStat {result['region_rows']:,}, SchoolSummary {result['schools']:,}\n"
    )
    print(
        "| page | cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms | bytes |\n|---|---:|---:|---:|---:|---:|"
    )
    for label, _url, cold, warm, size in rows:
        print(
            f"| {label} | {statistics.median(cold):.1f} | {pct(cold, 0.95):.1f} | {statistics.median(warm):.1f} | {pct(warm, 0.95):.1f} | {size:,} |"
        )
    connection.close()
    if not args.keep:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    return 0


def load(connection, rnd: random.Random, n: int, n_schools: int, districts: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Schools and recipients by COPY; dump rows, SPTJM items and disbursements by INSERT ... SELECT."""
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        # Schools.
        buf = io.StringIO()
        forms = weighted(BENTUK, rnd, n_schools)
        for i in range(n_schools):
            d = districts[i % len(districts)]
            buf.write(
                f"{30000000 + i:08d}\tSekolah Bench {i}\t{forms[i][0]}\tN\t{d}\t{d[:4]}00\t{d[:2]}0000\tt\tnow()\tnow()\n"
            )
        with cur.copy(
            "COPY reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active, created_at, updated_at) FROM STDIN"
        ) as cp:
            cp.write(buf.getvalue().replace("\tnow()\tnow()", "\t2020-09-01 00:00+07\t2020-09-01 00:00+07"))
        # Recipients: drop secondary indexes, COPY, rebuild. Ids ascend (a counter in the high bits)
        # so the primary key, which cannot be dropped under its foreign keys, grows at its right edge.
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_recipient' AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cur.fetchall()
        for name, _def in indexes:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
        cols = ("id, kind, category, name, nisn, nik, grade, school_id, phone_raw, phone_e164, operator, status, reason, reason_note,"
                " needs_validation, locked, active, row_hash, version, created_at, updated_at")  # fmt: skip
        statuses = [(s, r) for s, r, w in STATUS_MIX for _ in range(w)]
        ops = [o for o, w in OPERATORS for _ in range(w)]
        chunk = 200_000
        done = 0
        with cur.copy(f"COPY registry_recipient ({cols}) FROM STDIN") as cp:
            while done < n:
                m = min(chunk, n - done)
                out = []
                for j in range(done, done + m):
                    status, reason = statuses[rnd.randrange(100)]
                    op = ops[rnd.randrange(100)]
                    ptk = j % 12 == 0
                    school = f"{30000000 + (j % n_schools):08d}"
                    phone = f"+62812{j:08d}"[:14]
                    e164 = "" if status == "FORMAT_SALAH" else phone
                    out.append(
                        f"{uuid.UUID(int=(j << 80) | rnd.getrandbits(80), version=4)}\t{'PTK' if ptk else 'PD'}\t{'PTK' if ptk else 'DIKDASMEN'}\tNama {j}\t\t\t"
                        f"{NULL if ptk else 1 + j % 6}\t{school}\t{phone}\t{e164}\t{op if e164 else ''}\t{status}\t{reason}\t\t"
                        f"f\tf\tt\t\t1\t2020-09-01 00:00+07\t2020-09-01 00:00+07\n"
                    )
                cp.write("".join(out))
                done += m
        for _name, definition in indexes:
            cur.execute(definition)
        # Open dump rows for half the waiting numbers (they count as "sent").
        open_dump_rows(cur)
        # SPTJM per school for two thirds of the schools; approved for half of those.
        cur.execute(f"""INSERT INTO sptjm_sptjm (id, number, school_id, period_id, seq, status, rows, total_gb, content_sha256,
                        pdf_path, pdf_sha256, printed_at, scan_path, scan_type, scan_sha256, scan_size, upload_count, qr_verdict,
                        return_reason, version, scan_pages)
                     SELECT gen_random_uuid(), 'SPTJM/{PERIOD}/' || npsn || '/1', npsn, '{PERIOD}', 1,
                        CASE WHEN hashtext(npsn) % 6 IN (0, 1, 2) THEN 'DISETUJUI' WHEN hashtext(npsn) % 6 = 3 THEN 'DIUNGGAH'
                             ELSE 'DICETAK' END, 0, 0, '', '', '', now(), '', '', '', 0, 0, '', '', 1, '{{}}'
                     FROM reference_school WHERE hashtext(npsn) % 3 <> 0""")  # noqa: S608
        cur.execute(f"""INSERT INTO sptjm_sptjmitem (sptjm_id, recipient_id, period_id, line, phone_e164, operator, category,
                        package_gb, approved)
                     SELECT s.id, r.id, '{PERIOD}', 1, r.phone_e164, r.operator, r.category, 35, s.status = 'DISETUJUI'
                     FROM registry_recipient r JOIN sptjm_sptjm s ON s.school_id = r.school_id WHERE r.status = 'AKTIF'""")  # noqa: S608
        cur.execute(f"""INSERT INTO sptjm_disbursement (recipient_id, period_id, provider, school_id, phone_e164, category, package_gb,
                        status, rule, reason, attempts, created_at, updated_at, is_current, is_duplicate)
                     SELECT i.recipient_id, '{PERIOD}', i.operator, s.school_id, i.phone_e164, i.category, 35,
                        CASE WHEN hashtext(i.phone_e164) % 10 = 0 THEN 'GAGAL' ELSE 'BERHASIL' END, '', '', 1, now(), now(), true, false
                     FROM sptjm_sptjmitem i JOIN sptjm_sptjm s ON s.id = i.sptjm_id WHERE s.status = 'DISETUJUI'""")  # noqa: S608
        for table in (
            "reference_school",
            "registry_recipient",
            "exchange_dumpitem",
            "sptjm_sptjm",
            "sptjm_sptjmitem",
            "sptjm_disbursement",
        ):
            cur.execute(f"ANALYZE {table}")
    raw.commit()


if __name__ == "__main__":
    raise SystemExit(main())
