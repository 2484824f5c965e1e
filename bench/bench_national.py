"""The nation's ~440,000 schools (decision 0094): the pages whose cost grows with the schools.

Earlier benches built one kabupaten of 5,000 schools (decisions 0079-0093) or 86,206 schools
spread evenly over every kecamatan (bench_dashboard.py). This one places --schools schools (default
440,000, SPEC §1) in the real provinces by their real shares (Dapodik's per-province counts,
`jumlah_sekolah_per_provinsi_circa2018.csv` of the shared calibration data, copied below), each
province's schools spread round-robin over its kecamatan, so the biggest province and kabupaten
hold about what they hold in Dapodik. Two parts:

    --part build   a fresh PostgreSQL database (`--db`, default verval_bench_national, on
                   --base-url): schools by COPY, --recipients recipients (default 2,500,000, about
                   6 a school: the page costs measured here grow with the schools) generated in
                   SQL with the status mix of the 2020 programme, open dump rows, SPTJMs (about
                   nine schools in ten: approved, uploaded, printed), their items and
                   disbursements, pending operator registrations, then `ANALYZE` and the
                   dashboard's full refresh (`services.refresh_all`, as `verval refresh-dashboard`)
    --part pages   the pages each role opens, through Django's test client (the whole request),
                   on the database the build left: Pusdatin, the biggest province's Dinas, the
                   biggest kabupaten's Dinas (users created once if missing)

    python bench/bench_national.py --part build
    PYTHONPATH=src python bench/bench_national.py --part pages --runs 3 --label new
    PYTHONPATH=/tmp/old/src python bench/bench_national.py --part pages --runs 3 --label old

    --part late    what decision 0122 changed (decision 0128): the SchoolSptjm statement alone
                   (EXPLAIN ANALYZE), a school's refresh, the late-schools page and the
                   schools-to-chase list from the rows, the late-schools page on its live path
                   (the rows said stale), `--cases dirty` the page from the rows with 500
                   schools marked dirty (asked live; decision 0131), `--cases refresh` the
                   full refresh; wall, this process's CPU and the PostgreSQL backend's CPU
                   (/proc/<pid>/stat), each run

    PYTHONPATH=src python bench/bench_national.py --part late --label new --runs 3
    PYTHONPATH=/tmp/old/src python bench/bench_national.py --part late --label old --runs 3

`--part pages` prints a Markdown table (wall p50 / p95, this process's CPU p50 — PostgreSQL's
work is not in it —, queries a request, KB); `--bodies DIR` writes each page's body (the CSRF
token blanked) to DIR/<case>.html to compare two checkouts byte for byte; `--cases` picks some.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Schools per Dapodik province (SD+SMP+SMA+SMK+SLB, about 2018; Luar Negeri last): the shares the
# nation's schools are placed by. Source: /work/shared/data/dapodik-statistik (Dapodik,
# Kemendikbud), the `sekolah_total` column; Luar Negeri's 196 schools left out (its region has
# no kecamatan to place them in).
PROVINCE_SCHOOLS = {
    "010000": 4684, "020000": 29776, "030000": 25003, "040000": 2748, "050000": 28089,
    "060000": 5407, "070000": 14342, "080000": 5656, "090000": 5624, "100000": 3549,
    "110000": 6931, "120000": 7044, "130000": 6366, "140000": 3854, "150000": 3864,
    "160000": 2980, "170000": 3388, "180000": 4149, "190000": 9217, "200000": 3589,
    "210000": 2828, "220000": 3200, "230000": 4754, "240000": 7605, "250000": 3599,
    "260000": 2063, "270000": 2136, "280000": 7377, "290000": 1151, "300000": 1398,
    "310000": 1542, "320000": 1509, "330000": 1938, "340000": 733,
}  # fmt: skip
PERIOD = "2020-09A"
# (status, reason, per cent): the dashboard bench's mix, roughly the 2020 figures; bench/ is on
# sys.path when a bench script runs, as for benchdb.
from bench_dashboard import STATUS_MIX, open_dump_rows  # noqa: E402


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ.setdefault("VERVAL_LOG_LEVEL", "WARNING")
    os.environ.setdefault("VERVAL_FAST_HASHER", "1")
    if not os.environ.get("PYTHONPATH"):  # else the checkout PYTHONPATH names (old or new code)
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def build(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    if not os.environ.get("PYTHONPATH"):
        sys.path.insert(0, str(ROOT / "src"))
    from benchdb import fresh_database

    os.environ.setdefault("VERVAL_LOG_LEVEL", "WARNING")
    started = time.monotonic()
    fresh_database(f"{args.base_url}/{args.db}")
    from django.db import connection

    from verval.dashboard import services
    from verval.reference.models import Period, Region

    Period.objects.update_or_create(
        code=PERIOD, defaults={"name": "Tahap 2020-09A", "policy_id": "2020", "starts_on": "2020-09-01", "ends_on": "2020-09-28",
                               "sptjm_print_deadline": "2020-09-20", "sptjm_upload_deadline": "2020-09-25", "is_open": True},
    )  # fmt: skip
    districts: dict[str, list[str]] = {}
    for code in Region.objects.filter(level=3).order_by("code").values_list("code", flat=True):
        districts.setdefault(code[:2] + "0000", []).append(code)
    total = sum(PROVINCE_SCHOOLS.values())
    timings: dict[str, float] = {}
    t = time.monotonic()
    lines = []
    i = 0
    for province, real in PROVINCE_SCHOOLS.items():
        kecamatan = districts[province]
        for k in range(round(args.schools * real / total)):
            d = kecamatan[k % len(kecamatan)]
            form = ("SD", "SD", "SMP", "SMA", "SMK", "TK")[i % 6]
            lines.append(
                f"{30000000 + i:08d}\tSekolah Nasional {i}\t{form}\t{'NS'[i % 2]}\t{d}\t{d[:4]}00\t{province}\tt\t2020-09-01\t2020-09-01\n"
            )
            i += 1
    n_schools = i
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active, created_at, updated_at) FROM STDIN"
        ) as cp:
            cp.write("".join(lines))
        timings["schools (COPY)"] = time.monotonic() - t
        # Recipients in SQL: ids ascend (the primary key grows at its right edge), a school drawn by
        # a hash of the row number (about 6 a school, unevenly), a status by another.
        t = time.monotonic()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_recipient' AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cur.fetchall()
        for name, _def in indexes:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
        cases, low = [], 0
        for status, reason, share in STATUS_MIX:
            cases.append(f"WHEN s < {low + share} THEN '{status}|{reason}'")
            low += share
        cur.execute(f"""
            INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw,
                phone_e164, operator, status, reason, reason_note, needs_validation, locked, active, row_hash,
                version, created_at, updated_at)
            SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                CASE WHEN g % 12 = 0 THEN 'PTK' ELSE 'PD' END, CASE WHEN g % 12 = 0 THEN 'PTK' ELSE 'DIKDASMEN' END,
                'Nama ' || g, '', '', CASE WHEN g % 12 = 0 THEN NULL ELSE 1 + g % 6 END,
                lpad((30000000 + (hashtext(g::text) & 2147483647) % {n_schools})::text, 8, '0'),
                '+62812' || lpad(g::text, 8, '0'),
                CASE WHEN split_part(st, '|', 1) = 'FORMAT_SALAH' THEN '' ELSE '+62812' || lpad(g::text, 8, '0') END,
                CASE WHEN split_part(st, '|', 1) = 'FORMAT_SALAH' THEN ''
                     ELSE (ARRAY['telkomsel','telkomsel','telkomsel','indosat','xl','tri','axis','smartfren'])[1 + g % 8] END,
                split_part(st, '|', 1), split_part(st, '|', 2), '', false, false, true, '', 1,
                '2020-09-01', '2020-09-01'
            FROM (SELECT g, CASE {" ".join(cases)} END AS st
                  FROM (SELECT g, (hashtext(g::text || 's') & 2147483647) % 100 AS s
                        FROM generate_series(1, {args.recipients}) g) x) y""")  # noqa: S608
        timings["recipients (INSERT ... SELECT)"] = time.monotonic() - t
        t = time.monotonic()
        for _name, definition in indexes:
            cur.execute(definition)
        timings["recipient indexes"] = time.monotonic() - t
        t = time.monotonic()
        open_dump_rows(cur)
        # An SPTJM for nine schools in ten: 6 of 10 approved, 2 uploaded (Pusdatin's review queue),
        # 1 printed (late for the upload, past its deadline); the tenth school printed nothing
        # (late, when it has an AKTIF recipient).
        cur.execute(f"""INSERT INTO sptjm_sptjm (id, number, school_id, period_id, seq, status, rows, total_gb, content_sha256,
                        pdf_path, pdf_sha256, printed_at, uploaded_at, scan_path, scan_type, scan_sha256, scan_size, upload_count,
                        qr_verdict, return_reason, version, scan_pages)
                     SELECT gen_random_uuid(), 'SPTJM/{PERIOD}/' || npsn || '/1', npsn, '{PERIOD}', 1,
                        CASE WHEN h < 6 THEN 'DISETUJUI' WHEN h < 8 THEN 'DIUNGGAH' ELSE 'DICETAK' END, 0, 0, '', '', '',
                        '2020-09-10', CASE WHEN h < 8 THEN '2020-09-12'::timestamptz END, '', '', '', 0,
                        CASE WHEN h < 8 THEN 1 ELSE 0 END, '', '', 1, '{{}}'
                     FROM (SELECT npsn, (hashtext(npsn) & 2147483647) % 10 AS h FROM reference_school) s
                     WHERE h < 9""")  # noqa: S608
        cur.execute(f"""INSERT INTO sptjm_sptjmitem (sptjm_id, recipient_id, period_id, line, phone_e164, operator, category,
                        package_gb, approved)
                     SELECT s.id, r.id, '{PERIOD}', 1, r.phone_e164, r.operator, r.category, 35, s.status = 'DISETUJUI'
                     FROM registry_recipient r JOIN sptjm_sptjm s ON s.school_id = r.school_id WHERE r.status = 'AKTIF'""")  # noqa: S608
        cur.execute(f"""INSERT INTO sptjm_disbursement (recipient_id, period_id, provider, school_id, phone_e164, category, package_gb,
                        status, rule, reason, attempts, created_at, updated_at, is_current, is_duplicate)
                     SELECT i.recipient_id, '{PERIOD}', i.operator, s.school_id, i.phone_e164, i.category, 35,
                        CASE WHEN hashtext(i.phone_e164) % 10 = 0 THEN 'GAGAL' ELSE 'BERHASIL' END, '', '', 1, now(), now(), true, false
                     FROM sptjm_sptjmitem i JOIN sptjm_sptjm s ON s.id = i.sptjm_id WHERE s.status = 'DISETUJUI'""")  # noqa: S608
        # Pending operator registrations: one school in 150 (about 2,900 in the nation).
        cur.execute("""INSERT INTO accounts_operatorregistration (full_name, email, username, password_hash, letter_path,
                        letter_name, status, created_at, decision_note, school_id)
                     SELECT 'Operator ' || npsn, 'op' || npsn || '@example.org', 'op' || npsn, '!', '', 'sk.pdf',
                        'PENDING', '2020-09-05', '', npsn
                     FROM reference_school WHERE (hashtext(npsn || 'r') & 2147483647) % 150 = 0""")
        timings["dump rows, SPTJMs, items, disbursements, registrations"] = time.monotonic() - t
        t = time.monotonic()
        for table in ("reference_school", "registry_recipient", "exchange_dumpitem", "sptjm_sptjm",
                      "sptjm_sptjmitem", "sptjm_disbursement", "accounts_operatorregistration"):  # fmt: skip
            cur.execute(f"ANALYZE {table}")
        timings["ANALYZE"] = time.monotonic() - t
    raw.commit()
    t = time.monotonic()
    result = services.refresh_all()
    timings["dashboard refresh (refresh_all)"] = time.monotonic() - t
    with connection.cursor() as cur:
        for table in ("dashboard_schoolsummary", "dashboard_schoolstat", "dashboard_regionstat"):
            cur.execute(f"ANALYZE {table}")
    print(f"\n### Built {args.db}: {n_schools:,} schools, {args.recipients:,} recipients\n")
    print("| step | seconds |\n|---|---:|")
    for k, v in timings.items():
        print(f"| {k} | {v:.1f} |")
    print(f"| whole build | {time.monotonic() - started:.1f} |")
    print(f"\n{result}")
    print(describe())


def biggest_regions() -> tuple[str, str]:
    """The province and the kabupaten/kota with the most schools (ties: the lowest code)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT province_id FROM reference_school GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
        province = cur.fetchone()[0]
        cur.execute("SELECT regency_id FROM reference_school GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
        regency = cur.fetchone()[0]
    return province, regency


def signed_in(province: str, regency: str) -> dict[str, Any]:
    """Pusdatin, the province's Dinas and the kabupaten's, each with a signed-in test client."""
    from django.test import Client

    from verval.accounts.models import User

    users = {
        "pus": User.objects.get_or_create(username="bench-nat-pusdatin", defaults={"role": "PUSDATIN"})[0],
        "prov": User.objects.get_or_create(
            username="bench-nat-prov", defaults={"role": "DINAS_PROV", "region_id": province}
        )[0],
        "kab": User.objects.get_or_create(
            username="bench-nat-kab", defaults={"role": "DINAS_KAB", "region_id": regency}
        )[0],
    }
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    return clients


def describe() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT province_id, count(*) FROM reference_school GROUP BY 1 ORDER BY 2 DESC LIMIT 1"""
        )
        province, p_n = cur.fetchone()
        cur.execute(
            """SELECT regency_id, count(*) FROM reference_school GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"""
        )
        regency, r_n = cur.fetchone()
        cur.execute("SELECT count(*) FROM reference_school")
        schools = cur.fetchone()[0]
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'registry_recipient'")
        recipients = cur.fetchone()[0]
    return (
        f"{schools:,} schools, ~{recipients:,} recipients; biggest province {province} ({p_n:,} schools), "
        f"biggest kabupaten {regency} ({r_n:,})"
    )


def pages(args: argparse.Namespace) -> None:
    setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from verval.reference.models import School

    settings.ALLOWED_HOSTS = ["*"]
    province, regency = biggest_regions()
    npsn = School.objects.filter(regency_id=regency).order_by("npsn").values_list("npsn", flat=True).first()
    clients = signed_in(province, regency)
    cases: dict[str, tuple[str, str, str]] = {
        # key: (label, who, path)
        "pushome": ("Pusdatin home", "pus", "/beranda/"),
        "pusdatin": ("Pusdatin page", "pus", "/pusdatin/"),
        "public": ("national dashboard (cold)", "pus", "/"),
        "prov": ("dashboard: the province (cold)", "pus", f"/progres/wilayah/{province}/"),
        "kab": ("dashboard: the kabupaten (cold)", "pus", f"/progres/wilayah/{regency}/"),
        "school": ("dashboard: a school (cold)", "pus", f"/progres/sekolah/{npsn}/"),
        "behind": ("behind schedule, Pusdatin (cold)", "pus", "/progres/tertinggal/"),
        "provhome": ("home, province Dinas", "prov", "/beranda/"),
        "provlist": ("school list page 1, province Dinas", "prov", "/dinas/"),
        "provsearch": ("school list search 'Nasional 1', province Dinas", "prov", "/dinas/?q=Nasional+1"),
        "provcsv": ("school list CSV, province Dinas", "prov", "/dinas/sekolah.csv"),
        "kabhome": ("home, kabupaten Dinas", "kab", "/beranda/"),
        "kablist": ("school list page 1, kabupaten Dinas", "kab", "/dinas/"),
        "kabsearch": ("school list search 'Nasional 1', kabupaten Dinas", "kab", "/dinas/?q=Nasional+1"),
        "kabcsv": ("school list CSV, kabupaten Dinas", "kab", "/dinas/sekolah.csv"),
        "latepus": ("late schools, Pusdatin", "pus", "/dinas/sptjm/"),
        "lateprov": ("late schools, province Dinas", "prov", "/dinas/sptjm/"),
        "latekab": ("late schools, kabupaten Dinas", "kab", "/dinas/sptjm/"),
        "review": ("SPTJM review queue, Pusdatin", "pus", "/pusdatin/sptjm/"),
        "regkab": ("registrations queue, kabupaten Dinas", "kab", "/pendaftaran/"),
        "regprov": ("registrations queue, province Dinas", "prov", "/pendaftaran/"),
    }
    wanted = args.cases.split(",") if args.cases else list(cases)
    print(
        f"\n### {args.label or 'national'}: {describe()}; {connection.vendor}, load {os.getloadavg()[0]:.1f}\n"
    )
    print("| page | p50 ms | p95 ms | CPU p50 ms | queries | KB | sha256 |")
    print("|---|---:|---:|---:|---:|---:|---|")
    csrf = re.compile(
        rb'(name="csrfmiddlewaretoken" value=")[^"]*"|("csrfToken": ")[^"]*"|(csrf_token" content=")[^"]*"'
    )
    for key in wanted:
        label, who, path = cases[key]
        client = clients[who]
        runs = args.runs if not path.endswith(".csv") else max(2, args.runs // 2)
        walls, cpus = [], []
        body = b""
        with CaptureQueriesContext(connection) as queries:
            for _ in range(runs):
                if "(cold)" in label:
                    cache.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                walls.append(1000 * (time.perf_counter() - wall))
                cpus.append(1000 * (time.process_time() - cpu))
                assert response.status_code == 200, (path, response.status_code)
        body = csrf.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + b'"', body)
        if args.bodies:
            Path(args.bodies).mkdir(parents=True, exist_ok=True)
            (Path(args.bodies) / f"{key}.html").write_bytes(body)
        walls.sort()
        p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
        print(
            f"| {label} | {statistics.median(walls):,.0f} | {p95:,.0f} | {statistics.median(cpus):,.0f} "
            f"| {len(queries) // runs} | {len(body) / 1024:,.1f} | {hashlib.sha256(body).hexdigest()[:12]} |",
            flush=True,
        )
    if "refresh" in wanted or args.refresh:
        from verval.dashboard import services

        t = time.monotonic()
        services.refresh_all()
        print(f"\ndashboard refresh (refresh_all): {time.monotonic() - t:.1f} s")
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (/proc/<pid>/stat utime +
    stime, decision 0088): the server's work of a request or a refresh, apart from the two other
    engineers' load. A parallel query's workers are other processes, not in it."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def late(args: argparse.Namespace) -> None:
    """The costs decision 0122 changed (decision 0128): the SchoolSptjm statement alone, a
    school's refresh, the late-schools page and the schools-to-chase list as Pusdatin from the
    rows, the late-schools page on its live path (the rows said stale, as while a registry job
    runs), and optionally the full refresh. Wall, this process's CPU, the server backend's CPU."""
    setup_django()
    from django.conf import settings
    from django.db import connection

    from verval.dashboard import selectors as dashboard_selectors
    from verval.dashboard import services, sources

    settings.ALLOWED_HOSTS = ["*"]
    province, regency = biggest_regions()
    with connection.cursor() as cur:
        # Schools of the biggest province: one with an approved SPTJM, one with none, 100 of them.
        cur.execute(
            """SELECT sc.npsn, COALESCE(MAX(s.status), '') FROM reference_school sc
               LEFT JOIN sptjm_sptjm s ON s.school_id = sc.npsn
               WHERE sc.province_id = %s GROUP BY sc.npsn ORDER BY sc.npsn LIMIT 400""",
            [province],
        )
        schools = cur.fetchall()
    approved = next(n for n, st in schools if st == "DISETUJUI")
    without = next(n for n, st in schools if st == "")
    hundred = [n for n, _st in schools[:100]]
    clients = signed_in(province, regency)
    if args.serial:
        # No parallel workers: the backend's CPU is then all of the server's work.
        with connection.cursor() as cur:
            cur.execute("SET max_parallel_workers_per_gather = 0")
    period = services.current_period_code()
    covering = services.covering_periods(period)
    print(f"\n### {args.label or 'late'}: {describe()}; load {os.getloadavg()[0]:.1f}\n")
    print("| case | wall s (each run) | client CPU s | server CPU s | load | sha256 |")
    print("|---|---|---|---|---|---|")

    def timed(label: str, fn: Any, runs: int) -> None:
        walls, cpus, servers, loads = [], [], [], []
        digest = ""
        for _ in range(runs):
            server, cpu, wall = _backend_cpu(), time.process_time(), time.perf_counter()
            out = fn()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            servers.append(_backend_cpu() - server)
            loads.append(os.getloadavg()[0])
            if isinstance(out, bytes):
                digest = hashlib.sha256(out).hexdigest()[:12]
        fmt = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        print(
            f"| {label} | {fmt(walls)} | {fmt(cpus)} | {fmt(servers)} | {fmt(loads)} | {digest} |", flush=True
        )

    csrf = re.compile(
        rb'(name="csrfmiddlewaretoken" value=")[^"]*"|("csrfToken": ")[^"]*"|(csrf_token" content=")[^"]*"'
    )

    def page(who: str, path: str, key: str) -> Any:
        def get() -> bytes:
            response = clients[who].get(path)
            assert response.status_code == 200, (path, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            body = csrf.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + b'"', body)
            if args.bodies:
                Path(args.bodies).mkdir(parents=True, exist_ok=True)
                (Path(args.bodies) / f"{key}.html").write_bytes(body)
            return body

        return get

    def explain(npsns: list[str] | None) -> Any:
        def run() -> None:
            select = sources.sptjm_facts_select(npsns, period, covering)
            assert select is not None
            sql, params = select
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [r[0] for r in cur.fetchall()]
            if args.plans:
                Path(args.plans).mkdir(parents=True, exist_ok=True)
                name = "all" if npsns is None else f"{len(npsns)}"
                (Path(args.plans) / f"facts-{name}.txt").write_text("\n".join(plan) + "\n")

        return run

    wanted = args.cases.split(",") if args.cases else ["statement", "school", "pages", "live"]
    if "statement" in wanted:
        timed("SchoolSptjm select, EXPLAIN ANALYZE, every school", explain(None), args.runs)
        timed("SchoolSptjm select, EXPLAIN ANALYZE, 100 schools", explain(hundred), args.runs)
        timed("SchoolSptjm select, EXPLAIN ANALYZE, 1 school", explain([approved]), args.runs)
    if "school" in wanted:
        timed(
            "refresh_schools: 1 school, approved SPTJM",
            lambda: services.refresh_schools([approved]),
            args.runs,
        )
        timed("refresh_schools: 1 school, no SPTJM", lambda: services.refresh_schools([without]), args.runs)
        timed("refresh_schools: 100 schools", lambda: services.refresh_schools(hundred), args.runs)
    if "pages" in wanted:
        timed("late schools, Pusdatin (rows)", page("pus", "/dinas/sptjm/", "latepus"), args.runs)
        timed("late schools, province Dinas (rows)", page("prov", "/dinas/sptjm/", "lateprov"), args.runs)
        timed("schools to chase, Pusdatin", page("pus", "/progres/tertinggal/", "behind"), args.runs)
    if "live" in wanted:
        # The path taken while a registry job runs (or ended after the last full refresh began):
        # `summaries_follow_every_job` says no and `_late_from_summaries` gives None.
        follows = dashboard_selectors.summaries_follow_every_job
        dashboard_selectors.summaries_follow_every_job = lambda: False
        try:
            timed(
                "late schools, Pusdatin (live)", page("pus", "/dinas/sptjm/", "latepus-live"), args.live_runs
            )
            timed(
                "late schools, province Dinas (live)",
                page("prov", "/dinas/sptjm/", "lateprov-live"),
                args.live_runs,
            )
            timed(
                "late schools, kabupaten Dinas (live)",
                page("kab", "/dinas/sptjm/", "latekab-live"),
                args.live_runs,
            )
        finally:
            dashboard_selectors.summaries_follow_every_job = follows
    if "dirty" in wanted:
        # The page's ordinary live part (decision 0128): the schools the rows are behind on, at
        # most DIRTY_COUNTED_MAX, asked live — 500 of the province's (every 120th by NPSN) marked
        # dirty for the time of these runs — as Pusdatin and as the province's Dinas (decision 0131).
        from verval.dashboard.models import DirtySchool

        with connection.cursor() as cur:
            cur.execute("SELECT npsn FROM reference_school WHERE province_id = %s ORDER BY npsn", [province])
            dirty = [row[0] for row in cur.fetchall()][::120][:500]
        assert not DirtySchool.objects.exists(), "the bench marks its own dirty schools"
        DirtySchool.objects.bulk_create(DirtySchool(npsn=npsn) for npsn in dirty)
        try:
            timed(
                f"late schools, Pusdatin (rows, {len(dirty)} dirty)",
                page("pus", "/dinas/sptjm/", "latepus-dirty"),
                args.runs,
            )
            timed(
                f"late schools, province Dinas (rows, {len(dirty)} dirty)",
                page("prov", "/dinas/sptjm/", "lateprov-dirty"),
                args.runs,
            )
        finally:
            DirtySchool.objects.filter(npsn__in=dirty).delete()
    if "refresh" in wanted:
        timed("full refresh (refresh_all)", services.refresh_all, 1)
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["build", "pages", "late"], required=True)
    parser.add_argument("--base-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="verval_bench_national")
    parser.add_argument("--schools", type=int, default=440_000)
    parser.add_argument("--recipients", type=int, default=2_500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default="")
    parser.add_argument("--cases", default="", help="comma-separated case keys (default: all)")
    parser.add_argument("--bodies", default="", help="write each page's body to this directory")
    parser.add_argument("--refresh", action="store_true", help="also time a full dashboard refresh")
    parser.add_argument("--live-runs", type=int, default=1, help="--part late: runs of the live path")
    parser.add_argument(
        "--serial", action="store_true", help="--part late: no parallel query (server CPU complete)"
    )
    parser.add_argument(
        "--plans", default="", help="--part late: write the statement's plans to this directory"
    )
    args = parser.parse_args()
    if args.part == "build":
        build(args)
    else:
        os.environ["DATABASE_URL"] = f"{args.base_url}/{args.db}"
        if args.part == "pages":
            pages(args)
        else:
            late(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
