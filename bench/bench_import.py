"""Cutoff import benchmark: synth, then import twice (first load, unchanged re-import) on SQLite
and PostgreSQL, next to the floor of each database — a plain PostgreSQL COPY of the same file
into an unindexed table; on SQLite, polars batches inserted with executemany into an unindexed
table — and a Django bulk_create of the same rows (on a subset, extrapolated). Prints a Markdown
table.

    python bench/bench_import.py --rows 1000000 [--db sqlite|postgres|both] [--workdir DIR]

Each import runs as `verval import-dapodik FILE --json` in its own process; its peak memory is
that process's ru_maxrss (os.wait4). PostgreSQL: a fresh database `verval_bench` is created and
dropped (PG_URL, default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERVAL = str(ROOT / ".venv" / "bin" / "verval")
PY = str(ROOT / ".venv" / "bin" / "python")
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    """(seconds, peak RSS MB, stdout, stderr) of a child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode(), err.read().decode()
    if p.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{o[-2000:]}\n{e[-4000:]}")
    return seconds, usage.ru_maxrss / 1024, o, e


def psql(sql: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/{db}", autocommit=True) as conn:
        conn.execute(sql)


def plain_copy(path: Path, db: str) -> float:
    import psycopg

    cols = "jenis,id,nama,nisn,nik,tingkat_pendidikan,bentuk_pendidikan,npsn,nama_sekolah,kode_wilayah,nomor_telepon_seluler,status_sekolah"
    with psycopg.connect(f"{PG_URL}/{db}") as conn:
        conn.execute(f"CREATE UNLOGGED TABLE bench_plain ({', '.join(c + ' text' for c in cols.split(','))})")
        conn.commit()
        t = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY bench_plain ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)") as cp,
        ):
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    cp.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - t
        conn.execute("DROP TABLE bench_plain")
        conn.commit()
    return seconds


def sqlite_floor(path: Path, workdir: Path) -> float:
    """The SQLite counterpart of the plain COPY: the file's 12 columns as text, read by polars in
    batches and inserted with executemany into an unindexed table of a fresh database file (WAL,
    synchronous=NORMAL, as the product runs it), one transaction, commit included. What loading
    these rows from Python costs before any checking, key or index."""
    import sqlite3

    import polars as pl

    db = workdir / "floor.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    t = time.perf_counter()
    conn.execute("BEGIN")
    created = False
    for df in pl.scan_csv(path, infer_schema=False).collect_batches(chunk_size=50_000):
        if not created:
            conn.execute(f"CREATE TABLE floor ({', '.join(f'{c} text' for c in df.columns)})")
            sql = f"INSERT INTO floor VALUES ({', '.join(['?'] * df.width)})"  # noqa: S608
            created = True
        for i in range(0, df.height, 5000):
            conn.executemany(sql, df.slice(i, 5000).rows())
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return seconds


BULK_CHILD = r"""
import csv, itertools, json, sys, time, uuid
import django
django.setup()
from django.db import transaction
from verval.registry.models import Recipient
from verval.reference.models import School
path, n = sys.argv[1], int(sys.argv[2])
schools = set(School.objects.values_list("npsn", flat=True))
with open(path, encoding="utf-8", newline="") as fh:
    rows = [r for r in itertools.islice(csv.DictReader(fh), n) if r["npsn"] in schools]
t = time.perf_counter()
with transaction.atomic():
    objs = [Recipient(id=uuid.uuid4(), kind=r["jenis"], category="DIKDASMEN", name=r["nama"][:150], nisn=r["nisn"][:10],
                      nik=r["nik"][:16], grade=int(r["tingkat_pendidikan"]) if r["tingkat_pendidikan"].isdigit() else None,
                      school_id=r["npsn"], phone_raw=r["nomor_telepon_seluler"][:100]) for r in rows]
    Recipient.objects.bulk_create(objs, batch_size=5000)
    seconds = time.perf_counter() - t
    transaction.set_rollback(True)
print(json.dumps({"rows": len(objs), "seconds": seconds}))
"""


def bench_db(kind: str, path: Path, rows: int, workdir: Path, bulk_rows: int) -> list[tuple]:
    env = dict(os.environ, VERVAL_IMPORT_TRACE="1", DJANGO_SETTINGS_MODULE="verval.settings")
    env["VERVAL_DATA_DIR"] = str(workdir / "files")
    if kind == "sqlite":
        db = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
        env["SQLITE_TMPDIR"] = str(workdir)
    else:
        psql("DROP DATABASE IF EXISTS verval_bench")
        psql("CREATE DATABASE verval_bench")
        env["DATABASE_URL"] = f"{PG_URL}/verval_bench"
    run([VERVAL, "migrate", "-v0"], env)
    out = []
    for label in ("first load", "same file again (unchanged)"):
        seconds, rss, o, e = run([VERVAL, "import-dapodik", str(path), "--json"], env)
        counts = json.loads(o.strip().splitlines()[-1])
        phases = next((line for line in e.splitlines() if line.startswith("import phases")), "")
        # The job's own time (process start-up and Django set-up excluded; see `process s`).
        out.append((f"{kind}: import, {label}", counts["rows"], counts["seconds"], rss, phases, seconds))
        print(
            f"{kind} {label}: job {counts['seconds']:.1f}s, process {seconds:.1f}s, rss {rss:.0f} MB {phases}",
            file=sys.stderr,
            flush=True,
        )
    if kind == "postgres":
        seconds = plain_copy(path, "verval_bench")
        out.append(("postgres: plain COPY into an unindexed table", rows, seconds, None, "", None))
    else:
        seconds = sqlite_floor(path, workdir)
        out.append(("sqlite: executemany into an unindexed table (the floor)", rows, seconds, None, "", None))
    n = min(bulk_rows, rows)
    seconds, rss, o, _ = run(
        [PY, "-c", BULK_CHILD, str(path), str(n)], dict(env, PYTHONPATH=str(ROOT / "src"))
    )
    data = json.loads(o.strip().splitlines()[-1])
    out.append(
        (
            f"{kind}: Django bulk_create ({data['rows']:,} rows, extrapolated)",
            rows,
            data["seconds"] * rows / data["rows"],
            None,
            "",
            None,
        )
    )
    if kind == "postgres":
        psql("DROP DATABASE IF EXISTS verval_bench")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--bulk-rows", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="verval-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"cutoff-{args.rows}.csv"
    teachers = args.rows // 20
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="verval.settings")
    results = []
    seconds, rss, _, _ = run(
        [
            VERVAL,
            "synth",
            "--students",
            str(args.rows - teachers),
            "--teachers",
            str(teachers),
            "--seed",
            str(args.seed),
            "--out",
            str(path),
        ],
        env,
    )
    results.append(("synth (CSV written)", args.rows, seconds, rss, "", seconds))
    print(f"synth: {seconds:.1f}s, {path.stat().st_size / 1e6:.0f} MB", file=sys.stderr, flush=True)
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        results += bench_db(kind, path, args.rows, workdir, args.bulk_rows)
    print(
        f"\nrows: {args.rows:,} ({path.stat().st_size / 1e6:.0f} MB CSV), machine: {os.cpu_count()} cores\n"
    )
    print("| case | rows | seconds | rows/s | process s | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, s, r, _, wall in results:
        w = "" if wall is None else f"{wall:.1f}"
        print(f"| {name} | {n:,} | {s:.1f} | {n / s:,.0f} | {w} | {'' if r is None else f'{r:.0f}'} |")
    print()
    for name, _, _, _, phases, _ in results:
        if phases:
            print(f"- {name}: {phases}")
    path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
