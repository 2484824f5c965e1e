"""The batch paths of disbursement: writing per-provider batches, applying injection results and
usage reports. Runners for verval.core.jobs (one transaction each; JobRefused changes nothing).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from verval.accounts.models import PROVIDER_CHOICES
from verval.core import audit, files
from verval.core.chunks import chunks
from verval.core.db import analyze_after_commit, planner_settings
from verval.core.jobs import JobRefused, Progress, RowIssue, save_issues
from verval.core.models import Job
from verval.exchange.models import NumberFormat
from verval.exchange.resultfile import REFUSED_FILE_ISSUES_KEPT, FileSpec, iter_rows, masked_value
from verval.exchange.services import (
    GzipSink,
    _copy_out_end,
    _copy_out_start,
    normalize_msisdn,
    number_formats,
    phone_sql,
)
from verval.phones import mask
from verval.reference import zones
from verval.reference.models import Period
from verval.registry.models import Recipient
from verval.sptjm import selectors
from verval.sptjm.document import gb
from verval.sptjm.models import (
    Disbursement,
    DisbursementBatch,
    DisbursementStatus,
    ExclusionRule,
    UsageReport,
)
from verval.sptjm.reasons import issue, masked_note, refused

BATCH_COLUMNS = ("pd_id", "no_ponsel", "kuota_gb", "kategori")
INJECTION_RESULTS = FileSpec(
    required=("pd_id", "no_ponsel", "status"), optional=("keterangan", "kuota_gb", "waktu")
)
USAGE_REPORT = FileSpec(required=("pd_id", "no_ponsel", "pemakaian_gb"))
CHUNK = 2000
# Rows of a period that hold a place on their number (SPEC §6: at most 3 packages per number per
# period): every batch line, whatever its result. A GAGAL line holds its place for the whole period,
# also once its recipient is retried on another number: the provider may still inject it and
# report it BERHASIL late (docs/decisions/0021-disbursement-attempts.md).
HOLDS_A_PLACE = [DisbursementStatus.DIJADWALKAN, DisbursementStatus.BERHASIL, DisbursementStatus.GAGAL]


# ------------------------------------------------------------------ disbursement batches


class _BatchWriter:
    """One provider's batch file. `number_format` is the provider's (exchange.ProviderSetting)
    as the run read it; the rows come with no_ponsel already in it (`phone_sql`, decision 0027)."""

    def __init__(self, period: Period, provider: str, job: Job | None, number_format: str) -> None:
        seq = (
            DisbursementBatch.objects.filter(period=period, provider=provider).aggregate(m=Max("seq"))["m"]
            or 0
        ) + 1
        self.rel, path = files.new_path("disbursements", ".csv.gz")
        self.sink = GzipSink(path)
        self.sink.write((",".join(BATCH_COLUMNS) + "\n").encode())
        self.batch = DisbursementBatch.objects.create(
            period=period,
            provider=provider,
            seq=seq,
            file_path=self.rel,
            sha256="",
            job=job,
            number_format=number_format,
        )
        self.rows = 0
        self.gb = Decimal(0)

    def write(self, pd_id: uuid.UUID, no_ponsel: str, package: Decimal, category: str) -> None:
        self.sink.write(f"{pd_id},{no_ponsel},{gb(package)},{category}\n".encode())
        self.rows += 1
        self.gb += package

    def close(self) -> DisbursementBatch:
        sha, size = self.sink.close()
        self.batch.rows, self.batch.total_gb, self.batch.sha256, self.batch.size = (
            self.rows,
            self.gb,
            sha,
            size,
        )
        self.batch.pending = self.rows  # every line is written DIJADWALKAN
        self.batch.save(update_fields=["rows", "total_gb", "sha256", "size", "pending"])
        return self.batch


def low_usage_numbers(period: Period) -> set[str]:
    """2021 rule: numbers whose reported usage in the previous period is under the policy's minimum.

    A number reported by several rows (shared by up to 3 recipients) counts with its highest figure;
    a number with no usage report (new, or not disbursed before) is not excluded. Only usage of a
    number its recipient was delivered (a BERHASIL line) counts: a report for a failed injection
    (accepted before decision 0021) measures quota never given.
    """
    minimum = period.policy.min_previous_usage_gb
    prev = selectors.previous_period(period)
    if minimum is None or prev is None:
        return set()
    delivered = Disbursement.objects.filter(
        period=prev,
        recipient_id=OuterRef("recipient_id"),
        phone_e164=OuterRef("phone_e164"),
        status=DisbursementStatus.BERHASIL,
    )
    return set(
        UsageReport.objects.filter(Exists(delivered), period=prev)
        .values("phone_e164")
        .annotate(m=Max("usage_gb"))
        .filter(m__lt=minimum)
        .values_list("phone_e164", flat=True)
    )


def disbursement_candidates(period: Period, formats: dict[str, str] | None = None) -> Any:
    """(id, school_id, phone_e164, operator, category, item_id) of every covered recipient without
    a package this period (or whose current row, failed or excluded, carried another number), first
    approved first. Each row looks its SPTJM items up by (recipient, period): see SptjmItem's
    indexes. With `formats` (provider -> number format) each row ends with no_ponsel as its
    provider's batch file writes it, formatted by the database as the dump's (`phone_sql`)."""
    mine = Disbursement.objects.filter(period=period, recipient=OuterRef("pk"))
    retry = mine.filter(
        is_current=True, status__in=[DisbursementStatus.GAGAL, DisbursementStatus.DIKECUALIKAN]
    ).exclude(phone_e164=OuterRef("phone_e164"))
    first_item = selectors.covering_items(period).order_by("approved_at", "id")
    columns = ["id", "school_id", "phone_e164", "operator", "category", "item_id"]
    written: dict[str, Any] = {}
    if formats is not None:
        table = connection.ops.quote_name(Recipient._meta.db_table)
        expr, params = phone_sql(
            formats, f"{table}.operator", f"{table}.phone_e164", default=NumberFormat.MSISDN
        )
        written["no_ponsel"] = RawSQL(expr, params)  # noqa: S611 - constant SQL, values as parameters
        columns.append("no_ponsel")
    return (
        selectors.covered_recipients(period)
        .exclude(operator="")
        .filter(~Exists(mine) | Exists(retry))
        .annotate(
            item_id=Subquery(first_item.values("id")[:1]),
            approved_at=Subquery(first_item.values("approved_at")[:1]),
            **written,
        )
        .order_by("approved_at", "id")
        .values_list(*columns)
    )


def disburse(
    *,
    actor: Any,
    period: Period,
    job: Job | None = None,
    progress: Progress | None = None,
    set_based: bool | None = None,
) -> dict[str, Any]:
    """Schedule every covered recipient without a package this period (caller holds the transaction).

    Rules, in this order, each exclusion recorded with its rule: no package for the category
    (TANPA_PAKET); 2021 low usage in the previous period (PEMAKAIAN_RENDAH); at most
    max_packages_per_number packages per number per period (MAKS_3_PAKET, first approved first;
    every batch line of the period holds its place, GAGAL ones too: HOLDS_A_PLACE).
    A recipient whose current row of this period (GAGAL or DIKECUALIKAN) carried another number
    than its current one (the school fixed it, and a new SPTJM covered it) is scheduled again: a
    new row (attempt) becomes current, the earlier one stays as it was (decisions/0021).

    On PostgreSQL the rows are decided, written and sent to the batch files by a few set-based
    statements (`_schedule_pg`); SQLite runs the same rules row by row (`_schedule_rows`). Both
    give the same rows, rules and files (docs/decisions/0012-disbursement-at-scale.md);
    `set_based` chooses one (tests compare them).
    """
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    schedule = _schedule_pg if set_based else _schedule_rows
    total, scheduled, retried, by_rule, batches = schedule(period, job, progress)
    for b in batches:
        audit.record(
            actor=actor,
            action="publish_disbursement_batch",
            object_type="disbursement_batch",
            object_id=b.pk,
            provider=b.provider,
            after={
                "period": period.code,
                "rows": b.rows,
                "sha256": b.sha256,
                "gb": str(b.total_gb),
                "number_format": b.number_format,
            },
        )
    counts = {
        "period": period.code,
        "candidates": total,
        "scheduled": scheduled,
        "excluded": sum(by_rule.values()),
        "retried": retried,
        "by_rule": dict(sorted(by_rule.items())),
        "batches": [
            {
                "id": str(b.pk),
                "provider": b.provider,
                "rows": b.rows,
                "gb": gb(b.total_gb),
                "file": b.file_path,
                "sha256": b.sha256,
                "number_format": b.number_format,
            }
            for b in batches
        ],
    }
    audit.record(
        actor=actor,
        action="disburse",
        object_type="period",
        object_id=period.code,
        after={k: v for k, v in counts.items() if k != "batches"},
    )
    return counts


def _schedule_rows(
    period: Period, job: Job | None, progress: Progress | None
) -> tuple[int, int, int, Counter[str], list[DisbursementBatch]]:
    """The rules row by row, in candidate order (SQLite, and the reference for `_schedule_pg`)."""
    policy = period.policy
    packages = selectors.package_map(period)
    cap = policy.max_packages_per_number
    low = low_usage_numbers(period)
    used: Counter[str] = Counter(
        dict(
            Disbursement.objects.filter(period=period, status__in=HOLDS_A_PLACE)
            .values_list("phone_e164")
            .annotate(n=Count("id"))
            .values_list("phone_e164", "n")
        )
    )
    # Each provider's batch file writes no_ponsel in its number format as the run reads it (decision
    # 0027, "Revision"); the database formats it, as it does the dump's.
    formats = number_formats(code for code, _name in PROVIDER_CHOICES)
    candidates = disbursement_candidates(period, formats)
    total = candidates.count()
    if progress:
        progress.update(0, total, force=True)
    writers: dict[str, _BatchWriter] = {}
    by_rule: Counter[str] = Counter()
    scheduled = retried = done = 0
    try:
        for block in chunks(candidates.iterator(chunk_size=CHUNK), CHUNK):
            existing = {
                d.recipient_id: d
                for d in Disbursement.objects.filter(
                    period=period, recipient_id__in=[row[0] for row in block], is_current=True
                )
            }
            new: list[Disbursement] = []
            superseded: list[int] = []
            for rid, school_id, phone, operator, category, item_id, no_ponsel in block:
                package = packages.get(category) or Decimal(0)
                rule = ""
                if not package:
                    rule = ExclusionRule.TANPA_PAKET
                elif phone in low:
                    rule = ExclusionRule.PEMAKAIAN_RENDAH
                elif used[phone] >= cap:
                    rule = ExclusionRule.MAKS_3_PAKET
                batch = None
                if rule:
                    by_rule[rule] += 1
                else:
                    used[phone] += 1
                    writer = writers.get(operator)
                    if writer is None:
                        fmt = formats.get(operator, NumberFormat.MSISDN)
                        writer = writers[operator] = _BatchWriter(period, operator, job, fmt)
                    writer.write(rid, no_ponsel, package, category)
                    batch = writer.batch
                    scheduled += 1
                values = {
                    "provider": operator,
                    "batch": batch,
                    "sptjm_item_id": item_id,
                    "school_id": school_id,
                    "phone_e164": phone,
                    "category": category,
                    "package_gb": package,
                    "status": DisbursementStatus.DIKECUALIKAN if rule else DisbursementStatus.DIJADWALKAN,
                    "rule": rule,
                    "reason": "",
                    "reported_gb": None,
                    "reported_at": None,
                    "result_job": None,
                }
                old = existing.get(rid)
                attempt = 1
                if old is not None:  # a retry: the earlier row stays as it is, no longer current
                    superseded.append(old.pk)
                    attempt = old.attempts + 1
                    retried += 1
                new.append(Disbursement(recipient_id=rid, period=period, attempts=attempt, **values))
            if superseded:  # first: one current row per recipient and period (a unique index)
                Disbursement.objects.filter(pk__in=superseded).update(is_current=False)
            Disbursement.objects.bulk_create(new, batch_size=CHUNK)
            done += len(block)
            if progress:
                progress.update(done, total)
        batches = [w.close() for w in writers.values()]
    except BaseException:
        for w in writers.values():
            w.sink.abort()
        raise
    return total, scheduled, retried, by_rule, batches


# The candidates of a run and the first two rules, in one statement: DISTINCT ON picks each
# recipient's first covering item (what the row path's correlated subqueries pick, without two
# million index lookups).
_CANDIDATES_PG = """
CREATE TEMPORARY TABLE disb_cand AS
WITH item AS (
    SELECT DISTINCT ON (i.recipient_id) i.recipient_id, i.id, i.approved_at
    FROM sptjm_sptjmitem i
    JOIN registry_recipient r ON r.id = i.recipient_id AND r.phone_e164 = i.phone_e164
    {item_join}
    WHERE i.approved AND {item_period}
    ORDER BY i.recipient_id, i.approved_at, i.id
), low AS (
    {low}
)
SELECT r.id AS rid, r.school_id, r.phone_e164 AS phone, r.operator, r.category,
       item.id AS item_id, item.approved_at, d.id AS old_id, d.attempts AS old_attempts,
       COALESCE(q.general_gb + q.learning_gb, 0) AS package,
       CASE WHEN COALESCE(q.general_gb + q.learning_gb, 0) = 0 THEN 'TANPA_PAKET'
            WHEN low.phone_e164 IS NOT NULL THEN 'PEMAKAIAN_RENDAH'
            ELSE '' END AS rule
