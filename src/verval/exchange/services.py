"""The heavy paths of the exchange: writing dump files and applying match results.

Both are set-based SQL over the registry: on PostgreSQL the dump streams out of
`COPY (SELECT ...) TO STDOUT` into a gzip compressor running in a second thread, and results
are loaded with `COPY ... FROM STDIN` into a temporary staging table, checked with joins and
applied with a few large statements. SQLite runs the same SQL with a batched executemany load.
Called from verval.exchange.actions (state changes) and the job runners below.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import select
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from isal import isal_zlib

from verval.core import audit, files
from verval.core.db import (
    DUMP_JOBS,
    REGISTRY_JOBS,
    analyze_after_commit,
    planner_settings,
    serialise_jobs,
    share_jobs,
)
from verval.core.jobs import JobRefused, Progress, RowIssue, save_issues
from verval.core.models import Job
from verval.core.trace import PhaseTrace
from verval.exchange.models import (
    DumpBatch,
    NumberFormat,
    ProviderSetting,
    RefusedContradiction,
    ResultStatus,
)
from verval.exchange.reasons import INFO_CODES, ONLY_CONTRADICTIONS, REFUSALS
from verval.exchange.resultfile import (
    MATCH_RESULTS,
    REFUSED_FILE_ISSUES_KEPT,
    header_fits,
    issue,
    iter_rows,
    masked_value,
    read_whole,
    refused,
    refused_no_line_end,
)
from verval.phones import mask
from verval.reference import zones

DUMP_COLUMNS = ("pd_id", "tingkat_pendidikan", "npsn", "no_ponsel")
GZIP_LEVEL = 1  # ISA-L's level 1: docs/decisions/0003-dump-compression.md

ITEM = "exchange_dumpitem"
RECIPIENT = "registry_recipient"
BATCH = "exchange_dumpbatch"


def is_pg() -> bool:
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------------------------------------
# Writing compressed files


class GzipSink:
    """Compresses (ISA-L deflate, a standard gzip stream) and hashes chunks in a second thread
    (both release the GIL), so reading from the database and compressing overlap on two cores."""

    def __init__(self, path: Path, level: int = GZIP_LEVEL) -> None:
        self.path = path
        self.tmp = path.with_suffix(path.suffix + ".part")
        self.digest = hashlib.sha256()
        self.size = 0
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._error: BaseException | None = None
        self._level = level
        self._buf: list[bytes] = []
        self._buflen = 0
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            comp = isal_zlib.compressobj(self._level, isal_zlib.DEFLATED, 31)
            with open(self.tmp, "wb") as out:
                while True:
                    chunk = self._q.get()
                    data = comp.compress(chunk) if chunk is not None else comp.flush()
                    if data:
                        self.digest.update(data)
                        self.size += len(data)
                        out.write(data)
                    if chunk is None:
                        break
        except BaseException as exc:  # noqa: BLE001 - re-raised in close()
            self._error = exc
            while self._q.get() is not None:  # drain so the producer never blocks
                pass

    def write(self, data: bytes) -> None:
        self._buf.append(data)
        self._buflen += len(data)
        if self._buflen >= 1 << 20:
            self._q.put(b"".join(self._buf))
            self._buf, self._buflen = [], 0

    def close(self) -> tuple[str, int]:
        if self._buf:
            self._q.put(b"".join(self._buf))
            self._buf, self._buflen = [], 0
        self._q.put(None)
        self._thread.join()
        if self._error is not None:
            self.tmp.unlink(missing_ok=True)
            raise self._error
        os.replace(self.tmp, self.path)
        return self.digest.hexdigest(), self.size

    def abort(self) -> None:
        try:
            self._q.put(None)
            self._thread.join()
        finally:
            self.tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Dumps

_GRADE_SQL = (
    "CASE WHEN r.kind = 'PTK' THEN 'PTK' WHEN r.category = 'PAUD' OR r.grade IS NULL THEN 'PAUD' "
    "ELSE CAST(r.grade AS {text}) END"
)


def _next_batch_id(provider: str) -> str:
    # The WIB day, also when Pusdatin publishes from a page shown in another zone (decision 0037).
    stem = f"DMP-{zones.file_day()}-{provider}-"
    last = DumpBatch.objects.filter(id__startswith=stem).order_by("-id").values_list("id", flat=True).first()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{n:04d}"


def dump_paths(batch_id: str, provider: str) -> tuple[str, str]:
    folder = f"dumps/{provider}"
    return f"{folder}/{batch_id}.csv.gz", f"{folder}/{batch_id}.manifest.json"


# How each number format writes the stored E.164 (`+6281234567890`) as no_ponsel, in SQL that
# PostgreSQL and SQLite both run (decision 0027); `{phone}` is the column holding the E.164
# number. Every stored number is an Indonesian mobile number (the number engine accepts nothing
# else), so the national form is `0` and what follows +62. The dump and the disbursement batch
# files (verval.sptjm.services) both write no_ponsel through `phone_sql`.
PHONE_SQL = {
    NumberFormat.MSISDN: "substr({phone}, 2)",
    NumberFormat.E164: "{phone}",
    NumberFormat.NATIONAL: "'0' || substr({phone}, 4)",
}


def number_formats(providers: Iterable[str]) -> dict[str, str]:
    """The number format Pusdatin has set for each provider (the default for one without)."""
    wanted = list(providers)
    stored = dict(
        ProviderSetting.objects.filter(provider__in=wanted).values_list("provider", "number_format")
    )
    return {p: stored.get(p, NumberFormat.MSISDN) for p in wanted}


def phone_sql(
    formats: dict[str, str], key: str, phone: str = "phone", default: str | None = None
) -> tuple[str, list[str]]:
    """The SELECT expression that writes the E.164 column `phone` of each row in the format
    `formats` gives the value of its column `key` (a batch id, a provider), with its parameters.
    A value not in `formats` gets `default` (None: the format of the most values). When every
    value has that one format (the usual case, always with the default) the expression is that
    format's alone: a row pays for a CASE only when formats differ."""
    by_format: dict[str, list[str]] = {}
    for value, fmt in formats.items():
        by_format.setdefault(fmt, []).append(value)
    common = default or max(by_format, key=lambda f: len(by_format[f]), default=NumberFormat.MSISDN)
    whens, params = [], []
    for fmt, values in by_format.items():
        if fmt != common:
            expr = PHONE_SQL[NumberFormat(fmt)].format(phone=phone)
            whens.append(f"WHEN {key} IN ({', '.join(['%s'] * len(values))}) THEN {expr}")
            params += values
    plain = PHONE_SQL[NumberFormat(common)].format(phone=phone)
    if not whens:
        return plain, []
    return f"CASE {' '.join(whens)} ELSE {plain} END", params


