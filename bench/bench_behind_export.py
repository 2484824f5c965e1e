"""The late-schools download (`/progres/tertinggal/`, decision 0068): seconds to write N synthetic
rows of its 18 columns as the streamed CSV (the view's own loop) and as the Excel report, with the
growth of the process's peak memory (no database: the rows' read is the same for both formats).
CPU seconds are the process's own, which the shared VM's load does not inflate as it does the wall
clock.

    .venv/bin/python bench/bench_behind_export.py --rows 20000 300000
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
            f"{20500000 + i:08d}", f"SD NEGERI {i % 997} KECAMATAN CONTOH", "020500", "SD",
            120 + i % 300, i % 40, i % 7, 60 + i % 50, i % 20, i % 2, i % 2, 0, 0, i % 90, i % 5,
            round(1.5 + (i % 100) / 10, 1), "BELUM_VERVAL SPTJM_BELUM_DIUNGGAH", "Kab. Bogor",
        ]  # fmt: skip


def csv_seconds(n: int) -> tuple[float, float, int]:
    from verval.dashboard.exports import csv_lines

    start, cpu = time.perf_counter(), time.process_time()
    size = sum(len(line.encode()) for line in csv_lines(rows(n)))
    return time.perf_counter() - start, time.process_time() - cpu, size


def xlsx_seconds(n: int) -> tuple[float, float, int]:
    from verval.dashboard.exports import xlsx_file

    start, cpu = time.perf_counter(), time.process_time()
    report = xlsx_file(rows(n))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    size = os.fstat(report.fileno()).st_size
    report.close()
    return seconds, cpu, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 300_000])
    args = parser.parse_args()
    import django

    django.setup()
    print(
        "| format | rows | seconds | CPU seconds | bytes | peak RSS growth (MiB) |\n|---|---|---|---|---|---|"
    )
    for n in args.rows:
        for name, fn in (("csv", csv_seconds), ("xlsx", xlsx_seconds)):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            seconds, cpu, size = fn(n)
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            print(f"| {name} | {n:,} | {seconds:.1f} | {cpu:.1f} | {size:,} | {grown:.1f} |")


if __name__ == "__main__":
    main()