FROM registry_recipient r
JOIN item ON item.recipient_id = r.id
LEFT JOIN sptjm_disbursement d ON d.recipient_id = r.id AND d.period_id = %(period)s AND d.is_current
LEFT JOIN reference_quotarule q ON q.policy_id = %(policy)s AND q.category = r.category
LEFT JOIN low ON low.phone_e164 = r.phone_e164
WHERE r.active AND r.status = 'AKTIF' AND r.phone_e164 <> '' AND r.operator <> ''
  AND (d.id IS NULL OR (d.status IN ('GAGAL', 'DIKECUALIKAN') AND d.phone_e164 <> r.phone_e164))
"""

# The cap: only numbers whose candidates and places already held this period (every batch line,
# GAGAL too: HOLDS_A_PLACE) pass it are ranked (a hash aggregate over all candidates, then a sort
# of a few rows); within such a number the candidates that passed the first two rules take the
# free places in approval order.
_CAP_PG = """
WITH used AS (
    SELECT phone_e164, count(*) AS n FROM sptjm_disbursement
    WHERE period_id = %(period)s AND status IN ('DIJADWALKAN', 'BERHASIL', 'GAGAL') GROUP BY phone_e164
), per AS (
    SELECT phone, count(*) AS n FROM disb_cand WHERE rule = '' GROUP BY phone
), risky AS (
    SELECT per.phone, COALESCE(used.n, 0) AS held FROM per LEFT JOIN used ON used.phone_e164 = per.phone
    WHERE per.n + COALESCE(used.n, 0) > %(cap)s
), ranked AS (
    SELECT c.rid, risky.held + row_number() OVER (PARTITION BY c.phone ORDER BY c.approved_at, c.rid) AS k
    FROM disb_cand c JOIN risky ON risky.phone = c.phone WHERE c.rule = ''
)
UPDATE disb_cand c SET rule = 'MAKS_3_PAKET' FROM ranked WHERE ranked.rid = c.rid AND ranked.k > %(cap)s
"""

# Every candidate gets a new row; a retry's is its next attempt.
_INSERT_PG = """
INSERT INTO sptjm_disbursement (recipient_id, period_id, provider, batch_id, sptjm_item_id, school_id,
    phone_e164, category, package_gb, status, rule, reason, reported_gb, reported_at, result_job_id,
    attempts, is_current, is_duplicate, created_at, updated_at)
