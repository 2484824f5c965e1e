"""The Dapodik cutoff import (SPEC §3 step 1, §9): one transaction, set-based, streamed.

Pipeline: the file is checked as a whole (reader.open_cutoff), then read in batches; each batch
is validated with polars expressions (rules.validate) and its numbers checked with
verval.phones.check_series. Then:

- PostgreSQL loads every batch into a staging table (one COPY for the whole file; an unlogged
  table in a schema of the import's own, so that the joins may run in parallel), and
  everything after that is a handful of set-based statements: duplicates, classification against
  the registry by row_hash (new / number changed / other fields changed / reactivated / unchanged
  / locked), schools upsert, recipients insert and updates, number history for changed numbers,
  and deactivation of recipients no longer listed by their school. A first load COPYs straight
  into the registry instead, and settles repeated ids when the primary key is built (decision
  0015).
- SQLite spills the batches to Arrow files by id range (_SqliteBuckets) and takes them range by
  range in id order: a first load inserts them into the registry (decision 0013); a later import
  compares them with the registry inside SQLite and stages only the rows that need work, which
  the same classification and merge statements then apply (decision 0014).

row_hash = 16 hex of md5(kind|category|name|nisn|nik|grade|npsn) + 16 hex of md5(number key),
the number key being the E.164 form when the number is valid, else the text as typed. It is
computed once per row, by polars + hashlib in the client, on both databases (decision 0015: md5
in a generated column of PostgreSQL's staging table cost the server more than it costs here).
The two halves tell "the number changed in Dapodik" apart from "something else changed", so a
school's correction made in Verval Ponsel is not overwritten by an unchanged Dapodik number; and
when Dapodik's number did change, it is compared with the recipient's current number, so that a
school's correction that Dapodik now carries keeps its status, and one that Dapodik contradicts is
kept and reported (decision 0025).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from verval.core import audit, files
from verval.core.db import REGISTRY_JOBS, analyze_after_commit, serialise_jobs
from verval.core.jobs import JobRefused, Progress, RowIssue
from verval.core.models import Job
from verval.core.trace import PhaseTrace
from verval.imports.reader import Cutoff, FileRefused, open_cutoff
from verval.imports.rules import RULES, validate
from verval.phones import check_series, mask
from verval.registry.models import history_mask

log = logging.getLogger(__name__)
STAGE_COLUMNS = [
    "line", "id", "refused", "kind", "category", "name", "nisn", "nik", "grade", "npsn",
    "phone_raw", "phone_e164", "operator", "reason", "phone_key", "h",
]  # fmt: skip
SCHOOL_COLUMNS = ["line", "npsn", "name", "bentuk", "status", "region"]
# A first load of more new rows than this rebuilds the registry's secondary indexes afterwards.
REBUILD_INDEXES_ABOVE = 50_000

# A later PostgreSQL import's staged rows, row hash included (computed by the client, as for
# SQLite and a first load; decision 0015).
_STAGE_COPY = (
    f"COPY imp_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL "
    "(id, kind, category, name, nisn, nik, npsn, phone_raw, phone_e164, operator, reason, phone_key, h))"
)
# A PostgreSQL first load's rows, straight into the registry (decision 0015); the columns every
# new row shares come from defaults set for its length (_Importer._column_defaults).
_DIRECT_COPY = (
    "COPY registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw, phone_e164, "
    "operator, reason, row_hash) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL "
    "(kind, category, name, nisn, nik, school_id, phone_raw, phone_e164, operator, reason, row_hash))"
)
# Rows per executemany call when staging on SQLite.
SQLITE_CHUNK = 20_000


class _Feeder:
    """Hands batches to `consume` in a thread while the caller prepares the next: a COPY's data
    (with `queued` = 1, one batch may wait in between; memory stays at about two batches of CSV,
    unlike psycopg's QueuedLibpqWriter, which queues up to 128 MB), or SQLite's inserts (which
    release the GIL while SQLite works; `queued` = 0: a batch is handed over only once the thread
    is done with the previous one, so that two batches of frames are alive, not three)."""

    def __init__(self, consume: Callable[[Any], None], queued: int = 1) -> None:
        self.consume = consume
        self.queued = queued
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="import-feeder", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (data := self.queue.get()) is not None:
                self.consume(data)
                self.queue.task_done()
        except BaseException as exc:  # handed to the caller's thread by write() / _fed_copy
            self.error = exc
            self.queue.task_done()
            # Keep taking batches until close(), so that a caller blocked in write() wakes up
            # and sees the error instead of waiting forever on a full queue.
            while self.queue.get() is not None:
                self.queue.task_done()

    def write(self, data: Any) -> None:
        if self.error is not None:
            raise self.error
        if not self.queued:
            self.queue.join()
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()


@contextmanager
def _fed(consume: Callable[[Any], None], queued: int = 1) -> Iterator[_Feeder]:
    feeder = _Feeder(consume, queued)
    try:
        yield feeder
    finally:
        # The thread stops before what it feeds ends (or is aborted by the exception on its way).
        feeder.close()
    if feeder.error is not None:
        raise feeder.error


@contextmanager
def _fed_copy(cursor: Any, sql: str) -> Iterator[_Feeder]:
    with cursor.copy(sql) as copy, _fed(copy.write) as feeder:
        yield feeder


# The spilled rows of a SQLite import: LZ4 makes them 0.75x the CSV instead of 2x, for +2 % of
# the load's time (1 M rows: 104 against 283 MB in parts of ~560 rows; zstd 60 MB but +1.6 s).
SPILL_COMPRESSION: Literal["lz4"] = "lz4"
# What a first load writes per row (SQLite's inserts, PostgreSQL's COPY); the other columns are
# the same for every new row.
_DIRECT_COLUMNS = [
    "id", "kind", "category", "name", "nisn", "nik", "grade", "npsn",
    "phone_raw", "phone_e164", "operator", "reason", "h",
]  # fmt: skip
# The columns of a spilled row.
_SPILL_SCHEMA: dict[str, Any] = (
    {"line": pl.Int64} | dict.fromkeys(_DIRECT_COLUMNS, pl.String) | {"grade": pl.Int16}
)


class _SqliteBuckets:
    """SQLite (decisions 0013 and 0014): no staging table of the whole file. While the file is
    read, each batch's accepted rows are split by id range (bucket) and spilled to one Arrow file
    per bucket; then bucket after bucket is read back and sorted by id.

    A first load (empty registry) inserts each bucket into registry_recipient, so that the rows
    arrive in id order overall and the primary key's index only grows at its end (inserted in
    file order, 10 M rows took 5 % longer than the staged path: every row landed in a random leaf
    of an index far larger than the page cache).

    A later import compares each bucket with the registry inside SQLite: the bucket's ids and row
    hashes go to one statement as a JSON array, which SQLite looks up through the primary key and
    answers with the positions of the rows that need work (new, changed, inactive); only those go
    to imp_stage for the classification shared with PostgreSQL. A second statement per bucket
    finds the registry's active recipients of the file's schools, in the bucket's id range, that
    the file no longer lists. An unchanged cutoff thus writes nothing but its spill.

    The statements and the inserts run in a thread (SQLite lets go of the GIL while it works)
    while the next bucket is read and sorted.

    Every occurrence of an id lies in one bucket, so repeated ids are found there, with the rule
    of PostgreSQL's path: every occurrence after the first is refused (ID_GANDA), rows refused for
    another reason included (kept aside as (line, id), being few)."""

    # Rows of one bucket: about 30 MB of frames, of which up to four are alive at a time (the one
    # being inserted; the next one read, sorted and filtered). 250 000 took 1 M rows to 469 MB.
    ROWS_PER_BUCKET = 100_000

    # Positions (in the JSON array of id || row hash) of the rows a later import must look at:
    # unknown ids, another row hash, inactive recipients. Everything else is unchanged.
    _PROBE = (
        "SELECT j.key FROM json_each(?) j "
        "LEFT JOIN registry_recipient r ON r.id = substr(j.value, 1, 32) "
        "WHERE r.id IS NULL OR r.row_hash <> substr(j.value, 33) OR NOT r.active"
    )
    # Active recipients of the file's schools that the file no longer lists, in one id range.
    # Registry ids are lowercase hex: the last range ends at 'g'. Two plans, forced by unary +:
    # through the primary key's range (every registry row of the range is read once, in C: for
    # a file about the registry's size), or through the school index (the file's schools' rows,
    # once per bucket: for a file much smaller than the registry; a 237-row file against 10 M
    # recipients took 10.8 s the other way, 4 ms this way).
    _GONE = (
        "SELECT id FROM registry_recipient WHERE id >= ? AND id < ? AND +active "
        "AND +school_id IN (SELECT npsn FROM imp_npsn) AND id NOT IN (SELECT value FROM json_each(?))"
    )
    _GONE_BY_SCHOOL = (
        "SELECT id FROM registry_recipient WHERE +id >= ? AND +id < ? AND +active "
        "AND school_id IN (SELECT npsn FROM imp_npsn) AND id NOT IN (SELECT value FROM json_each(?))"
    )
    _STAGE = (
        f"INSERT INTO imp_stage (line, {', '.join(_DIRECT_COLUMNS)}, refused) "  # noqa: S608
        f"VALUES ({', '.join(['?'] * (len(_DIRECT_COLUMNS) + 1))}, 0)"
    )

    def __init__(self, raw: Any, now_db: str, estimate: int, *, first_load: bool) -> None:
        self.raw = raw
        self.first_load = first_load
        # Our own timestamp as SQLite stores it, written into the statement: 13 bound values a
        # row instead of 24 halved the binding's cost (measured).
        if not re.fullmatch(r"[0-9][0-9 :.+-]*", now_db):
            raise ValueError("unexpected timestamp form")
        now = f"'{now_db}'"
        # Module constants and the checked timestamp only.
        self.sql = (
            "INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, "  # noqa: S608
            "phone_raw, phone_e164, operator, reason, row_hash, status, reason_note, status_changed_at, "
            "needs_validation, confirmed_at, confirmed_by_id, locked, active, version, created_at, "
            f"updated_at) VALUES ({', '.join(['?'] * len(_DIRECT_COLUMNS))}, 'BELUM_VERVAL', '', {now}, "
            f"1, NULL, NULL, 0, 1, 1, {now}, {now})"
        )
        # Buckets by the id's first two hex digits: 1 for a small file, up to 256.
        self.estimate = estimate
        self.buckets = max(1, min(256, -(-estimate // self.ROWS_PER_BUCKET)))
        self.gone = self._GONE
        spill_root = files.root() / "tmp"
        spill_root.mkdir(parents=True, exist_ok=True)
        self.spill = Path(tempfile.mkdtemp(prefix="import-", dir=spill_root))
        # One file per bucket, each batch's part appended to it as an Arrow IPC stream of its
        # own (its end offset noted): at 10 M rows (100 buckets of parts of ~550 rows) a file per
        # bucket and batch made 18 000 files and took 24 s to write, appending ~7 s.
        self.files: dict[int, Any] = {}
        self.ends: dict[int, list[int]] = {}
        self.refused: list[pl.DataFrame] = []  # (line, id) of rows refused for another reason
        self.npsns: set[str] = set()  # the schools of every staged row (removal)
        self.inserted = 0
        # CPU seconds of the thread that inserts (VERVAL_IMPORT_TRACE): on a shared machine the
        # insert's wall time mostly measures the wait for a core.
        self.insert_cpu = 0.0
        self.accepted = 0
        self.repeats: list[tuple[int, str]] = []  # (line, id) refused as ID_GANDA
        self.removed: list[str] = []  # ids no longer listed by their school

    def add(self, out: pl.DataFrame) -> None:
        """One batch (staged rows, row hash included): spill the accepted rows by bucket."""
        if not self.first_load:
            self.npsns.update(out.get_column("npsn").unique().to_list())
        if (aside := _refused_aside(out)) is not None:
            self.refused.append(aside)
        accepted = out.filter(~pl.col("refused")).select(list(_SPILL_SCHEMA)).cast(pl.Schema(_SPILL_SCHEMA))
        parts = accepted.with_columns(self._bucket()).partition_by("_bucket", as_dict=True, include_key=False)
        for (bucket,), part in parts.items():
            if bucket not in self.files:
                self.files[bucket] = open(self.spill / f"{bucket:03d}.arrows", "wb")  # noqa: SIM115
                self.ends[bucket] = []
            part.write_ipc_stream(self.files[bucket], compression=SPILL_COMPRESSION)
            self.ends[bucket].append(self.files[bucket].tell())

    def _read(self, bucket: int, columns: list[str] | None = None) -> pl.DataFrame | None:
        """A bucket's spilled rows (these columns of them)."""
        if bucket not in self.ends:
            return None
        if bucket in self.files:
            self.files.pop(bucket).close()
        data = memoryview((self.spill / f"{bucket:03d}.arrows").read_bytes())
        ends = self.ends[bucket]
        return pl.concat(
            [
                pl.read_ipc_stream(io.BytesIO(data[start:end]), columns=columns)
                for start, end in zip([0, *ends[:-1]], ends, strict=True)
            ]
        )

    def _discard(self, bucket: int) -> None:
        if self.ends.pop(bucket, None) is not None:
            (self.spill / f"{bucket:03d}.arrows").unlink()

    def store(self) -> None:
        """First load: insert bucket after bucket, in id order."""
        with _fed(self._insert, queued=0) as feed:
            for _, accepted, _ in self._sorted(every=False):
                feed.write(accepted)
                del accepted

    def compare(self, cur: Any) -> None:
        """Later import: the rows that need work into imp_stage, the ids no longer listed into
        self.removed."""
        cur.execute("CREATE TEMPORARY TABLE imp_npsn (npsn varchar(8) PRIMARY KEY)")
        cur.executemany("INSERT INTO imp_npsn (npsn) VALUES (%s)", [(n,) for n in self.npsns])
        # Rows read: the file's schools' once per bucket, or the whole registry once.
        cur.execute("SELECT max(rowid) FROM registry_recipient")
        if self.buckets * self.estimate < (cur.fetchone()[0] or 0):
            self.gone = self._GONE_BY_SCHOOL
        with _fed(self._compare, queued=0) as feed:
            for item in self._sorted(every=True):
                feed.write(item)
                del item

    def _sorted(self, *, every: bool) -> Iterator[tuple[int, pl.DataFrame, str]]:
        """(bucket, its accepted rows sorted by id without repeats, every id it holds as a JSON
        array) for each bucket that holds rows, or for `every` bucket. A first load's rows come
        whole (and their file goes); a later import's only as (line, id, h), which is all the
        comparison needs (a third of the memory), and their file stays for _compare."""
        columns = list(_SPILL_SCHEMA) if self.first_load else ["line", "id", "h"]
        refused = (
            pl.concat(self.refused)
            if self.refused
            else pl.DataFrame(schema={"line": pl.Int64, "id": pl.String})
        ).with_columns(self._bucket(), pl.lit(True).alias("refused"))
        # A bucket may hold only refused rows (aside), or, for a later import, none at all.
        empty = pl.DataFrame(schema={c: _SPILL_SCHEMA[c] for c in columns} | {"refused": pl.Boolean})
        for bucket in range(self.buckets):
            rows = self._read(bucket, columns)
            if self.first_load:
                self._discard(bucket)
            aside = refused.filter(pl.col("_bucket") == bucket).drop("_bucket")
            if rows is None and not aside.height and not every:
                continue
            rows = pl.concat(
                [rows.with_columns(pl.lit(False).alias("refused")) if rows is not None else empty, aside],
                how="diagonal",
            )
            rows = rows.sort("id", "line").with_columns(pl.col("id").is_first_distinct().alias("_first"))
            repeats = rows.filter(~pl.col("_first"))
            self.repeats.extend(
                zip(repeats.get_column("line").to_list(), repeats.get_column("id").to_list(), strict=True)
            )
            ids = "[]" if self.first_load else _json_array(rows.filter(pl.col("_first")).get_column("id"))
            accepted = rows.filter(pl.col("_first") & ~pl.col("refused")).select(columns)
            del rows, repeats  # before the hand-over, which waits for the previous bucket
            yield bucket, accepted, ids

    def _bucket(self) -> pl.Expr:
        """The id's bucket, from its first two hex digits."""
        return (pl.col("id").str.slice(0, 2).str.to_integer(base=16) * self.buckets // 256).alias("_bucket")

    def _insert(self, rows: pl.DataFrame) -> None:
        """Run by a _Feeder: one bucket, sorted by id, a few thousand rows of Python values at a
        time (a whole bucket's tuples would hold ~200 MB). Each column becomes a list and the
        rows are zipped from them as sqlite3 binds them: DataFrame.rows() builds every row
        through polars' row-wise path, 10-15 % more CPU for the insert (decision 0047)."""
        started = time.thread_time()
        columns = [rows.get_column(c) for c in _DIRECT_COLUMNS]
        for i in range(0, rows.height, 5000):
            self.raw.executemany(self.sql, zip(*(c.slice(i, 5000).to_list() for c in columns), strict=True))
        self.inserted += rows.height
        self.insert_cpu += time.thread_time() - started

    def _compare(self, item: tuple[int, pl.DataFrame, str]) -> None:
        """Run by a _Feeder: one bucket of a later import."""
        bucket, rows, ids = item
        if rows.height:
            keys = _json_array(rows.get_column("id") + rows.get_column("h"))
            work = [key for (key,) in self.raw.execute(self._PROBE, [keys])]
            if work:
                lines = rows.get_column("line").gather(work)
                whole = self._read(bucket)
                assert whole is not None
                staged = whole.filter(pl.col("line").is_in(lines.implode())).select(list(_SPILL_SCHEMA))
                self.raw.executemany(self._STAGE, staged.rows())
            self.accepted += rows.height
        self._discard(bucket)
        # The prefixes p with p * buckets // 256 == bucket.
        low = -(-bucket * 256 // self.buckets)
        high = -(-(bucket + 1) * 256 // self.buckets)
        bounds = [f"{low:02x}", f"{high:02x}" if high < 256 else "g"]
        self.removed.extend(rid for (rid,) in self.raw.execute(self.gone, [*bounds, ids]))

    def close(self) -> None:
        for spilled in self.files.values():
            spilled.close()
        shutil.rmtree(self.spill, ignore_errors=True)


def _refused_aside(out: pl.DataFrame) -> pl.DataFrame | None:
    """(line, id) of a batch's staged rows refused for another reason (the repeated-id rule
    needs them), or None. Copied out: a slice of the batch would keep its buffers alive to the
    end of the import."""
    refused = out.filter(pl.col("refused"))
    if not refused.height:
        return None
    return pl.DataFrame(
        {"line": refused.get_column("line").to_list(), "id": refused.get_column("id").to_list()},
        schema={"line": pl.Int64, "id": pl.String},
    )


def _json_array(values: pl.Series) -> str:
    """Hex strings (nothing to escape) as a JSON array, built by polars: no Python string per
    value."""
    if not values.len():
        return "[]"
    return '["' + values.str.join('","').item() + '"]'


try:
    # CPython's own md5 (the module hashlib falls back on): the same digest, without OpenSSL's
    # per-call context set-up, which is most of the cost of hashing a short string: the row hash
    # of 1 M rows took 0.95 CPU-s against 1.24 with hashlib.md5 (decision 0046). The digest is
    # md5 whichever module computes it, so stored hashes and the SQL md5 of decision 0025 agree.
    from _md5 import md5 as _md5
except ImportError:  # a Python built without its own hash modules
    _md5 = hashlib.md5


def row_hash(
    kind: str, category: str, name: str, nisn: str, nik: str, grade: int | None, npsn: str, phone_key: str
) -> str:
    """The same hash in Python (tests, tools)."""
    content = "|".join([kind, category, name, nisn, nik, "" if grade is None else str(grade), npsn])
    return hashlib.md5(content.encode()).hexdigest()[:16] + hashlib.md5(phone_key.encode()).hexdigest()[:16]


def _md5_16(values: pl.Series) -> pl.Series:
    md5 = _md5
    # polars hands over the UTF-8 bytes and cuts the digests: 15 % less Python per value.
    return pl.Series(
        values.name, [md5(v).hexdigest() for v in values.cast(pl.Binary).to_list()], dtype=pl.String
    ).str.slice(0, 16)


def _hash_expr() -> pl.Expr:
    """row_hash() as a polars expression over the staged (sliced) columns; hashlib per value,
    far cheaper than a per-row SQL function (SQLite has no md5 of its own)."""
    content = pl.concat_str(
        [
            pl.col("kind").fill_null(""),
            pl.col("category").fill_null(""),
            pl.col("name").fill_null(""),
            pl.col("nisn").fill_null(""),
            pl.col("nik").fill_null(""),
            pl.col("grade").cast(pl.String).fill_null(""),
            pl.col("npsn").fill_null(""),
        ],
        separator="|",
    )
    key = pl.col("phone_key").fill_null("")
    return (
        content.map_batches(_md5_16, return_dtype=pl.String)
        + key.map_batches(_md5_16, return_dtype=pl.String)
    ).alias("h")


def run_import_job(job: Job) -> dict[str, Any]:
    """Runner of job kind `import_dapodik` (registered in core.jobs.RUNNERS)."""
    path = files.absolute(job.input_path) if job.input_path else Path(job.params["path"])
    return import_cutoff(path, job=job, actor=job.created_by)


def _refused(exc: FileRefused) -> JobRefused:
    return JobRefused(
        code=exc.code,
        message=exc.message,
        message_en=exc.message_en,
        issues=[RowIssue(exc.line, "", exc.code, exc.message, exc.message_en)],
    )


def import_cutoff(path: str | Path, *, job: Job, actor: Any = None) -> dict[str, Any]:
    try:
        cut = open_cutoff(path)
    except FileRefused as exc:
        raise _refused(exc) from None
    progress = Progress(job, total=cut.estimate)
    # SQLite settings for the length of the import (only possible outside a transaction; tests
    # run inside one and their files are small): staging tables can hold millions of rows, so
    # they go to disk, not memory; and no memory-mapped reads, whose pages count as the process's
    # memory (the web server's 256 MB map took an unchanged re-import of 1 M or 10 M rows to
    # 502–508 MB peak RSS, over the 500 MB budget; docs/benchmarks-import.md).
    sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
    try:
        with ExitStack() as stack:
            if sqlite:
                cur = stack.enter_context(connection.cursor())
                # The page cache goes from the web server's 64 MB to 16 MB: the import reads and
                # writes the registry in id order, and the larger cache took an unchanged 1 M-row
                # re-import from 386 to 444 MB peak RSS (decision 0014).
                extra: dict[str, int] = {"cache_size": -16384}
                cur.execute("SELECT 1 FROM registry_recipient LIMIT 1")
                if cur.fetchone() is None:
                    # A first load also runs without SQLite's row-by-row foreign-key checks
                    # (decision 0013): every inserted recipient's school comes from the same file
                    # and is inserted before the commit, which _finish_direct checks once.
                    extra |= {"foreign_keys": 0, "threads": 2}
                stack.enter_context(sqlite_import_pragmas(cur, extra))
            with transaction.atomic():
                counts = _Importer(cut, job, actor, progress).run()
                analyze_after_commit()
                return counts
    except FileRefused as exc:
        raise _refused(exc) from None
    finally:
        cut.close()


@contextmanager
def sqlite_import_pragmas(cur: Any, extra: dict[str, int] | None = None) -> Iterator[None]:
    """Set _SQLITE_IMPORT_PRAGMAS (and `extra`) on this SQLite connection, then put back what
    it had."""
    restore: dict[str, int] = {}
    try:
        for pragma, value in (_SQLITE_IMPORT_PRAGMAS | (extra or {})).items():
            cur.execute(f"PRAGMA {pragma}")
            row = cur.fetchone()
            if row is None:  # an in-memory database has no memory map to turn off
                continue
            restore[pragma] = int(row[0])
            cur.execute(f"PRAGMA {pragma}={value}")
        yield
    finally:
        for pragma, old in restore.items():
            cur.execute(f"PRAGMA {pragma}={old}")


_SQLITE_IMPORT_PRAGMAS = {"temp_store": 1, "mmap_size": 0}  # 1 = FILE


class _Importer:
    def __init__(self, cut: Cutoff, job: Job, actor: Any, progress: Progress) -> None:
        self.cut = cut
        self.job = job
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.progress = progress
        self.pg = connection.vendor == "postgresql"
        self.now = timezone.now()
        self.now_db = connection.ops.adapt_datetimefield_value(self.now)
        self.rows = 0
        self.first_load = False
        self.issue_frames: list[pl.DataFrame] = []
        self.school_rows: list[tuple[Any, ...]] = []
        self.stage_copy: Any = None
        # SQLite (decisions 0013, 0014): the spilled buckets, and a first load's indexes to rebuild.
        self.direct: _SqliteBuckets | None = None
        self.rebuild: list[str] = []
        # PostgreSQL first load (decision 0015): the file's rows COPYed straight into the
        # registry; (line, id) of rows refused for another reason kept aside for the repeats rule.
        self.copy_direct = False
        # Where the staging tables go (see _create_stage).
        self.temp = "UNLOGGED" if self.pg else "TEMPORARY"
        self.schema = f"imp_{job.pk.hex}"
        self.search_path = ""
        self.aside: list[pl.DataFrame] = []
        self.added = 0
        self.region_codes = pl.Series("code", [], dtype=pl.String)  # districts and subdistricts (run)

    # ------------------------------------------------------------------ run

    def run(self) -> dict[str, Any]:
        from verval.reference.models import Region

        self.region_codes = pl.Series(
            "code", list(Region.objects.filter(level__gte=2).values_list("code", flat=True)), dtype=pl.String
        )
        tick = PhaseTrace("import", "VERVAL_IMPORT_TRACE")  # for bench/bench_import.py
        with connection.cursor() as cur, ExitStack() as cleanup:
            self.cur = cur
            # One import or validation run at a time (decision 0042): two first loads would both
            # find the registry empty and load it twice; an import classifying while another
            # writes would decide on rows about to change.
            serialise_jobs(REGISTRY_JOBS)
            # An empty registry (first load): every accepted row is new. Known before staging, so
            # that the staging steps only the later comparison needs are skipped.
            cur.execute("SELECT 1 FROM registry_recipient LIMIT 1")
            self.first_load = cur.fetchone() is None
            self._create_stage()
            if not self.pg:
                if self.first_load:
                    cur.execute("PRAGMA foreign_keys")
                    if not cur.fetchone()[0]:
                        # Key checks off (import_cutoff): nothing needs the secondary indexes
                        # until the end. With the checks on, a school inserted after its pupils
                        # looks them up through the school index, so it stays.
                        self.rebuild = self._drop_indexes_if_empty(self.cut.estimate)
                self.direct = _SqliteBuckets(
                    connection.connection, str(self.now_db), self.cut.estimate, first_load=self.first_load
                )
                cleanup.callback(self.direct.close)
            elif self.first_load and self.cut.estimate >= REBUILD_INDEXES_ABOVE:
                self.rebuild = self._drop_indexes_if_empty(self.cut.estimate)
                self.copy_direct = bool(self.rebuild)
                if self.copy_direct:
                    self._column_defaults(set_=True)
            self.progress.step("read")
            batches = self.cut.batches()
            with ExitStack() as staging:
                if self.pg:
                    # One COPY for the whole file, fed from a thread: the server parses and stores
                    # a batch while the next one is read, validated and checked here (both cores
                    # busy instead of one at a time).
                    self.stage_copy = staging.enter_context(
                        _fed_copy(cur.cursor, _DIRECT_COPY if self.copy_direct else _STAGE_COPY)
                    )
                while True:
                    df = next(batches, None)
                    tick("read")
                    if df is None:
                        break
                    rows, issues = validate(df, self.region_codes)
                    self.rows += rows.height
                    if issues.height:
                        self.issue_frames.append(issues)
                    tick("validate")
                    self._stage(rows, tick)
                    self.progress.update(self.rows, max(self.cut.estimate, self.rows))
            tick("stage")
            if self.school_rows:
                schools = pl.DataFrame(
                    self.school_rows,
                    schema=dict.fromkeys(SCHOOL_COLUMNS, pl.String) | {"line": pl.Int64},
                    orient="row",
                )
                self.school_rows.clear()
                self._load("imp_school", SCHOOL_COLUMNS, schools)
            if not self.rows:
                raise FileRefused(
                    "BERKAS_KOSONG", "Berkas tidak berisi baris data.", "The file holds no data rows."
                )
            self.progress.step("compare")
            if self.copy_direct:
                classes, refused, schools_added, schools_changed, counts = self._finish_copy(tick)
            elif self.direct and self.first_load:
                classes, refused, schools_added, schools_changed, counts = self._finish_direct(tick)
            else:
                if self.direct:
                    self.direct.compare(cur)
                    self._report_repeats()
                    tick("compare")
                else:
                    self._after_load()
                    tick("index")
                    self._duplicates()
                    tick("duplicates")
                classes = self._hold_rows(self._classify())
                tick("classify")
                self._locked()
                refused = self._check_share()
                tick("issues")
                self.progress.step("write")
                schools_added, schools_changed = self._schools()
                tick("schools")
                counts = self._merge(classes)
                tick("merge")
            removed = self._remove()
            tick("remove")
            self._drop_stage()
        tick.report()
        result = {
            "rows": self.rows,
            "added": counts["added"],
            "changed": counts["changed"],
            "unchanged": classes.get("same", 0) + counts.get("unchanged", 0),
            "removed": removed,
            "refused": refused,
            "numbers_changed": counts["numbers_changed"],
            # Decision 0025: schools' corrections that Dapodik now carries (only the row hash
            # stored), and those kept over another number in Dapodik (history row each).
            "corrections_in_dapodik": classes.get("dapodik", 0),
            "corrections_kept": classes.get("kept", 0),
            "schools_added": schools_added,
            "schools_changed": schools_changed,
        }
        audit.record(
            actor=self.actor,
            action="import_dapodik",
            object_type="job",
            object_id=self.job.pk,
            after=result,
            note=self.job.input_name,
        )
        self.progress.update(self.rows, self.rows, force=True)
        return result

    # ------------------------------------------------------------------ staging

    def _create_stage(self) -> None:
        c = self.cur
        temp = self.temp
        if self.pg:
            # Unlogged tables in a schema of this import's own, not temporary ones: PostgreSQL
            # scans temporary tables in the leading process only, so the classification's join
            # of 10 M staged rows with the registry ran on one core (30.2 s against 15.2 s in
            # psql; decision 0015). Created and dropped inside the import's transaction, the
            # schema is never seen by another session and goes with a rollback.
            c.execute("SELECT current_setting('search_path')")
            self.search_path = c.fetchone()[0]
            c.execute(f"CREATE SCHEMA {self.schema}")
            c.execute(f"SET LOCAL search_path = {self.schema}, {self.search_path}")
        else:
            for table in ("imp_stage", "imp_school", "imp_school1", "imp_rows", "imp_npsn"):
                c.execute(f"DROP TABLE IF EXISTS {table}")
        idtype = "uuid" if self.pg else "char(32)"
        c.execute(
            f"CREATE {temp} TABLE imp_stage (line bigint, id {idtype}, refused boolean, kind text, category text, "
            "name text, nisn text, nik text, grade smallint, npsn text, phone_raw text, phone_e164 text, "
            "operator text, reason text, phone_key text, h text)"
        )
        c.execute(
            f"CREATE {temp} TABLE imp_school (line bigint, npsn text, name text, bentuk text, status text, region text)"
        )

    def _staged(self, rows: pl.DataFrame, tick: Any) -> pl.DataFrame:
        """The staged form of a batch's rows that have a valid id (refused or not): sliced
        columns, the number's verdict and the row hash."""
        staged = rows.filter(pl.col("id_ok"))
        verdicts = check_series(
            staged.get_column("nomor_telepon_seluler"), columns=("e164", "operator", "reason")
        )
        tick("phones")
        staged = staged.with_columns(
            phone_raw=pl.col("nomor_telepon_seluler").str.slice(0, 100),
            phone_e164=verdicts.get_column("e164").fill_null(""),
            operator=verdicts.get_column("operator").fill_null(""),
            reason=verdicts.get_column("reason").fill_null(""),
        ).with_columns(
            phone_key=pl.when(pl.col("phone_e164") != "")
            .then(pl.col("phone_e164"))
            .otherwise(pl.col("phone_raw")),
        )
        if not self.pg:
            staged = staged.with_columns(pl.col("id").str.replace_all("-", "", literal=True))
        out = staged.select(
            pl.col("line"),
            pl.col("id"),
            pl.col("refused"),
            pl.col("jenis").alias("kind"),
            pl.col("category"),
            pl.col("nama").str.slice(0, 150).alias("name"),
            pl.col("nisn").str.slice(0, 10),
            pl.col("nik").str.slice(0, 16),
            pl.col("grade"),
            pl.col("npsn").str.slice(0, 8),
            "phone_raw",
            "phone_e164",
            "operator",
            "reason",
            "phone_key",
        )
        out = out.with_columns(_hash_expr())
        tick("hash")
        return out

    def _stage(self, rows: pl.DataFrame, tick: Any) -> None:
        if rows.get_column("id_ok").any():
            out = self._staged(rows, tick)
            if self.copy_direct:
                self._copy_direct(out)
            elif self.pg:
                self._send(out)
            else:
                assert self.direct is not None
                self.direct.add(out)
            tick("stage")
        good = rows.filter(~pl.col("refused"))
        if good.height:
            schools = (
                good.group_by("npsn", maintain_order=True)
                .agg(
                    pl.col("line").first(),
                    pl.col("nama_sekolah").first().str.slice(0, 200).alias("name"),
                    pl.col("bentuk_pendidikan").first().alias("bentuk"),
                    pl.col("status_sekolah").first().alias("status"),
                    pl.col("kode_wilayah").first().alias("region"),
                )
                .with_columns(
                    pl.when(pl.col("status").is_in(["N", "S"])).then(pl.col("status")).otherwise(pl.lit(""))
                )
                .select(SCHOOL_COLUMNS)
            )
            # Loaded after the file (on PostgreSQL the staging COPY holds the connection until
            # then). Kept as Python values: a polars frame of a few schools would hold views into
            # the whole batch's string buffers (measured: +300 MB at 10 M rows).
            self.school_rows.extend(schools.iter_rows())

    def _copy_direct(self, out: pl.DataFrame) -> None:
        """PostgreSQL first load: a batch's accepted rows into the registry's COPY."""
        if (aside := _refused_aside(out)) is not None:
            self.aside.append(aside)
        accepted = out.filter(~pl.col("refused")).select(_DIRECT_COLUMNS)
        self._send(accepted)
        self.added += accepted.height

    def _send(self, frame: pl.DataFrame) -> None:
        """PostgreSQL: a frame's rows into the COPY that runs for the whole file."""
        csv = io.BytesIO()
        frame.write_csv(csv, include_header=False)
        self.stage_copy.write(csv.getbuffer())

    def _column_defaults(self, *, set_: bool) -> None:
        """The values every new recipient shares, as column defaults for the COPY (a quarter of
        each CSV row otherwise, parsed row by row), and dropped again after it: Django keeps
        none in the schema."""
        now = self.now.isoformat()
        if not re.fullmatch(r"[0-9][0-9T:.+-]*", now):
            raise ValueError("unexpected timestamp form")
        values = {
            "status": "'BELUM_VERVAL'",
            "reason_note": "''",
            "status_changed_at": f"'{now}'",
            "needs_validation": "TRUE",
            "locked": "FALSE",
            "active": "TRUE",
            "version": "1",
            "created_at": f"'{now}'",
            "updated_at": f"'{now}'",
        }
        alter = (
            f"{col} SET DEFAULT {value}" if set_ else f"{col} DROP DEFAULT" for col, value in values.items()
        )
        # Column names are constants above; the timestamp is checked.
        self.cur.execute("ALTER TABLE registry_recipient " + ", ".join(f"ALTER {a}" for a in alter))

    def _finish_copy(self, tick: Any) -> tuple[dict[str, int], int, int, int, dict[str, int]]:
        """After the file, on a PostgreSQL first load: the primary key (which finds repeated ids),
        the report, the schools, then the other keys and indexes."""
        self.progress.step("write")
        primary, *rest = self.rebuild
        if "PRIMARY KEY" not in primary:
            raise RuntimeError("the registry's primary key was not set aside")
        self.progress.step("index")
        # Room for the key and index sorts, and for PostgreSQL to give each build two parallel
        # workers (it wants 32 MB per process; the default 64 MB allows one). The staged first
        # load set it too; on this 2-core machine it changes nothing (10 M rows: 39.4 against
        # 39.9 s of rebuild), with more cores it lets the builds use them.
        self.cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        self._repeats_after_copy(primary)
        self._column_defaults(set_=False)
        tick("duplicates")
        refused = self._check_share()
        tick("issues")
        schools_added, schools_changed = self._schools()
        tick("schools")
        for sql in rest:
            self.cur.execute(sql)
        self.cur.execute("ANALYZE registry_recipient")
        tick("merge")
        return (
            {"new": self.added},
            refused,
            schools_added,
            schools_changed,
            {"added": self.added, "numbers_changed": 0, "changed": 0},
        )

    def _repeats_after_copy(self, primary: str) -> None:
        """Build the primary key; where ids repeat, apply the staged path's rule (every
        occurrence after the first is ID_GANDA, rows refused for another reason included)."""
        c = self.cur
        aside = (
            pl.concat(self.aside) if self.aside else pl.DataFrame(schema={"line": pl.Int64, "id": pl.String})
        ).sort("line")
        self.aside.clear()
        repeated: set[str] = set()
        try:
            with transaction.atomic():
                c.execute(primary)
        except IntegrityError:
            # Rare: found by a hash aggregate, then the rows of those ids are read again.
            c.execute("SELECT id::text FROM registry_recipient GROUP BY id HAVING count(*) > 1")
            repeated = {rid for (rid,) in c.fetchall()}
        if aside.height:
            self._load(
                "imp_stage", ["line", "id", "refused"], aside.with_columns(pl.lit(True).alias("refused"))
            )
            c.execute("SELECT DISTINCT s.id::text FROM imp_stage s JOIN registry_recipient r ON r.id = s.id")
            repeated |= {rid for (rid,) in c.fetchall()}
        # Ids repeated among the rows aside only: no stored row has them.
        alone = aside.filter(~pl.col("id").is_in(list(repeated)) & ~pl.col("id").is_first_distinct())
        if alone.height:
            self._repeated_ids(alone.get_column("line").to_list(), alone.get_column("id").to_list())
        if not repeated:
            return
        wanted = pl.Series(sorted(repeated), dtype=pl.String)
        found: list[pl.DataFrame] = []
        for df in self.cut.batches():
            rows, _ = validate(df, self.region_codes)
            rows = rows.filter(pl.col("id_ok") & pl.col("id").is_in(wanted.implode()))
            if rows.height:
                found.append(self._staged(rows, lambda phase: None))
        every = pl.concat(found).sort("line").with_columns(pl.col("id").is_first_distinct().alias("_first"))
        later = every.filter(~pl.col("_first"))
        self._repeated_ids(later.get_column("line").to_list(), later.get_column("id").to_list())
        c.execute("DELETE FROM registry_recipient WHERE id = ANY(%s::uuid[])", [wanted.to_list()])
        self.added -= c.rowcount
        first = every.filter(pl.col("_first") & ~pl.col("refused")).select(_DIRECT_COLUMNS)
        with c.cursor.copy(_DIRECT_COPY) as copy:
            copy.write(first.write_csv(include_header=False).encode())
        self.added += first.height
        c.execute(primary)

    def _finish_direct(self, tick: Any) -> tuple[dict[str, int], int, int, int, dict[str, int]]:
        """After the file, on a SQLite first load: report, schools, then the indexes."""
        assert self.direct is not None
        self.progress.step("write")
        self.direct.store()
        tick("insert")
        tick.note("insert thread cpu", self.direct.insert_cpu)
        self._report_repeats()
        refused = self._check_share()
        tick("issues")
        schools_added, schools_changed = self._schools()
        c = self.cur
        # The key checks this load ran without, set-based: every inserted recipient's school
        # came from the file (imp_school1), so all of those must now exist.
        c.execute(
            "SELECT count(*) FROM imp_school1 x WHERE NOT EXISTS "
            "(SELECT 1 FROM reference_school s WHERE s.npsn = x.npsn)"
        )
        missing = c.fetchone()[0]
        if missing:
            raise RuntimeError(f"{missing} schools of the cutoff were not stored")
        tick("schools")
        if self.rebuild:
            self.progress.step("index")
        for sql in self.rebuild:
            c.execute(sql)
        tick("merge")
        added = self.direct.inserted
        return (
            {"new": added},
            refused,
            schools_added,
            schools_changed,
            {
                "added": added,
                "numbers_changed": 0,
                "changed": 0,
            },
        )

    def _report_repeats(self) -> None:
        assert self.direct is not None
        if repeats := self.direct.repeats:
            self._repeated_ids([line for line, _ in repeats], [rid for _, rid in repeats])

    def _load(self, table: str, columns: list[str], df: pl.DataFrame) -> None:
        if self.pg:
            text_cols = [c for c, t in zip(df.columns, df.dtypes, strict=True) if t == pl.String]
            data = df.write_csv(include_header=False).encode()
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(text_cols)}))"
            with self.cur.copy(sql) as copy:
                copy.write(data)
        else:
            marks = ", ".join(["?"] * len(columns))
            # table and columns are module constants, values go as parameters. The raw sqlite3
            # connection (same transaction) skips Django's per-row parameter conversion.
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            raw = connection.connection
            for i in range(0, df.height, SQLITE_CHUNK):
                raw.executemany(sql, df.slice(i, SQLITE_CHUNK).rows())

    def _after_load(self) -> None:
        """PostgreSQL, after the staging COPY. No index on the staged ids: the planner hashes the
        staging table for every join against the registry with or without one (EXPLAIN with 300
        and with 3 M staged rows), and building it cost 0.85 s per million rows."""
        c = self.cur
        c.execute("SET LOCAL work_mem = '256MB'")
        c.execute("ANALYZE imp_stage")
        # A plan built on a never-analysed registry turns the anti-joins below into nested loops
        # over millions of rows. A first load of more than 10 000 rows analyses it, and so does
        # autovacuum as it changes; analysing it again on every import cost 0.7-1.0 s (1 M and
        # 10 M rows alike: it reads a sample).
        c.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = 'registry_recipient' AND schemaname = "
            "(SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'registry_recipient'::regclass))"
        )
        if not c.fetchone()[0]:
            c.execute("ANALYZE registry_recipient")

    def _drop_stage(self) -> None:
        if self.pg:
            self.cur.execute(f"DROP SCHEMA {self.schema} CASCADE")
            self.cur.execute(f"SET LOCAL search_path = {self.search_path}")
            return
        for t in ("imp_npsn", "imp_rows", "imp_school1", "imp_school", "imp_stage"):
            self.cur.execute(f"DROP TABLE IF EXISTS {t}")

    # ------------------------------------------------------------------ rules that need the whole file

    def _duplicates(self) -> None:
        """PostgreSQL (SQLite finds repeats in its buckets)."""
        c = self.cur
        # Most files repeat no id. Counting distinct ids (one sort) costs half of grouping them
        # in a hash table that spills to disk (10 M ids: 4.6 s against 9.6-9.9 s; 1 M: 0.45
        # against 0.84 s), so ids are grouped only when some repeat.
        c.execute("SELECT count(id) = count(DISTINCT id) FROM imp_stage")
        if c.fetchone()[0]:
            return
        c.execute(
            "SELECT id, line FROM imp_stage WHERE id IN "
            "(SELECT id FROM imp_stage GROUP BY id HAVING count(*) > 1) ORDER BY id, line"
        )
        dup_lines: list[int] = []
        values: list[str] = []
        previous = None
        for rid, line in c.fetchall():
            if rid == previous:
                dup_lines.append(line)
                values.append(str(rid))
            previous = rid
        if not dup_lines:
            return
        self._repeated_ids(dup_lines, values)
        for i in range(0, len(dup_lines), 5000):
            chunk = dup_lines[i : i + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            c.execute(f"UPDATE imp_stage SET refused = TRUE WHERE line IN ({marks})", chunk)  # noqa: S608

    def _repeated_ids(self, lines: list[int], ids: list[str]) -> None:
        """Report these lines as ID_GANDA (an id an earlier line already had)."""
        self.issue_frames.append(
            pl.DataFrame(
                {
                    "line": pl.Series(lines, dtype=pl.Int64),
                    "column": ["id"] * len(lines),
                    "code": ["ID_GANDA"] * len(lines),
                    "value": [_uuid_text(i) for i in ids],
                }
            )
        )

    def _classify(self) -> dict[str, int]:
        c = self.cur
        phone_differs = (
            "(CASE WHEN r.row_hash = '' THEN r.phone_raw <> s.phone_raw "
            "ELSE substr(r.row_hash, 17, 16) <> substr(s.h, 17, 16) END)"
        )
        # Dapodik's number changed. What the recipient holds now may not be the number Dapodik
        # gave before: the school corrected it in Verval Ponsel (decision 0025). The number keys
        # (E.164 when valid, else the text as typed) of the recipient's current number and of
        # the file's: equal, Dapodik now carries the school's number ('dapodik': only the row
        # hash is stored, status and confirmation kept).
        current_key = "(CASE WHEN r.phone_e164 <> '' THEN r.phone_e164 ELSE r.phone_raw END)"
        file_key = "(CASE WHEN s.phone_e164 <> '' THEN s.phone_e164 ELSE s.phone_raw END)"
        # Different, and the current number may be a school's correction ('kept': the school's
        # verified number stays, the row is counted and the recipient's history says what
        # Dapodik holds): a valid number the provider has not returned as residue (an empty,
        # invalid or residue correction gives way to Dapodik's new number, which then goes
        # through validation) and not the number of the last cutoff (its half of the stored row
        # hash; md5 is PostgreSQL's, and Django's function on SQLite). Such rows are classed
        # 'maybe_locked' / 'maybe_phone' here and settled below.
        maybe = (
            "(r.phone_e164 <> '' AND r.status <> 'RESIDU' AND "
            f"(r.row_hash = '' OR substr(md5({current_key}), 1, 16) <> substr(r.row_hash, 17, 16)))"
        )
        # First load: _merge inserts the accepted rows straight from imp_stage and imp_rows stays
        # empty (no copy of the whole file).
        only_changes = "AND 1 = 0" if self.first_load else ""
        # Only rows that need work are written; unchanged rows are counted, not copied.
        c.execute(  # the SQL is built from module constants only
            f"""
            CREATE {self.temp} TABLE imp_rows AS SELECT * FROM (
            SELECT s.line, s.id, s.kind, s.category, s.name, s.nisn, s.nik, s.grade, s.npsn, s.phone_raw,
                   s.phone_e164, s.operator, s.reason, s.h, r.phone_raw AS old_phone, r.status AS old_status,
                   r.version AS old_version,
                   (r.id IS NOT NULL AND (substr(r.row_hash, 1, 16) <> substr(s.h, 1, 16) OR NOT r.active))
                       AS touched,
                   CASE WHEN r.id IS NULL THEN 'new'
                        WHEN {phone_differs} THEN (CASE WHEN {current_key} = {file_key} THEN 'dapodik'
                            WHEN r.locked THEN (CASE WHEN {maybe} THEN 'maybe_locked' ELSE 'locked' END)
                            WHEN {maybe} THEN 'maybe_phone' ELSE 'phone' END)
                        WHEN substr(r.row_hash, 1, 16) <> substr(s.h, 1, 16) THEN 'content'
                        WHEN NOT r.active THEN 'reactivate'
                        ELSE 'same' END AS cls
            FROM imp_stage s
            LEFT JOIN registry_recipient r ON r.id = s.id
            WHERE NOT s.refused {only_changes}
            ) x WHERE cls <> 'same' ORDER BY id
            """  # noqa: S608
        )
        # The candidates are a school's correction when the recipient's history holds one
        # (change_number, bulk_correction; decision 0005), not, say, when a rules recheck turned
        # a stored text into an E.164 form. A second statement over the few candidates: as a
        # correlated subquery in the classification, PostgreSQL evaluated the whole CASE in the
        # leading process, above the parallel join (EXPLAIN).
        c.execute(
            """
            UPDATE imp_rows SET cls = CASE WHEN EXISTS (SELECT 1 FROM registry_numberhistory hc
                WHERE hc.recipient_id = imp_rows.id AND hc.action IN ('change_number', 'bulk_correction'))
                THEN 'kept' WHEN cls = 'maybe_locked' THEN 'locked' ELSE 'phone' END
            WHERE cls IN ('maybe_locked', 'maybe_phone')
            """
        )
        if self.pg:
            c.execute("ANALYZE imp_rows")
        c.execute("SELECT cls, count(*) FROM imp_rows GROUP BY cls")
        classes = {cls: n for cls, n in c.fetchall()}
        if self.direct:  # SQLite staged only the rows that need work
            accepted = self.direct.accepted
        else:
            c.execute("SELECT count(*) FROM imp_stage WHERE NOT refused")
            accepted = c.fetchone()[0]
        if self.first_load and accepted:
            classes["new"] = accepted
        classes["same"] = accepted - sum(classes.values())
        return classes

    def _hold_rows(self, classes: dict[str, int]) -> dict[str, int]:
        """Lock the registry rows this import will write, then make sure none changed since they
        were classified (decision 0042). Users and other jobs do not take REGISTRY_JOBS: a school
        correcting a number or an SPTJM print committed between the classification and the
        writes was overwritten by the file's number. A row changed meanwhile (its version moved)
        has the whole file classified again, now against rows nobody else can change until this
        import commits; a user's save of one of them meets the lock (decision 0041).

        The rows to write are those whose stored row hash differs from the file's or that are
        inactive: only an import writes either, and imports run one at a time, so the second
        classification holds the same rows. SQLite: one writer at a time, nothing to hold."""
        if not self.pg or self.first_load:
            return classes
        c = self.cur
        while True:
            c.execute(
                """
                SELECT count(*) FILTER (WHERE moved) FROM (
                    SELECT r.version <> x.old_version AS moved FROM registry_recipient r
                    JOIN imp_rows x ON x.id = r.id ORDER BY r.id FOR UPDATE OF r
                ) held
                """
            )
            if not c.fetchone()[0]:
                return classes
            c.execute("DROP TABLE imp_rows")
            classes = self._classify()

    def _locked(self) -> None:
        c = self.cur
        c.execute("SELECT line, phone_raw FROM imp_rows WHERE cls = 'locked'")
        rows = c.fetchall()
        if rows:
            self.issue_frames.append(
                pl.DataFrame(
                    {
                        "line": pl.Series([r[0] for r in rows], dtype=pl.Int64),
                        "column": ["nomor_telepon_seluler"] * len(rows),
                        "code": ["TERKUNCI_SPTJM"] * len(rows),
                        "value": [mask(r[1]) for r in rows],
                    }
                )
            )

    def _issues(self) -> pl.DataFrame:
        if not self.issue_frames:
            return pl.DataFrame(
                schema={"line": pl.Int64, "column": pl.String, "code": pl.String, "value": pl.String}
            )
        return pl.concat(self.issue_frames).sort("line", maintain_order=True)

    def _row_issues(self, issues: pl.DataFrame) -> list[RowIssue]:
        return [
            RowIssue(line, column, code, RULES[code].message, RULES[code].message_en, value or "")
            for line, column, code, value in issues.iter_rows()
        ]

    def _check_share(self) -> int:
        issues = self._issues()
        refused = issues.get_column("line").n_unique() if issues.height else 0
        # SPEC §9's "more likely the wrong file than bad rows": rows refused because a printed
        # SPTJM locks their record (TERKUNCI_SPTJM) are a matter of timing, not of the file, and
        # stay out of the share (as in the Excel bulk correction, decision 0005). They are still
        # refused, reported and counted in `refused`.
        wrong = (
            issues.filter(pl.col("code") != "TERKUNCI_SPTJM").get_column("line").n_unique()
            if issues.height
            else 0
        )
        share = settings.VERVAL["REFUSE_FILE_ABOVE_SHARE"]
        if wrong > share * self.rows:
            pct = f"{100 * wrong / self.rows:.1f}"
            limit = f"{100 * share:g}"
            # Written as the page writes its figures ("10.000 dari 100.000" beside "Ditolak 10.000").
            wrong_id, rows_id = (f"{n:,}".replace(",", ".") for n in (wrong, self.rows))
            raise JobRefused(
                code="TERLALU_BANYAK_DITOLAK",
                message=f"{wrong_id} dari {rows_id} baris ({pct.replace('.', ',')}%) ditolak, lebih dari batas "
                f"{limit.replace('.', ',')}%. "
                "Berkas ditolak seluruhnya; kemungkinan berkasnya salah. Lihat laporan baris.",
                message_en=f"{wrong:,} of {self.rows:,} rows ({pct}%) were refused, more than the {limit}% limit. "
                "The whole file is refused; it is probably the wrong file. See the row report.",
                issues=self._row_issues(issues),
                counts={"rows": self.rows, "refused": refused},
            )
        if issues.height:
            from verval.core.jobs import save_issues

            save_issues(self.job, self._row_issues(issues))
        return refused

    # ------------------------------------------------------------------ merges

    def _schools(self) -> tuple[int, int]:
        c = self.cur
        now = self.now_db
        c.execute(  # self.temp is one of two constants
            f"CREATE {self.temp} TABLE imp_school1 AS SELECT s.npsn, s.name, s.bentuk, s.status, s.region "  # noqa: S608
            "FROM imp_school s JOIN (SELECT npsn, min(line) AS line FROM imp_school GROUP BY npsn) m "
            "ON m.npsn = s.npsn AND m.line = s.line"
        )
        c.execute(
            """
            UPDATE reference_school SET name = x.name, bentuk = x.bentuk,
                status = CASE WHEN x.status = '' THEN reference_school.status ELSE x.status END,
                region_id = x.region, regency_id = substr(x.region, 1, 4) || '00',
                province_id = substr(x.region, 1, 2) || '0000', active = TRUE, updated_at = %s
            FROM imp_school1 x
            WHERE reference_school.npsn = x.npsn AND (reference_school.name <> x.name
                OR reference_school.bentuk <> x.bentuk OR (x.status <> '' AND reference_school.status <> x.status)
                OR reference_school.region_id <> x.region OR NOT reference_school.active)
            """,
            [now],
        )
        changed = c.rowcount
        c.execute(
            """
            INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id, active,
                                          created_at, updated_at)
            SELECT x.npsn, x.name, x.bentuk, x.status, x.region, substr(x.region, 1, 4) || '00',
                   substr(x.region, 1, 2) || '0000', TRUE, %s, %s
            FROM imp_school1 x WHERE NOT EXISTS (SELECT 1 FROM reference_school y WHERE y.npsn = x.npsn)
            """,
            [now, now],
        )
        return c.rowcount, changed

    def _merge(self, classes: dict[str, int]) -> dict[str, int]:
        c = self.cur
        now = self.now_db
        added = 0
        if classes.get("new"):
            # A large first load never comes here (_finish_copy, _finish_direct); a small one
            # (PostgreSQL only) inserts in id order, so that the primary key grows at its end.
            if self.first_load:
                source = "h FROM imp_stage WHERE NOT refused ORDER BY id"
            else:
                source = "h FROM imp_rows WHERE cls = 'new' ORDER BY id"
            c.execute(  # source is one of two constants
                f"""
                INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw,
                    phone_e164, operator, status, reason, reason_note, status_changed_at, needs_validation,
                    confirmed_at, confirmed_by_id, locked, active, version, created_at, updated_at, row_hash)
                SELECT id, kind, category, name, nisn, nik, grade, npsn, phone_raw, phone_e164, operator,
                       'BELUM_VERVAL', reason, '', %s, TRUE, NULL, NULL, FALSE, TRUE, 1, %s, %s, {source}
                """,  # noqa: S608
                [now, now, now],
            )
            added = c.rowcount
            if self.pg and added > 10000:
                c.execute("ANALYZE registry_recipient")
        numbers = 0
        if classes.get("phone"):
            self._history()
            c.execute(
                """
                UPDATE registry_recipient SET kind = x.kind, category = x.category, name = x.name, nisn = x.nisn,
                    nik = x.nik, grade = x.grade, school_id = x.npsn, phone_raw = x.phone_raw,
                    phone_e164 = x.phone_e164, operator = x.operator, status = 'BELUM_VERVAL', reason = x.reason,
                    reason_note = '', status_changed_at = %s, needs_validation = TRUE, confirmed_at = NULL,
                    confirmed_by_id = NULL, active = TRUE, row_hash = x.h,
                    version = registry_recipient.version + 1, updated_at = %s
                FROM imp_rows x WHERE registry_recipient.id = x.id AND x.cls = 'phone'
                """,
                [now, now],
            )
            numbers = c.rowcount
        # Dapodik's number changed but the school's stands (decision 0025): the row hash takes
        # the file's (the same file again is unchanged), the other fields are Dapodik's, the
        # number, its status and its confirmation stay. A version only when a field the school
        # sees changed (or the recipient is listed again), so that an open edit form stays valid.
        touched = 0
        if classes.get("dapodik") or classes.get("kept"):
            if classes.get("kept"):
                self._history(kept=True)
            c.execute(
                """
                UPDATE registry_recipient SET kind = x.kind, category = x.category, name = x.name, nisn = x.nisn,
                    nik = x.nik, grade = x.grade, school_id = x.npsn, active = TRUE, row_hash = x.h,
                    version = registry_recipient.version + (CASE WHEN x.touched THEN 1 ELSE 0 END),
                    updated_at = (CASE WHEN x.touched THEN %s ELSE registry_recipient.updated_at END)
                FROM imp_rows x WHERE registry_recipient.id = x.id AND x.cls IN ('dapodik', 'kept')
                """,
                [now],
            )
            c.execute("SELECT count(*) FROM imp_rows WHERE cls IN ('dapodik', 'kept') AND touched")
            touched = c.fetchone()[0]
        other = 0
        if classes.get("content") or classes.get("reactivate"):
            c.execute(
                """
                UPDATE registry_recipient SET kind = x.kind, category = x.category, name = x.name, nisn = x.nisn,
                    nik = x.nik, grade = x.grade, school_id = x.npsn, active = TRUE, row_hash = x.h,
                    version = registry_recipient.version + 1, updated_at = %s
                FROM imp_rows x WHERE registry_recipient.id = x.id AND x.cls IN ('content', 'reactivate')
                """,
                [now],
            )
            other = c.rowcount
        kept_numbers = classes.get("dapodik", 0) + classes.get("kept", 0)
        return {
            "added": added,
            "numbers_changed": numbers,
            "changed": numbers + other + touched,
            # Rows whose only change was Dapodik catching up with (or differing from) the
            # school's number: nothing the school sees changed.
            "unchanged": kept_numbers - touched,
        }

    def _drop_indexes_if_empty(self, new_rows: int) -> list[str]:
        """First load into an empty registry: drop the secondary indexes (on PostgreSQL also the
        primary key and the foreign keys from and to the table) and rebuild them after the insert,
        several times faster than maintaining them row by row. Inside the transaction, so a crash
        restores them; the locks this takes only block users of an empty table."""
        c = self.cur
        if new_rows < REBUILD_INDEXES_ABOVE:
            return []
        c.execute("SELECT 1 FROM registry_recipient LIMIT 1")
        if c.fetchone():
            return []
        if self.pg:
            c.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                "(SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'registry_recipient'::regclass) "
                "AND tablename = 'registry_recipient' AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = 'registry_recipient'::regclass)"
            )
        else:
            c.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'registry_recipient' AND sql IS NOT NULL"
            )
        indexes = c.fetchall()
        for name, _ in indexes:
            c.execute(f'DROP INDEX "{name}"')
        rebuild = [sql for _, sql in indexes]
        if self.pg:
            # The foreign keys too: row by row they queue a million trigger events whose checks
            # took 16 s per million rows at commit (measured); added back after the insert, each
            # is validated by one join.
            c.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'registry_recipient'::regclass AND contype = 'f'"
            )
            foreign_keys = c.fetchall()
            # Dropping a foreign key alters the referenced table too, and building an index needs
            # a table without pending trigger events: run the deferred checks (the schools this
            # import just added) now. The insert that follows queues none, its keys being dropped.
            c.execute("SET CONSTRAINTS ALL IMMEDIATE")
            c.execute("SET CONSTRAINTS ALL DEFERRED")
            for name, _ in foreign_keys:
                c.execute(f'ALTER TABLE registry_recipient DROP CONSTRAINT "{name}"')
            # The primary key as well: maintained row by row it cost 2.5-3.5 s of a 1 M-row
            # insert, built afterwards under 1 s (measured). The foreign keys that point at it
            # (SPTJM rows; none can exist while the registry is empty) go and come back with it.
            # Duplicated ids are refused before the insert (_duplicates), so it builds.
            c.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE confrelid = 'registry_recipient'::regclass AND contype = 'f' ORDER BY 1, 2"
            )
            referencing = c.fetchall()
            c.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'registry_recipient'::regclass AND contype = 'p'"
            )
            primary = c.fetchall()
            for table, name, _ in referencing:
                c.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in primary:
                c.execute(f'ALTER TABLE registry_recipient DROP CONSTRAINT "{name}"')
            rebuild = (
                [
                    f'ALTER TABLE registry_recipient ADD CONSTRAINT "{name}" {definition}'
                    for name, definition in primary
                ]
                + [
                    f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                    for table, name, definition in referencing
                ]
                + [
                    f'ALTER TABLE registry_recipient ADD CONSTRAINT "{name}" {definition}'
                    for name, definition in foreign_keys
                ]
                + rebuild
            )
        return rebuild

    def _history(self, *, kept: bool = False) -> None:
        """One NumberHistory row per changed number (masked), written before the update; or,
        `kept`, per school's correction kept over another Dapodik number (decision 0025): status
        and number as they stay, the Dapodik number masked in the note, so that the school sees
        on the recipient's history what Dapodik holds."""
        actor_id = self.actor.pk if self.actor else None
        job_id = self.job.pk if self.pg else self.job.pk.hex
        now = self.now_db
        cls = "kept" if kept else "phone"
        with connection.cursor() as read, connection.cursor() as write:
            read.execute(  # cls is one of two constants
                f"SELECT id, old_phone, old_status, phone_raw FROM imp_rows WHERE cls = '{cls}'"  # noqa: S608
            )
            while batch := read.fetchmany(5000):
                write.executemany(
                    """
                    INSERT INTO registry_numberhistory (recipient_id, at, actor_id, job_id, action, from_status,
                        to_status, reason, phone_before, phone_after, note)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, '', %s, %s, %s)
                    """,
                    [
                        (
                            rid,
                            now,
                            actor_id,
                            job_id,
                            "import_number_kept" if kept else "import_number_changed",
                            old_status or "",
                            (old_status or "") if kept else "BELUM_VERVAL",
                            history_mask(old),
                            history_mask(old if kept else new),
                            f"Dapodik: {mask(new or '')}"[:255] if kept else "cutoff Dapodik",
                        )
                        for rid, old, old_status, new in batch
                    ],
                )

    def _remove(self) -> int:
        """Recipients of the schools in this file that the file no longer lists: active=False."""
        if self.first_load:
            # The registry held no recipient before this import: every one it holds now came from
            # this file, so none is missing from it. The anti-join cost 1.4 s (SQLite) and 2.2 s
            # (PostgreSQL) of a 1 M-row first load to find nothing.
            return 0
        c = self.cur
        if self.direct:
            c.execute(
                "UPDATE registry_recipient SET active = FALSE, version = version + 1, updated_at = %s "
                "WHERE id IN (SELECT value FROM json_each(%s))",
                [self.now_db, json.dumps(self.direct.removed)],
            )
            return c.rowcount
        # Found by CREATE TABLE AS, which PostgreSQL may run in parallel (an UPDATE never is),
        # then updated by id.
        c.execute("CREATE UNLOGGED TABLE imp_npsn AS SELECT DISTINCT npsn FROM imp_stage")
        c.execute("ANALYZE imp_npsn")
        c.execute(
            """
            CREATE UNLOGGED TABLE imp_gone AS SELECT r.id FROM registry_recipient r JOIN imp_npsn n ON r.school_id = n.npsn
            WHERE r.active AND NOT EXISTS (SELECT 1 FROM imp_stage s WHERE s.id = r.id)
            """
        )
        c.execute(
            "UPDATE registry_recipient SET active = FALSE, version = version + 1, updated_at = %s "
            "WHERE id IN (SELECT id FROM imp_gone)",
            [self.now_db],
        )
        return c.rowcount


def _uuid_text(rid: str) -> str:
    """A repeated id as the file writes it (8-4-4-4-12): SQLite's staging keeps it as 32 hex
    digits, which the report's masking took for a number (`b00cb661bfde43*****38f0fe647ad76`),
    so the person looking for the line could not search the file for it."""
    try:
        return str(uuid.UUID(rid))
    except ValueError:
        return rid
