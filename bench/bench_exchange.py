"""Benchmark the provider exchange on PostgreSQL: dump, provider-kit match, ingest.

    python bench/bench_exchange.py --rows 1000000 [--database-url postgres://postgres@127.0.0.1:5432/verval_bench_exchange]

Creates the database afresh, migrates, bulk-loads N recipients in MENUNGGU_PROVIDER spread over
the six providers (server-side INSERT ... SELECT generate_series, the same cost class as COPY),
then measures:
  1. dump: `verval dump` for all providers (rows/s, peak RSS), and the file write alone
     (one COPY TO STDOUT for every batch -> gzip level 1, a thread per batch) again;
  2. kit match: verval_provider.match of every batch against a subscriber export (rows/s), in
     the benchmark's process and again in one new process (start-up and polars' import included);
  3. ingest: the results of every batch through the ingest job (rows/s applied).
Before 2 and 3 the server is settled: CHECKPOINT, VACUUM (ANALYZE) of the dump rows, no autovacuum
worker left running (what a real server does in the days between a dump and its results).
Prints a Markdown table and writes docs/benchmarks-exchange.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHARES = [  # provider, national significant prefix, share of recipients (rough 2020 market shares)
    ("telkomsel", "812", 55),
    ("indosat", "815", 16),
    ("xl", "817", 10),
    ("axis", "838", 8),
    ("tri", "896", 7),
    ("smartfren", "881", 4),
]


KIT_PROCESS = """
import sys
from verval_provider.match import match
for dump, subs, out in zip(*[iter(sys.argv[1:])] * 3):
    match(dump, subs, out)