def _phone_column(batch_ids: list[str]) -> tuple[str, list[str]]:
    """no_ponsel for these dump batches, each in the format recorded on it (`phone_sql`)."""
    formats = dict(DumpBatch.objects.filter(id__in=batch_ids).values_list("id", "number_format"))
    return phone_sql({b: formats.get(b, NumberFormat.MSISDN) for b in batch_ids}, "batch_id")


# One pass writes every batch of a dump: each row starts with a one-character tag naming its
# batch, and the reader hands the rest of the line to that batch's file. Per batch, COPY scanned
# the whole dump table (one INSERT interleaves the providers' rows on every page, so the BRIN
# index cannot narrow it): six scans of a million rows cost more than formatting them.
_TAGS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BLOCK = 1 << 20


def _write_rows_pg(
    cursor: Any, batch_ids: list[str], sinks: list[GzipSink], progress: Progress | None, offset: int = 0
) -> list[int]:
    from psycopg import sql

    tag = sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(b), sql.Literal(_TAGS[i]))
        for i, b in enumerate(batch_ids)
    )
    wanted = sql.SQL(", ").join(sql.Literal(b) for b in batch_ids)
    # no_ponsel in each batch's number format, formatted by PostgreSQL as it writes the row.
    phone_sql, phone_params = _phone_column(batch_ids)
    phone = sql.SQL(phone_sql.replace("%s", "{}")).format(*(sql.Literal(b) for b in phone_params))
    # No join and no sort: rows come in the order they lie on disk, so COPY streams as fast as
    # PostgreSQL formats them (decision 0003). The file is written once; downloads serve it.
    query = sql.SQL(
        f"COPY (SELECT CASE batch_id {{}} END, recipient_id, grade, npsn, {{}} FROM {ITEM} "  # noqa: S608
        "WHERE batch_id IN ({})) TO STDOUT WITH (FORMAT csv)"
    ).format(tag, phone, wanted)
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
    # No parallel workers: their rows arrive in any order, one reader returns each batch in the
    # order it was written (the same file every time), and the second core is compressing.
    raw.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    header = (",".join(DUMP_COLUMNS) + "\n").encode()
    blocks: list[bytearray] = [bytearray() for _ in range(128)]
    for i in range(len(sinks)):
        blocks[ord(_TAGS[i])] += header
    # Rows are counted per block (one newline each, less the header's): no work per row.
    counts = [-1] * len(sinks)
    sent = 0

    def flush(tag: int) -> None:
        nonlocal sent
        block, i = blocks[tag], _TAGS.index(chr(tag))
        counts[i] += block.count(10)
        sinks[i].write(bytes(block))
        sent += len(block)
        block.clear()

    # libpq hands COPY over one row at a time. Read through psycopg's Copy object, a row cost
    # ~0.8 µs of Python before any work; straight from libpq (PQgetCopyData) ~0.45 µs, and the
    # whole write of 1 M rows went from 1.9–2.5 s to 1.0–1.5 s (docs/benchmarks-exchange.md).
    pg = raw.connection.pgconn
    _copy_out_start(pg, raw.connection, query.as_bytes(raw))
    get = pg.get_copy_data
    size = 1
    try:
        while True:
            size, data = get(0)
            if size <= 0:
                break
            block = blocks[data[0]]
            block += data[2:]
            if len(block) >= _BLOCK:
                flush(data[0])
                if progress is not None:
                    progress.update(offset + sent // 64)  # ~64 bytes a row: an estimate for the bar
    finally:
        _copy_out_end(pg, raw.connection, ended=size <= 0)
    for i in range(len(sinks)):
        flush(ord(_TAGS[i]))
    return counts


def _copy_out_start(pg: Any, conn: Any, query: bytes) -> None:
    from psycopg import pq

    pg.send_query(query)
    while pg.flush():  # a non-blocking connection may not send the query in one go
        select.select([], [pg.socket], [])
    result = pg.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        _drain_results(pg)  # leave the connection idle before raising
        _raise_result(pg, result, conn)


def _copy_out_end(pg: Any, conn: Any, *, ended: bool) -> None:
    """Read the COPY to its end (also after an error on our side: the connection must leave
    COPY OUT before anything else runs on it) and raise the server's error if it sent one."""
    while not ended:
        ended = pg.get_copy_data(0)[0] <= 0
    failed = _drain_results(pg)
    if failed is not None:
        _raise_result(pg, failed, conn)


def _drain_results(pg: Any) -> Any:
    """Read every pending result, so the connection is idle; returns the last failed one."""
    from psycopg import pq

    failed = None
    while (result := pg.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            failed = result
    return failed


def _raise_result(pg: Any, result: Any, conn: Any) -> None:
    from psycopg import errors

    if result is None:
        raise errors.OperationalError(pg.get_error_message())
    raise errors.error_from_result(result, encoding=conn.info.encoding)


def _write_rows_sqlite(
    cursor: Any, batch_ids: list[str], sinks: list[GzipSink], progress: Progress | None, offset: int = 0
) -> list[int]:
    phone_sql, phone_params = _phone_column(batch_ids)
    cursor.execute(
        f"SELECT batch_id, recipient_id, grade, npsn, {phone_sql} FROM {ITEM} "  # noqa: S608
        f"WHERE batch_id IN ({', '.join(['%s'] * len(batch_ids))}) ORDER BY id",
        [*phone_params, *batch_ids],
    )
    header = (",".join(DUMP_COLUMNS) + "\n").encode()
    lines: dict[str, list[str]] = {b: [] for b in batch_ids}
    sink_of = dict(zip(batch_ids, sinks, strict=True))
    counts = dict.fromkeys(batch_ids, 0)
    for sink in sinks:
        sink.write(header)
    done = 0
    while True:
        rows = cursor.fetchmany(10000)
        if not rows:
            break
        for batch_id, rid, grade_label, npsn, phone in rows:
            h = rid.replace("-", "")
            lines[batch_id].append(
                f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]},{grade_label},{npsn},{phone}\n"
            )
        for batch_id, out in lines.items():
            if out:
                counts[batch_id] += len(out)
                sink_of[batch_id].write("".join(out).encode())
                out.clear()
        done += len(rows)
        if progress is not None:
            progress.update(offset + done)
    return [counts[b] for b in batch_ids]


