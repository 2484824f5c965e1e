"""The provider kit on N dump rows without a database: six provider dumps (55/16/10/8/7/4 %,
ISA-L level 1 as the server writes them) and their exports (bench/subscribers.write_export), made
once under --work, then the six matches in one new process per trial, as a provider runs them.

    python bench/kit_at_scale.py --rows 10000000 [--trials 3] [--work /var/tmp/kit10] [--src DIR ...]

--src: checkouts whose `src/` is timed, alternately (default: this one). Prints wall and CPU
seconds (all threads) per trial. bench_exchange.py --no-ingest times the same step on the dump the
server writes; this one needs no 10 M-row registry first.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARES = [("telkomsel", "812", 55), ("indosat", "815", 16), ("xl", "817", 10), ("axis", "838", 8),
          ("tri", "896", 7), ("smartfren", "881", 4)]  # fmt: skip

RUN = """
import sys, time
from verval_provider.match import match
work, tag, providers = sys.argv[1], sys.argv[2], sys.argv[3:]
t, c = time.perf_counter(), time.process_time()
for p in providers:
    match(f"{work}/dump-{p}.csv.gz", f"{work}/subs-{p}.csv", f"{work}/out-{p}-{tag}.csv", count=False)
print(f"{time.perf_counter() - t:.2f} {time.process_time() - c:.2f}")
"""


def make_inputs(work: Path, rows: int) -> None:
    import polars as pl
    from isal import isal_zlib

    sys.path.insert(0, str(ROOT / "bench"))
    from subscribers import write_export

    if (work / f"rows-{rows}").exists():
        return
    start = 0
    for provider, prefix, share in SHARES:
        n = rows * share // 100
        g = pl.int_range(start, start + n, eager=True).alias("g")
        h, h2 = pl.col("g").hash(seed=11), pl.col("g").hash(seed=13)
        dump = pl.DataFrame(g).select(
            pd_id=pl.format(
                "{}-{}-4{}-a{}-{}",
                (h % 2**32).cast(pl.String).str.zfill(10).str.slice(0, 8),
                (h // 2**32 % 10**4).cast(pl.String).str.zfill(4),
                (h2 % 10**3).cast(pl.String).str.zfill(3),
                (h2 // 10**3 % 10**3).cast(pl.String).str.zfill(3),
                (h2 // 10**6 % 10**12).cast(pl.String).str.zfill(12),
            ),
            tingkat_pendidikan=(1 + pl.col("g") % 12).cast(pl.String),
            npsn=(30000001 + pl.col("g") % 33000).cast(pl.String),
            no_ponsel=pl.lit("62" + prefix) + pl.col("g").cast(pl.String).str.zfill(8),
        )
        data = dump.write_csv().encode()
        comp = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31)
        with open(work / f"dump-{provider}.csv.gz", "wb") as fh:
            for i in range(0, len(data), 1 << 20):
                fh.write(comp.compress(data[i : i + (1 << 20)]))
            fh.write(comp.flush())
        write_export(dump.select("no_ponsel"), work / f"subs-{provider}.csv")
        start += n
    (work / f"rows-{rows}").touch()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/var/tmp/verval-kit"))
    ap.add_argument("--src", type=Path, nargs="*", default=[ROOT])
    args = ap.parse_args()
    work = args.work / str(args.rows)
    work.mkdir(parents=True, exist_ok=True)
    make_inputs(work, args.rows)
    providers = [p for p, _, _ in SHARES]
    print("| trial | code | seconds | CPU seconds | rows/s | load |\n|---:|---|---:|---:|---:|---:|")
    for trial in range(1, args.trials + 1):
        for i, src in enumerate(args.src):
            out = subprocess.run(
                [sys.executable, "-c", RUN, str(work), str(i), *providers],
                env={**os.environ, "PYTHONPATH": str(src / "src")},
                check=True,
                capture_output=True,
                text=True,
            )
            wall, cpu = (float(x) for x in out.stdout.split())
            load = os.getloadavg()[0]
            print(
                f"| {trial} | {src} | {wall:.2f} | {cpu:.2f} | {args.rows / wall:,.0f} | {load:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
