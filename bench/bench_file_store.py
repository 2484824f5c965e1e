"""The file store's look-ups of a scan by its path at national size (decision 0120).

`verval files` and `verval files --prune` ask, of the files in `sptjm-scans/`, "does a row name
this path?" (`Sptjm.scan_path`, `Job.input_path`): the orphan scans (decision 0115) and the scans
a check did not accept (decision 0107). This builds, in a database of its own on the
`DATABASE_URL`'s server, --sptjm documents (spread over --periods periods) each with its scan file
in `sptjm-scans/` and the accepted scan check's job naming it, --other-jobs jobs of other kinds,
--unaccepted refused scan checks ended 30 days ago (their files named by no document: the prune
takes them) and --orphans files named by no row, all two days old; then times, in this process
(wall seconds and this process's CPU seconds; the database server's own CPU is in the wall):

- one document look-up by path (`Sptjm.objects.filter(scan_path=…).exists()`, as the prune asked
  it per unaccepted scan before decision 0120), mean of 50, and PostgreSQL's plan of it;
- `verval files --json` (the listing and its orphan line), its queries and how many times the
  `sptjm-scans/` folder was read;
- `retention.plan()` (what `--prune` lists);
- `core.actions.prune_files` (`--prune --yes`: deletes the unaccepted scans and the orphans).

Old and new code: run it once per checkout, `--src` naming the other's `src/` (the data it
builds uses only what both have):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
      python bench/bench_file_store.py --src /path/to/old/src
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bench_file_store.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--src", default=str(ROOT / "src"), help="the checkout's src/ to measure")
    parser.add_argument("--sptjm", type=int, default=200_000)
    parser.add_argument("--periods", type=int, default=10)
    parser.add_argument("--other-jobs", type=int, default=100_000)
    parser.add_argument("--unaccepted", type=int, default=1_000)
    parser.add_argument("--orphans", type=int, default=5)
    parser.add_argument("--db-name", default="verval_bench_filestore")
    parser.add_argument("--data-dir", help="the file store (default: var/bench-files, as the other benches)")
    parser.add_argument(
        "--strategies",
        type=int,
        default=0,
        help="also time N rounds of four ways to ask which scan files a row names (decision 0120)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL server (its database is replaced by --db-name)")

    sys.path.insert(0, str(Path(args.src).resolve()))
    sys.path.insert(0, str(ROOT / "bench"))
    from benchdb import drop_database, fresh_database

    db_url = url.rsplit("/", 1)[0] + "/" + args.db_name
    fresh_database(db_url)  # the file store under var/bench-files
    if args.data_dir:
        from django.conf import settings

        settings.DATA_DIR = Path(args.data_dir).absolute()

    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    import verval
    from verval.core import actions, files, retention
    from verval.core.models import Job
    from verval.reference.models import Period, QuotaPolicy, School
    from verval.sptjm.models import Sptjm

    print(f"code: {Path(verval.__file__).resolve().parents[1]}", flush=True)
    root = files.root()
    scans = root / "sptjm-scans"
    shutil.rmtree(scans, ignore_errors=True)
    scans.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    old = (now - timedelta(days=2)).timestamp()

    t0 = time.perf_counter()
    policy = QuotaPolicy.objects.create(code="P1", name="bench")
    periods = [
        Period.objects.create(
            code=f"2026-{p:02d}",
            name=f"p{p}",
            policy=policy,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 1, 31),
        )
        for p in range(1, args.periods + 1)
    ]
    per_period = -(-args.sptjm // args.periods)
    School.objects.bulk_create(
        [
            School(
                npsn=f"{20100000 + n:08d}",
                name=f"SD {n}",
                bentuk="SD",
                status="N",
                region_id="020501",
                regency_id="020500",
                province_id="020000",
            )
            for n in range(per_period)
        ],
        batch_size=5000,
    )

    def scan_file(relative: str, content: bytes) -> None:
        path = root / relative
        path.write_bytes(content)
        os.utime(path, (old, old))

    docs, scan_jobs, made = [], [], 0
    for period in periods:
        for n in range(per_period):
            if made == args.sptjm:
                break
            relative = f"sptjm-scans/{uuid.uuid4().hex}.pdf"
            scan_file(relative, b"%PDF-1.4 " + relative.encode())
            docs.append(
                Sptjm(
                    number=f"SPTJM/{period.code}/{20100000 + n:08d}/1",
                    school_id=f"{20100000 + n:08d}",
                    period=period,
                    seq=1,
                    status="DIUNGGAH",
                    content_sha256="0" * 64,
                    pdf_path=f"sptjm/{period.code}/{n}.pdf",
                    pdf_sha256="0" * 64,
                    printed_at=now,
                    scan_path=relative,
                    scan_type="pdf",
                )
            )
            scan_jobs.append(
                Job(
                    kind="sptjm_scan",
                    state="SUCCEEDED",
                    finished_at=now - timedelta(days=2),
                    input_path=relative,
                    school_id=f"{20100000 + n:08d}",
                )
            )
            made += 1
            if len(docs) == 5000:
                Sptjm.objects.bulk_create(docs)
                Job.objects.bulk_create(scan_jobs)
                docs, scan_jobs = [], []
    Sptjm.objects.bulk_create(docs)
    Job.objects.bulk_create(scan_jobs)
    others = [
        Job(
            kind="import_dapodik",
            state="SUCCEEDED",
            finished_at=now,
            input_path="" if n % 2 else f"imports/{n}.csv",
        )
        for n in range(args.other_jobs)
    ]
    Job.objects.bulk_create(others, batch_size=5000)
    unaccepted = []
    for _n in range(args.unaccepted):
        relative = f"sptjm-scans/{uuid.uuid4().hex}.pdf"
        scan_file(relative, b"%PDF-1.4 refused " + relative.encode())
        unaccepted.append(
            Job(
                kind="sptjm_scan",
                state="REFUSED",
                error_code="QR_DOKUMEN_LAIN",
                finished_at=now - timedelta(days=30),
                input_path=relative,
            )
        )
    Job.objects.bulk_create(unaccepted, batch_size=5000)
    for n in range(args.orphans):
        scan_file(f"sptjm-scans/orphan-{n}.pdf", f"orphan {n}".encode())
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(
        f"built: {Sptjm.objects.count():,} documents, {Job.objects.count():,} jobs, "
        f"{sum(1 for _ in os.scandir(scans)):,} scan files in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    rows: list[tuple[str, str, str, str, str]] = []
    if args.strategies:
        _strategies(scans, root, rows, rounds=args.strategies)

    # One document look-up by path, as the prune asked it per unaccepted scan.
    probe = [j.input_path for j in unaccepted[:50]] or [f"sptjm-scans/none-{n}" for n in range(50)]
    walls = []
    for path in probe:
        _out, wall, _cpu = _timed(lambda p=path: Sptjm.objects.filter(scan_path=p).exists())
        walls.append(wall)
    explained = Sptjm.objects.filter(scan_path=probe[0]).order_by().explain()
    plan = next(
        (line.strip() for line in explained.splitlines() if "Scan" in line), explained.splitlines()[0]
    )
    rows.append(
        ("one document by path (mean of 50)", f"{statistics.mean(walls) * 1000:.2f} ms", "-", "1", plan)
    )

    # `verval files --json`: the listing and its orphan line; reads of sptjm-scans/ counted.
    reads = {"n": 0}
    real_scandir = os.scandir

    def counting_scandir(path: Any = ".") -> Any:
        if Path(path).resolve() == scans.resolve():
            reads["n"] += 1
        return real_scandir(path)

    os.scandir = counting_scandir  # type: ignore[assignment]
    try:
        with CaptureQueriesContext(connection) as q:
            _out, wall, cpu = _timed(lambda: call_command("files", "--json", stdout=open(os.devnull, "w")))  # noqa: SIM115
    finally:
        os.scandir = real_scandir  # type: ignore[assignment]
    listing = json.loads((root / retention.SNAPSHOT).read_text())
    rows.append(
        (
            "`verval files --json`",
            f"{wall:.2f} s",
            f"{cpu:.2f} s",
            str(len(q.captured_queries)),
            f"sptjm-scans/ read {reads['n']}×; orphans {listing['orphan_scans']['files']}",
        )
    )

    # The orphan search alone, its memory peak (Python's allocations, tracemalloc).
    import tracemalloc

    tracemalloc.start()
    found_orphans, wall, cpu = _timed(lambda: retention.orphan_scans(timezone.now()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append(
        (
            "`retention.orphan_scans()` under tracemalloc",
            f"{wall:.2f} s",
            f"{cpu:.2f} s",
            "-",
            f"peak {peak / 2**20:.1f} MiB; orphans {len(found_orphans)}",
        )
    )

    with CaptureQueriesContext(connection) as q:
        planned, wall, cpu = _timed(retention.plan)
    kinds = retention.totals(planned)["kinds"]
    found = {k: v["files"] for k, v in kinds.items() if k.startswith("sptjm")}
    rows.append(
        (
            "`retention.plan()` (--prune, dry run)",
            f"{wall:.2f} s",
            f"{cpu:.2f} s",
            str(len(q.captured_queries)),
            str(found),
        )
    )

    with CaptureQueriesContext(connection) as q:
        counts, wall, cpu = _timed(lambda: actions.prune_files(actor=None))
    deleted = {k: v["files"] for k, v in counts["kinds"].items()}
    rows.append(
        (
            "`prune_files` (--prune --yes)",
            f"{wall:.2f} s",
            f"{cpu:.2f} s",
            str(len(q.captured_queries)),
            str(deleted),
        )
    )

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{made:,} documents, {args.other_jobs + made + args.unaccepted:,} jobs; load average {load}\n")
    print("| step | wall | CPU (this process) | queries | notes |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    drop_database(db_url)
    shutil.rmtree(scans, ignore_errors=True)
    return 0


def _strategies(scans: Path, root: Path, rows: list[tuple[str, str, str, str, str]], rounds: int) -> None:
    """Which of the folder's files does a row name? Four ways, alternately, same data and load:
    every path read back by its prefix (decision 0115's code), `IN` lists of 2,000 and of 500 (the
    planner may prefer a whole read of the table to 2,000 index look-ups), and one anti-join of the
    whole list on PostgreSQL (`unnest`)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from verval.core.models import Job
    from verval.sptjm.models import Sptjm

    paths = [f"sptjm-scans/{e.name}" for e in os.scandir(scans)]

    def stream() -> int:
        left = dict.fromkeys(paths)
        for model, column in ((Sptjm, "scan_path"), (Job, "input_path")):
            q = model.objects.filter(**{f"{column}__startswith": "sptjm-scans/"}).values_list(
                column, flat=True
            )
            for named in q.iterator(chunk_size=5000):
                left.pop(named, None)
        return len(left)

    def chunks(size: int) -> Any:
        def run() -> int:
            left = 0
            for start in range(0, len(paths), size):
                chunk = paths[start : start + size]
                named = set(Sptjm.objects.filter(scan_path__in=chunk).values_list("scan_path", flat=True))
                named |= set(Job.objects.filter(input_path__in=chunk).values_list("input_path", flat=True))
                left += sum(1 for p in chunk if p not in named)
            return left

        return run

    def anti_join() -> int:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT p FROM unnest(%s::varchar[]) AS t(p) "
                "WHERE NOT EXISTS (SELECT 1 FROM sptjm_sptjm s WHERE s.scan_path = t.p) "
                "AND NOT EXISTS (SELECT 1 FROM core_job j WHERE j.input_path = t.p)",
                [paths],
            )
            return len(cur.fetchall())

    ways = {
        "stream by prefix": stream,
        "IN of 2,000": chunks(2000),
        "IN of 500": chunks(500),
        "one anti-join": anti_join,
    }
    figures: dict[str, list[tuple[float, float, int, int]]] = {k: [] for k in ways}
    for _round in range(rounds):
        for name, fn in ways.items():
            with CaptureQueriesContext(connection) as q:
                left, wall, cpu = _timed(fn)
            figures[name].append((wall, cpu, len(q.captured_queries), left))
    for name, runs in figures.items():
        walls = ", ".join(f"{w:.2f}" for w, _c, _q, _l in runs)
        cpus = ", ".join(f"{c:.2f}" for _w, c, _q, _l in runs)
        rows.append(
            (
                f"which of {len(paths):,} files a row names: {name}",
                walls + " s",
                cpus + " s",
                str(runs[0][2]),
                f"unnamed {runs[0][3]}",
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())