def write_dump_files(
    cursor: Any, batch_ids: list[str], sinks: list[GzipSink], progress: Progress | None = None
) -> list[int]:
    """Write the rows of `batch_ids`, each batch to its own sink, in passes of at most len(_TAGS)
    batches; returns the rows written per batch."""
    writer = _write_rows_pg if is_pg() else _write_rows_sqlite
    counts: list[int] = []
    for start in range(0, len(batch_ids), len(_TAGS)):
        end = start + len(_TAGS)
        counts += writer(cursor, batch_ids[start:end], sinks[start:end], progress, sum(counts))
    return counts


def statistics_stale(known: float, changed: int, live: int) -> bool:
    """A table's planner statistics are too old to plan the dump's joins: never gathered
    (`reltuples` -1), or more rows changed or added since than a fifth of the rows they know of
    (with 1,000 rows of slack, so that small changes never pay for an ANALYZE)."""
    if known < 0:
        return True
    return changed > 0.2 * known + 1000 or live > 2 * known + 1000


def _fresh_statistics(cursor: Any, tables: Iterable[str]) -> list[str]:
    """PostgreSQL: ANALYZE those of `tables` whose statistics are stale; returns their names.

    A dump right after a large validation planned on the registry's statistics from before it
    (about one recipient MENUNGGU_PROVIDER where 230 k were): a nested loop that, with the dump
    rows' own INSERT (below), ran for more than 15 minutes instead of seconds (decision 0079).
    ANALYZE reads a sample: well under a second at millions of rows. Not for the dump rows: an
    empty table analysed is planned as empty even while the INSERT fills it."""
    if connection.vendor != "postgresql":
        return []
    done = []
    for table in tables:
        cursor.execute(
            "SELECT c.reltuples, COALESCE(s.n_mod_since_analyze, 0), COALESCE(s.n_live_tup, 0) FROM pg_class c "
            "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
        if row is not None and statistics_stale(float(row[0]), int(row[1]), int(row[2])):
            cursor.execute(f"ANALYZE {table}")
            done.append(table)
    return done


def publish_dump_batches(
    *, actor: Any, providers: list[str], job: Job | None = None, progress: Progress | None = None
) -> list[DumpBatch]:
    """Publish one dump batch per provider of what is new or changed (inside the caller's
    transaction); providers with nothing new get no batch.

    One pass over the registry for all providers: a supersede UPDATE and one INSERT … SELECT that
    routes each recipient to its provider's batch. Per provider these were two sequential scans
    of the whole registry each (measured at 10 M: 4.5 of the 6.75 minutes of an all-provider dump).
    """
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    ops = ", ".join(["%s"] * len(providers))
    eligible = (
        f"r.active = TRUE AND r.status = 'MENUNGGU_PROVIDER' AND r.operator IN ({ops}) AND r.phone_e164 <> ''"
    )
    with connection.cursor() as cursor:
        serialise_jobs(DUMP_JOBS)
        _fresh_statistics(cursor, (RECIPIENT,))
        # An open row whose recipient now has another number is superseded by the new one.
        cursor.execute(
            f"UPDATE {ITEM} SET is_open = FALSE, superseded = TRUE WHERE is_open = TRUE AND EXISTS ("  # noqa: S608
            f"SELECT 1 FROM {RECIPIENT} r WHERE r.id = {ITEM}.recipient_id AND {eligible} "
            f"AND r.phone_e164 <> {ITEM}.phone) RETURNING batch_id",
            providers,
        )
        touched = {row[0] for row in cursor.fetchall()}
        planned: list[DumpBatch] = []
        # Each batch keeps the format its provider has now; the file is written in it.
        formats = number_formats(providers)
        for provider in providers:
            batch_id = _next_batch_id(provider)
            file_rel, manifest_rel = dump_paths(batch_id, provider)
            planned.append(
                DumpBatch.objects.create(
                    id=batch_id,
                    provider=provider,
                    created_by=user,
                    job=job,
                    file_path=file_rel,
                    manifest_path=manifest_rel,
                    number_format=formats[provider],
                )
            )
        route = " ".join(["WHEN %s THEN %s"] * len(planned))
        route_params: list[str] = [v for b in planned for v in (b.provider, b.id)]
        grade = _GRADE_SQL.format(text="varchar(4)")
        # The INSERT reads the table it writes: planned as a nested loop, each recipient's NOT
        # EXISTS scans the dump rows again, those this INSERT already wrote included — a
        # quadratic run whenever the dump rows look empty or small to the planner (a first
        # dump after they were analysed empty, a pilot's few thousand rows). A hash or merge
        # anti-join reads them once (decision 0079).
        with planner_settings(cursor, enable_nestloop="off"):
            cursor.execute(
                f"INSERT INTO {ITEM} (batch_id, recipient_id, phone, grade, npsn, result, note, is_open, superseded, conflict_result) "  # noqa: S608
                f"SELECT CASE r.operator {route} END, r.id, r.phone_e164, {grade}, r.school_id, '', '', TRUE, FALSE, '' "
                f"FROM {RECIPIENT} r WHERE {eligible} "
                f"AND NOT EXISTS (SELECT 1 FROM {ITEM} d WHERE d.recipient_id = r.id AND d.is_open = TRUE)",
                [*route_params, *providers],
            )
            total = cursor.rowcount
        if touched:
            refresh_batches(touched)
        if progress is not None:
            progress.update(0, total)
        published = _write_batch_files(cursor, planned, now, progress)
    for batch in published:
        audit.record(
            actor=actor,
            action="publish_dump",
            object_type="dump_batch",
            object_id=batch.id,
            provider=batch.provider,
            after={"rows": batch.rows, "sha256": batch.sha256},
        )
    if progress is not None:
        progress.update(total, total, force=True)
    return published


def _write_batch_files(
    cursor: Any, batches: list[DumpBatch], now: Any, progress: Progress | None
) -> list[DumpBatch]:
    """Write every batch's file in one pass; a batch that got no rows is deleted with its file."""
    sinks: list[GzipSink] = []
    try:
        for batch in batches:
            path = files.root() / batch.file_path
            path.parent.mkdir(parents=True, exist_ok=True)
            sinks.append(GzipSink(path))
        counts = write_dump_files(cursor, [b.id for b in batches], sinks, progress)
    except BaseException:
        for sink in sinks:
            sink.abort()
        raise
    published: list[DumpBatch] = []
    for n, (batch, sink, rows) in enumerate(zip(batches, sinks, counts, strict=True)):
        if rows <= 0:
            sink.abort()
            batch.delete()
            continue
        try:
            sha, size = sink.close()
        except BaseException:
            for later in sinks[n + 1 :]:
                later.abort()
            raise
        manifest = {
            "batch_id": batch.id,
            "provider": batch.provider,
            "rows": rows,
            "sha256": sha,
            "size": size,
            "file": sink.path.name,
            "columns": list(DUMP_COLUMNS),
            "number_format": batch.number_format,
            "compression": "gzip",
            "created_at": now.isoformat(),
        }
        (files.root() / batch.manifest_path).write_text(json.dumps(manifest, indent=2) + "\n")
        batch.rows, batch.sha256, batch.size = rows, sha, size
        batch.save(update_fields=["rows", "sha256", "size"])
        published.append(batch)
    return published


def manifest_of(batch: DumpBatch) -> dict[str, Any]:
    try:
        manifest = json.loads(files.absolute(batch.manifest_path).read_text())
    except (OSError, ValueError):
        return {
            "batch_id": batch.id,
            "provider": batch.provider,
            "rows": batch.rows,
            "sha256": batch.sha256,
            "size": batch.size,
            "columns": list(DUMP_COLUMNS),
            "number_format": batch.number_format,
            "created_at": batch.created_at.isoformat(),
        }
    # Manifests written before formats existed lack the key; their files are all `msisdn`,
    # which is what the migration recorded on their batches.
    manifest.setdefault("number_format", batch.number_format)
    return manifest


def refresh_batches(batch_ids: Iterable[str]) -> None:
    """Recount answered/aktif/residu/superseded/contradictions and set the state of batches."""
    for batch_id in batch_ids:
        with connection.cursor() as cursor:
            cursor.execute(  # noqa: S608 - constant table names only
                "SELECT COUNT(*), "  # noqa: S608
                "COALESCE(SUM(CASE WHEN result <> '' THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN result = 'AKTIF' THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN result <> '' AND result <> 'AKTIF' THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN superseded = TRUE AND result = '' THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN conflict_result <> '' THEN 1 ELSE 0 END), 0) "
                f"FROM {ITEM} WHERE batch_id = %s",  # noqa: S608
                [batch_id],
            )
            rows, answered, aktif, residu, superseded, contradictions = cursor.fetchone()
        batch = DumpBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            continue
        batch.answered, batch.aktif, batch.residu = answered, aktif, residu
        batch.superseded, batch.contradictions = superseded, contradictions
        if batch.unanswered == 0:
            batch.state = DumpBatch.State.COMPLETE
        elif answered > 0:
            batch.state = DumpBatch.State.INCOMPLETE
        else:
            batch.state = DumpBatch.State.OPEN
        batch.save(update_fields=["answered", "aktif", "residu", "superseded", "contradictions", "state"])


def run_dump_job(job: Job) -> dict[str, Any]:
    """Runner for kind 'dump' (params: provider or none for all)."""
    from verval.exchange import actions

    progress = Progress(job)
    batches = actions.publish_dumps(
        actor=job.created_by, provider=job.params.get("provider") or None, job=job, progress=progress
    )
    counts: dict[str, Any] = {
        "batches": [
            {
                "id": b.id,
                "provider": b.provider,
                "rows": b.rows,
                "file": b.file_path,
                "sha256": b.sha256,
                "number_format": b.number_format,
            }
            for b in batches
        ],
        "rows": sum(b.rows for b in batches),
    }
    if not batches:
        # A dump takes only validated numbers: right after a cutoff import, "nothing new to send"
        # read as if the round were done while the changed numbers waited for the validation run.
        # Counted only here (a scan of the registry), where the page needs to say it.
        from verval.registry.models import Recipient

        counts["awaiting_validation"] = Recipient.objects.filter(active=True, needs_validation=True).count()
    return counts


# ---------------------------------------------------------------------------------------------
# Match results


def _new_trace() -> PhaseTrace:
    """Phase timings of an ingest on stderr when VERVAL_INGEST_TRACE=1: for each phase the wall
    time, the client's CPU and the server process's, so that the client's share and the server's
    can be told apart on a shared machine."""
    return PhaseTrace("ingest", "VERVAL_INGEST_TRACE", cpu=True)


# The trace of the ingest under way, for the reader's phases (its signature stays the same).
_ingest_trace: ContextVar[PhaseTrace | None] = ContextVar("_ingest_trace", default=None)

_UUID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_STATUSES = frozenset(ResultStatus.values)
REFUSING_CODES = ("DUPLIKAT", "PD_ID_TIDAK_DIKENAL", "BUKAN_BATCH_INI", "NOMOR_TIDAK_SESUAI", "BERTENTANGAN")
_COLUMN_OF = {
    "DUPLIKAT": "pd_id",
    "PD_ID_TIDAK_DIKENAL": "pd_id",
    "BUKAN_BATCH_INI": "pd_id",
    "NOMOR_TIDAK_SESUAI": "no_ponsel",
    "BERTENTANGAN": "status",
    "NOMOR_SUDAH_DIUBAH": "no_ponsel",
    "STATUS_SUDAH_BERUBAH": "status",
}


# A results file that answers fewer dump rows than this share of the table finds them through
# the primary key, one lookup per row, instead of reading the whole table into a hash join: a
# dump of six providers holds every provider's rows on every page, so a small provider's batch
# (4-16 % of the rows at 1 M) paid for a scan and a hash of all of them. Measured (decision
# 0088): that UPDATE's server CPU for the five smaller batches of a 1 M-row dump 2.7-3.8 s by
# hash join, 1.6-1.8 s by lookups. The recipients' UPDATE gained nothing measurable from the
# same change and keeps the planner's choice.
KEY_LOOKUPS_BELOW_SHARE = 0.2


def _key_lookups(cursor: Any, table: str, rows: int) -> dict[str, str]:
    """The planner settings (for core.db.planner_settings) that make the next statement find its
    rows through the primary key (no hash or merge join) when `rows` is under
    KEY_LOOKUPS_BELOW_SHARE of `table`'s rows as its statistics know them; none otherwise."""
    if not is_pg() or rows <= 0:
        return {}
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    found = cursor.fetchone()
    if found is None or rows >= KEY_LOOKUPS_BELOW_SHARE * found[0]:
        return {}  # never analysed (-1) or not small: the planner's own choice
    # JIT off as well: the lookups' estimated cost passes jit_above_cost, and compiling the
    # expressions took longer (~0.1 s) than running them for a few ten thousand rows.
    return {"enable_hashjoin": "off", "enable_mergejoin": "off", "jit": "off"}


def normalize_msisdn(value: str) -> str | None:
    """'+6281…', '6281…', '081…' -> '+6281…'; None when it is not a plausible number."""
    s = value.strip()
    if s.startswith("+"):
        s = s[1:]
    if s.startswith("0"):
        s = "62" + s[1:]
    if not s.isdigit() or not 10 <= len(s) <= 15 or not s.isascii():
        return None
    return "+" + s


@dataclass
class _Staged:
    rows: int = 0
    issues: list[RowIssue] | None = None
    # True when the reader has seen that no pd_id repeats: classification then skips its search
    # for duplicates (a GROUP BY of the whole file: 0.65 s of 3.4 s for 550 k rows, measured).
    unique_ids: bool = False


# Bytes that make the fast reader step aside: quotes (a field may then hold commas or line
# breaks), and control characters that Python's str.strip() and polars' strip_chars() treat
# differently.
_CAREFUL_BYTES = re.compile(rb'["\x00-\x08\x0b-\x1f]')


# Larger files (about 4 M rows) are read row by row, which streams: the fast reader holds the
# whole file and its frame in memory.
FAST_READ_LIMIT = 256 << 20


def _stage_rows_fast(path: Path, table: str) -> _Staged | None:
    """The same checks as _stage_rows, as polars expressions over the whole file, for a plain
    rectangular file (what the provider kit and most tools write): no quotes, no blank or ragged
    lines, UTF-8, the spec's columns. Returns None for any other file, which the careful reader
    then takes from the start, so that every refusal keeps its exact line and code; a file that
    does not end with a line break it refuses itself (BERKAS_TERPOTONG). Measured:
    550 k rows staged (parse, checks and COPY) in 2.1–2.5 s against 3.7–4.2 s row by row."""
    import polars as pl

    trace = _ingest_trace.get() or _new_trace()
    data = read_whole(path, FAST_READ_LIMIT)
    if data is None:
        return None
    data = data.replace(b"\r\n", b"\n")
    if _CAREFUL_BYTES.search(data) is not None or b"\r" in data or b"\n\n" in data:
        return None
    body = data.removesuffix(b"\n")
    nl = body.find(b"\n")
    if nl < 0:
        return None  # no data row: the careful reader says the file is empty
    try:
        names = [h.strip().lower() for h in body[:nl].decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None
    spec = MATCH_RESULTS
    if not header_fits(names, spec):
        return None
    rows_bytes = body[nl + 1 :]
    try:
        rows_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return None  # not UTF-8: the careful reader names the line
    if not data.endswith(b"\n"):
        # Cut off (resultfile.NO_LINE_END): refused here, as the careful reader would refuse it,
        # but without its pass over every row first. A wrong header and bytes that are not UTF-8,
        # which that reader refuses before the end, went to it above.
        raise refused_no_line_end()
    try:
        frame = pl.read_csv(
            rows_bytes, has_header=False, new_columns=names, infer_schema=False, quote_char=None
        ).with_row_index("line", offset=2)
    except pl.exceptions.PolarsError:
        return None  # a line with too many fields
    # No line has too many fields (read_csv refused those), so the total count of commas shows
    # whether any line has too few.
    if rows_bytes.count(b",") != (len(names) - 1) * frame.height:
        return None
    frame = frame.with_columns(pl.col(names).fill_null(""))
    for optional in spec.optional:
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(optional))
    pid = pl.col("pd_id").str.strip_chars().str.to_lowercase()
    phone = pl.col("no_ponsel").str.strip_chars()
    phone = pl.when(phone.str.starts_with("+")).then(phone.str.slice(1)).otherwise(phone)
    phone = pl.when(phone.str.starts_with("0")).then(pl.lit("62") + phone.str.slice(1)).otherwise(phone)
    status = pl.col("status").str.strip_chars().str.to_uppercase()
    checked = frame.with_columns(
        pid.alias("_pid"),
        phone.alias("_digits"),
        status.alias("_status"),
    ).with_columns(
        pl.when(~pl.col("_pid").str.contains("^" + _UUID_RE.pattern + "$"))
        .then(pl.lit("pd_id"))
        .when(~pl.col("_digits").str.contains(r"^[0-9]{10,15}$"))
        .then(pl.lit("no_ponsel"))
        .when(~pl.col("_status").is_in(sorted(_STATUSES)))
        .then(pl.lit("status"))
        .alias("_bad")
    )
    issues: list[RowIssue] = []
    codes = {"pd_id": "PD_ID_TIDAK_VALID", "no_ponsel": "NOMOR_TIDAK_VALID", "status": "STATUS_TIDAK_VALID"}
    for line, column, pd_id, no_ponsel, st in (
        checked.filter(pl.col("_bad").is_not_null())
        .select("line", "_bad", "pd_id", "no_ponsel", "status")
        .iter_rows()
    ):
        value = (
            pd_id[:40] if column == "pd_id" else masked_value(no_ponsel) if column == "no_ponsel" else st[:40]
        )
        issues.append(issue(int(line), column, codes[column], value))
    trace("read and check")
    pg = is_pg()
    # PostgreSQL's uuid input takes the id with or without its dashes; SQLite stores 32 hex digits.
    rid = pl.col("_pid") if pg else pl.col("_pid").str.replace_all("-", "", literal=True)
    good = checked.filter(pl.col("_bad").is_null()).select(
        pl.col("line"),
        rid.alias("rid"),
        (pl.lit("+") + pl.col("_digits")).alias("phone"),
        pl.col("_status").alias("status"),
        pl.col("keterangan").str.strip_chars().str.slice(0, 255).alias("note"),
    )
    with connection.cursor() as cursor:
        if pg:
            with cursor.cursor.copy(
                f"COPY {table} (line, rid, phone, status, note) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (note))"
            ) as copy:
                copy.write(good.write_csv(include_header=False))
        else:
            insert = f"INSERT INTO {table} (line, rid, phone, status, note) VALUES (?, ?, ?, ?, ?)"  # noqa: S608
            raw = connection.connection
            for i in range(0, good.height, 20_000):
                raw.executemany(insert, good.slice(i, 20_000).rows())
    trace("stage")
    # The database compares ids as UUIDs (PostgreSQL) or as 32 hex digits (SQLite): without dashes
    # and in lower case, the same id has one spelling.
    repeated = good.select(pl.col("rid").str.replace_all("-", "", literal=True).is_duplicated().any()).item()
    trace("repeated ids")
    return _Staged(rows=frame.height, issues=issues, unique_ids=not repeated)


def _stage_rows(path: Path, table: str, progress: Progress | None) -> _Staged:
    """Parse the file, refuse bad rows, load the rest into the staging table."""
    fast = _stage_rows_fast(path, table)
    if fast is not None:
        if progress is not None:
            progress.update(fast.rows)
        return fast
    issues: list[RowIssue] = []
    pg = is_pg()
    staged = _Staged(issues=issues)
    rows = iter_rows(path, MATCH_RESULTS, issues)

    def clean() -> Iterator[tuple[int, str, str, str, str]]:
        uuid_match = _UUID_RE.fullmatch
        for line, (pd_id, phone, status, note) in rows:
            staged.rows += 1
            pid = pd_id.strip().lower()
            if not uuid_match(pid):
                issues.append(issue(line, "pd_id", "PD_ID_TIDAK_VALID", pd_id[:40]))
                continue
            hex_id = pid.replace("-", "")
            e164 = normalize_msisdn(phone)
            if e164 is None:
                issues.append(issue(line, "no_ponsel", "NOMOR_TIDAK_VALID", masked_value(phone)))
                continue
            st = status.strip().upper()
            if st not in _STATUSES:
                issues.append(issue(line, "status", "STATUS_TIDAK_VALID", status[:40]))
                continue
            rid = (
                f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}" if pg else hex_id
            )
            yield line, rid, e164, st, note.strip()[:255]
            if progress is not None and not staged.rows % 65536:
                progress.update(staged.rows)

    with connection.cursor() as cursor:
        if pg:
            with cursor.cursor.copy(f"COPY {table} (line, rid, phone, status, note) FROM STDIN") as copy:
                buf: list[str] = []
                for line, rid, e164, st, note in clean():
                    if note and ("\\" in note or "\t" in note or "\n" in note or "\r" in note):
                        note = (
                            note.replace("\\", "\\\\")
                            .replace("\t", "\\t")
                            .replace("\n", "\\n")
                            .replace("\r", "\\r")
                        )
                    buf.append(f"{line}\t{rid}\t{e164}\t{st}\t{note}\n")
                    if len(buf) >= 20000:
                        copy.write("".join(buf))
                        buf = []
                if buf:
                    copy.write("".join(buf))
        else:
            insert = f"INSERT INTO {table} (line, rid, phone, status, note) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
            batch: list[tuple[Any, ...]] = []
            for row in clean():
                batch.append(row)
                if len(batch) >= 10000:
                    cursor.executemany(insert, batch)
                    batch = []
            if batch:
                cursor.executemany(insert, batch)
    return staged


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A row of a results file that contradicts the answer its dump row already has."""

    line: int
    recipient_id: uuid.UUID
    phone: str  # masked
    result: str  # the answer in force
    conflict_result: str  # the file's answer

    def issue(self) -> RowIssue:
        return issue(self.line, _COLUMN_OF["BERTENTANGAN"], "BERTENTANGAN", self.conflict_result)


@dataclass
class ContradictionsRefused(JobRefused):
    """A results file refused whole (nothing applied) that held contradictions: the first
    REFUSED_FILE_ISSUES_KEPT of them, by line, are recorded once the job's transaction has been
    rolled back (run_ingest_job), for Pusdatin's batch page."""

    contradictions: list[Contradiction] = field(default_factory=list)


