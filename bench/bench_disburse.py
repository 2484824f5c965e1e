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


def load(cursor: Any, n: int, period_code: str) -> None:
    schools = max(1, n // 300)
    cursor.execute(
        "INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active, created_at, updated_at) "
        "SELECT lpad((40000000 + s)::text, 8, '0'), 'SD Bench ' || s, 'SD', 'N', '020501', '020500', '020000', true, now(), now() "
        "FROM generate_series(1, %s) s",
        [schools],
    )
    # k: the number's key. Four recipients share one number at g % 1000 < 4, two at 500-501.
    # The provider follows the number, so a shared number's recipients have the same provider.
    providers = "ARRAY[" + ", ".join(f"'{p}'" for p in PROVIDERS) + "]"
    prefixes = "ARRAY[" + ", ".join(f"'{PREFIX[p]}'" for p in PROVIDERS) + "]"
    cursor.execute(
        "INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw, phone_e164, operator, status, "  # noqa: S608 - constants of this script
        "reason, reason_note, status_changed_at, needs_validation, confirmed_at, confirmed_by_id, locked, active, row_hash, version, created_at, updated_at) "
        "SELECT gen_random_uuid(), CASE WHEN g %% 10 = 0 THEN 'PTK' ELSE 'PD' END, "
        "CASE WHEN g %% 10 = 0 THEN 'PTK' WHEN g %% 10 = 1 THEN 'PAUD' ELSE 'DIKDASMEN' END, 'Bench ' || g, '', '', "
        "CASE WHEN g %% 10 IN (0, 1) THEN NULL ELSE 1 + g %% 12 END, "
        "lpad((40000000 + LEAST(%s, 1 + (g - 1) / 300))::text, 8, '0'), '', "
        f"'+62' || ({prefixes})[1 + k %% 6] || lpad(k::text, 8, '0'), ({providers})[1 + k %% 6], "
        "'AKTIF', '', '', now(), false, NULL, NULL, false, true, '', 1, now(), now() "
        "FROM (SELECT g, CASE WHEN g %% 1000 < 4 THEN g - g %% 1000 WHEN g %% 1000 IN (500, 501) THEN g - g %% 1000 + 500 "
        "ELSE g END AS k FROM generate_series(1, %s) g) s",
        [schools, n],
    )
    # One approved SPTJM per school, approved one second after the previous school's.
    cursor.execute(
        "INSERT INTO sptjm_sptjm (id, number, school_id, period_id, seq, status, rows, total_gb, content_sha256, pdf_path, pdf_sha256, "
        "printed_by_id, printed_at, scan_path, scan_type, scan_sha256, scan_size, uploaded_by_id, uploaded_at, upload_count, qr_verdict, "
        "reviewed_by_id, reviewed_at, return_reason, voided_by_id, voided_at, version) "
        "SELECT gen_random_uuid(), 'SPTJM/' || %s || '/' || npsn || '/1', npsn, %s, 1, 'DISETUJUI', 0, 0, '', '', '', "
        "NULL, now() - interval '2 days', '', 'pdf', '', 0, NULL, now() - interval '1 day', 1, 'QR_COCOK', "
        "NULL, timestamp with time zone '2020-09-10 08:00+07' + (substr(npsn, 2)::int - 40000000) * interval '1 second', '', NULL, NULL, 1 "
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/verval_bench_disburse")
    parser.add_argument("--keep", action="store_true", help="leave the database (to EXPLAIN or rerun)")
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
        load(c, n, period.code)
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
    started = time.perf_counter()
    with connection.execute_wrapper(phases.sql):
        counts = services.run_disbursement_job(job)
    elapsed = time.perf_counter() - started
    connection.chunked_cursor = chunked  # type: ignore[method-assign]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with connection.cursor() as c:
        check(c, counts, want, period.code)

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, {platform.platform()}")
    print(
        f"load of {n:,} recipients with their approved SPTJM items: {load_s:.1f} s; load average {os.getloadavg()}"
    )
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

    if not args.keep:
        from benchdb import drop_database

        drop_database(args.database_url)


if __name__ == "__main__":
    main()
