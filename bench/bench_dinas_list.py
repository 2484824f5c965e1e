"""The Dinas school list (`/dinas/`) of a kabupaten (decision 0085), the Dinas home page of the
kabupaten and of its province (`/beranda/`, decision 0090) and Pusdatin's home page (the nation,
decision 0091) and the late-schools page as Pusdatin (`/dinas/sptjm/`, decision 0093), on a
database another bench built.

Run it over the kabupaten `bench/bench_big_school.py --part district --keep` leaves (SQLite: the
`verval.sqlite3` in the `verval-bigschool-*` directory it made under TMPDIR; PostgreSQL: its
database), once with this checkout's `src` and once with an older one's on PYTHONPATH,
alternately, to compare the two:

    VERVAL_VAR_DIR=/tmp/verval-bigschool-xxxx PYTHONPATH=src python bench/bench_dinas_list.py --runs 5
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verval_bench_bigschool PYTHONPATH=src \\
        python bench/bench_dinas_list.py --runs 5

Each page goes through Django's test client (the whole request) as the kabupaten's Dinas. Prints a
Markdown table: wall time p50 / p95, this process's CPU time p50 (on SQLite the database works in
this process; on PostgreSQL in the server, which this figure leaves out), queries a request, bytes. It
changes nothing but the sessions of the users it signs in (a kabupaten's Dinas, a province's and a
Pusdatin user, created once if missing) and, for the `dirty` cases, 25 schools marked dirty (as an edit marks
them) that it unmarks afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--label", default="", help="printed in the table's heading (e.g. old, new)")
    parser.add_argument(
        "--cases",
        default="",
        help="some of page1,name,residu,last,kecamatan,csv,dirty,home,homeprov,homedirty,homepus,homepusdirty,latepus (default: all)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ.setdefault("VERVAL_LOG_LEVEL", "WARNING")
    if not os.environ.get("PYTHONPATH"):  # else the checkout PYTHONPATH names (old or new code)
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from verval.accounts.models import User
    from verval.dashboard.models import DirtySchool
    from verval.reference.models import School

    settings.ALLOWED_HOSTS = ["*"]
    regency = (
        School.objects.values("regency_id")
        .annotate(n=django.db.models.Count("npsn"))
        .order_by("-n")
        .values_list("regency_id", flat=True)
        .first()
    )
    dinas, _ = User.objects.get_or_create(
        username="bench-dinas-list", defaults={"role": "DINAS_KAB", "region_id": regency}
    )
    province = School.objects.filter(regency_id=regency).values_list("province_id", flat=True).first()
    dinas_prov, _ = User.objects.get_or_create(
        username="bench-dinas-prov", defaults={"role": "DINAS_PROV", "region_id": province}
    )
    pusdatin, _ = User.objects.get_or_create(username="bench-pusdatin", defaults={"role": "PUSDATIN"})
    schools = School.objects.filter(regency_id=regency).count()
    kecamatan = (
        School.objects.filter(regency_id=regency)
        .values_list("region_id", flat=True)
        .order_by("region_id")
        .first()
    )
    last = (schools + 49) // 50
    client = Client()
    client.force_login(dinas)
    province_client = Client()
    province_client.force_login(dinas_prov)
    pusdatin_client = Client()
    pusdatin_client.force_login(pusdatin)
    cases = {
        "page1": ("page 1 (least advanced first)", "/dinas/"),
        "name": ("sorted by name", "/dinas/?sort=name"),
        "residu": ("sorted by residue, most first", "/dinas/?sort=-residu"),
        "last": (f"last page ({last})", f"/dinas/?hal={last}"),
        "kecamatan": ("kecamatan filter", f"/dinas/?kecamatan={kecamatan}"),
        "csv": ("CSV of every school", "/dinas/sekolah.csv"),
        "dirty": ("page 1, 25 schools marked dirty", "/dinas/?dirty=25"),
        "home": ("home page, kabupaten Dinas", "/beranda/"),
        "homeprov": ("home page, province Dinas", "/beranda/?provinsi=1"),
        "homedirty": ("home page, kabupaten Dinas, 25 schools marked dirty", "/beranda/?dirty=25"),
        "homepus": ("home page, Pusdatin (the nation)", "/beranda/?pusdatin=1"),
        "homepusdirty": ("home page, Pusdatin, 25 schools marked dirty", "/beranda/?pusdatin=1&dirty=25"),
        "latepus": ("late schools, Pusdatin (the nation)", "/dinas/sptjm/?pusdatin=1"),
    }
    wanted = [cases[key] for key in args.cases.split(",")] if args.cases else list(cases.values())
    try:
        from verval.dashboard.selectors import summaries_follow_every_job

        source = "summaries" if summaries_follow_every_job() else "counted (summaries behind a job)"
    except ImportError:
        source = "counted (code before decision 0085)"
    print(
        f"\n### {args.label or 'Dinas list'}: {schools:,} schools of {regency} "
        f"({School.objects.filter(province_id=province).count():,} in {province}), {connection.vendor}, "
        f"figures {source}, load {os.getloadavg()[0]:.1f}\n"
    )
    print("| page | p50 ms | p95 ms | CPU p50 ms | queries | KB |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, path in wanted:

        def call(path: str = path) -> Any:
            # The query string only names the case (the pages ignore it), as `dirty=25` does.
            who = province_client if "provinsi=" in path else client
            response = (pusdatin_client if "pusdatin=" in path else who).get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code == 200, (path, response.status_code)
            return body

        runs = args.runs if not path.endswith(".csv") else max(2, args.runs // 2)
        # Schools an edit marked dirty (their refresh not yet run) are counted live (decision
        # 0085): the marks are taken away again after the case.
        dirty = DirtySchool.objects.bulk_create(
            [
                DirtySchool(npsn=n)
                for n in School.objects.filter(regency_id=regency)
                .order_by("npsn")[:25]
                .values_list("npsn", flat=True)
            ]
            if "dirty=" in path
            else []
        )
        walls, cpus = [], []
        with CaptureQueriesContext(connection) as queries:
            for _ in range(runs):
                wall, cpu = time.perf_counter(), time.process_time()
                body = call()
                walls.append(1000 * (time.perf_counter() - wall))
                cpus.append(1000 * (time.process_time() - cpu))
        DirtySchool.objects.filter(npsn__in=[d.npsn for d in dirty]).delete()
        walls.sort()
        p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
        print(
            f"| {label} | {statistics.median(walls):.1f} | {p95:.1f} | {statistics.median(cpus):.1f} "
            f"| {len(queries) // runs} | {len(body) / 1024:.1f} |"
        )
    print(f"\nload after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
