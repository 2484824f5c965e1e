"""What one `interactive` worker checks per hour (decision 0107): the CPU of a school's SPTJM
scan check as the worker runs it, for a school of a given size.

At an upload deadline hundreds of thousands of schools send their signed scan; each is checked by a
job on the `interactive` queue (decision 0095) that reads the QR of every page. This builds one
school the way production does (`verval synth` + `import-dapodik` + `validate` + `dump` +
`simulate-providers`, as `bench_big_school.py`), prints its SPTJM, makes its "scan" (every page
rasterised at --scan-dpi in grey, JPEG q75, one PDF, as a scanner does) and a phone photo of page 1
(JPEG at --photo-dpi), then receives each --checks times through `actions.receive_scan` and runs
the check as the worker does (`jobs.run`), timing the job alone: wall seconds and CPU seconds of
this process. A worker is one process that checks one scan at a time, so on a core of its own it
checks about 3600 / (CPU seconds of one check) scans an hour; the wall figure is what this
machine's load made of it.

    python bench/bench_scan_capacity.py --students 100 --teachers 10 --checks 7
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bench_scan_capacity.py
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_big_school import build, django_in_scratch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--teachers", type=int, default=10)
    parser.add_argument("--checks", type=int, default=7, help="checks of each scan (the first is a warm-up)")
    parser.add_argument("--scan-dpi", type=int, default=150)
    parser.add_argument("--photo-dpi", type=int, default=200)
    parser.add_argument("--db-name", default="verval_bench_scancapacity", help="with DATABASE_URL")
    args = parser.parse_args()

    # The receipt queues the job; the bench runs it as the worker would (`jobs.run`), timed alone.
    var = django_in_scratch(args.db_name, "verval-scancap-", "django_tasks_db.DatabaseBackend")
    from datetime import date

    import pypdfium2 as pdfium
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from verval.accounts.models import User
    from verval.core import files, jobs
    from verval.reference.models import Period, School
    from verval.registry.models import Recipient
    from verval.sptjm import actions

    build(var, args.students, args.teachers, 1, seed=7)
    school = School.objects.get()
    operator = User.objects.create(username="bench-operator", role="OPERATOR", school=school)
    Recipient.objects.filter(school_id=school.npsn).update(
        status="AKTIF", reason="", needs_validation=False, phone_e164="+6281234567890", operator="telkomsel"
    )
    Period.objects.update_or_create(
        code="CAP-1",
        defaults={
            "name": "Tahap Bench",
            "policy_id": "2020",
            "starts_on": date(2026, 11, 1),
            "ends_on": date(2026, 12, 31),
            "is_open": True,
        },
    )
    sptjm, _created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code="CAP-1")
    doc = pdfium.PdfDocument(files.absolute(sptjm.pdf_path).read_bytes())
    pages = len(doc)
    images = [doc[i].render(scale=args.scan_dpi / 72).to_pil().convert("L") for i in range(pages)]
    out = io.BytesIO()
    images[0].save(
        out, format="PDF", save_all=True, append_images=images[1:], resolution=args.scan_dpi, quality=75
    )
    scan = out.getvalue()
    out = io.BytesIO()
    doc[0].render(scale=args.photo_dpi / 72).to_pil().convert("RGB").save(out, format="JPEG", quality=85)
    photo = out.getvalue()
    doc.close()
    print(
        f"database {connection.vendor}; school of {sptjm.rows:,} recipients, {pages} printed pages; "
        f"load before: {tuple(round(x, 2) for x in os.getloadavg())}"
    )
    print("\n| scan | MB | checks | job wall s, median (min-max) | job CPU s, median (min-max) | outcome |")
    print("|---|---:|---:|---|---|---|")
    for label, blob, name in (
        (f"PDF, {pages} pages at {args.scan_dpi} dpi", scan, "scan.pdf"),
        (f"photo of page 1, JPEG at {args.photo_dpi} dpi", photo, "foto.jpg"),
    ):
        walls, cpus, outcome = [], [], ""
        for i in range(args.checks):
            job, _created = actions.receive_scan(
                actor=operator, sptjm_id=sptjm.pk, upload=SimpleUploadedFile(name, blob)
            )
            started, cpu = time.perf_counter(), time.process_time()
            job = jobs.run(job.pk)
            wall, used = time.perf_counter() - started, time.process_time() - cpu
            sptjm.refresh_from_db()
            outcome = f"{job.state}, {sptjm.qr_verdict}"
            if i:  # the first is a warm-up (imports, fonts, the decoder's first call)
                walls.append(wall)
                cpus.append(used)
        print(
            f"| {label} | {len(blob) / 2**20:.2f} | {len(cpus)} | {statistics.median(walls):.2f} "
            f"({min(walls):.2f}-{max(walls):.2f}) | {statistics.median(cpus):.2f} "
            f"({min(cpus):.2f}-{max(cpus):.2f}) | {outcome} |"
        )
    print(f"\nload after: {tuple(round(x, 2) for x in os.getloadavg())}")
    import shutil

    shutil.rmtree(var, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
