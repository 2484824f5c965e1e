"""Benchmark of verval.phones, with a differential run against libphonenumber.

    python bench/bench_phones.py [--n N] [--big] [--diff-n N] [--ref-n N]

Generates N realistic typed numbers (verval.phones.samples: the mix is printed), then measures
check() in a loop, check_many, check_series, the streaming CLI function on a file of N lines
(and of 10 M lines with --big: the N inputs repeated), and phonenumbers parse + is_valid_number +
carrier lookup on a sample. Then compares check() with phonenumbers over --diff-n inputs
(default 1 M, in 2 processes) and prints the disagreements per category. Markdown on stdout.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import polars as pl  # noqa: E402

from verval.phones import check, check_many, check_series  # noqa: E402
from verval.phones.cli import iter_check_csv  # noqa: E402
from verval.phones.differential import CATEGORIES, compare_many  # noqa: E402
from verval.phones.samples import CATEGORIES as MIX  # noqa: E402
from verval.phones.samples import generate  # noqa: E402

_CPU: dict[int, float] = {}


def _timed(fn):  # type: ignore[no-untyped-def]
    """Wall seconds and result; the CPU seconds of this process go to _CPU[id(result)]."""
    c = time.process_time()
    t = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t
    _CPU[id(out)] = time.process_time() - c
    return secs, out


def _row(name: str, n: int, secs: float, out: object) -> tuple[str, int, float, float]:
    return (name, n, secs, _CPU.get(id(out), float("nan")))


def _reference_loop(texts: list[str]) -> int:
    import phonenumbers
    from phonenumbers import carrier

    ok = 0
    for t in texts:
        try:
            n = phonenumbers.parse(t, "ID")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(n):
            carrier.name_for_number(n, "en")
            ok += 1
    return ok


def _diff_chunk(texts: list[str]) -> dict:
    return compare_many(texts)


def _cli_rate(path: str, lines: int) -> tuple[float, dict]:
    with open(path, "rb") as src, open(os.devnull, "wb") as dst:
        secs, summary = _timed(lambda: iter_check_csv(src, dst))
    assert summary["rows"] == lines, (summary["rows"], lines)
    return secs, summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--big", action="store_true", help="also stream a 10 M-line file")
    ap.add_argument("--diff-n", type=int, default=1_000_000)
    ap.add_argument("--ref-n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=20201)
    args = ap.parse_args()

    out = io.StringIO()

    def p(line: str = "") -> None:
        print(line)
        out.write(line + "\n")

    p("# verval.phones benchmark")
    p()
    p(f"- command: `python bench/bench_phones.py {' '.join(sys.argv[1:])}`".rstrip())
    p(f"- machine: `{' '.join(platform.uname())}`, nproc {os.cpu_count()}, Python {platform.python_version()}, "
      f"polars {pl.__version__}")  # fmt: skip
    try:
        load = os.getloadavg()
        p(f"- load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    except OSError:
        pass
    p(f"- input mix per 1000: {', '.join(f'{c} {w}' for c, w in MIX)}")
    p()

    secs, data = _timed(lambda: generate(args.n, args.seed))
    texts = [t for _, t in data]
    cats = [c for c, _ in data]
    p(f"Generated {args.n:,} inputs in {secs:.1f} s.")
    p()

    rows: list[tuple[str, int, float, float]] = []
    secs, loop = _timed(lambda: [check(t) for t in texts])
    rows.append(_row("check() loop", args.n, secs, loop))
    secs, many = _timed(lambda: check_many(texts))
    rows.append(_row("check_many", args.n, secs, many))
    series = pl.Series("input", texts, dtype=pl.String)
    check_series(series.head(1000))  # warm up
    secs, df = _timed(lambda: check_series(series))
    rows.append(_row("check_series (polars)", args.n, secs, df))
    secs2, df2 = _timed(lambda: check_series(series))
    rows.append(_row("check_series (polars), 2nd run", args.n, secs2, df2))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.txt")
        body = "\n".join(t.replace("\n", " ").replace("\r", " ") for t in texts) + "\n"
        Path(path).write_text(body, encoding="utf-8")
        secs, summary = _cli_rate(path, args.n)
        rows.append(_row(f"iter_check_csv, file of {args.n:,} lines", args.n, secs, summary))
        if args.big:
            big = os.path.join(tmp, "big.txt")
            reps = max(1, 10_000_000 // args.n)
            with open(big, "w", encoding="utf-8") as f:
                for _ in range(reps):
                    f.write(body)
            secs, summary = _cli_rate(big, args.n * reps)
            rows.append(
                _row(f"iter_check_csv, file of {args.n * reps:,} lines", args.n * reps, secs, summary)
            )
            os.remove(big)

    ref_n = min(args.ref_n, args.n)
    ref_texts = texts[:ref_n]
    secs, ref_ok = _timed(lambda: [_reference_loop(ref_texts)])
    rows.append(_row("phonenumbers parse+is_valid+carrier loop", ref_n, secs, ref_ok))
    ref_rate = ref_n / secs

    p("## Throughput")
    p()
    p(
        "| path | inputs | wall s | numbers/s (wall) | CPU s | numbers per CPU-second | vs phonenumbers (wall) |"
    )
    p("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, s, cpu in rows:
        rate = n / s
        p(
            f"| {name} | {n:,} | {s:.2f} | {rate / 1e6:.2f} M | {cpu:.2f} | {n / cpu / 1e6:.2f} M "
            f"| {rate / ref_rate:.1f}x |"
        )
    p()

    same = all(a == b for a, b in zip(loop, many, strict=True))
    p(f"check_many identical to check(): {same}; "
      f"check_series valid/invalid identical: {df.get_column('valid').to_list() == [v.valid for v in loop]}")  # fmt: skip
    p()
    p("## Verdicts on the generated mix")
    p()
    p("| reason | rows |")
    p("|---|---:|")
    for code, n in sorted(Counter(v.reason or "(valid)" for v in loop).items(), key=lambda kv: -kv[1]):
        p(f"| {code} | {n:,} |")
    p()

    # Differential run against libphonenumber.
    diff_n = args.diff_n
    if diff_n <= 0:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        p(f"Peak RSS: {rss / 1024:.0f} MiB")
        return
    if diff_n > args.n:
        extra = generate(diff_n - args.n, args.seed + 1)
        dtexts = texts + [t for _, t in extra]
        dcats = cats + [c for c, _ in extra]
    else:
        dtexts, dcats = texts[:diff_n], cats[:diff_n]
    step = -(-len(dtexts) // 8)
    chunks = [dtexts[i : i + step] for i in range(0, len(dtexts), step)]
    t = time.perf_counter()
    with Pool(2) as pool:
        results = pool.map(_diff_chunk, chunks)
    dsecs = time.perf_counter() - t
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for r in results:
        counts.update(r["counts"])
        for k, v in r["examples"].items():
            examples.setdefault(k, v)
    p(f"## Differential comparison with phonenumbers ({len(dtexts):,} inputs, {dsecs:.0f} s)")
    p()
    p("| category | inputs | example | meaning |")
    p("|---|---:|---|---|")
    p(f"| AGREE | {counts.get('AGREE', 0):,} | | same validity, same E.164, compatible operator |")
    for name, meaning in CATEGORIES.items():
        ex = examples.get(name, "")
        p(
            f"| {name} | {counts.get(name, 0):,} | `{ex}` | {meaning} |"
            if ex
            else f"| {name} | {counts.get(name, 0):,} | | {meaning} |"
        )
    p()
    p(f"Generated categories in the differential sample: {dict(sorted(Counter(dcats).items()))}")
    p()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p(
        f"Peak RSS: {rss / 1024:.0f} MiB (this process), {rss_children / 1024:.0f} MiB (largest differential worker)"
    )


if __name__ == "__main__":
    main()
