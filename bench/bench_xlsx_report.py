"""The Excel writer of the reports people download (decision 0059): seconds, file size and the
growth of the process's peak memory for N synthetic refused rows (no database). CPU seconds are
the process's own: on the shared VM the wall clock mostly measures the other engineers' load.

    .venv/bin/python bench/bench_xlsx_report.py --rows 10000 100000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")


def rows(n: int) -> Iterator[list[object]]:
    for i in range(n):
        yield [
            i + 2,
            "nomor_telepon_seluler",
            "FORMAT_SALAH",
            "Nomor bukan nomor seluler (awalan tidak dikenal).",
            "Not a mobile number (unknown prefix).",
            f"0812****{i % 10000:04d}",
        ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    import django

    django.setup()
    from verval.core.jobs import ISSUE_COLUMNS
    from verval.core.spreadsheet import xlsx_report

    print("| rows | seconds | CPU seconds | file bytes | peak RSS growth (MiB) |\n|---|---|---|---|---|")
    for n in args.rows:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, cpu = time.perf_counter(), time.process_time()
        report = xlsx_report(
            sheet="laporan", columns=ISSUE_COLUMNS, rows=rows(n), widths=[8, 22, 26, 60, 60, 22]
        )
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(f"| {n:,} | {seconds:.1f} | {cpu:.1f} | {os.fstat(report.fileno()).st_size:,} | {grown:.1f} |")
        report.close()


if __name__ == "__main__":
    main()
