"""Transactions of a user's request that may meet rows a bulk job holds.

A cutoff import, a results ingest or a validation run updates up to millions of rows in one
transaction (SPEC §9) and holds them until it commits, minutes at national scale. A school
operator's save of one of those rows would wait as long: the request hangs, then its web worker
is killed by the server's timeout, and with a few such saves no worker is left for anybody. So
a request's transaction waits for a lock only briefly and then tells the user to try again
(decision 0041)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction

log = logging.getLogger(__name__)

# PostgreSQL's lock_not_available, what lock_timeout raises.
_LOCK_NOT_AVAILABLE = "55P03"


def lock_wait_expired(exc: BaseException) -> bool:
    """The error is a lock wait given up (PostgreSQL's lock_timeout, SQLite's busy timeout)."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(exc)


@contextmanager
def brief_lock_wait(refuse: Callable[[], Exception]) -> Iterator[None]:
    """An atomic block whose lock waits end after EDIT_LOCK_WAIT_MS; then `refuse()` is raised,
    with everything of the block rolled back. Inside an outer transaction (a job that calls an
    action, a test) the outer one keeps its own setting: a `SET LOCAL` would outlive this block.
    SQLite has one writer at a time and waits its busy timeout (settings: 30 s) instead."""
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                wait = f"{int(settings.VERVAL['EDIT_LOCK_WAIT_MS'])}ms"
                with connection.cursor() as cursor:
                    # set_config(..., true) is SET LOCAL: it ends with this transaction.
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
            yield
    except OperationalError as exc:
        if not lock_wait_expired(exc):
            raise
        raise refuse() from None


# Jobs of one kind that must not interleave, each key a PostgreSQL transaction-level advisory
# lock: the second job waits until the first commits and then, READ COMMITTED, works on what the
# first left (decision 0042). Waiting, not refusing: a job is not the user's to retry. SQLite
# has one writer at a time.
DUMP_JOBS = 72001  # publishing dumps: a recipient in one open batch only
REGISTRY_JOBS = 72002  # cutoff imports and validation runs: each reads the whole registry, then writes


def serialise_jobs(key: int) -> None:
    """Wait for the other transactions holding `key`, then hold it until this one ends. Call inside
    the job's transaction, before its first read of what the other job writes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def share_jobs(key: int) -> None:
    """Like serialise_jobs, but shared: jobs that take `key` this way run side by side and only
    wait for (and hold off) the jobs that serialise on it. A results ingest writes recipients in
    no particular order; beside an import (which writes them in id order) both could hold a row
    the other wants next, and PostgreSQL would fail one of them to break the deadlock. Ingests of
    different batches touch different recipients and need not wait for each other."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [key])


def registry_job_running() -> bool:
    """An import or a validation run is under way: it holds the registry's rows it writes until it
    commits, minutes at national scale. A web request that would apply a provider's file while it
    waits (the API's small uploads) queues it as a job instead of waiting that long (decision
    0041). PostgreSQL: another session holds REGISTRY_JOBS exclusively (ingests share it); SQLite:
    such a job is RUNNING."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A bigint advisory key is (classid, objid) = (high, low 32 bits) with objsubid 1.
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND mode = 'ExclusiveLock' AND classid = 0 AND objid = %s AND objsubid = 1 "
                "AND pid <> pg_backend_pid() "
                # pg_locks lists every database of the server; advisory keys are per database.
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
                [REGISTRY_JOBS],
            )
            return bool(cursor.fetchone()[0])
    from verval.core.models import Job

    return Job.objects.filter(state=Job.State.RUNNING, kind__in=("import_dapodik", "validate")).exists()


class _RegistryBusy(Exception):
    """registry_shared_briefly's wait ran out (raised by brief_lock_wait, caught at once)."""


@contextmanager
def registry_shared_briefly() -> Iterator[bool]:
    """For a web request about to apply a provider's small file (decision 0041): hold
    REGISTRY_JOBS shared, as the ingest itself does, for the whole block — a session lock, so it
    spans the job's own transactions — after waiting for it at most EDIT_LOCK_WAIT_MS. Yields
    False when that wait ran out (an import or a validation run that started after
    `registry_job_running` holds the registry, or waits for it): the caller queues the file
    instead of waiting minutes for that job's commit (decision 0049). Yields True otherwise, and
    until the block ends an import or a validation run waits for this request's small apply,
    not the other way round. SQLite: True, nothing held (one writer at a time)."""
    if connection.vendor != "postgresql":
        yield True
        return
    try:
        with brief_lock_wait(_RegistryBusy), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock_shared(%s)", [REGISTRY_JOBS])
    except _RegistryBusy:
        yield False
        return
    try:
        yield True
    finally:
        # A connection that broke meanwhile took its session lock with it.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [REGISTRY_JOBS])


