"""What the end of an injection apply costs to know a batch's lines still DIJADWALKAN (decision 0053).

    python bench/bench_disburse.py --rows 1000000 --providers 1 --keep   # a 1 M-line batch, answered
    python bench/bench_batch_pending.py [--database-url postgres://postgres@127.0.0.1:5432/verval_bench_disburse]

On the database bench_disburse.py kept (migrated or not to sptjm 0009), times for its largest
batch: the count of its DIJADWALKAN lines that each apply ran until 0053 (Django's query, and
the server's own execution time from EXPLAIN ANALYZE), migrates to 0009 if it is not yet there
(timing the backfill, which counts every batch once), then the UPDATE … of the batch row plus
its read-back that replaced the count (`services._lines_answered`, rolled back each time).
Each is run --repeat times; the table prints the median and the slowest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _times(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/verval_bench_disburse")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.migrations.recorder import MigrationRecorder

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT batch_id, count(*) FROM sptjm_disbursement WHERE batch_id IS NOT NULL "
            "GROUP BY batch_id ORDER BY count(*) DESC LIMIT 1"
        )
        batch_id, lines = cursor.fetchone()
    count_sql = "SELECT count(*) FROM sptjm_disbursement WHERE batch_id = %s AND status = 'DIJADWALKAN'"

    def count() -> None:
        with connection.cursor() as cursor:
            cursor.execute(count_sql, [batch_id])
            cursor.fetchone()

    def server_ms() -> float:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + count_sql, [batch_id])
            return float(cursor.fetchone()[0][0]["Execution Time"])

    rows = [("count of the DIJADWALKAN lines (until 0053)", _times(count, args.repeat))]
    server = [server_ms() / 1000 for _ in range(args.repeat)]
    rows.append(("  the same, server execution (EXPLAIN ANALYZE)", server))
    applied = MigrationRecorder(connection).migration_qs.filter(
        app="sptjm", name="0009_disbursement_batch_pending"
    )
    if not applied.exists():
        start = time.perf_counter()
        call_command("migrate", "sptjm", "0009", verbosity=0)
        rows.append(
            ("migration 0009 (adds the column, counts every batch once)", [time.perf_counter() - start])
        )

    from verval.sptjm.models import DisbursementBatch
    from verval.sptjm.services import _lines_answered

    batch = DisbursementBatch.objects.get(pk=batch_id)

    def update() -> None:
        with transaction.atomic():
            _lines_answered(batch, 1)
            transaction.set_rollback(True)

    rows.append(("UPDATE of the batch row + read-back (0053)", _times(update, args.repeat)))
    print(f"batch {batch_id}: {lines:,} lines, {batch.pending:,} still DIJADWALKAN\n")
    print("| step | runs | median s | slowest s |\n|---|---:|---:|---:|")
    for name, secs in rows:
        print(f"| {name} | {len(secs)} | {statistics.median(secs):.4f} | {max(secs):.4f} |")


if __name__ == "__main__":
    main()
