"""What binding a first load's rows costs on SQLite, two ways (decision 0118).

    python bench/sqlite_binding.py --cutoff FILE.csv [--rows N] [--runs 2] [--adbc-path DIR]
    python bench/sqlite_binding.py --students 1000000   # makes its own cutoff with `verval synth`

`exec`: what the import does today (`_SqliteBuckets._insert`): the rows, sorted by id, bound from
column lists with `executemany` into `registry_recipient` (its primary key kept, its secondary
indexes dropped, as a first load does), one transaction.

`adbc`: the same rows ingested from Arrow in C by the ADBC SQLite driver into an unindexed table
of a separate stage file, then one `INSERT … SELECT` from that file (attached) into the registry.
The driver is not a dependency of the project: install it anywhere (`pip install --target DIR
adbc-driver-sqlite`) and name the folder with `--adbc-path`; without it only `exec` runs.

Both run in this process, alternately, each on a fresh copy of a migrated database (WAL,
synchronous=NORMAL, the page cache of the import); CPU seconds of the process are printed, which
compare on a shared machine where wall times do not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
VERVAL = str(ROOT / ".venv" / "bin" / "verval")
COLUMNS = ["id", "kind", "category", "name", "nisn", "nik", "grade", "npsn", "phone_raw", "phone_e164", "operator", "reason", "h"]  # fmt: skip
NOW = "'2026-12-01 20:00:00.000000'"
INSERT = (
    "INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, "
    "phone_raw, phone_e164, operator, reason, row_hash, status, reason_note, status_changed_at, "
    "needs_validation, confirmed_at, confirmed_by_id, locked, active, version, created_at, updated_at) "
)
CONSTANTS = f"'BELUM_VERVAL', '', {NOW}, 1, NULL, NULL, 0, 1, 1, {NOW}, {NOW}"


def rows_of(cutoff: Path, limit: int | None) -> pl.DataFrame:
    """The 13 columns a first load binds, shaped from a cutoff file as the import shapes them
    (ids without hyphens, sorted; the number as typed and a stand-in E.164 of it)."""
    df = pl.read_csv(cutoff, infer_schema=False, n_rows=limit)
    return (
        df.select(
            pl.col("id").str.replace_all("-", "").alias("id"),
            pl.col("jenis").alias("kind"),
            pl.when(pl.col("jenis") == "PD")
            .then(pl.lit("SISWA"))
            .otherwise(pl.lit("GURU"))
            .alias("category"),
            pl.col("nama").alias("name"),
            pl.col("nisn").fill_null(""),
            pl.col("nik").fill_null(""),
            pl.col("tingkat_pendidikan").cast(pl.Int16, strict=False).alias("grade"),
            pl.col("npsn"),
            pl.col("nomor_telepon_seluler").fill_null("").alias("phone_raw"),
            ("+62" + pl.col("nomor_telepon_seluler").fill_null("").str.slice(1)).alias("phone_e164"),
            pl.lit("telkomsel").alias("operator"),
            pl.lit("").alias("reason"),
            pl.col("id").str.replace_all("-", "").str.reverse().alias("h"),
        )
        .unique("id", keep="first", maintain_order=True)
        .sort("id")
    )


def migrated(workdir: Path) -> Path:
    env = os.environ | {"VERVAL_VAR_DIR": str(workdir / "var"), "PYTHONPATH": str(ROOT / "src")}
    env.pop("DATABASE_URL", None)
    subprocess.run([VERVAL, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    return workdir / "var" / "verval.sqlite3"


def connect(db: Path):  # type: ignore[no-untyped-def]
    import sqlite3

    con = sqlite3.connect(db, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "cache_size=-16384",
        "temp_store=1",
        "mmap_size=0",
    ):
        con.execute(f"PRAGMA {pragma}")
    con.execute("PRAGMA foreign_keys=0")
    return con


def drop_secondary(con) -> None:  # type: ignore[no-untyped-def]
    for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'registry_recipient' AND sql IS NOT NULL"
    ).fetchall():
        con.execute(f'DROP INDEX "{name}"')


def run_exec(db: Path, rows: pl.DataFrame) -> float:
    con = connect(db)
    drop_secondary(con)
    sql = INSERT + f"VALUES ({', '.join(['?'] * len(COLUMNS))}, {CONSTANTS})"
    started = time.process_time()
    con.execute("BEGIN IMMEDIATE")
    for s in range(0, rows.height, 100_000):
        bucket = rows.slice(s, 100_000)
        columns = [bucket.get_column(c) for c in COLUMNS]
        for i in range(0, bucket.height, 5000):
            con.executemany(sql, zip(*(c.slice(i, 5000).to_list() for c in columns), strict=True))
    con.execute("COMMIT")
    cpu = time.process_time() - started
    assert con.execute("SELECT count(*) FROM registry_recipient").fetchone()[0] == rows.height
    con.close()
    return cpu


def run_adbc(db: Path, rows: pl.DataFrame, workdir: Path) -> tuple[float, float]:
    import adbc_driver_sqlite.dbapi as adbc

    stage = workdir / "stage.sqlite3"
    stage.unlink(missing_ok=True)
    con = connect(db)
    drop_secondary(con)
    started = time.process_time()
    # The stage must be complete before the registry's transaction begins: BEGIN IMMEDIATE takes
    # the write lock of every attached file, and a read inside the transaction fixes the
    # attached file's snapshot (decision 0118).
    with adbc.connect(str(stage), autocommit=True) as writer, writer.cursor() as cur:
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        for k, s in enumerate(range(0, rows.height, 100_000)):
            cur.adbc_ingest("rows", rows.slice(s, 100_000), mode="append" if k else "create")
    staged = time.process_time() - started
    con.execute(f"ATTACH '{stage}' AS stage")
    con.execute("BEGIN IMMEDIATE")
    con.execute(INSERT + f"SELECT {', '.join(COLUMNS)}, {CONSTANTS} FROM stage.rows")  # noqa: S608 (module constants)
    con.execute("COMMIT")
    cpu = time.process_time() - started
    con.execute("DETACH stage")
    assert con.execute("SELECT count(*) FROM registry_recipient").fetchone()[0] == rows.height
    con.close()
    return cpu, staged


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cutoff", type=Path)
    parser.add_argument(
        "--students", type=int, default=200_000, help="synth a cutoff of this size if no --cutoff"
    )
    parser.add_argument("--rows", type=int, default=None, help="only the first N rows of the cutoff")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--adbc-path", default=None)
    args = parser.parse_args()
    if args.adbc_path:
        sys.path.insert(0, args.adbc_path)
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401

        ways = ["exec", "adbc"]
    except ImportError:
        print("adbc-driver-sqlite not importable (see --adbc-path): only `exec` runs", file=sys.stderr)
        ways = ["exec"]
    with tempfile.TemporaryDirectory(prefix="sqlite-binding-") as tmp:
        workdir = Path(tmp)
        cutoff = args.cutoff
        if cutoff is None:
            cutoff = workdir / "cut.csv"
            env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "VERVAL_VAR_DIR": str(workdir / "synthvar")}
            subprocess.run(
                [VERVAL, "synth", "--students", str(args.students), "--teachers", "0", "--seed", "1", "--out", str(cutoff)],
                env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        rows = rows_of(cutoff, args.rows)
        template = migrated(workdir)
        print("| run | way | rows | CPU s (whole) | of which the stage file |\n|---:|---|---:|---:|---:|")
        for run in range(1, args.runs + 1):
            for way in ways:
                db = workdir / f"{way}.sqlite3"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                shutil.copy(template, db)
                if way == "exec":
                    print(f"| {run} | exec | {rows.height:,} | {run_exec(db, rows):.2f} | |")
                else:
                    cpu, staged = run_adbc(db, rows, workdir)
                    print(f"| {run} | adbc | {rows.height:,} | {cpu:.2f} | {staged:.2f} |")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
