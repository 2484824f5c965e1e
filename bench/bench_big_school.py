"""The biggest school and the biggest kabupaten (decision 0079).

Indonesia's largest schools (big SMKs) have 6,000-8,000 students and ~300 teachers; the largest
kabupaten have 5,000+ schools. This builds such a school (and such a kabupaten) the way production
does — `verval synth` + `verval import-dapodik` + `verval validate` + `verval dump` +
`verval simulate-providers` — and measures, through Django's test client (the whole request), what
its operator and its Dinas do:

    --part school    the school page (paging, filters, search, the inline edit, counts), the
                     correction file (download, upload of every row, preview, apply), the export
    --part sptjm     printing the SPTJM of every recipient (time, peak RSS, pages, bytes, the QR on
                     every page), then the signed "scan" (every page rasterised at --scan-dpi and
                     put back in one PDF of JPEGs as a scanner does): upload and QR check (time,
                     peak RSS), a page missing, two pages swapped, a page twice
    --part district  the Dinas kabupaten pages with --schools schools (list, sort, kecamatan
                     filter, late schools and their export, the dashboard roll-ups)

    python bench/bench_big_school.py --part school,sptjm          # a throw-away SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bench_big_school.py

With DATABASE_URL the benchmark works in a database of its own on that server, `--db-name`
(default verval_bench_bigschool), which it drops and creates again first; the database the URL
names is not touched. Prints Markdown tables: wall time, this process's peak RSS above its level before the step
(sampled every 10 ms), queries, bytes.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Peak:
    """Peak RSS (MB) above the level at the start, sampled by a thread every 10 ms."""

    def __enter__(self) -> Peak:
        self.base = rss_mb()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.cpu = time.process_time() - self.cpu_started  # this process, the 10 ms sampler included
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def grew(self) -> float:
        return self.peak - self.base


def fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_in_scratch(db_name: str, prefix: str, task_backend: str) -> Path:
    """Django set up on a scratch file store, and with DATABASE_URL on a fresh PostgreSQL database
    of its own (`db_name`, dropped and created), migrated; the file store's folder."""
    url = os.environ.get("DATABASE_URL")
    os.environ["VERVAL_VAR_DIR"] = tempfile.mkdtemp(prefix=prefix)
    if url:
        url = url.rsplit("/", 1)[0] + "/" + db_name
        os.environ["DATABASE_URL"] = url
        fresh_postgres(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")
    os.environ.setdefault("VERVAL_LOG_LEVEL", "WARNING")
    os.environ["VERVAL_TASK_BACKEND"] = task_backend
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    return Path(os.environ["VERVAL_VAR_DIR"])


def command(name: str, *args: str) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else ""


def build(var: Path, students: int, teachers: int, schools: int, seed: int) -> dict[str, float]:
    """synth + import + validate + dump + providers; returns the seconds of each."""
    cutoff = var / f"cutoff-{students}-{schools}.csv"
    took: dict[str, float] = {}
    steps: list[tuple[str, tuple[str, ...]]] = [
        (
            "synth",
            (
                "synth",
                "--students",
                str(students),
                "--teachers",
                str(teachers),
                "--schools",
                str(schools),
                "--regencies",
                "1",
                "--seed",
                str(seed),
                "--out",
                str(cutoff),
            ),
        ),
        ("import-dapodik", ("import_dapodik", str(cutoff))),
        ("validate", ("validate",)),
        ("dump", ("dump",)),
        ("simulate-providers", ("simulate_providers",)),
    ]
    for label, (name, *args) in steps:
        started = time.perf_counter()
        command(name, *args)
        took[label] = time.perf_counter() - started
    return took


def timed_requests(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    call()  # warm-up
    times = []
    response = None
    for _ in range(runs):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, response


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def school_part(args: argparse.Namespace, npsn: str, operator: Any, dinas: Any) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from openpyxl import load_workbook

    from verval.core.models import AuditEvent, Job
    from verval.registry.models import Recipient

    op = Client()
    op.force_login(operator)
    di = Client()
    di.force_login(dinas)
    url = f"/sekolah/{npsn}/"
    total = Recipient.objects.filter(school_id=npsn).count()
    last_page = (total + 49) // 50
    mid = min(60, last_page)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    cases: list[tuple[str, Client, str, str, dict[str, str] | None, dict[str, str]]] = [
        ("operator, page 1 of 50 rows", op, "get", url, None, {}),
        ("operator, page 1 of 500 rows", op, "get", f"{url}?n=500", None, {}),
        (f"operator, last page ({last_page}) of 50 rows", op, "get", f"{url}?hal={last_page}", None, {}),
        ("operator, filter RESIDU", op, "get", f"{url}?status=RESIDU", None, {}),
        ("operator, filter FORMAT_SALAH, kelas 3", op, "get", f"{url}?status=FORMAT_SALAH&kelas=3", None, {}),
        ("operator, filter PTK", op, "get", f"{url}?jenis=PTK", None, {}),
        ("operator, filter shared numbers", op, "get", f"{url}?bersama=1", None, {}),
        (f"operator, htmx list page {mid} (results only)", op, "get", f"{url}?hal={mid}", None, hx),
        ("operator, POST search 'Siti'", op, "post", url, {"q": "Siti", "n": "50"}, {}),
        ("operator, POST search one NISN", op, "post", url, {"q": "", "n": "50"}, {}),
        ("dinas, page 1 of 50 rows", di, "get", url, None, {}),
        ("dinas, page 1 of 500 rows", di, "get", f"{url}?n=500", None, {}),
    ]
    nisn = (
        Recipient.objects.filter(school_id=npsn, kind="PD")
        .exclude(nisn="")
        .order_by("nisn")
        .values_list("nisn", flat=True)[min(500, total // 2)]
    )
    cases[9] = ("operator, POST search one NISN", op, "post", url, {"q": nisn, "n": "50"}, {})
    print(f"\n### School page: {total:,} recipients, {args.runs} runs a case, database {connection.vendor}\n")
    print("| case | rows shown | p50 ms | p95 ms | queries | KB |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, client, method, path, data, headers in cases:
        fn = getattr(client, method)

        def call(fn: Any = fn, path: str = path, data: Any = data, headers: dict[str, str] = headers) -> Any:
            return fn(path, data, **headers) if data is not None else fn(path, **headers)

        times, _ = timed_requests(call, args.runs)
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code == 200, (label, response.status_code)
        shown = response.content.count(b"<tr id=")
        print(
            f"| {label} | {shown} | {statistics.median(times):.1f} | {p95(times):.1f} | {len(queries)} "
            f"| {len(response.content) / 1024:.1f} |"
        )

    # The inline edit: open the editor, save a number, the row and the counts come back.
    r = Recipient.objects.filter(school_id=npsn, status="RESIDU").order_by("name").first()
    assert r is not None
    edit = f"{url}penerima/{r.pk}/ubah/"
    times = []
    for i in range(args.runs):
        r.refresh_from_db()
        started = time.perf_counter()
        response = op.post(
            edit, {"nomor": f"0812{7000000 + i:07d}1", "versi": r.version}, HTTP_HX_REQUEST="true"
        )
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and b"<tr" in response.content, response.status_code
    r.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        op.post(edit, {"nomor": "081299887766", "versi": r.version}, HTTP_HX_REQUEST="true")
    print(
        f"| operator, inline edit saved (htmx: row + counts) | 1 | {statistics.median(times):.1f} "
        f"| {p95(times):.1f} | {len(queries)} | {len(response.content) / 1024:.1f} |"
    )

    # The correction file: download, change --corrections numbers, upload, preview, apply.
    print(f"\n### Correction file of {total:,} rows, database {connection.vendor}\n")
    print("| step | wall s | peak RSS + MB | queries | bytes / rows |")
    print("|---|---:|---:|---:|---:|")
    for who, client in (("operator", op), ("dinas (masked)", di)):
        with CaptureQueriesContext(connection) as queries, Peak() as peak:
            response = client.get(f"{url}unduh.xlsx")
        assert response.status_code == 200
        print(
            f"| download .xlsx, {who} | {peak.seconds:.2f} | {peak.grew:.0f} | {len(queries)} "
            f"| {len(response.content):,} B |"
        )
        if who == "operator":
            downloaded = response.content
    audits = AuditEvent.objects.filter(action="download_school_xlsx", school_id=npsn).count()
    wb = load_workbook(io.BytesIO(downloaded))
    ws = wb["Data"]
    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    col = header.index("nomor_koreksi") + 1
    changed = 0
    for row in range(2, ws.max_row + 1):
        if changed >= args.corrections:
            break
        if ws.cell(row, header.index("status") + 1).value in (
            "RESIDU",
            "Residu",
            "FORMAT_SALAH",
            "Format salah",
        ):
            ws.cell(row, col).value = f"0813{8000000 + changed:07d}2"
            changed += 1
    if changed < args.corrections:  # the status column holds labels: change any rows
        for row in range(2, 2 + args.corrections - changed):
            ws.cell(row, col).value = f"0813{9000000 + row:07d}3"
            changed += 1
    buf = io.BytesIO()
    wb.save(buf)
    upload = buf.getvalue()
    buf.name = "koreksi.xlsx"
    with CaptureQueriesContext(connection) as queries, Peak() as peak:
        response = op.post(f"{url}koreksi/", {"berkas": _named(upload, "koreksi.xlsx")}, format="multipart")
    assert response.status_code == 302, response.status_code
    preview_url = response["Location"]
    print(
        f"| upload ({ws.max_row - 1:,} rows, {changed:,} corrections; checked for the preview) "
        f"| {peak.seconds:.2f} | {peak.grew:.0f} | {len(queries)} | {len(upload):,} B |"
    )
    with CaptureQueriesContext(connection) as queries, Peak() as peak:
        response = op.get(preview_url)
    assert response.status_code == 200, response.status_code
    print(
        f"| preview page | {peak.seconds:.2f} | {peak.grew:.0f} | {len(queries)} "
        f"| {len(response.content):,} B |"
    )
    with CaptureQueriesContext(connection) as queries, Peak() as peak:
        response = op.post(preview_url + "terapkan/")
    job = Job.objects.filter(kind="bulk_correction", school_id=npsn).order_by("-created_at").first()
    assert job is not None
    print(
        f"| apply (the job, run inline here) | {peak.seconds:.2f} | {peak.grew:.0f} | {len(queries)} "
        f"| {job.state} {job.counts} |"
    )
    print(f"\ndownload audit rows written: {audits}")


def sptjm_part(args: argparse.Namespace, npsn: str, operator: Any, pusdatin: Any) -> None:
    from datetime import date

    import pypdfium2 as pdfium
    from django.db import connection
    from django.test import Client

    from verval.core import files
    from verval.reference.models import Period
    from verval.registry.models import Recipient
    from verval.sptjm import document
    from verval.sptjm.models import Sptjm

    # Every recipient listed: the worst case (a school whose numbers all passed).
    Recipient.objects.filter(school_id=npsn).update(
        status="AKTIF", reason="", needs_validation=False, phone_e164="+6281234567890", operator="telkomsel"
    )
    total = Recipient.objects.filter(school_id=npsn).count()
    Period.objects.update_or_create(
        code="BIG-1",
        defaults={
            "name": "Tahap Bench",
            "policy_id": "2020",
            "starts_on": date(2026, 11, 1),
            "ends_on": date(2026, 12, 31),
            "is_open": True,
        },
    )
    op = Client()
    op.force_login(operator)
    print(f"\n### SPTJM of {total:,} recipients, database {connection.vendor}\n")
    print("| step | wall s | peak RSS + MB | result |")
    print("|---|---:|---:|---|")
    # Since decision 0102 a large print is a job: the request is timed with the database task
    # backend, as in production (the immediate backend would run the job inside the request), then
    # the print as the worker runs it (`jobs.run`).
    from django.conf import settings
    from django.test import override_settings

    from verval.core import jobs
    from verval.core.models import Job

    queued = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    with override_settings(TASKS=queued), Peak() as peak:
        response = op.post(f"/sekolah/{npsn}/sptjm/cetak/", {"periode": "BIG-1"})
    assert response.status_code in (200, 302), response.status_code
    print(
        f"| print (POST), the request | {peak.seconds:.2f} | {peak.grew:.0f} | CPU {peak.cpu:.2f} s; "
        f"documents {Sptjm.objects.filter(school_id=npsn, period_id='BIG-1').count()} |"
    )
    job = Job.objects.filter(kind="sptjm_print").order_by("-created_at").first()
    if job is not None and not job.is_finished:
        with Peak() as peak:
            job = jobs.run(job.pk)
        print(
            f"| print, the job (worker) | {peak.seconds:.2f} | {peak.grew:.0f} | CPU {peak.cpu:.2f} s; {job.state} |"
        )
    sptjm = Sptjm.objects.get(school_id=npsn, period_id="BIG-1")
    pdf_path = files.absolute(sptjm.pdf_path)
    pdf = pdf_path.read_bytes()
    doc = pdfium.PdfDocument(pdf)
    pages = len(doc)
    print(f"| the printed document | | | {pages} pages, {len(pdf) / 2**20:.2f} MB, {sptjm.rows:,} rows |")
    if args.print_only:
        doc.close()
        return
    with Peak() as peak:
        response = op.get(f"/sptjm/{sptjm.pk}/dokumen.pdf")
        body = b"".join(response.streaming_content) if response.streaming else response.content
    print(f"| download the PDF | {peak.seconds:.2f} | {peak.grew:.0f} | {len(body):,} B |")

    # The QR on every page of the printed PDF (rendered, not scanned).
    with Peak() as peak:
        found = list(document.read_qr_codes(pdf_path, "pdf", max_pages=pages))
    ours = sum(
        1
        for t in found
        if (document.parse_qr_payload(t) or ("", ""))[:2] == (sptjm.number, sptjm.content_sha256)
    )
    print(
        f"| QR read from every printed page | {peak.seconds:.2f} | {peak.grew:.0f} | {ours} of {pages} pages |"
    )

    def scan(order: list[int]) -> bytes:
        """The pages in `order`, rasterised in grey at --scan-dpi, as one PDF of JPEGs."""
        images = []
        for i in order:
            page = doc[i]
            images.append(page.render(scale=args.scan_dpi / 72).to_pil().convert("L"))
            page.close()
        out = io.BytesIO()
        images[0].save(
            out, format="PDF", save_all=True, append_images=images[1:], resolution=args.scan_dpi, quality=75
        )
        return out.getvalue()

    with Peak() as peak:
        whole = scan(list(range(pages)))
    print(
        f"| make the scan ({pages} pages at {args.scan_dpi} dpi, JPEG q75) | {peak.seconds:.2f} | {peak.grew:.0f} "
        f"| {len(whole) / 2**20:.2f} MB |"
    )
    gone = min(39, pages - 2)  # page 40, or the last but one of a short document
    variants = [
        ("whole scan", whole),
        (f"page {gone + 1} missing", scan([i for i in range(pages) if i != gone])),
        (
            f"pages {gone + 1} and {gone + 2} swapped",
            scan([*range(gone), gone + 1, gone, *range(gone + 2, pages)]),
        ),
        (f"page {gone + 1} twice", scan([*range(gone + 1), *range(gone, pages)])),
    ]
    # Since decision 0095 the page receives the scan and queues its QR check: the request is timed
    # with the database task backend, as in production (the immediate backend would run the job
    # inside the request), then the check as the worker runs it (`jobs.run`).
    for label, blob in variants:
        sptjm.refresh_from_db()
        op.cookies.pop("messages", None)  # only this upload's messages
        with override_settings(TASKS=queued), Peak() as peak:
            response = op.post(
                f"/sptjm/{sptjm.pk}/unggah/",
                {"pindaian": _named(blob, "scan.pdf"), "version": sptjm.version},
                format="multipart",
            )
        sptjm.refresh_from_db()
        print(
            f"| upload: {label} ({len(blob) / 2**20:.1f} MB), the request | {peak.seconds:.2f} | {peak.grew:.0f} "
            f"| CPU {peak.cpu:.2f} s; HTTP {response.status_code}, status {sptjm.status}, "
            f"verdict {sptjm.qr_verdict or '-'}, {_message(response)} |"
        )
        job = Job.objects.filter(kind="sptjm_scan").order_by("-created_at").first()
        if job is None or job.is_finished:
            continue  # checked inside the request (before decision 0095)
        with Peak() as peak:
            job = jobs.run(job.pk)
        sptjm.refresh_from_db()
        told = ", ".join(code for code, _params in (sptjm.scan_pages or {}).get("warnings", [])) or "-"
        print(
            f"| upload: {label}, the check (worker) | {peak.seconds:.2f} | {peak.grew:.0f} "
            f"| CPU {peak.cpu:.2f} s; job {job.state}, status {sptjm.status}, "
            f"verdict {sptjm.qr_verdict or '-'}, warnings {told} |"
        )
    doc.close()


def _named(blob: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(blob)
    f.name = name
    return f


def _message(response: Any) -> str:
    from django.contrib.messages import get_messages

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    return " / ".join(t[:110] for t in texts) or "-"


def district_part(args: argparse.Namespace, regency: str, dinas: Any) -> None:
    from datetime import date

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from verval.reference.models import Period, Region, School

    # An open period whose print deadline has passed: every school with something to print is late.
    Period.objects.update(is_open=False)
    Period.objects.update_or_create(
        code="BIG-2",
        defaults={
            "name": "Tahap Bench Terlambat",
            "policy_id": "2020",
            "starts_on": date(2026, 11, 1),
            "ends_on": date(2026, 12, 31),
            "sptjm_print_deadline": date(2026, 11, 10),
            "sptjm_upload_deadline": date(2026, 11, 15),
            "is_open": True,
        },
    )
    schools = School.objects.filter(regency_id=regency).count()
    kecamatan = (
        School.objects.filter(regency_id=regency)
        .values_list("region_id", flat=True)
        .order_by("region_id")
        .first()
    )
    in_kecamatan = School.objects.filter(region_id=kecamatan).count()
    last = (schools + 49) // 50
    di = Client()
    di.force_login(dinas)
    cases = [
        ("school list, page 1 (least advanced first)", "/dinas/"),
        ("school list sorted by name", "/dinas/?sort=name"),
        ("school list sorted by residue", "/dinas/?sort=residu"),
        (f"school list, last page ({last})", f"/dinas/?hal={last}"),
        (f"kecamatan filter ({in_kecamatan} schools)", f"/dinas/?kecamatan={kecamatan}"),
        ("school list search 'NEGERI 1'", "/dinas/?q=NEGERI+1"),
        ("school list CSV (all schools)", "/dinas/sekolah.csv"),
        ("school list Excel (all schools)", "/dinas/sekolah.xlsx"),
        ("late schools (SPTJM, print deadline passed) page", "/dinas/sptjm/"),
        ("dashboard: my region", "/progres/saya/"),
        ("dashboard: the kabupaten", f"/progres/wilayah/{regency}/"),
        ("schools behind, page", "/progres/tertinggal/"),
        ("schools behind, CSV", "/progres/tertinggal.csv"),
        ("schools behind, Excel", "/progres/tertinggal.xlsx"),
    ]
    name = Region.objects.get(code=regency).name
    print(f"\n### Dinas of {name} ({regency}): {schools:,} schools, database {connection.vendor}\n")
    print("| page | HTTP | p50 ms | p95 ms | peak RSS + MB | queries | KB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, path in cases:

        def call(path: str = path) -> Any:
            response = di.get(path)
            if response.streaming:
                response.content_bytes = b"".join(response.streaming_content)
            else:
                response.content_bytes = response.content
            return response

        runs = args.runs if not path.endswith((".csv", ".xlsx")) else max(3, args.runs // 4)
        with Peak() as peak:
            times, _ = timed_requests(call, runs)
        with CaptureQueriesContext(connection) as queries:
            response = call()
        print(
            f"| {label} | {response.status_code} | {statistics.median(times):.1f} | {p95(times):.1f} "
            f"| {peak.grew:.0f} | {len(queries)} | {len(response.content_bytes) / 1024:.1f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", default="school,sptjm,district")
    parser.add_argument("--students", type=int, default=7000)
    parser.add_argument("--teachers", type=int, default=300)
    parser.add_argument(
        "--schools", type=int, default=5000, help="schools of the kabupaten (--part district)"
    )
    parser.add_argument("--district-students", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--corrections", type=int, default=300)
    parser.add_argument("--scan-dpi", type=int, default=150)
    parser.add_argument(
        "--print-only", action="store_true", help="--part sptjm: the print, without the download and scans"
    )
    parser.add_argument("--keep", action="store_true", help="keep the file store (and SQLite database)")
    parser.add_argument(
        "--db-name", default="verval_bench_bigschool", help="with DATABASE_URL: dropped and created"
    )
    args = parser.parse_args()
    parts = set(args.part.split(","))

    var = django_in_scratch(
        args.db_name, "verval-bigschool-", "django_tasks.backends.immediate.ImmediateBackend"
    )
    from django.db import connection

    from verval.accounts.models import User
    from verval.reference.models import School

    print(f"database {connection.vendor}; load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    pusdatin = User.objects.create(username="bench-pusdatin", role="PUSDATIN")
    if parts & {"school", "sptjm"}:
        took = build(var, args.students, args.teachers, 1, seed=7)
        school = School.objects.get()
        print(
            f"built school {school.npsn} ({school.name}): "
            + ", ".join(f"{k} {v:.2f} s" for k, v in took.items())
        )
        operator = User.objects.create(username="bench-operator", role="OPERATOR", school=school)
        dinas = User.objects.create(username="bench-dinas", role="DINAS_KAB", region_id=school.regency_id)
        if "school" in parts:
            school_part(args, school.npsn, operator, dinas)
        if "sptjm" in parts:
            sptjm_part(args, school.npsn, operator, pusdatin)
    if "district" in parts:
        before = set(School.objects.values_list("npsn", flat=True))
        took = build(var, args.district_students, args.district_students // 15, args.schools, seed=11)
        regency = School.objects.exclude(npsn__in=before).values_list("regency_id", flat=True).first()
        count = School.objects.filter(regency_id=regency).count()
        print(
            f"built {count:,} schools in {regency}: " + ", ".join(f"{k} {v:.2f} s" for k, v in took.items())
        )
        started = time.perf_counter()
        command("refresh_dashboard")
        print(f"refresh-dashboard {time.perf_counter() - started:.2f} s")
        dinas = User.objects.create(username="bench-dinas-big", role="DINAS_KAB", region_id=regency)
        district_part(args, regency, dinas)
    print(f"\nload after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.keep:
        import shutil

        shutil.rmtree(var, ignore_errors=True)  # 300-500 MB: the scans, the PDF, the SQLite database
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