def _contradictions(cursor: Any, cls: str, limit: int) -> list[Contradiction]:
    """The classified rows that contradict their dump row's answer, with that answer, by line."""
    cursor.execute(
        f"SELECT c.line, c.rid, d.phone, d.result, c.status FROM {cls} c "  # noqa: S608
        f"JOIN {ITEM} d ON d.id = c.item_id WHERE c.code = 'BERTENTANGAN' ORDER BY c.line LIMIT %s",
        [int(limit)],
    )
    return [
        Contradiction(
            line=line,
            # SQLite holds the id as 32 hex digits, PostgreSQL as a uuid.
            recipient_id=uuid.UUID(str(rid)),
            phone=mask(phone),
            result=result,
            conflict_result=status,
        )
        for line, rid, phone, result, status in cursor.fetchall()
    ]


def save_refused_contradictions(job: Job, batch_id: str, contradictions: list[Contradiction]) -> int:
    """Record the contradictions of a file refused whole, beside its job's report (outside the
    job's transaction, which was rolled back: nothing of the file applied)."""
    at = timezone.now()
    RefusedContradiction.objects.bulk_create(
        (
            RefusedContradiction(
                job=job,
                batch_id=batch_id,
                line=c.line,
                recipient_id=c.recipient_id,
                phone=c.phone,
                result=c.result,
                conflict_result=c.conflict_result,
                at=at,
            )
            for c in contradictions
        ),
        batch_size=5000,
    )
    return len(contradictions)


