"""What a worker's heartbeat file costs (decision 0082): one beat (written whole, every
VERVAL_WORKER_BEAT_SECONDS from a thread) and one read of every queue's state (the job page of a
waiting job, `verval jobs`, /healthz and Pusdatin's page), with 1 and with N workers' files.

    VERVAL_VAR_DIR=/tmp/bench-heartbeat python bench/bench_worker_heartbeat.py --workers 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--number", type=int, default=2000)
    args = ap.parse_args()
    import django

    django.setup()
    from verval.core import workers

    shutil.rmtree(workers._folder(), ignore_errors=True)
    one = workers.Heartbeat(("default", "interactive"))
    per_beat = timeit.timeit(one.beat, number=args.number) / args.number
    print(f"one beat: {per_beat * 1e6:,.0f} µs ({one.path.stat().st_size} bytes)")
    print(
        f"queue_states, 1 worker file: {timeit.timeit(workers.queue_states, number=args.number) / args.number * 1e6:,.0f} µs"
    )
    for _ in range(args.workers - 1):
        workers.Heartbeat(("default",)).beat()
    many = timeit.timeit(workers.queue_states, number=args.number) / args.number
    print(f"queue_states, {args.workers} worker files: {many * 1e6:,.0f} µs")
    shutil.rmtree(workers._folder(), ignore_errors=True)


if __name__ == "__main__":
    main()
