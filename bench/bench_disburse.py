"""Benchmark the quota disbursement (SPEC §3 step 10) on PostgreSQL.

    python bench/bench_disburse.py --rows 1000000 [--database-url postgres://postgres@127.0.0.1:5432/verval_bench_disburse] [--keep]

Creates the database afresh, migrates and loads server-side (INSERT … SELECT generate_series, not
the ORM): N AKTIF recipients over ~N/300 schools and the six providers (10 % PTK, 10 % PAUD, the
rest DIKDASMEN), four recipients on one number in every thousand (so MAKS_3_PAKET fires once per
thousand) and two on one number in every thousand (under the cap), one open period under the 2020
policy, and one approved SPTJM per school listing all its recipients (a later approval per
school). Then times `run_disbursement_job` (one transaction, as the worker runs it), checks the
outcome against figures computed from the loaded data — rows per status and rule, the excluded
recipient of each shared number is its last by approval, batch rows, GB and file lines per
provider — and prints Markdown tables: the run, and where its time went.

Then (unless --no-inject) the providers answer (SPEC §3 steps 11–12): one injection results file per
batch (every line: one in ten GAGAL with a reason, the rest BERHASIL with kuota_gb and waktu; one
line in a thousand names a wrong number and is refused), applied by `run_injection_job` (one
transaction each, as the worker runs it), then the same files again (nothing changes), then one
usage report per provider for its delivered lines (`run_usage_job`). Each is timed and checked
(counts, statuses per line, usage rows). `--providers K` puts every number on the first K
providers (one provider: one batch of N lines); `--profile FILE` writes cProfile statistics of the
first injection run.

Phases are timed from inside the process: every SQL statement Django executes (by kind), the
fetches of the candidate cursor, and the batch-file writer's calls; "Python" is the rest.
The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import resource
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PREFIX = {"telkomsel": "812", "indosat": "815", "xl": "817", "axis": "838", "tri": "896", "smartfren": "881"}
PROVIDERS = list(PREFIX)


class Phases:
    """Wall time per phase, from wrapped calls (nested calls count once, in the outer phase)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = 0

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds
        self.calls[name] += 1

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        if not hasattr(owner, attr):
            return
        inner = getattr(owner, attr)
        phases = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if phases._depth:
                return inner(*args, **kwargs)
            phases._depth += 1
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                phases._depth -= 1
                phases.add(name, time.perf_counter() - t)

        setattr(owner, attr, timed)

    def sql(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self._depth:
            return execute(sql, params, many, context)
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.add(_kind(sql), time.perf_counter() - t)


def _kind(sql: str) -> str:
    s = " ".join(sql.split()).upper()
    if s.startswith('INSERT INTO "SPTJM_DISBURSEMENT"') or s.startswith("INSERT INTO SPTJM_DISBURSEMENT "):
        return "SQL: insert disbursements"
    if s.startswith('UPDATE "SPTJM_DISBURSEMENT"') or s.startswith("UPDATE SPTJM_DISBURSEMENT "):
        return "SQL: update disbursements (retries)"
    if "UPDATE DISB_CAND" in s:
        return "SQL: 3-per-number cap (set-based)"
    if 'FROM "REGISTRY_RECIPIENT"' in s or "FROM REGISTRY_RECIPIENT" in s:
        return "SQL: candidate query"
    if s.startswith("SELECT") and '"SPTJM_DISBURSEMENT"' in s:
        return "SQL: read disbursements"
    return "SQL: other"


def load(cursor: Any, n: int, period_code: str, providers_used: list[str]) -> None:
    schools = max(1, n // 300)
    cursor.execute(
        "INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active, created_at, updated_at) "
        "SELECT lpad((40000000 + s)::text, 8, '0'), 'SD Bench ' || s, 'SD', 'N', '020501', '020500', '020000', true, now(), now() "
        "FROM generate_series(1, %s) s",
        [schools],
    )
    # k: the number's key. Four recipients share one number at g % 1000 < 4, two at 500-501.
    # The provider follows the number, so a shared number's recipients have the same provider.
    providers = "ARRAY[" + ", ".join(f"'{p}'" for p in providers_used) + "]"
    prefixes = "ARRAY[" + ", ".join(f"'{PREFIX[p]}'" for p in providers_used) + "]"
    k = len(providers_used)
    cursor.execute(
        "INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw, phone_e164, operator, status, "  # noqa: S608 - constants of this script
        "reason, reason_note, status_changed_at, needs_validation, confirmed_at, confirmed_by_id, locked, active, row_hash, version, created_at, updated_at) "
        "SELECT gen_random_uuid(), CASE WHEN g %% 10 = 0 THEN 'PTK' ELSE 'PD' END, "
        "CASE WHEN g %% 10 = 0 THEN 'PTK' WHEN g %% 10 = 1 THEN 'PAUD' ELSE 'DIKDASMEN' END, 'Bench ' || g, '', '', "
        "CASE WHEN g %% 10 IN (0, 1) THEN NULL ELSE 1 + g %% 12 END, "
        "lpad((40000000 + LEAST(%s, 1 + (g - 1) / 300))::text, 8, '0'), '', "
        f"'+62' || ({prefixes})[1 + k %% {k}] || lpad(k::text, 8, '0'), ({providers})[1 + k %% {k}], "
        "'AKTIF', '', '', now(), false, NULL, NULL, false, true, '', 1, now(), now() "
        "FROM (SELECT g, CASE WHEN g %% 1000 < 4 THEN g - g %% 1000 WHEN g %% 1000 IN (500, 501) THEN g - g %% 1000 + 500 "
        "ELSE g END AS k FROM generate_series(1, %s) g) s",
        [schools, n],
    )
    # One approved SPTJM per school, approved one second after the previous school's.
    cursor.execute(
        "INSERT INTO sptjm_sptjm (id, number, school_id, period_id, seq, status, rows, total_gb, content_sha256, pdf_path, pdf_sha256, "
        "printed_by_id, printed_at, scan_path, scan_type, scan_sha256, scan_size, uploaded_by_id, uploaded_at, upload_count, qr_verdict, "
        "reviewed_by_id, reviewed_at, return_reason, voided_by_id, voided_at, version, scan_pages) "
        "SELECT gen_random_uuid(), 'SPTJM/' || %s || '/' || npsn || '/1', npsn, %s, 1, 'DISETUJUI', 0, 0, '', '', '', "
        "NULL, now() - interval '2 days', '', 'pdf', '', 0, NULL, now() - interval '1 day', 1, 'QR_COCOK', "
        "NULL, timestamp with time zone '2020-09-10 08:00+07' + (substr(npsn, 2)::int - 40000000) * interval '1 second', '', NULL, NULL, 1, '{}' "
        "FROM reference_school WHERE npsn LIKE '4%%'",
        [period_code, period_code],
    )
    cursor.execute(
        "INSERT INTO sptjm_sptjmitem (sptjm_id, recipient_id, period_id, line, phone_e164, operator, category, package_gb, approved, approved_at) "
        "SELECT s.id, r.id, %s, row_number() OVER (PARTITION BY r.school_id ORDER BY r.id), r.phone_e164, r.operator, r.category, "
        "q.general_gb + q.learning_gb, true, s.reviewed_at "
        "FROM registry_recipient r JOIN sptjm_sptjm s ON s.school_id = r.school_id AND s.period_id = %s "
        "JOIN reference_quotarule q ON q.policy_id = '2020' AND q.category = r.category",
        [period_code, period_code],
    )
    cursor.execute(
        "UPDATE sptjm_sptjm s SET rows = t.n, total_gb = t.gb FROM (SELECT sptjm_id, count(*) n, sum(package_gb) gb "
        "FROM sptjm_sptjmitem GROUP BY sptjm_id) t WHERE t.sptjm_id = s.id"
    )
    for table in ("registry_recipient", "sptjm_sptjm", "sptjm_sptjmitem", "sptjm_disbursement"):
        cursor.execute(f"ANALYZE {table}")


def expected(cursor: Any) -> dict[str, dict[str, Any]]:
    """Per provider, from the loaded data alone: scheduled rows (at most 3 per number), excluded
    rows, scheduled GB."""
    cursor.execute(
        "SELECT operator, sum(LEAST(n, 3)), sum(GREATEST(n - 3, 0)), sum(gb) FROM ("
        "  SELECT r.operator, r.phone_e164, count(*) n, "
        "  sum(CASE WHEN rn <= 3 THEN q.general_gb + q.learning_gb ELSE 0 END) gb FROM ("
        "    SELECT r.*, row_number() OVER (PARTITION BY r.phone_e164 ORDER BY i.approved_at, i.id) rn "
        "    FROM registry_recipient r JOIN sptjm_sptjmitem i ON i.recipient_id = r.id) r "
        "  JOIN reference_quotarule q ON q.policy_id = '2020' AND q.category = r.category "
        "  GROUP BY 1, 2) t GROUP BY 1"
    )
    return {op: {"scheduled": int(s), "excluded": int(e), "gb": gb} for op, s, e, gb in cursor.fetchall()}


def check(cursor: Any, counts: dict[str, Any], want: dict[str, dict[str, Any]], period_code: str) -> None:
    from verval.core import files
    from verval.sptjm.models import DisbursementBatch

    scheduled = sum(w["scheduled"] for w in want.values())
    excluded = sum(w["excluded"] for w in want.values())
    assert counts["scheduled"] == scheduled, (counts["scheduled"], scheduled)
    assert counts["excluded"] == excluded, (counts["excluded"], excluded)
    assert counts["by_rule"] == ({"MAKS_3_PAKET": excluded} if excluded else {}), counts["by_rule"]
    cursor.execute(
        "SELECT status, rule, count(*) FROM sptjm_disbursement WHERE period_id = %s GROUP BY 1, 2 ORDER BY 1",
        [period_code],
    )
    rows = {(s, r): c for s, r, c in cursor.fetchall()}
    want_rows = {("DIJADWALKAN", ""): scheduled}
    if excluded:
        want_rows[("DIKECUALIKAN", "MAKS_3_PAKET")] = excluded
    assert rows == want_rows, rows
    # The excluded recipient of a shared number is its last by (approval, item): three scheduled
    # rows of that number were approved earlier.
    cursor.execute(
        "SELECT count(*) FROM sptjm_disbursement x JOIN sptjm_sptjmitem xi ON xi.id = x.sptjm_item_id "
        "WHERE x.period_id = %s AND x.status = 'DIKECUALIKAN' AND 3 <> (SELECT count(*) FROM sptjm_disbursement d "
        "JOIN sptjm_sptjmitem di ON di.id = d.sptjm_item_id WHERE d.period_id = x.period_id AND d.phone_e164 = x.phone_e164 "
        "AND d.status = 'DIJADWALKAN' AND (di.approved_at, di.id) < (xi.approved_at, xi.id))",
        [period_code],
    )
    assert cursor.fetchone()[0] == 0, "an excluded row is not its number's fourth"
    cursor.execute(
        "SELECT count(*) FROM sptjm_disbursement d JOIN registry_recipient r ON r.id = d.recipient_id "
        "WHERE d.period_id = %s AND (d.phone_e164 <> r.phone_e164 OR d.provider <> r.operator OR d.school_id <> r.school_id "
        "OR d.category <> r.category OR (d.status = 'DIJADWALKAN') <> (d.batch_id IS NOT NULL))",
        [period_code],
    )
    assert cursor.fetchone()[0] == 0, "a row does not match its recipient"
    batches = list(DisbursementBatch.objects.filter(period_id=period_code))
    assert sorted(b.provider for b in batches) == sorted(p for p, w in want.items() if w["scheduled"])
    for b in batches:
        w = want[b.provider]
        assert b.rows == w["scheduled"], (b.provider, b.rows, w)
        assert b.total_gb == w["gb"], (b.provider, b.total_gb, w["gb"])
        path = files.absolute(b.file_path)
        assert files.sha256_file(path) == b.sha256 and path.stat().st_size == b.size
        with gzip.open(path, "rt") as fh:
            header = fh.readline()
            lines = sum(1 for _ in fh)
        assert header == "pd_id,no_ponsel,kuota_gb,kategori\n"
        assert lines == b.rows, (b.provider, lines, b.rows)


# ------------------------------------------------------------------ injection results and usage

# The file a provider sends for a batch: every line answered in line order of the batch (by
# recipient id here); one in ten GAGAL with a reason, the rest BERHASIL with kuota and waktu; one
# line in a thousand (those with nth % 1000 = 500) with a number the batch did not send, which the
# ingest refuses (NOMOR_TIDAK_SESUAI) and leaves DIJADWALKAN.
_RESULTS_SQL = """
COPY (
  SELECT recipient_id,
         CASE WHEN nth %% 1000 = 500 THEN '62899' || lpad((nth %% 10000000)::text, 7, '0')
              ELSE ltrim(phone_e164, '+') END,
         CASE WHEN nth %% 10 = 0 THEN 'GAGAL' ELSE 'BERHASIL' END,
         CASE WHEN nth %% 10 = 0 THEN 'Nomor tidak aktif' ELSE '' END,
         CASE WHEN nth %% 10 = 0 THEN '' ELSE trim_scale(package_gb)::text END,
         CASE WHEN nth %% 10 = 0 THEN '' ELSE %s END
  FROM (SELECT d.*, row_number() OVER (ORDER BY d.recipient_id) AS nth
        FROM sptjm_disbursement d WHERE d.batch_id = %s) t
  ORDER BY nth
) TO STDOUT WITH (FORMAT csv)
"""
# Usage for every delivered line of a provider in the period (what the provider may report).
_USAGE_SQL = """
COPY (
  SELECT recipient_id, ltrim(phone_e164, '+'), ((row_number() OVER (ORDER BY recipient_id)) %% 400) / 10.0
  FROM sptjm_disbursement WHERE period_id = %s AND provider = %s AND status = 'BERHASIL'
  ORDER BY recipient_id
) TO STDOUT WITH (FORMAT csv)
"""


def _copy_to_file(sql: str, params: list[Any], header: str, path: Path) -> None:
    from django.db import connection

    with connection.cursor() as c:
        raw = c.cursor  # the psycopg cursor under Django's wrapper
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(header.encode())
            with raw.copy(sql, params) as copy:
                for data in copy:
                    fh.write(data)


def _backend_cpu() -> float:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, from /proc
    (the server runs on this machine): on a shared 2-core VM the honest figure beside wall time.
    0.0 when it cannot be read."""
    from django.db import connection

    try:
        with connection.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            pid = c.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _timed_job(runner: Any, job: Any, profile: str = "") -> tuple[dict[str, Any], float, Phases]:
    from django.db import connection

    phases = Phases()
    server_cpu, client_cpu = _backend_cpu(), time.process_time()
    phases.wrap(connection, "commit", "commit (deferred foreign-key checks)")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    started = time.perf_counter()
    with connection.execute_wrapper(phases.sql):
        if profiler is not None:
            profiler.enable()
        try:
            counts = runner(job)
        finally:
            if profiler is not None:
                profiler.disable()
    elapsed = time.perf_counter() - started
    phases.seconds["CPU: client"] = time.process_time() - client_cpu
    phases.seconds["CPU: server"] = _backend_cpu() - server_cpu
    del connection.commit  # the wrapper set on the instance: back to the class's method
    if profiler is not None:
        profiler.dump_stats(profile)
    return counts, elapsed, phases


def inject(period_code: str, profile: str = "") -> list[tuple[str, str, int, float, Phases]]:
    """Answer every batch of the period, apply the files, apply them again, then the usage."""
    from django.db import connection
    from django.db.models import Count

    from verval.core import files
    from verval.reference.models import Period
    from verval.sptjm import actions, services
    from verval.sptjm.models import Disbursement, DisbursementBatch, UsageReport

    period = Period.objects.get(pk=period_code)
    out: list[tuple[str, str, int, float, Phases]] = []
    folder = files.absolute("bench-inputs")
    batches = list(DisbursementBatch.objects.filter(period_id=period_code).order_by("provider"))
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    first_jobs = []
    for b in batches:
        path = folder / f"results-{b.provider}.csv"
        _copy_to_file(
            _RESULTS_SQL,
            [at, b.pk],
            "pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n",
            path,
        )
        with connection.cursor() as c:
            c.execute(
                "SELECT count(*), count(*) FILTER (WHERE nth %% 1000 = 500), "
                "count(*) FILTER (WHERE nth %% 10 = 0 AND nth %% 1000 <> 500) FROM ("
                "SELECT row_number() OVER (ORDER BY recipient_id) nth FROM sptjm_disbursement WHERE batch_id = %s) t",
                [b.pk],
            )
            lines, wrong, gagal = c.fetchone()
        job = actions.create_injection_job(actor=None, batch=b, path=path)
        counts, secs, phases = _timed_job(services.run_injection_job, job, profile if not out else "")
        want = {
            "rows": lines,
            "berhasil": lines - wrong - gagal,
            "gagal": gagal,
            "duplicate": 0,
            "unchanged": 0,
            "refused": wrong,
            "pending": wrong,
        }
        assert counts == want, (b.provider, counts, want)
        out.append(("injection results", b.provider, lines, secs, phases))
        first_jobs.append((b, path, want))
    by_status = dict(
        Disbursement.objects.filter(period_id=period_code)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    for b, _path, want in first_jobs:
        got = dict(
            Disbursement.objects.filter(batch=b)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        assert got == {
            k: v
            for k, v in (
                ("BERHASIL", want["berhasil"]),
                ("GAGAL", want["gagal"]),
                ("DIJADWALKAN", want["pending"]),
            )
            if v
        }, (b.provider, got, want)
    assert not Disbursement.objects.filter(
        period_id=period_code, status="BERHASIL", reported_at__isnull=True
    ).exists()
    assert (
        not Disbursement.objects.filter(period_id=period_code, status="GAGAL")
        .exclude(reason="Nomor tidak aktif")
        .exists()
    )
    for b, path, want in first_jobs:
        job = actions.create_injection_job(actor=None, batch=b, path=path)
        counts, secs, phases = _timed_job(services.run_injection_job, job)
        again = {**want, "berhasil": 0, "gagal": 0, "unchanged": want["berhasil"] + want["gagal"]}
        assert counts == again, (b.provider, counts, again)
        out.append(("the same file again", b.provider, want["rows"], secs, phases))
    assert by_status == dict(
        Disbursement.objects.filter(period_id=period_code)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    for b, _path, want in first_jobs:
        path = folder / f"usage-{b.provider}.csv"
        _copy_to_file(_USAGE_SQL, [period_code, b.provider], "pd_id,no_ponsel,pemakaian_gb\n", path)
        job = actions.create_usage_job(actor=None, period=period, provider=b.provider, path=path)
        counts, secs, phases = _timed_job(services.run_usage_job, job)
        want_usage = {
            "rows": want["berhasil"],
            "added": want["berhasil"],
            "changed": 0,
            "unchanged": 0,
            "refused": 0,
        }
        assert counts == want_usage, (b.provider, counts, want_usage)
        assert (
            UsageReport.objects.filter(period_id=period_code, provider=b.provider).count() == want["berhasil"]
        )
        out.append(("usage report", b.provider, want["berhasil"], secs, phases))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/verval_bench_disburse")
    parser.add_argument("--keep", action="store_true", help="leave the database (to EXPLAIN or rerun)")
    parser.add_argument(
        "--providers", type=int, default=len(PROVIDERS), help="numbers on the first K providers"
    )
    parser.add_argument("--no-inject", action="store_true", help="time the disbursement run only")
    parser.add_argument(
        "--profile", default="", help="cProfile statistics of the first injection run to FILE"
    )
    args = parser.parse_args()
    from benchdb import fresh_database

    fresh_database(args.database_url)
    from datetime import date

    from django.db import connection

    from verval.core import jobs
    from verval.reference.models import Period
    from verval.sptjm import services

    n = args.rows
    period = Period.objects.create(
        code="2020-09-B",
        name="Bench 2020-09",
        policy_id="2020",
        starts_on=date(2020, 9, 1),
        ends_on=date(2020, 9, 28),
        is_open=True,
    )
    started = time.perf_counter()
    with connection.cursor() as c:
        load(c, n, period.code, PROVIDERS[: max(1, min(args.providers, len(PROVIDERS)))])
        want = expected(c)
    load_s = time.perf_counter() - started

    job = jobs.create_job(actor=None, kind="disbursement", params={"period": period.code})
    phases = Phases()
    for cls, attr, phase in (
        (getattr(services, "_BatchWriter", None), "write", "batch files"),
        (getattr(services, "_BatchWriter", None), "close", "batch files"),
        (getattr(services, "_BatchWriter", None), "__init__", "batch files"),
        (services, "_write_batch_files_pg", "batch files (COPY … TO)"),
    ):
        if cls is not None and phase is not None:
            phases.wrap(cls, attr, phase)

    # The candidate cursor's fetches (server-side on PostgreSQL) do not pass through execute().
    chunked = connection.chunked_cursor

    def timed_chunked() -> Any:
        cur = chunked()
        fetchmany = cur.fetchmany

        def fm(size: int) -> Any:
            t = time.perf_counter()
            try:
                return fetchmany(size)
            finally:
                phases.add("SQL: candidate query (fetch)", time.perf_counter() - t)

        cur.fetchmany = fm
        return cur

    connection.chunked_cursor = timed_chunked  # type: ignore[method-assign]
    phases.wrap(connection, "commit", "commit (deferred foreign-key checks)")
    server_cpu, client_cpu = _backend_cpu(), time.process_time()
    started = time.perf_counter()
    with connection.execute_wrapper(phases.sql):
        counts = services.run_disbursement_job(job)
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - client_cpu
    server_cpu = _backend_cpu() - server_cpu
    connection.chunked_cursor = chunked  # type: ignore[method-assign]
    del connection.commit  # the wrapper set on the instance: back to the class's method
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with connection.cursor() as c:
        check(c, counts, want, period.code)

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, {platform.platform()}")
    print(
        f"load of {n:,} recipients with their approved SPTJM items: {load_s:.1f} s; load average {os.getloadavg()}"
    )
    print(f"run: CPU s client {client_cpu:.2f}, server {server_cpu:.2f}")
    print("checks passed\n")
    print("| recipients | scheduled | MAKS_3_PAKET | batches | seconds | rows/s | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {n:,} | {counts['scheduled']:,} | {counts['excluded']:,} | {len(counts['batches'])} | "
        f"{elapsed:.1f} | {n / elapsed:,.0f} | {rss:.0f} |"
    )
    print("\n| phase | seconds | share | calls |")
    print("|---|---:|---:|---:|")
    accounted = 0.0
    for phase, secs in sorted(phases.seconds.items(), key=lambda kv: -kv[1]):
        accounted += secs
        print(f"| {phase} | {secs:.2f} | {secs / elapsed:.0%} | {phases.calls[phase]:,} |")
    rest = elapsed - accounted
    print(f"| Python (the rest: per-row loop, model objects, audit) | {rest:.2f} | {rest / elapsed:.0%} | |")

    if not args.no_inject:
        runs = inject(period.code, args.profile)
        print("\ninjection results and usage checked\n")
        print(
            "| step | provider | lines | seconds | lines/s | commit s | SQL s (statements) | CPU s client / server |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for step, provider, lines, secs, ph in runs:
            commit = ph.seconds.get("commit (deferred foreign-key checks)", 0.0)
            sql = sum(v for k, v in ph.seconds.items() if k.startswith("SQL"))
            calls = sum(v for k, v in ph.calls.items() if k.startswith("SQL"))
            cpu = f"{ph.seconds.get('CPU: client', 0.0):.2f} / {ph.seconds.get('CPU: server', 0.0):.2f}"
            print(
                f"| {step} | {provider} | {lines:,} | {secs:.2f} | {lines / secs:,.0f} | {commit:.2f} | {sql:.2f} ({calls:,}) | {cpu} |"
            )
            totals[step][0] += lines
            totals[step][1] += secs
        for step, (lines, secs) in totals.items():
            print(f"| {step}: all providers | | {lines:,.0f} | {secs:.2f} | {lines / secs:,.0f} | | | |")

    if not args.keep:
        from benchdb import drop_database

        drop_database(args.database_url)


if __name__ == "__main__":
    main()