def apply_results(
    *, actor: Any, batch: DumpBatch, path: Path, job: Job | None = None, progress: Progress | None = None
) -> tuple[dict[str, Any], list[RowIssue]]:
    """Check and apply one results file to a batch. Call inside transaction.atomic()."""
    pg = is_pg()
    trace = _new_trace()
    tag = uuid.uuid4().hex[:12]
    stage, cls = f"vv_stage_{tag}", f"vv_cls_{tag}"
    now = timezone.now()
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    with connection.cursor() as cursor:
        rid_type = "uuid" if pg else "char(32)"
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} (line bigint NOT NULL, rid {rid_type} NOT NULL, "
            "phone varchar(16) NOT NULL, status varchar(20) NOT NULL, note varchar(255) NOT NULL)"
            + (" ON COMMIT DROP" if pg else "")
        )
    trace("start")
    token = _ingest_trace.set(trace)
    try:
        staged = _stage_rows(path, stage, progress)
    finally:
        _ingest_trace.reset(token)
    trace("stage")  # the careful reader's whole pass (the fast one records its own phases)
    issues = staged.issues or []
    total = staged.rows
    with connection.cursor() as cursor:
        if pg:
            # Hash joins of a million rows stay in memory instead of spilling in batches.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(f"ANALYZE {stage}")
            trace("analyze staging")
        # Classified against the batch only (decision 0056): the registry is read for the rows
        # the batch does not hold (below) and, for the rest, by the recipients' UPDATE, which
        # joins it anyway. 'OK' here still means "unless the registry says the number or the
        # status changed since the dump" (NOMOR_SUDAH_DIUBAH, STATUS_SUDAH_BERUBAH).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {cls} " + ("ON COMMIT DROP " if pg else "") + "AS "  # noqa: S608
            "SELECT s.line, s.rid, s.phone, s.status, s.note, d.id AS item_id, d.phone AS sent, "
            "CASE "
            " WHEN g.first_line IS NOT NULL AND s.line > g.first_line THEN 'DUPLIKAT' "
            " WHEN d.id IS NULL THEN 'BUKAN_BATCH_INI' "
            " WHEN s.phone <> d.phone THEN 'NOMOR_TIDAK_SESUAI' "
            " WHEN d.result <> '' AND d.result <> s.status THEN 'BERTENTANGAN' "
            " WHEN d.result <> '' THEN 'SAMA' "
            " WHEN d.superseded = TRUE THEN 'NOMOR_SUDAH_DIUBAH' "
            " ELSE 'OK' END AS code "
            f"FROM {stage} s "
            f"LEFT JOIN (SELECT rid, MIN(line) AS first_line FROM {stage} {'WHERE FALSE ' if staged.unique_ids else ''}"
            "GROUP BY rid HAVING COUNT(*) > 1) g ON g.rid = s.rid "
            f"LEFT JOIN {ITEM} d ON d.batch_id = %s AND d.recipient_id = s.rid",
            [batch.id],
        )
        if pg:
            # Without statistics the planner takes the classified table for a few hundred rows and
            # applies a million results by index lookups, one row at a time (measured: the
            # recipients' UPDATE of 550 k rows 9.7 s that way).
            trace("classify")
            cursor.execute(f"ANALYZE {cls}")
        trace("analyze classified" if pg else "classify")
        by_code: dict[str, int] = {}
        ok_by_status: dict[str, int] = {}

        def count_codes() -> None:
            cursor.execute(f"SELECT code, status, COUNT(*) FROM {cls} GROUP BY code, status")  # noqa: S608
            by_code.clear()
            ok_by_status.clear()
            for code, status, n in cursor.fetchall():
                by_code[code] = by_code.get(code, 0) + n
                if code == "OK":
                    ok_by_status[status] = n
            for i in issues:
                by_code[i.code] = by_code.get(i.code, 0) + 1

        def classify_stale() -> None:
            """The registry's half of the classification, exactly as one CASE did it before
            decision 0056 (a recipient missing from the registry stays OK, as it did)."""
            cursor.execute(
                f"UPDATE {cls} AS c SET code = CASE "  # noqa: S608
                " WHEN r.phone_e164 <> c.sent THEN 'NOMOR_SUDAH_DIUBAH' "
                " ELSE 'STATUS_SUDAH_BERUBAH' END "
                f"FROM {RECIPIENT} r WHERE r.id = c.rid AND c.code = 'OK' "
                " AND (r.phone_e164 <> c.sent OR r.active = FALSE OR r.status <> 'MENUNGGU_PROVIDER')"
            )
            count_codes()

        count_codes()
        if by_code.get("BUKAN_BATCH_INI"):
            # Few rows (a file with many is refused): an id the registry does not know at all.
            cursor.execute(
                f"UPDATE {cls} AS c SET code = 'PD_ID_TIDAK_DIKENAL' WHERE c.code = 'BUKAN_BATCH_INI' "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {RECIPIENT} r WHERE r.id = c.rid)"
            )
            if cursor.rowcount:
                count_codes()
        trace("count")

        def sql_issues(limit: int | None = None) -> list[RowIssue]:
            cursor.execute(
                f"SELECT line, code, rid, phone, status FROM {cls} WHERE code NOT IN ('OK', 'SAMA') ORDER BY line"  # noqa: S608
                + (f" LIMIT {int(limit)}" if limit is not None else "")
            )
            out = []
            for line, code, rid, phone, status in cursor.fetchall():
                column = _COLUMN_OF[code]
                if column == "no_ponsel":
                    value = mask(phone)
                elif column == "status":
                    value = status
                else:
                    # SQLite holds the id as 32 hex digits: give it back in its canonical form.
                    value = str(uuid.UUID(str(rid)))
                msg, msg_en = REFUSALS[code]
                out.append(
                    RowIssue(line=line, column=column, code=code, message=msg, message_en=msg_en, value=value)
                )
            return out

        refused_rows = len(issues) + sum(by_code.get(c, 0) for c in REFUSING_CODES)
        share = settings.VERVAL["REFUSE_FILE_ABOVE_SHARE"]
        if total and refused_rows > share * total:
            # The stale rows are not refusals (the share above does not count them) but the
            # report counts and lists them.
            if by_code.get("OK"):
                classify_stale()
            by_code_out = {k: v for k, v in sorted(by_code.items()) if k not in ("OK", "SAMA")}
            # Nothing applies, so the counts say what the file held and no outcome (as every other
            # whole-file refusal); the report keeps the first rows (REFUSED_FILE_ISSUES_KEPT) and
            # the first contradictions wherever they are in the file: Pusdatin is shown those
            # (ContradictionsRefused), the provider finds them in its report.
            kept = REFUSED_FILE_ISSUES_KEPT
            first = sorted(issues[:kept] + sql_issues(kept), key=lambda i: i.line)[:kept]
            contradictions = _contradictions(cursor, cls, kept) if by_code.get("BERTENTANGAN") else []
            listed = {i.line for i in first if i.code == "BERTENTANGAN"}
            first += [c.issue() for c in contradictions if c.line not in listed]
            # Refused only by contradictions: advice for a correction, not for a wrong file.
            only_contradictions = not issues and refused_rows == by_code.get("BERTENTANGAN", 0)
            base = refused(
                "TERLALU_BANYAK_DITOLAK",
                texts=ONLY_CONTRADICTIONS if only_contradictions else None,
                batch=batch.id,
                provider=batch.provider,
                rows=total,
                refused=refused_rows,
                by_code=by_code_out,
            )
            raise ContradictionsRefused(
                code=base.code,
                message=base.message,
                message_en=base.message_en,
                issues=sorted(first, key=lambda i: i.line),
                counts=base.counts,
                contradictions=contradictions,
            )
        job_id = (job.pk if pg else job.pk.hex) if job else None
        to_status = "CASE WHEN c.status = 'AKTIF' THEN 'AKTIF' ELSE 'RESIDU' END"
        to_reason = "CASE WHEN c.status = 'AKTIF' THEN '' ELSE c.status END"
        update_recipients = (
            f"UPDATE {RECIPIENT} AS r SET status = {to_status}, reason = {to_reason}, "  # noqa: S608
            "reason_note = CASE WHEN c.status = 'AKTIF' THEN '' ELSE c.note END, "
            "status_changed_at = %s, updated_at = %s, version = r.version + 1 "
            f"FROM {cls} c WHERE r.id = c.rid AND c.code = 'OK' "
            "AND r.phone_e164 = c.sent AND r.active = TRUE AND r.status = 'MENUNGGU_PROVIDER'"
        )
        # The recipients first, with the registry's checks in the UPDATE's own WHERE: when it
        # moves as many recipients as the batch-only classification found OK (the common case),
        # no row was stale and the codes stand. Otherwise it is undone and the stale rows are
        # classified exactly before it runs again, so that the dump rows below record
        # `applied` and the counts say NOMOR_SUDAH_DIUBAH/STATUS_SUDAH_BERUBAH as before.
        ok = by_code.get("OK", 0)
        if ok:
            savepoint = transaction.savepoint()
            cursor.execute(update_recipients, [now, now])
            if cursor.rowcount == ok:
                transaction.savepoint_commit(savepoint)
            else:
                transaction.savepoint_rollback(savepoint)
                classify_stale()
                cursor.execute(update_recipients, [now, now])
        trace("update recipients")
        answered = sum(by_code.get(c, 0) for c in ("OK", "NOMOR_SUDAH_DIUBAH", "STATUS_SUDAH_BERUBAH"))
        # The answered row is the result's audit trail (who, when, what, and whether it applied);
        # the recipient's timeline reads it from here (decision 0008).
        with planner_settings(cursor, **_key_lookups(cursor, ITEM, answered)):
            cursor.execute(
                f"UPDATE {ITEM} AS d SET result = c.status, note = c.note, answered_at = %s, is_open = FALSE, "  # noqa: S608
                "applied = (c.code = 'OK'), answered_by_id = %s, answered_in_id = %s "
                f"FROM {cls} c WHERE d.id = c.item_id AND c.code IN ('OK', 'NOMOR_SUDAH_DIUBAH', 'STATUS_SUDAH_BERUBAH')",
                [now, user_id, job_id],
            )
        trace("update dump rows")
        cursor.execute(
            f"UPDATE {ITEM} AS d SET conflict_result = c.status, conflict_at = %s "  # noqa: S608
            f"FROM {cls} c WHERE d.id = c.item_id AND c.code = 'BERTENTANGAN'",
            [now],
        )
        trace("contradictions")
        counts: dict[str, Any] = {
            "batch": batch.id,
            "provider": batch.provider,
            "rows": total,
            "applied": by_code.get("OK", 0),
            "aktif": ok_by_status.get("AKTIF", 0),
            "residu": by_code.get("OK", 0) - ok_by_status.get("AKTIF", 0),
            "unchanged": by_code.get("SAMA", 0),
            "stale": sum(by_code.get(c, 0) for c in INFO_CODES),
            "contradictions": by_code.get("BERTENTANGAN", 0),
            "refused": refused_rows,
            "by_code": {k: v for k, v in sorted(by_code.items()) if k not in ("OK", "SAMA")},
        }

        row_issues = sorted(issues + sql_issues(), key=lambda i: i.line)
        if not pg:
            cursor.execute(f"DROP TABLE {cls}")
            cursor.execute(f"DROP TABLE {stage}")
    trace("issues")
    refresh_batches([batch.id])
    DumpBatch.objects.filter(pk=batch.id).update(last_result_at=now)
    batch.refresh_from_db()
    trace("batch counts")
    trace.report()
    counts.update({"batch_state": batch.state, "answered": batch.answered, "unanswered": batch.unanswered})
    return counts, row_issues