SELECT rid, %(period)s, operator, {batch}, item_id, school_id, phone, category, package,
    CASE WHEN rule = '' THEN 'DIJADWALKAN' ELSE 'DIKECUALIKAN' END, rule, '', NULL, NULL, NULL,
    COALESCE(old_attempts, 0) + 1, TRUE, FALSE, %(now)s, %(now)s
FROM disb_cand
"""

# Before the INSERT (one current row per recipient and period): a retried recipient's earlier row
# stays as it was, only no longer current; as the row path's update(), updated_at is not touched.
_SUPERSEDE_PG = """
UPDATE sptjm_disbursement d SET is_current = FALSE FROM disb_cand c WHERE d.id = c.old_id
"""


def _schedule_pg(
    period: Period, job: Job | None, progress: Progress | None
) -> tuple[int, int, int, Counter[str], list[DisbursementBatch]]:
    """The rules of `_schedule_rows` as set-based SQL (PostgreSQL): the candidates and their rule
    into a temporary table, one INSERT … SELECT (after one UPDATE for retries), the batch files in
    one COPY … TO STDOUT read straight from libpq as the dump files are."""
    policy = period.policy
    prev = selectors.previous_period(period)
    minimum = policy.min_previous_usage_gb
    params: dict[str, Any] = {
        "period": period.code,
        "policy": policy.pk,
        "cap": policy.max_packages_per_number,
        "starts": period.starts_on,
        "prev": prev.code if prev else None,
        "minimum": minimum,
        "now": timezone.now(),
    }
    if policy.sptjm_only_changed:
        item_join = "JOIN reference_period ip ON ip.code = i.period_id"
        item_period = "(i.period_id = %(period)s OR ip.starts_on < %(starts)s)"
    else:
        item_join, item_period = "", "i.period_id = %(period)s"
    if minimum is None or prev is None:
        low = "SELECT NULL::varchar AS phone_e164 WHERE FALSE"
    else:
        # As low_usage_numbers: only usage of a number its recipient was delivered counts.
        low = (
            "SELECT u.phone_e164 FROM sptjm_usagereport u WHERE u.period_id = %(prev)s AND EXISTS ("
            "SELECT 1 FROM sptjm_disbursement b WHERE b.recipient_id = u.recipient_id "
            "AND b.period_id = %(prev)s AND b.phone_e164 = u.phone_e164 AND b.status = 'BERHASIL') "
            "GROUP BY u.phone_e164 HAVING max(u.usage_gb) < %(minimum)s"
        )
    writers: list[_BatchWriter] = []
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.disb_cand")
        # The planner reads the item-recipient join on (id, number) as one row (it multiplies the
        # two columns' selectivities) and then looks a million rows up one by one (a first version
        # of the statement: 14.2 s at 1 M candidates, 8.1 s with hash joins). Every input here is
        # large, so nested loops are off for the next two statements, and sorts get the memory to
        # stay off disk; both settings end with them (core.db.planner_settings).
        with planner_settings(cursor, enable_nestloop="off", work_mem="256MB"):
            cursor.execute(
                _CANDIDATES_PG.format(item_join=item_join, item_period=item_period, low=low), params
            )
            total = cursor.rowcount
            cursor.execute("ANALYZE disb_cand")
            cursor.execute(_CAP_PG, params)
        if progress:
            progress.update(0, total, force=True)
        cursor.execute("SELECT rule, count(*), count(old_id) FROM disb_cand GROUP BY rule")
        by_rule: Counter[str] = Counter()
        scheduled = retried = 0
        for rule, n, again in cursor.fetchall():
            retried += again
            if rule:
                by_rule[rule] = n
            else:
                scheduled = n
        # One batch per provider with scheduled rows; listed in the order the row path meets
        # them (its first row in the file's order), which the COPY tells.
        cursor.execute(
            "SELECT operator, count(*), sum(package) FROM disb_cand WHERE rule = '' GROUP BY operator"
        )
        sums = cursor.fetchall()
        # Each provider's file writes no_ponsel in its number format (decision 0027, "Revision").
        formats = number_formats(operator for operator, _n, _gb in sums)
        try:
            for operator, n, package_gb in sums:
                writer = _BatchWriter(period, operator, job, formats[operator])
                writer.rows, writer.gb = n, package_gb
                writers.append(writer)
            batch = "NULL"
            if writers:
                whens = " ".join(f"WHEN %(op{i})s THEN %(batch{i})s::uuid" for i in range(len(writers)))
                batch = f"CASE WHEN {{c}}rule = '' THEN CASE {{c}}operator {whens} END END"
                for i, w in enumerate(writers):
                    params[f"op{i}"], params[f"batch{i}"] = w.batch.provider, w.batch.pk
            if retried:
                cursor.execute(_SUPERSEDE_PG)
            cursor.execute(_INSERT_PG.format(batch=batch.format(c="")), params)
            batches = [w.close() for w in _write_batch_files_pg(cursor, writers)]
        except BaseException:
            for w in writers:
                w.sink.abort()
            raise
        cursor.execute("DROP TABLE pg_temp.disb_cand")
    if progress:
        progress.update(total, total, force=True)
    return total, scheduled, retried, by_rule, batches


def _write_batch_files_pg(cursor: Any, writers: list[_BatchWriter]) -> list[_BatchWriter]:
    """Every scheduled row to its provider's file, in candidate order, in one COPY: each row starts
    with a one-character tag naming its file (as `verval.exchange.services._write_rows_pg`).
    Returns the writers in the order their first row came."""
    if not writers:
        return []
    from psycopg import sql

    tags = "0123456789abcdefghijklmnopqrstuvwxyz"
    if len(writers) > len(tags):
        raise ValueError("more providers than COPY tags")
    case = sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(w.batch.provider), sql.Literal(tags[i]))
        for i, w in enumerate(writers)
    )
    # no_ponsel in each provider's number format, written by the dump's SQL (`phone_sql`).
    phone_expr, phone_params = phone_sql(
        {w.batch.provider: w.batch.number_format for w in writers}, "operator"
    )
    phone = sql.SQL(phone_expr.replace("%s", "{}")).format(*(sql.Literal(p) for p in phone_params))
    # Text as `_BatchWriter.write` formats it: trim_scale writes 35.00 as 35 and 7.50 as 7.5.
    query = sql.SQL(
        "COPY (SELECT CASE operator {} END, rid, {}, trim_scale(package), category "
        "FROM disb_cand WHERE rule = '' ORDER BY approved_at, rid) TO STDOUT WITH (FORMAT csv)"
    ).format(case, phone)
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
    pg = raw.connection.pgconn
    blocks = {ord(tags[i]): (bytearray(), w.sink) for i, w in enumerate(writers)}
    first: list[int] = []
    _copy_out_start(pg, raw.connection, query.as_bytes(raw))
    size = 1
    try:
        while True:
            size, data = pg.get_copy_data(0)
            if size <= 0:
                break
            block, sink = blocks[data[0]]
            if not block and data[0] not in first:
                first.append(data[0])
            block += data[2:]
            if len(block) >= 1 << 20:
                sink.write(bytes(block))
                block.clear()
    finally:
        _copy_out_end(pg, raw.connection, ended=size <= 0)
    for block, sink in blocks.values():
        if block:
            sink.write(bytes(block))
    return [writers[tags.index(chr(t))] for t in first]


def run_disbursement_job(job: Job) -> dict[str, Any]:
    """Runner for kind 'disbursement' (params: period)."""
    period = Period.objects.select_related("policy").filter(code=job.params.get("period", "")).first()
    if period is None:
        raise refused("PERIODE_TIDAK_DIBUKA")
    progress = Progress(job)
    with transaction.atomic():
        # One disbursement run at a time per period: lock the period row, and read it again under
        # the lock (its policy as saved last: reference.actions.save_period takes the same lock).
        # Only an open period is disbursed, also when it was closed after the job was queued.
        # NO KEY: the writers of a period's disbursement still exclude each other, but a school's
        # print (its document's and items' keys to the period take KEY SHARE) is not held up for
        # the whole run and refused SEDANG_DIPROSES (decision 0121).
        period = (
            Period.objects.select_for_update(of=("self",), no_key=True)
            .select_related("policy")
            .filter(pk=period.pk)
            .first()
        )
        if period is None or not period.is_open:
            raise refused("PERIODE_TIDAK_DIBUKA")
        counts = disburse(actor=job.created_by, period=period, job=job, progress=progress)
        analyze_after_commit()
    job.progress_done = job.progress_total = counts["candidates"]
    return counts


def manifest_of(batch: DisbursementBatch) -> dict[str, Any]:
    return {
        "batch_id": str(batch.pk),
        "period": batch.period_id,
        "provider": batch.provider,
        "seq": batch.seq,
        "rows": batch.rows,
        "total_gb": gb(batch.total_gb),
        "sha256": batch.sha256,
        "size": batch.size,
        "columns": list(BATCH_COLUMNS),
        "number_format": batch.number_format,
        "state": batch.state,
        "created_at": batch.created_at.isoformat(),
    }


# ------------------------------------------------------------------ injection results


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def _parse_gb(value: str) -> Decimal | None:
    """GB as a provider writes it: a finite number, not negative (`-0` reads as 0), rounded to
    two places (half up) and then under 10,000; None for anything else (NaN in any case, inf)."""
    try:
        d = Decimal(value.strip().replace(",", "."))
        # NaN (which no comparison may touch: it raises) and infinity are not quantities.
        if not d.is_finite() or d < 0:
            return None
        # Rounded to the column's two places before the bound: 9999.999 would otherwise pass the
        # check and not fit DecimalField(6, 2) (SQLite stores it anyway and then cannot read it).
        d = abs(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))  # abs: -0 is stored as 0
    except InvalidOperation:  # not a number, or too many digits to round
        return None
    return d if d < Decimal("10000") else None


def _parse_time(value: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time without an offset is WIB, the programme's zone, whichever zone the request shows.
    return timezone.make_aware(t, zones.programme_tz()) if timezone.is_naive(t) else t


# How far a provider's clock may be from ours: a reported injection time (`waktu`) later than
# now or earlier than the batch's creation by more than this is refused.
CLOCK_SKEW = timedelta(hours=1)


def _check_share(total: int, issues: list[RowIssue], counts: dict[str, Any]) -> None:
    refused_rows = len({i.line for i in issues})
    counts["refused"] = refused_rows
    if total and refused_rows > settings.VERVAL["REFUSE_FILE_ABOVE_SHARE"] * total:
        # Nothing applies: the counts say what the file held, not what it would have changed
        # (berhasil, added... were rolled back), and the report keeps its first rows.
        raise refused(
            "TERLALU_BANYAK_DITOLAK",
            issues=issues[:REFUSED_FILE_ISSUES_KEPT],
            rows=total,
            refused=refused_rows,
        )


# A results or usage file is staged in a temporary table (COPY on PostgreSQL, executemany on
# SQLite); one query then joins every staged line with what the checks need from the database, in
# line order, and the changes go back in one UPDATE … FROM a second temporary table (PostgreSQL) or
# one executemany (SQLite). The checks themselves stay in Python, per line and in file order,
# as they were (decision 0028): only how the database is read and written changed.
STAGE_BLOCK = 10_000
CENT = Decimal("0.01")


class _Stage:
    """Rows into a temporary table, in blocks: COPY (PostgreSQL) or executemany (SQLite)."""

    def __init__(self, cursor: Any, table: str, columns: tuple[str, ...]) -> None:
        self.cursor, self.table, self.columns = cursor, table, columns
        self.pg = connection.vendor == "postgresql"
        self.rows: list[tuple[Any, ...]] = []

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= STAGE_BLOCK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        cols = ", ".join(self.columns)
        if self.pg:
            with self.cursor.cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            self.cursor.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", self.rows)  # noqa: S608
        self.rows = []


def _temp_tables(cursor: Any, tables: dict[str, str]) -> None:
    """CREATE TEMPORARY TABLE for each (name: columns); dropped at commit on PostgreSQL, by
    `_drop_temp_tables` on SQLite (a rolled-back transaction takes them with it on both)."""
    pg = connection.vendor == "postgresql"
    for name, columns in tables.items():
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})" + (" ON COMMIT DROP" if pg else ""))


def _drop_temp_tables(cursor: Any, *names: str) -> None:
    if connection.vendor != "postgresql":
        for name in names:
            cursor.execute(f"DROP TABLE {name}")


def _pd_id_text(rid: Any) -> str:
    """A refused row's pd_id as the file writes it (lower case, with hyphens): SQLite hands the
    staged id back as 32 hex digits, PostgreSQL as a uuid. Without it a DUPLIKAT or
    BUKAN_BATCH_INI row of an injection or usage file named no recipient, as the match results'
    do (decision 0133)."""
    return str(uuid.UUID(str(rid)))


def _db_uuid(value: uuid.UUID) -> Any:
    """A uuid as the database takes it: PostgreSQL's uuid, SQLite's 32 hex digits (Django's)."""
    return value if connection.features.has_native_uuid_field else value.hex


def _per_line_writers() -> tuple[Callable[[uuid.UUID], Any], Callable[[Any], Any]]:
    """(`_db_uuid`, `_to_db`) for a loop over a file's lines, with the database's answer looked up
    once: each `connection.…` goes through the connection proxy (asgiref's Local), ~3 µs a call,
    which three calls per line made a fifth of an ingest's Python (decision 0048)."""
    uuids: Callable[[uuid.UUID], Any] = (
        (lambda v: v) if connection.features.has_native_uuid_field else (lambda v: v.hex)
    )
    values: Callable[[Any], Any] = (lambda v: v) if connection.vendor == "postgresql" else _to_db
    return uuids, values


def _from_db_decimal(value: Any) -> Decimal | None:
    """A DecimalField(…, 2) read by raw SQL: Decimal on PostgreSQL, int or float on SQLite."""
    return None if value is None else Decimal(str(value)).quantize(CENT)


def _from_db_datetime(value: Any) -> datetime | None:
    """A DateTimeField read by raw SQL: aware on PostgreSQL, text or naive UTC on SQLite."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _to_db(value: Any) -> Any:
    """A datetime or Decimal as a raw statement passes it (SQLite: Django's stored text)."""
    if connection.vendor == "postgresql" or value is None:
        return value
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _large_reads(cursor: Any, sql: str, params: Any) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `sql`, a query that reads every staged line back, in blocks of STAGE_BLOCK
    through a server-side cursor. PostgreSQL plans it for all its rows (cursor_tuple_fraction 1:
    a cursor is otherwise planned for its first tenth, and the planner then chose a plan that
    rescans the staged lines once per line, minutes for 50 k lines), sorts in memory (work_mem)
    and without JIT, which its per-line subplans' cost estimate would switch on for nothing
    (~0.75–1 s of compiling per file, measured). The settings hold until the last block is read,
    then go back to what they were before (core.db.planner_settings), not to the defaults."""
    with planner_settings(cursor, cursor_tuple_fraction="1", work_mem="256MB", jit="off"):
        rows = connection.chunked_cursor()
        rows.execute(sql, params)
        while block := rows.fetchmany(STAGE_BLOCK):
            yield block
        rows.close()


def _fresh_statistics(cursor: Any) -> None:
    """PostgreSQL: ANALYZE the disbursement lines when more of them changed since their last
    statistics than the statistics count (right after a period's first run, before autovacuum
    came by). With statistics that take the table for empty, the planner looked each staged line's
    lines up through the (period, provider, status) index, i.e. read every line of the provider
    once per staged line: a 50 k-line usage file ran for minutes (decision 0028). Sampled, so
    well under a second at millions of lines; skipped when the statistics are current."""
    if connection.vendor != "postgresql":
        return
    cursor.execute(
        "SELECT c.reltuples, s.n_mod_since_analyze, s.n_live_tup FROM pg_class c "
        "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'sptjm_disbursement'::regclass"
    )
    row = cursor.fetchone()
    if row is None:
        return
    known, changed, live = max(row[0], 0), row[1] or 0, row[2] or 0
    if changed > known or live > 2 * known + 1000:
        cursor.execute("ANALYZE sptjm_disbursement")


def _hold_job(cursor: Any, job_id: Any) -> None:
    """PostgreSQL: hold the job row the lines name (`result_job`) until commit, FOR KEY SHARE —
    what the deferred check of a database key took once per changed line, taken once. The lines
    carry no database key to the job (decision 0048): this lock is what keeps the row from being
    deleted before the lines that name it commit. It does not block the job's own heartbeat and
    progress updates (they change no key column). SQLite serialises writers anyway."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT 1 FROM core_job WHERE id = %s FOR KEY SHARE", [job_id])
        if cursor.fetchone() is None:
            raise Job.DoesNotExist


def _temp_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


# Per staged line, in line order: the line's row in this batch (if any) with what the checks
# compare, the line's rank among the file's lines of its pd_id (DUPLIKAT from the second), whether
# a pd_id that is no line of this batch was sent by this provider in another batch of the period,
# the row standing for the recipient when it is not this line, the packages delivered so far on
# the line's number in the period (only where this line would deliver one) and whether another
# line of the file names that number too.
_INJECTION_CONTEXT = """
SELECT c.line, c.phone, c.status, c.note, c.kuota, c.waktu,
       c.did, c.sent, c.was, c.was_reason, c.was_gb, c.was_at, c.package, c.nth,
       CASE WHEN c.did IS NULL THEN EXISTS (
         SELECT 1 FROM sptjm_disbursement o WHERE o.recipient_id = c.rid AND o.period_id = %(period)s
         AND o.provider = %(provider)s AND o.status <> 'DIKECUALIKAN') END AS elsewhere,
       CASE WHEN c.did IS NOT NULL AND NOT c.was_current THEN (
         SELECT s.id FROM sptjm_disbursement s WHERE s.recipient_id = c.rid AND s.period_id = %(period)s
         AND s.is_current) END AS standing_id,
       CASE WHEN c.did IS NOT NULL AND NOT c.was_current THEN (
         SELECT s.status FROM sptjm_disbursement s WHERE s.recipient_id = c.rid AND s.period_id = %(period)s
         AND s.is_current) END AS standing_status,
       CASE WHEN c.did IS NOT NULL AND c.status = 'BERHASIL' AND c.was <> 'BERHASIL' THEN (
         SELECT count(*) FROM sptjm_disbursement b WHERE b.period_id = %(period)s
         AND b.phone_e164 = c.sent AND b.status = 'BERHASIL') END AS delivered,
       m.n AS lines_on_number, c.rid
FROM {ctx} c LEFT JOIN (SELECT sent, count(*) AS n FROM {ctx} WHERE sent IS NOT NULL GROUP BY sent) m
  ON m.sent = c.sent
ORDER BY c.line
"""
_INJECTION_JOIN = """
INSERT INTO {ctx} (line, rid, phone, status, note, kuota, waktu, did, sent, was, was_reason, was_gb,
                   was_at, package, was_current, nth)
SELECT s.line, s.rid, s.phone, s.status, s.note, s.kuota, s.waktu, d.id, d.phone_e164, d.status,
       d.reason, d.reported_gb, d.reported_at, d.package_gb, d.is_current,
       row_number() OVER (PARTITION BY s.rid ORDER BY s.line)
FROM {stage} s LEFT JOIN sptjm_disbursement d ON d.batch_id = %(batch)s AND d.recipient_id = s.rid
"""
# The earlier current row first: one current row per recipient and period (a unique index).
# UPDATE … FROM: PostgreSQL, and SQLite from 3.33.
_INJECTION_SUPERSEDE = """
UPDATE sptjm_disbursement AS d SET is_current = FALSE FROM {out} AS o WHERE d.id = o.supersedes
"""
# updated_at says when the provider's report changed the line: the daily digest tells a school of
# failures reported since its last mail by it (decision 0043), and the failure list shows the newest
# first. No index names it, so the update stays heap-only (decision 0048).
_INJECTION_UPDATE = """
UPDATE sptjm_disbursement AS d SET status = o.status, reason = o.reason, reported_gb = o.reported_gb,
       updated_at = %(now)s,
       reported_at = COALESCE(o.reported_at, d.reported_at, %(now)s), result_job_id = %(job)s,
       is_current = (d.is_current OR o.made_current), is_duplicate = (d.is_duplicate OR o.duplicate)
FROM {out} AS o WHERE d.id = o.id
"""


def apply_injection_results(
    *,
    actor: Any,
    batch: DisbursementBatch,
    path: Path,
    job: Job | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[RowIssue]]:
    """Apply `pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]` to a batch (caller holds the transaction).

    Row checks: pd_id a line of this batch (each result goes to the attempt this batch carried,
    also when its recipient was retried since), the number as sent, status BERHASIL/GAGAL,
    kuota_gb and waktu well-formed, no duplicate pd_id; BERHASIL never turns into GAGAL (a GAGAL
    may later succeed). A new BERHASIL on a number that already has max_packages_per_number
    delivered this period is refused (MELEBIHI_MAKS_PAKET). A BERHASIL of a recipient already
    delivered through another attempt is recorded and flagged (`is_duplicate`); otherwise the
    delivered attempt becomes the recipient's current row (decisions/0021).
    Plausible: no kuota_gb above 0 on a GAGAL row, waktu neither in the future nor before the
    batch was created (CLOCK_SKEW either way). A GAGAL row gives its reason (keterangan), stored
    with any number in it masked; one without a reason keeps the reason stored for that row (a
    file sent again without the optional column) and is refused when there is none.
    The same file twice changes nothing. Above the refusal share the whole file is refused.

    The file is staged and read back joined with the database in one query, the changes written
    in one statement (decision 0028); the checks run per line in file order.
    """
    issues: list[RowIssue] = []
    counts: dict[str, Any] = {
        "rows": 0,
        "berhasil": 0,
        "gagal": 0,
        "duplicate": 0,
        "unchanged": 0,
        "refused": 0,
    }
    now = timezone.now()
    cap = Period.objects.select_related("policy").get(pk=batch.period_id).policy.max_packages_per_number
    pg = connection.vendor == "postgresql"
    stage, ctx, out = _temp_name("inj_stage"), _temp_name("inj_ctx"), _temp_name("inj_out")
    rid_type = "uuid" if pg else "char(32)"
    db_uuid, to_db = _per_line_writers()
    text_columns = "phone text, status text, note text, kuota text, waktu text"
    with connection.cursor() as cursor:
        _temp_tables(
            cursor,
            {
                stage: f"line bigint NOT NULL, rid {rid_type} NOT NULL, {text_columns}",
                ctx: f"line bigint NOT NULL, rid {rid_type} NOT NULL, {text_columns}, did bigint, "
                "sent varchar(16), was varchar(16), was_reason varchar(255), was_gb numeric(6, 2), "
                f"was_at {'timestamptz' if pg else 'datetime'}, package numeric(6, 2), "
                "was_current boolean, nth bigint",
                out: "id bigint NOT NULL, status varchar(16) NOT NULL, reason varchar(255) NOT NULL, "
                f"reported_gb numeric(6, 2), reported_at {'timestamptz' if pg else 'datetime'}, "
                "made_current boolean NOT NULL, duplicate boolean NOT NULL, supersedes bigint",
            },
        )
        staged = _Stage(cursor, stage, ("line", "rid", "phone", "status", "note", "kuota", "waktu"))
        read = 0
        for line, (pd_id, phone, status, note, kuota, waktu) in iter_rows(path, INJECTION_RESULTS, issues):
            read += 1
            rid = _parse_uuid(pd_id)
            if rid is None:
                issues.append(issue(line, "pd_id", "PD_ID_TIDAK_VALID", pd_id[:40]))
                continue
            staged.add(
                (
                    line,
                    db_uuid(rid),
                    phone,
                    status.strip().upper(),
                    note.strip(),
                    kuota.strip(),
                    waktu.strip(),
                )
            )
            # Reading and staging the file is shown as the first half of the bar, checking and
            # applying its lines as the second (each call also checks the job's claim).
            if progress and not read % STAGE_BLOCK:
                progress.update(read // 2)
        staged.flush()
        counts["rows"] = read
        params = {"batch": _db_uuid(batch.pk), "period": batch.period_id, "provider": batch.provider}
        _fresh_statistics(cursor)
        cursor.execute(_INJECTION_JOIN.format(ctx=ctx, stage=stage), params)
        if pg:
            cursor.execute(f"ANALYZE {ctx}")
        changes = _Stage(
            cursor,
            out,
            (
                "id",
                "status",
                "reason",
                "reported_gb",
                "reported_at",
                "made_current",
                "duplicate",
                "supersedes",
            ),
        )
        # Packages delivered by this file so far on the numbers that more than one of its lines name
        # (every other number: only its own line can deliver on it).
        delivered_here: Counter[str] = Counter()
        # ISO 8601 with its offset, so that the provider can compare it with its own `waktu`.
        batch_created = (
            timezone.localtime(batch.created_at, zones.programme_tz()).replace(microsecond=0).isoformat()
        )
        # Lines this file moves out of DIJADWALKAN: one change per line (a second row of a pd_id
        # is refused), read under the batch's row lock, so `was` is what the update replaces.
        answered = 0
        done = 0
        for block in _large_reads(cursor, _INJECTION_CONTEXT.format(ctx=ctx), params):
            for (
                line,
                phone,
                status,
                note,
                kuota,
                waktu,
                did,
                sent,
                was,
                was_reason,
                was_gb,
                was_at,
                package,
                nth,
                elsewhere,
                standing_id,
                standing_status,
                delivered,
                lines_on_number,
                rid,
            ) in block:
                if did is None:
                    code = "BUKAN_BATCH_INI" if elsewhere else "BUKAN_PENERIMA_PROVIDER"
                    issues.append(issue(line, "pd_id", code, _pd_id_text(rid)))
                    continue
                if nth > 1:
                    issues.append(issue(line, "pd_id", "DUPLIKAT", _pd_id_text(rid)))
                    continue
                e164 = normalize_msisdn(phone)
                if e164 is None:
                    issues.append(issue(line, "no_ponsel", "NOMOR_TIDAK_VALID", masked_value(phone)))
                    continue
                if e164 != sent:
                    issues.append(issue(line, "no_ponsel", "NOMOR_TIDAK_SESUAI", mask(phone)))
                    continue
                if status not in (DisbursementStatus.BERHASIL, DisbursementStatus.GAGAL):
                    issues.append(issue(line, "status", "STATUS_INJEKSI_TIDAK_VALID", status[:20]))
                    continue
                reported = None
                if kuota:
                    reported = _parse_gb(kuota)
                    if reported is None:
                        issues.append(issue(line, "kuota_gb", "KUOTA_TIDAK_VALID", kuota[:20]))
                        continue
                if status == DisbursementStatus.GAGAL and reported:
                    issues.append(issue(line, "kuota_gb", "KUOTA_PADA_GAGAL", kuota[:20]))
                    continue
                at = None
                if waktu:
                    at = _parse_time(waktu)
                    if at is None:
                        issues.append(issue(line, "waktu", "WAKTU_TIDAK_VALID", waktu[:40]))
                        continue
                    if at > now + CLOCK_SKEW:
                        issues.append(issue(line, "waktu", "WAKTU_DI_MASA_DEPAN", waktu[:40]))
                        continue
                    if at < batch.created_at - CLOCK_SKEW:
                        issues.append(
                            issue(line, "waktu", "WAKTU_SEBELUM_BATCH", waktu[:40], created=batch_created)
                        )
                        continue
                if was == DisbursementStatus.BERHASIL and status == DisbursementStatus.GAGAL:
                    issues.append(issue(line, "status", "BERTENTANGAN_INJEKSI", status))
                    continue
                reason = ""
                if status == DisbursementStatus.GAGAL:
                    reported = None  # nothing delivered (an empty or 0 kuota_gb)
                    # Masked before it is cut: a number cut in two would leave its digits readable.
                    reason = masked_note(note)[:255]
                    if not reason and was == DisbursementStatus.GAGAL:
                        reason = was_reason  # sent again without the (optional) keterangan
                    if not reason:
                        issues.append(issue(line, "keterangan", "ALASAN_GAGAL_WAJIB"))
                        continue
                delivers = status == DisbursementStatus.BERHASIL and was != DisbursementStatus.BERHASIL
                if delivers and delivered + delivered_here[sent] >= cap:
                    issues.append(issue(line, "status", "MELEBIHI_MAKS_PAKET", status))
                    continue
                if reported is None and status == DisbursementStatus.BERHASIL:
                    reported = _from_db_decimal(package)
                if (
                    was == status
                    and was_reason == reason
                    and _from_db_decimal(was_gb) == reported
                    and (at is None or _from_db_datetime(was_at) == at)
                ):
                    counts["unchanged"] += 1
                    continue
                made_current = duplicate = False
                supersedes = None
                if delivers:
                    if lines_on_number > 1:
                        delivered_here[sent] += 1
                    if standing_id is not None:  # another row stands for the recipient
                        if standing_status == DisbursementStatus.BERHASIL:
                            duplicate = True  # delivered twice: recorded, flagged, counted once
                            counts["duplicate"] += 1
                        else:  # the first delivered attempt stands for the recipient
                            supersedes, made_current = standing_id, True
                changes.add(
                    (did, status, reason, to_db(reported), to_db(at), made_current, duplicate, supersedes)
                )
                if was == DisbursementStatus.DIJADWALKAN:
                    answered += 1
                counts["berhasil" if status == DisbursementStatus.BERHASIL else "gagal"] += 1
            done += len(block)
            if progress:
                progress.update(read // 2 + done // 2)
        counts["rows"] += sum(1 for i in issues if i.code == "JUMLAH_KOLOM")
        issues.sort(key=lambda i: i.line)
        _check_share(counts["rows"], issues, counts)
        changes.flush()
        cursor.execute(_INJECTION_SUPERSEDE.format(out=out))
        job_id = _db_uuid(job.pk) if job else None
        if job is not None:
            _hold_job(cursor, job_id)
        cursor.execute(_INJECTION_UPDATE.format(out=out), {"now": _to_db(now), "job": job_id})
        _drop_temp_tables(cursor, stage, ctx, out)
    counts["pending"] = _lines_answered(batch, answered)
    if progress:
        progress.update(counts["rows"])
    return counts, issues


def _lines_answered(batch: DisbursementBatch, answered: int) -> int:
    """Lower the batch's count of lines still DIJADWALKAN by the `answered` lines an injection
    apply just moved out of it, mark the batch SELESAI when none is left, and return the count.

    One UPDATE of the batch row instead of counting its lines (decision 0053); the caller holds
    the apply's transaction and the batch's row lock. A count that would go below zero means a
    line was written outside a disbursement run: the lines are counted then, and the count kept.
    """
    rows = DisbursementBatch.objects.filter(pk=batch.pk)
    if answered:
        # Both SET expressions read the row as it was: `pending = answered` is "none left after".
        rows.update(
            pending=F("pending") - answered,
            state=Case(
                When(pending=answered, then=Value(DisbursementBatch.State.SELESAI)), default=F("state")
            ),
        )
    pending = rows.values_list("pending", flat=True).get()
    if pending < 0:
        pending = Disbursement.objects.filter(batch=batch, status=DisbursementStatus.DIJADWALKAN).count()
        rows.update(
            pending=pending,
            state=DisbursementBatch.State.SELESAI if pending == 0 else F("state"),
        )
    return pending


def run_injection_job(job: Job) -> dict[str, Any]:
    """Runner for kind 'ingest_injection' (params: batch_id; input_path: the results file)."""
    progress = Progress(job)
    batch_id = _parse_uuid(str(job.params.get("batch_id", "")))
    with transaction.atomic():
        batch = (
            DisbursementBatch.objects.select_for_update().filter(pk=batch_id).first() if batch_id else None
        )
        if batch is None or (job.provider and job.provider != batch.provider):
            raise refused("BATCH_TIDAK_DIKENAL")
        # A result may move a recipient's current row to another batch's (or provider's) attempt
        # and counts the packages delivered on a number: one writer per period at a time, as a
        # disbursement run (which locks the period row too). NO KEY, as the run: a school's print
        # meanwhile is not refused (decision 0121).
        Period.objects.select_for_update(no_key=True).filter(pk=batch.period_id).first()
        counts, issues = apply_injection_results(
            actor=job.created_by, batch=batch, path=files.absolute(job.input_path), job=job, progress=progress
        )
        save_issues(job, issues)
        audit.record(
            actor=job.created_by,
            action="ingest_injection_results",
            object_type="disbursement_batch",
            object_id=batch.pk,
            provider=batch.provider,
            after=counts,
        )
        analyze_after_commit()
    job.progress_done = job.progress_total = counts["rows"]
    return counts


# ------------------------------------------------------------------ usage reports


# Per staged usage line, in line order: its rank among the file's lines of its pd_id, what the
# recipient's lines with this provider in the period say of the line's number (NULL: no line;
# 0: lines, none on this number; 1: a line on it, none delivered; 2: delivered on it), and the
# figure stored for the recipient, if any.
_USAGE_CONTEXT = """
SELECT s.line, s.rid, s.phone, s.e164, s.usage,
       row_number() OVER (PARTITION BY s.rid ORDER BY s.line) AS nth,
       (SELECT max(CASE WHEN d.phone_e164 <> s.e164 OR s.e164 IS NULL THEN 0
                        WHEN d.status = 'BERHASIL' THEN 2 ELSE 1 END)
        FROM sptjm_disbursement d WHERE d.recipient_id = s.rid AND d.period_id = %(period)s
        AND d.provider = %(provider)s AND d.status <> 'DIKECUALIKAN') AS sent,
       u.id, u.usage_gb, u.phone_e164
FROM {stage} s LEFT JOIN sptjm_usagereport u
  ON u.period_id = %(period)s AND u.provider = %(provider)s AND u.recipient_id = s.rid
ORDER BY s.line
"""
_USAGE_INSERT = """
INSERT INTO sptjm_usagereport (period_id, provider, recipient_id, phone_e164, usage_gb, job_id)
SELECT %(period)s, %(provider)s, o.rid, o.e164, o.usage, %(job)s FROM {out} AS o
WHERE o.uid IS NULL ORDER BY o.line
"""
_USAGE_UPDATE = """
UPDATE sptjm_usagereport AS u SET usage_gb = o.usage, phone_e164 = o.e164, job_id = %(job)s
FROM {out} AS o WHERE u.id = o.uid
"""


def apply_usage(
    *, actor: Any, period: Period, provider: str, path: Path, job: Job | None = None
) -> tuple[dict[str, Any], list[RowIssue]]:
    """Apply `pd_id,no_ponsel,pemakaian_gb` for a provider and period (replaces earlier figures).

    Only for a number its recipient was delivered this period by this provider (a BERHASIL line):
    a recipient sent but failed or still without a result had no quota to use
    (INJEKSI_TIDAK_BERHASIL), and its figure would exclude it next period as PEMAKAIAN_RENDAH.
    Staged, read back joined and written set-based as the injection results (decision 0028).
    """
    issues: list[RowIssue] = []
    counts: dict[str, Any] = {"rows": 0, "added": 0, "changed": 0, "unchanged": 0, "refused": 0}
    pg = connection.vendor == "postgresql"
    stage, out = _temp_name("use_stage"), _temp_name("use_out")
    rid_type = "uuid" if pg else "char(32)"
    db_uuid, to_db = _per_line_writers()
    with connection.cursor() as cursor:
        _temp_tables(
            cursor,
            {
                stage: f"line bigint NOT NULL, rid {rid_type} NOT NULL, phone text, e164 varchar(16), usage text",
                out: f"line bigint NOT NULL, uid bigint, rid {rid_type} NOT NULL, e164 varchar(16) NOT NULL, "
                "usage numeric(8, 2) NOT NULL",
            },
        )
        staged = _Stage(cursor, stage, ("line", "rid", "phone", "e164", "usage"))
        read = 0
        for line, (pd_id, phone, usage) in iter_rows(path, USAGE_REPORT, issues):
            read += 1
            rid = _parse_uuid(pd_id)
            if rid is None:
                issues.append(issue(line, "pd_id", "PD_ID_TIDAK_VALID", pd_id[:40]))
                continue
            staged.add((line, db_uuid(rid), phone, normalize_msisdn(phone), usage))
        staged.flush()
        counts["rows"] = read
        params: dict[str, Any] = {
            "period": period.code,
            "provider": provider,
            "job": _db_uuid(job.pk) if job else None,
        }
        changes = _Stage(cursor, out, ("line", "uid", "rid", "e164", "usage"))
        _fresh_statistics(cursor)
        for block in _large_reads(cursor, _USAGE_CONTEXT.format(stage=stage), params):
            for line, rid, phone, e164, usage, nth, sent, uid, old_usage, old_phone in block:
                if sent is None:
                    issues.append(issue(line, "pd_id", "BUKAN_PENERIMA_PROVIDER", _pd_id_text(rid)))
                    continue
                if nth > 1:
                    issues.append(issue(line, "pd_id", "DUPLIKAT", _pd_id_text(rid)))
                    continue
                if e164 is None:
                    issues.append(issue(line, "no_ponsel", "NOMOR_TIDAK_VALID", masked_value(phone)))
                    continue
                if sent == 0:
                    issues.append(issue(line, "no_ponsel", "NOMOR_TIDAK_SESUAI", mask(phone)))
                    continue
                if sent == 1:
                    issues.append(issue(line, "pd_id", "INJEKSI_TIDAK_BERHASIL", _pd_id_text(rid)))
                    continue
                value = _parse_gb(usage)
                if value is None:
                    issues.append(issue(line, "pemakaian_gb", "PEMAKAIAN_TIDAK_VALID", usage[:20]))
                    continue
                if uid is None:
                    changes.add((line, None, rid, e164, to_db(value)))
                    counts["added"] += 1
                elif _from_db_decimal(old_usage) != value or old_phone != e164:
                    changes.add((line, uid, rid, e164, to_db(value)))
                    counts["changed"] += 1
                else:
                    counts["unchanged"] += 1
        counts["rows"] += sum(1 for i in issues if i.code == "JUMLAH_KOLOM")
        issues.sort(key=lambda i: i.line)
        _check_share(counts["rows"], issues, counts)
        changes.flush()
        cursor.execute(_USAGE_INSERT.format(out=out), params)
        cursor.execute(_USAGE_UPDATE.format(out=out), params)
        _drop_temp_tables(cursor, stage, out)
    return counts, issues


def run_usage_job(job: Job) -> dict[str, Any]:
    """Runner for kind 'ingest_usage' (params: period; job.provider; input_path)."""
    period = Period.objects.filter(code=job.params.get("period", "")).first()
    if period is None:
        raise refused("PERIODE_TIDAK_DIBUKA")
    with transaction.atomic():
        counts, issues = apply_usage(
            actor=job.created_by,
            period=period,
            provider=job.provider,
            path=files.absolute(job.input_path),
            job=job,
        )
        save_issues(job, issues)
        audit.record(
            actor=job.created_by,
            action="ingest_usage_report",
            object_type="period",
            object_id=period.code,
            provider=job.provider,
            after=counts,
        )
        analyze_after_commit()
    job.progress_done = job.progress_total = counts["rows"]
    return counts


__all__ = [
    "JobRefused",
    "apply_injection_results",
    "disburse",
    "run_disbursement_job",
    "run_injection_job",
    "run_usage_job",
]


def run_scan_check_job(job: Job) -> dict[str, Any]:
    """Runner of `sptjm_scan` (decision 0095): the QR check of a scan the school's page received
    (`actions.receive_scan`), made and applied by `actions.check_received_scan`. A refusal is the
    job's (REFUSED with the upload's code and message): the document was left as it was. The
    counts are what the job page shows; the outcome itself is on the document and its audit row."""
    from verval.sptjm import actions
    from verval.sptjm.reasons import ActionRefused

    try:
        result = actions.check_received_scan(job, Progress(job))
    except ActionRefused as refused:
        raise JobRefused(refused.code, refused.message, refused.message_en) from refused
    kept = result.sptjm.scan_pages or {}
    return {
        "printed_pages": int(kept.get("printed_pages", 0)),
        "pages_with_qr": int(kept.get("pages_with_qr", 0)),
        "warnings": len(result.warnings),
    }


def run_print_job(job: Job) -> dict[str, Any]:
    """Runner of `sptjm_print` (decision 0102): a large school's print, made by the same
    `print_sptjm` as a small one in its request (`actions.print_requested`). A refusal is the
    job's (REFUSED with the print's code and message): nothing was printed, nothing locked. The
    counts are what the job page shows; the document itself is on the school's SPTJM page."""
    from verval.sptjm import actions
    from verval.sptjm.reasons import ActionRefused

    try:
        sptjm, _created = actions.print_requested(job)
    except ActionRefused as refused:
        raise JobRefused(refused.code, refused.message, refused.message_en) from refused
    return {"rows": sptjm.rows}
