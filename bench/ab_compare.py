"""Before/after on a noisy machine: old and new code measured alternately, in separate processes.

    python bench/ab_compare.py --old DIR [--what phones|phones-import|cli|kit] [--trials 4]

DIR is a checkout of the code before a change (e.g. `git worktree add /tmp/old <commit>`); the
new code is this checkout. Each trial runs the old code, then the new one, each in a fresh
interpreter with PYTHONPATH pointing at its `src/`, on the same inputs (made once, under
--work). On the project VM wall times moved by up to 30 % within minutes, so a before/after taken
minutes apart says little; alternating trials see the same machine.

  phones         check_series, every output column, 1 M generated inputs (3 calls per trial)
  phones-import  the same with the columns import and validation ask for (e164, operator, reason)
  cli            `python -m verval.phones.cli` on a file of --lines generated lines, whole process
  kit            verval_provider.match on a 1 M-row gzip dump in six provider-sized files

Prints a Markdown table: per trial the seconds of old and new, then medians.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SERIES = """
import sys, time, polars as pl
from verval.phones import check_series
s = pl.read_parquet(sys.argv[1]).to_series()
cols = None if sys.argv[2] == "all" else ("e164", "operator", "reason")
check_series(s.head(1000), columns=cols)
best = []
for _ in range(3):
    t = time.perf_counter(); check_series(s, columns=cols); best.append(time.perf_counter() - t)
print(min(best))
"""

KIT = """
import sys, time
from pathlib import Path
from verval_provider.match import match
work = Path(sys.argv[1])
t = time.perf_counter()
for i in range(6):
    match(work / f"dump{i}.csv.gz", work / f"subs{i}.csv", work / f"out{i}.csv", count=False)
print(time.perf_counter() - t)
"""

SHARES = (55, 16, 10, 8, 7, 4)  # rows per provider file, percent (as bench_exchange.py)


def _inputs(work: Path, lines: int) -> Path:
    sys.path.insert(0, str(ROOT / "src"))
    import polars as pl

    from verval.phones.samples import generate

    path = work / f"phones-{lines}.parquet"
    if not path.exists():
        pl.DataFrame({"input": [t for _, t in generate(lines, seed=20201)]}).write_parquet(path)
    return path


def _lines_file(work: Path, lines: int) -> Path:
    import polars as pl

    path = work / f"phones-{lines}.txt"
    if not path.exists():
        texts = pl.read_parquet(_inputs(work, lines)).to_series().to_list()
        with open(path, "w", encoding="utf-8") as fh:
            for t in texts:
                fh.write(t.replace("\r", " ").replace("\n", " ") + "\n")
    return path


def _kit_files(work: Path, rows: int) -> None:
    import random
    import uuid

    import polars as pl
    from subscribers import write_export

    if (work / "dump5.csv.gz").exists():
        return
    rng = random.Random(5)
    numbers = rng.sample(range(10**10, 10**11), rows)
    start = 0
    for i, share in enumerate(SHARES):
        n = rows * share // 100 if i < len(SHARES) - 1 else rows - start
        part = numbers[start : start + n]
        start += n
        dump = pl.DataFrame(
            {
                "pd_id": [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in part],
                "tingkat_pendidikan": ["4"] * n,
                "npsn": ["20100001"] * n,
                "no_ponsel": [f"628{k}" for k in part],
            }
        )
        with gzip.open(work / f"dump{i}.csv.gz", "wb", compresslevel=1) as fh:
            dump.write_csv(fh)
        write_export(dump, work / f"subs{i}.csv")


def _run(tree: Path, what: str, work: Path, lines: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    py = sys.executable
    if what in ("phones", "phones-import"):
        cols = "all" if what == "phones" else "import"
        out = subprocess.run([py, "-c", SERIES, str(_inputs(work, 1_000_000)), cols], env=env, check=True,
                             capture_output=True, text=True)  # fmt: skip
        return float(out.stdout.split()[-1])
    if what == "cli":
        src = _lines_file(work, lines)
        with open(src, "rb") as fin, open(os.devnull, "wb") as fout:
            t = time.perf_counter()
            subprocess.run([py, "-m", "verval.phones.cli"], env=env, stdin=fin, stdout=fout, check=True)
            return time.perf_counter() - t
    if what == "kit":
        _kit_files(work, 1_000_000)
        out = subprocess.run([py, "-c", KIT, str(work)], env=env, check=True, capture_output=True, text=True)
        return float(out.stdout.split()[-1])
    raise SystemExit(f"unknown --what {what}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, type=Path, help="checkout of the code before the change")
    ap.add_argument("--what", default="phones", choices=("phones", "phones-import", "cli", "kit"))
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--lines", type=int, default=10_000_000, help="lines for --what cli")
    ap.add_argument("--work", type=Path, default=Path("/var/tmp/verval-ab"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    old, new = [], []
    for _ in range(args.trials):
        old.append(_run(args.old.resolve(), args.what, args.work, args.lines))
        new.append(_run(ROOT, args.what, args.work, args.lines))
    print(
        f"`python bench/ab_compare.py --what {args.what} --trials {args.trials}`, load {os.getloadavg()[0]:.2f}\n"
    )
    print("| trial | old s | new s |\n|---:|---:|---:|")
    for i, (a, b) in enumerate(zip(old, new, strict=True), 1):
        print(f"| {i} | {a:.3f} | {b:.3f} |")
    mo, mn = statistics.median(old), statistics.median(new)
    print(f"| median | {mo:.3f} | {mn:.3f} |\n\nnew/old = {mn / mo:.2f}")


if __name__ == "__main__":
    main()