def run_ingest_job(job: Job) -> dict[str, Any]:
    """Runner for kind 'ingest_results' (params: batch_id; input_path: the results file)."""
    from verval.exchange import actions

    progress = Progress(job)
    batch_id = job.params.get("batch_id", "")
    # A job run again (it died RUNNING) starts from a clean report, this part of it included.
    RefusedContradiction.objects.filter(job=job).delete()
    trace = _new_trace()
    try:
        with transaction.atomic():
            # Not beside an import or a validation run: they write the same recipients in another
            # order (a deadlock PostgreSQL breaks by failing one); other ingests run alongside.
            share_jobs(REGISTRY_JOBS)
            batch = DumpBatch.objects.select_for_update().filter(pk=batch_id).first()
            if batch is None or (job.provider and job.provider != batch.provider):
                raise refused("BATCH_TIDAK_DIKENAL")
            counts, issues = actions.apply_match_results(
                actor=job.created_by,
                batch=batch,
                path=files.absolute(job.input_path),
                job=job,
                progress=progress,
            )
            trace("apply")
            save_issues(job, issues)
            transaction.on_commit(lambda: trace("save issues and commit"))
            analyze_after_commit()
        trace("analyze after commit")
        trace.report()
    except ContradictionsRefused as exc:
        save_refused_contradictions(job, batch_id, exc.contradictions)
        raise
    progress.update(counts["rows"], counts["rows"], force=True)
    job.progress_done = job.progress_total = counts["rows"]
    return counts


__all__ = [
    "ContradictionsRefused",
    "JobRefused",
    "apply_results",
    "publish_dump_batches",
    "run_dump_job",
    "run_ingest_job",
    "manifest_of",
]
