"""The provider kit's scan of one subscriber export, old and new checkouts alternately (decision
0106): the largest provider's dump and export that bench/kit_at_scale.py made under --work, one
new process per run, each timing `match()` and, apart, the export's scan and join alone (best of
three in the process). CPU seconds (all threads) are the figure to compare on a shared machine.

    python bench/kit_at_scale.py --rows 10000000 --trials 1          # makes the inputs once
    python bench/kit_export_scan.py --src OLD NEW [--pairs 3] [--variants] [--export FILE ...]

--variants: also the export rewritten two ways, made once beside it: every msisdn written `….0`
(subs-<provider>-dot0.csv) and one msisdn in a hundred in scientific notation
(subs-<provider>-sci1pct.csv). --export: other exports to match the same dump against. The 10 %
rule is off for every run (accept_low_match).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

RUN = r"""
import importlib, resource, sys, time
from pathlib import Path
from verval_provider.match import match
M = importlib.import_module("verval_provider.match")
dump, export = Path(sys.argv[1]), Path(sys.argv[2])
t, c = time.perf_counter(), time.process_time()
r = match(dump, export, dump.with_name("out-scan.csv"), count=False, accept_low_match=True)
wall, cpu = time.perf_counter() - t, time.process_time() - c
keys = M._read_dump(dump)[0].get_column("k")
scan = 1e9
for _ in range(3):
    c = time.process_time()
    M._plain_subscriber_ranks(export, keys, export.name)
    scan = min(scan, time.process_time() - c)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"{wall:.2f} {cpu:.2f} {scan:.2f} {peak} {r.get('unreadable', {}).get('count', '-')}")
"""


def make_variants(export: Path) -> list[Path]:
    """The export with every msisdn written as a float (`….0`), and with one in a hundred in
    scientific notation (`6.28120E+12`), beside it; made once."""
    import polars as pl

    dot0 = export.with_name(export.stem + "-dot0.csv")
    sci = export.with_name(export.stem + "-sci1pct.csv")
    if not (dot0.exists() and sci.exists()):
        df = pl.read_csv(export, infer_schema=False).with_row_index("n")
        msisdn = pl.col("msisdn")
        df.select((msisdn + ".0").alias("msisdn"), "status").write_csv(dot0)
        written = msisdn.str.slice(0, 1) + "." + msisdn.str.slice(1, 5) + "E+12"
        df.select(
            pl.when(pl.col("n") % 100 == 0).then(written).otherwise(msisdn).alias("msisdn"), "status"
        ).write_csv(sci)
    return [dot0, sci]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/var/tmp/verval-kit/10000000"))
    ap.add_argument("--provider", default="telkomsel")
    ap.add_argument("--src", type=Path, nargs="+", required=True)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--variants", action="store_true")
    ap.add_argument("--export", type=Path, nargs="*", default=[])
    args = ap.parse_args()
    dump = args.work / f"dump-{args.provider}.csv.gz"
    export = args.work / f"subs-{args.provider}.csv"
    exports = [export, *(make_variants(export) if args.variants else []), *args.export]
    print(
        "| pair | export | code | match s | match CPU s | scan+join CPU s (best of 3) | peak MB | unreadable | load |\n"
        "|---:|---|---|---:|---:|---:|---:|---:|---:|"
    )
    for pair in range(1, args.pairs + 1):
        for export in exports:
            for src in args.src:
                out = subprocess.run(
                    [sys.executable, "-c", RUN, str(dump), str(export)],
                    env={**os.environ, "PYTHONPATH": str(src / "src")},
                    check=True,
                    capture_output=True,
                    text=True,
                )
                wall, cpu, scan, peak, unreadable = out.stdout.split()
                print(
                    f"| {pair} | {export.name} | {src} | {wall} | {cpu} | {scan} | {peak} | {unreadable} "
                    f"| {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
