"""The dump file write in each number format, alternately, on the same rows (decision 0027).

    python bench/bench_dump_formats.py --database-url postgres://postgres@127.0.0.1:5432/verval_bench_exchange [--rounds 3]

Run after `bench/bench_exchange.py` (which leaves its database with a dump of --rows rows in six
batches). Each round writes every batch's file once per variant, in turn, so that all variants
see the same machine:
  query-before  the query before formats existed (`substr(phone, 2)`, no look-up of formats)
  msisdn        every batch 6281… (the default): the same expression, after the look-up
  e164          every batch +6281…
  national      every batch 081…
  mixed         msisdn, e164, national in turn over the six batches (one CASE per row)
Prints a Markdown table of seconds per variant and round, and the best of each.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

VARIANTS = ("query-before", "msisdn", "e164", "national", "mixed")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/verval_bench_exchange")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dump-formats-"))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["VERVAL_DATA_DIR"] = str(work / "files")
    os.environ["VERVAL_VAR_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ["VERVAL_LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.db import connection, transaction

    from verval.exchange import services
    from verval.exchange.models import DumpBatch

    batches = list(DumpBatch.objects.order_by("id"))
    rows = sum(b.rows for b in batches)
    assert batches and rows, "no dump in this database: run bench/bench_exchange.py first"
    ids = [b.id for b in batches]
    real_phone_column = services._phone_column
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _round in range(args.rounds):
        for variant in VARIANTS:
            if variant == "query-before":
                services._phone_column = lambda _ids: ("substr(phone, 2)", [])  # type: ignore[assignment]
                fmt = ["msisdn"] * len(ids)
            else:
                services._phone_column = real_phone_column
                cycle = ["msisdn", "e164", "national"]
                fmt = [cycle[i % 3] if variant == "mixed" else variant for i in range(len(ids))]
            for batch_id, f in zip(ids, fmt, strict=True):
                DumpBatch.objects.filter(pk=batch_id).update(number_format=f)
            t = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                sinks = [services.GzipSink(work / f"{variant}-{i}.csv.gz") for i in range(len(ids))]
                counts = services.write_dump_files(cursor, ids, sinks)
                for sink in sinks:
                    sink.close()
            times[variant].append(time.perf_counter() - t)
            assert sum(counts) == rows, (counts, rows)
    services._phone_column = real_phone_column
    DumpBatch.objects.filter(pk__in=ids).update(number_format="msisdn")
    print(f"{rows:,} rows in {len(ids)} batches, load average {os.getloadavg()[0]:.1f} at the end\n")
    print(
        "| variant | "
        + " | ".join(f"round {i + 1} s" for i in range(args.rounds))
        + " | best s | best rows/s |"
    )
    print("|---|" + "---:|" * (args.rounds + 2))
    for variant, secs in times.items():
        best = min(secs)
        print(
            f"| {variant} | " + " | ".join(f"{s:.2f}" for s in secs) + f" | {best:.2f} | {rows / best:,.0f} |"
        )
    for path in work.rglob("*"):
        if path.is_file():
            path.unlink()


if __name__ == "__main__":
    main()