"""


def settle(connection: Any, limit: float = 300.0) -> float:
    """Flush the page cache and PostgreSQL's dirty buffers, vacuum the new dump rows (what
    autovacuum would start on its own within a minute), then wait (at most `limit` seconds) until
    no autovacuum worker runs. Returns the seconds this took."""
    t = time.perf_counter()
    os.sync()
    with connection.cursor() as c:
        c.execute("CHECKPOINT")
        c.execute("VACUUM (ANALYZE) exchange_dumpitem")
        while time.perf_counter() - t < limit:
            c.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
            if not c.fetchone()[0]:
                break
            time.sleep(1)
    return time.perf_counter() - t


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def load_recipients(n: int) -> None:
    from django.db import connection

    schools = max(1, n // 400)
    with connection.cursor() as c:
        c.execute(
            "INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active, created_at, updated_at) "
            "SELECT lpad((30000000 + g)::text, 8, '0'), 'SD Bench ' || g, 'SD', 'N', '020501', '020500', '020000', true, now(), now() "
            "FROM generate_series(1, %s) g",
            [schools],
        )
        case_op, case_pref, acc = [], [], 0
        for code, prefix, share in SHARES:
            acc += share
            case_op.append(f"WHEN (g %% 100) < {acc} THEN '{code}'")
            case_pref.append(f"WHEN (g %% 100) < {acc} THEN '{prefix}'")
        c.execute(  # noqa: S608 - constants only
            "INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw, phone_e164, operator, status, "  # noqa: S608
            "reason, reason_note, status_changed_at, needs_validation, confirmed_at, confirmed_by_id, locked, active, row_hash, version, created_at, updated_at) "
            "SELECT gen_random_uuid(), CASE WHEN g %% 20 = 0 THEN 'PTK' ELSE 'PD' END, CASE WHEN g %% 20 = 0 THEN 'PTK' WHEN g %% 25 = 1 THEN 'PAUD' ELSE 'DIKDASMEN' END, "
            "'Bench ' || g, '', '', CASE WHEN g %% 20 = 0 OR g %% 25 = 1 THEN NULL ELSE 1 + g %% 12 END, "
            f"lpad((30000000 + 1 + g %% %s)::text, 8, '0'), '', '+62' || (CASE {' '.join(case_pref)} END) || lpad(g::text, 8, '0'), "
            f"CASE {' '.join(case_op)} END, 'MENUNGGU_PROVIDER', '', '', now(), false, now(), NULL, false, true, '', 1, now(), now() "
            "FROM generate_series(1, %s) g",
            [schools, n],
        )
        c.execute("VACUUM (ANALYZE) registry_recipient")
        c.execute("VACUUM (ANALYZE) reference_school")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/verval_bench_exchange")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-exchange.md"))
    parser.add_argument("--keep-files", action="store_true")
    parser.add_argument(
        "--no-ingest",
        action="store_true",
        help="stop after the kit's matches (to time the kit on a given size without the ingest)",
    )
    parser.add_argument(
        "--number-format",
        choices=["msisdn", "e164", "national", "mixed"],
        help="every provider's dump number format (mixed: msisdn, e164, national in turn); "
        "default: none set (msisdn)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-exchange-"))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["VERVAL_DATA_DIR"] = str(work / "files")
    os.environ["VERVAL_VAR_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ["VERVAL_LOG_LEVEL"] = "WARNING"
    create_database(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from verval.core import files, jobs
    from verval.exchange import actions, services
    from verval.exchange.models import DumpBatch
    from verval_provider import match

    call_command("migrate", verbosity=0)
    n = args.rows
    results: list[tuple[str, int, float, str]] = []

    t = time.perf_counter()
    load_recipients(n)
    results.append(("load recipients (INSERT … SELECT generate_series)", n, time.perf_counter() - t, ""))

    if args.number_format:
        formats = ["msisdn", "e164", "national"]
        for i, (code, _prefix, _share) in enumerate(SHARES):
            fmt = formats[i % 3] if args.number_format == "mixed" else args.number_format
            actions.set_number_format(actor=None, provider=code, number_format=fmt)

    rss_before = rss_mb()
    t = time.perf_counter()
    batches = actions.publish_dumps(actor=None)
    dump_s = time.perf_counter() - t
    rss_after = rss_mb()
    total = sum(b.rows for b in batches)
    assert total == n, (total, n)
    results.append(
        (
            "dump: `verval dump`, all providers (select, INSERT items, COPY → gzip, manifest)",
            n,
            dump_s,
            f"peak RSS {rss_after:.0f} MB (+{rss_after - rss_before:.0f})"
            + (f", number format {args.number_format}" if args.number_format else ""),
        )
    )

    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        sinks = [services.GzipSink(work / f"rewrite-{b.provider}.csv.gz") for b in batches]
        counts = services.write_dump_files(cursor, [b.id for b in batches], sinks)
        written = [sink.close() for sink in sinks]
    write_s = time.perf_counter() - t
    assert counts == [b.rows for b in batches], counts
    assert [sha for sha, _ in written] == [b.sha256 for b in batches]
    results.append(
        (
            "dump files write alone: one COPY TO → a gzip-1 thread per batch (all providers)",
            n,
            write_s,
            f"{sum(size for _, size in written) / 1e6:.0f} MB gz",
        )
    )

    # Provider side: the subscriber exports exist before the kit runs, so they are all written
    # first. (Written between the timed matches, each export's read and write slowed the match
    # after it: six 1 M-row matches took 0.69-0.81 s that way and 0.47-0.53 s after.)
    import polars as pl
    from subscribers import write_export

    pairs = []
    for b in batches:
        dump = files.absolute(b.file_path)
        subs = work / f"subs-{b.provider}.csv"
        write_export(pl.read_csv(dump, infer_schema=False, columns=["no_ponsel"]), subs)
        pairs.append((b, dump, subs, work / f"hasil-{b.provider}.csv"))

    # The kit runs on the provider's machine: first let this server write out and vacuum what
    # the dump left behind, so that a checkpoint or an autovacuum of the new rows does not share
    # the two cores with the timed matches or the ingest. (At 10 M rows it did not explain the
    # matches' slower pace here: 6.5 s after settling, 4.5 s on the same files later with
    # nothing else running; benchmarks-exchange.md.)
    quiet_s = settle(connection)
    match_rows, match_s = 0, 0.0
    outputs = []
    for b, dump, subs, out in pairs:
        t = time.perf_counter()
        r = match(dump, subs, out, count=False)
        match_s += time.perf_counter() - t
        match_rows += r["rows"]
        outputs.append((b, out))
    results.append(
        (
            "kit match: dump.csv.gz ⋈ subscribers.csv → results.csv (polars)",
            match_rows,
            match_s,
            f"all providers, in this process (after {quiet_s:.0f} s waiting for the server to settle)",
        )
    )
    # The same matches as a provider's machine runs them: one new process (interpreter start and
    # polars' import included) for all the batches, with counts, as `verval-provider sync` does.
    argv = [str(p) for _, dump, subs, out in pairs for p in (dump, subs, out.with_suffix(".again.csv"))]
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", KIT_PROCESS, *argv],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    results.append(
        (
            "kit match, one new process for all batches (start-up and import included)",
            match_rows,
            time.perf_counter() - t,
            "all providers",
        )
    )
    for _, _, _, out in pairs:
        assert out.with_suffix(".again.csv").read_bytes() == out.read_bytes()

    ingest_rows, ingest_s, applied = 0, 0.0, 0
    for b, out in [] if args.no_ingest else outputs:
        job = actions.create_ingest_job(actor=None, batch=b, path=out)
        t = time.perf_counter()
        job = jobs.run(job.pk)
        ingest_s += time.perf_counter() - t
        assert job.state == "SUCCEEDED", (job.state, job.error_message_en)
        ingest_rows += job.counts["rows"]
        applied += job.counts["applied"]
    if not args.no_ingest:
        assert applied == n
        results.append(
            (
                "ingest: results → staging → checks → UPDATE dump rows + recipients",
                ingest_rows,
                ingest_s,
                f"applied {applied}",
            )
        )
        assert DumpBatch.objects.exclude(state="COMPLETE").count() == 0

    table = ["| step | rows | seconds | rows/s | note |", "|---|---:|---:|---:|---|"]
    for name, rows, secs, note in results:
        table.append(f"| {name} | {rows:,} | {secs:.2f} | {rows / secs:,.0f} | {note} |")
    md = "\n".join(table)
    print(md)
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    pg_version = connection.cursor().connection.info.server_version if hasattr(connection, "cursor") else ""
    header = (
        f"## {time.strftime('%Y-%m-%d')} — {n:,} recipients\n\n"
        f"Command: `{' '.join(['python', 'bench/bench_exchange.py'] + [shlex.quote(a) for a in sys.argv[1:]])}`  \n"
        f"Machine: {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {pg_version}, "
        f"load average at the end {os.getloadavg()[0]:.1f}.\n\n"
    )
    out_path = Path(args.out)
    previous = out_path.read_text() if out_path.exists() else "# Provider exchange benchmarks\n\n"
    out_path.write_text(previous.rstrip() + "\n\n" + header + md + "\n")
    if args.keep_files:
        print(f"files kept in {work}")
    else:
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
