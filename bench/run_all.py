"""`make bench`: runs every benchmark in turn and prints its Markdown table.

Sizes default to 1 M rows so that the whole run fits in a few minutes on a 2-core machine;
`make bench BENCH_ARGS="--big"` runs the 10 M-row variants (PostgreSQL must be reachable).
Figures go into docs/benchmarks.md by hand, with the command and the machine.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BENCHES = [
    ("phones", ["bench_phones.py"], ["bench_phones.py", "--n", "10000000", "--big"]),
    ("import", ["bench_import.py", "--rows", "1000000"], ["bench_import.py", "--rows", "10000000"]),
    ("exchange", ["bench_exchange.py", "--rows", "1000000"], ["bench_exchange.py", "--rows", "10000000"]),
    # The provider kit alone, from files to file, one new process per trial (no database needed).
    (
        "kit",
        ["kit_at_scale.py", "--rows", "1000000", "--trials", "3"],
        ["kit_at_scale.py", "--rows", "10000000", "--trials", "3"],
    ),
    (
        "dashboard",
        ["bench_dashboard.py", "--recipients", "1000000"],
        ["bench_dashboard.py", "--recipients", "10000000"],
    ),
    ("validate", ["bench_validate.py", "--rows", "1000000"], ["bench_validate.py", "--rows", "10000000"]),
    ("school page", ["bench_school_page.py"], ["bench_school_page.py"]),
    # The biggest school (7,300 recipients, its SPTJM and scan) and kabupaten (5,000 schools).
    ("big school", ["bench_big_school.py"], ["bench_big_school.py", "--district-students", "1000000"]),
    ("disburse", ["bench_disburse.py", "--rows", "1000000"], ["bench_disburse.py", "--rows", "10000000"]),
    # A school operator's pages in Chromium over slow and good 3G (decision 0080; needs chromium).
    ("slow link", ["bench_slow_link.py"], ["bench_slow_link.py"]),
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="10 M-row variants")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated names: phones,import,exchange,kit,dashboard,validate,school page,big school,disburse,slow link",
    )
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    print(
        f"# make bench — {time.strftime('%Y-%m-%d %H:%M')} — {platform.platform()} — {platform.python_version()}"
    )
    failed = 0
    for name, small, big in BENCHES:
        if only and name not in only:
            continue
        cmd = big if args.big else small
        script = HERE / cmd[0]
        if not script.exists():
            print(f"\n## {name}: {cmd[0]} missing")
            failed += 1
            continue
        print(f"\n## {name}: python bench/{' '.join(cmd)}\n", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script), *cmd[1:]], check=False)  # noqa: S603
        print(f"\n({name}: {time.monotonic() - started:.0f} s, exit {result.returncode})", flush=True)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