DIGEST_RUN = 72003  # `verval notify`: two runs at once would both send the day's mails


@contextmanager
def only_run(key: int, name: str) -> Iterator[bool]:
    """Whether this process is the only one in the block for `key` (held until the block ends,
    across the block's transactions): a command that must not run twice at once and sends what
    it cannot take back (mails) refuses instead of waiting. On PostgreSQL a session advisory lock
    (every server of a deployment shares the database); on SQLite an exclusive flock of
    `locks/<name>.lock` in the file store (one machine)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            mine = bool(cursor.fetchone()[0])
        try:
            yield mine
        finally:
            if mine:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    import fcntl

    from verval.core import files

    path = files.absolute(f"locks/{name}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def planner_settings(cursor: Any, **values: str) -> Iterator[None]:
    """PostgreSQL settings for the statements inside the block only, then back to what they
    were (`enable_nestloop="off"` where the planner's estimate would pick a quadratic plan, and
    the like; each use says why). `set_config(…, true)` is `SET LOCAL`: a block left by an error
    needs no restoring, the transaction or savepoint that rolls back takes the setting with it.
    Elsewhere (SQLite) and with no values, nothing is set."""
    if connection.vendor != "postgresql" or not values:
        yield
        return
    names = list(values)
    cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
    before = cursor.fetchone()
    for name in names:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, values[name]])
    yield
    for name, value in zip(names, before, strict=True):
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


# A bulk job's changes make a table's planner statistics stale when they are more than this share
# of the rows the statistics know, plus ANALYZE_SLACK_ROWS (so that small changes never pay for an
# ANALYZE): autoanalyze's own rule (autovacuum_analyze_scale_factor 0.1), applied at once instead
# of at autovacuum's next pass, which a page read right after the job does not wait for.
ANALYZE_SHARE = 0.1
ANALYZE_SLACK_ROWS = 1000


def analyze_after_commit() -> list[str]:
    """PostgreSQL, at the end of a bulk job's transaction: once it commits, ANALYZE the tables it
    changed by more than ANALYZE_SHARE of their rows (with the changes committed since their last
    statistics: six ingests of a few percent each add up); returns their names. A table it only
    read is left alone. After a provider's results turned 640 k recipients AKTIF,
    statistics from before them had the late-schools page planned as a join of every candidate
    with every school, 38-127 s instead of 0.3 s (decisions 0093, 0099).

    After the commit, not inside the transaction: ANALYZE neither lengthens the job's transaction
    nor can fail it (an error is logged, `robust`). SKIP_LOCKED: a table autovacuum is working on
    gets its statistics from autovacuum, and the job does not wait for it (nor cancel it).
    The changes are counted by the transaction itself (`pg_stat_xact_user_tables`), known before
    the commit; the shared counters get them only some time after it. That view also holds the
    connection's earlier transactions not yet reported (PostgreSQL reports them at most once a
    second, between transactions), so a table may be analysed a little early, never late.
    Elsewhere (SQLite), nothing."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.relid::regclass::text, c.reltuples, x.n_tup_ins + x.n_tup_upd + x.n_tup_del, "
            "COALESCE(s.n_mod_since_analyze, 0) FROM pg_stat_xact_user_tables x "
            "JOIN pg_class c ON c.oid = x.relid LEFT JOIN pg_stat_user_tables s ON s.relid = x.relid "
            "WHERE c.relpersistence = 'p' AND c.relkind = 'r' AND x.n_tup_ins + x.n_tup_upd + x.n_tup_del > 0"
        )
        stale = sorted(
            table
            for table, known, changed, before in cursor.fetchall()
            if statistics_stale(float(known), int(changed) + int(before))
        )
    if stale:
        transaction.on_commit(lambda: analyze(stale), robust=True)
    return stale


def statistics_stale(known: float, changed: int) -> bool:
    """More rows changed since a table's statistics than ANALYZE_SHARE of the rows they know of
    (plus ANALYZE_SLACK_ROWS); a table never analysed (`reltuples` -1) counts as knowing none."""
    return changed > ANALYZE_SHARE * max(known, 0.0) + ANALYZE_SLACK_ROWS


def analyze(tables: list[str]) -> None:
    """ANALYZE each table, unless another process (autovacuum) holds it; logs how long it took."""
    with connection.cursor() as cursor:
        for table in tables:
            started = time.perf_counter()
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {table}")  # a name from the catalogue
            log.info("statistics of %s refreshed in %.2f s", table, time.perf_counter() - started)
