"""Keeping the dashboard aggregates current (see models.py for the tables).

Public entry points for the other apps:

- `mark_dirty(npsns)`: after a single-record action (a number edited, an SPTJM uploaded...). Cheap:
  upserts the schools into DirtySchool and, after commit, a task refreshes the dirty schools.
  A post_save hook (signals.py) already does this for Recipient, Sptjm and Disbursement saves.
- `refresh_after_job(job_id)`: called by core.jobs.run after every job (SUCCEEDED or not);
  schedules a refresh of the job's school or a full refresh. Never raises.
- `refresh_all_on_commit()`: an action that changes what every school's figures are read for
  (the current period: `current_period_code()`) schedules the full refresh the same way.
- `refresh_schools(npsns)`, `refresh_all()`, `refresh_dirty()`: the work itself, set-based SQL.

Every refresh runs in one transaction under one lock (PostgreSQL advisory lock; SQLite serialises
writers anyway), so readers see the old figures until the new ones are complete.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from verval.core.chunks import chunks
from verval.dashboard import sources
from verval.dashboard.models import (
    DailySnapshot,
    DirtySchool,
    RegionStat,
    SchoolSptjm,
    SchoolStat,
    SchoolSummary,
    StatsState,
)
from verval.reference import zones

log = logging.getLogger(__name__)

_LOCK_KEY = 74_120_001
_CHUNK = 500
FULL_REFRESH_WORK_MEM = "256MB"
DIMS = "level, kind, operator, fact, status, reason, sent, period"
STAR = "*"
# RegionStat keeps, beside its real rows, roll-ups with '*' for every subset of the filter
# dimensions (level, kind, operator), so that "the children of this area under these filters" reads
# one row per child and status instead of summing every combination.
REAL_ROWS = "level <> '*' AND kind <> '*' AND operator <> '*'"
_STAR_SUBSETS = [
    (keep_level, keep_kind, keep_op)
    for keep_level in (True, False)
    for keep_kind in (True, False)
    for keep_op in (True, False)
    if not (keep_level and keep_kind and keep_op)
]
# Behind-schedule score of a school (higher = chase first), from its summary columns. The SPTJM
# steps read the school's SchoolSptjm row, as the late-schools page does: recipients carried from
# an earlier period's SPTJM (2021) count as printed, uploaded and approved in the funnel, but they
# are no document the school prints or uploads (decision 0116); recipients locked by another
# period's live SPTJM are nothing to print here; a document printed and not uploaded beside an
# approved one is still to upload (decision 0119; `SchoolSummary.has_to_print`, `has_returned`,
# `has_printed_not_uploaded`).
SCORE_SQL = (
    "(CASE WHEN sptjm_to_print > 0 THEN 1000 ELSE 0 END)"
    " + (CASE WHEN sptjm_state = 'DIKEMBALIKAN' THEN 500 ELSE 0 END)"
    " + (CASE WHEN sptjm_state = 'DICETAK' THEN 300 ELSE 0 END)"
    " + (CASE WHEN imported > 0 THEN (100 * (residu + format_salah + belum)) / imported ELSE 0 END)"
    " + (CASE WHEN gagal > 0 THEN 50 ELSE 0 END)"
)


def _q(model: Any) -> str:
    return sources.q(model)


def _lock(cur: Any, *, big: bool = False) -> None:
    if connection.vendor == "postgresql":
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        if big:
            # The full refresh groups millions of rows: let the hash aggregates stay in memory.
            cur.execute(f"SET LOCAL work_mem = '{FULL_REFRESH_WORK_MEM}'")
        else:
            # A school's statements read a few hundred rows, but their plans are costed with the
            # nation's tables beside them, above `jit_above_cost`: PostgreSQL compiled them, 0.15-0.2 s
            # of a school's refresh at national size for statements of milliseconds (decision 0130).
            cur.execute("SET LOCAL jit = off")


def _in(values: list[str]) -> str:
    return ",".join(["%s"] * len(values))


def current_period_code() -> str:
    """The period the summary and snapshots count SPTJM and disbursement for: the open one, else the latest."""
    from verval.reference.models import Period

    period = (
        Period.objects.filter(is_open=True).order_by("-starts_on").first()
        or Period.objects.order_by("-starts_on").first()
    )
    return period.code if period else ""


def covering_periods(period: str) -> list[str]:
    """The periods whose approved SPTJM items cover a recipient for `period`, as
    `sptjm.selectors.covering_items` reads them: the period itself and, when its policy asks an
    SPTJM only for new or changed numbers (2021), every period that starts before it and was ever
    opened. A period never opened (`reference.selectors.never_opened`: no audit row of opening or
    closing it, no SPTJM, no disbursement batch) holds no SPTJM item, so it covers no one: leaving
    it out keeps the key (`sptjm_facts_key`) of the rows when such a period is created, and the
    key changes when it is opened (decision 0119)."""
    from verval.reference.models import Period
    from verval.reference.selectors import never_opened

    row = Period.objects.filter(code=period).values_list("starts_on", "policy__sptjm_only_changed").first()
    if row is None or not row[1]:
        return [period]
    earlier = list(Period.objects.filter(starts_on__lt=row[0]).order_by("code"))
    unopened = never_opened(earlier)
    return [period, *(p.code for p in earlier if p.code not in unopened)]


def sptjm_facts_key(period: str) -> str:
    """What the SchoolSptjm rows of `period` depend on besides the facts that mark a school dirty:
    the periods covering it (`covering_periods`). A policy or a start date edited changes it."""
    return _key(covering_periods(period))


def _key(covering: list[str]) -> str:
    return hashlib.sha256("\n".join(covering).encode()).hexdigest()


def _bump(full_seconds: float | None = None, *, facts_key: str = "") -> None:
    now = timezone.now()
    state, _ = StatsState.objects.get_or_create(pk=1)
    state.version += 1
    state.refreshed_at = now
    fields = ["version", "refreshed_at"]
    if full_seconds is not None:
        state.full_refreshed_at = now
        state.full_seconds = full_seconds
        state.sptjm_facts_at = now  # every SchoolSptjm row written (decision 0105)
        state.sptjm_facts_key = facts_key  # under these periods (decision 0116)
        fields += ["full_refreshed_at", "full_seconds", "sptjm_facts_at", "sptjm_facts_key"]
    elif facts_key and facts_key != state.sptjm_facts_key:
        # A school's rows written under other periods than the full refresh's (a policy or a
        # start date edited since): the rows no longer agree; the page counts live until the next
        # full refresh rewrites them all.
        state.sptjm_facts_at = None
        fields.append("sptjm_facts_at")
    state.save(update_fields=fields)


def stats_version() -> str:
    """A token that changes with every refresh (the number, plus the time: a restored or recreated
    database starting again at 1 must not hit pages cached for another one)."""
    row = StatsState.objects.filter(pk=1).values_list("version", "refreshed_at").first()
    if not row:
        return "0"
    return f"{row[0]}-{row[1].timestamp() if row[1] else 0}"


# --- school level -------------------------------------------------------------------------------------


def _insert_school_facts(cur: Any, npsns: list[str] | None) -> None:
    cols = f"npsn, regency, province, {DIMS}, count"
    for sql, params in sources.fact_selects(npsns):
        cur.execute(f"INSERT INTO {_q(SchoolStat)} ({cols}) {sql}", params)  # noqa: S608


def _insert_summaries(cur: Any, npsns: list[str] | None, period: str) -> None:
    from verval.reference.models import School

    where, params = sources.school_filter("st.npsn", npsns)
    t = True
    inner = f"""
        SELECT st.npsn AS npsn, MAX(st.regency) AS regency, MAX(st.province) AS province,
          SUM(CASE WHEN st.fact = 'R' THEN st.count ELSE 0 END) AS imported,
          SUM(CASE WHEN st.fact = 'R' AND st.status = 'BELUM_VERVAL' THEN st.count ELSE 0 END) AS belum,
          SUM(CASE WHEN st.fact = 'R' AND st.status = 'FORMAT_SALAH' THEN st.count ELSE 0 END) AS format_salah,
          SUM(CASE WHEN st.fact = 'R' AND st.status = 'MENUNGGU_PROVIDER' THEN st.count ELSE 0 END) AS menunggu,
          SUM(CASE WHEN st.fact = 'R' AND st.sent = %s THEN st.count ELSE 0 END) AS sent,
          SUM(CASE WHEN st.fact = 'R' AND st.status = 'AKTIF' THEN st.count ELSE 0 END) AS aktif,
          SUM(CASE WHEN st.fact = 'R' AND st.status = 'RESIDU' THEN st.count ELSE 0 END) AS residu,
          SUM(CASE WHEN st.fact = 'S' AND st.period = %s THEN st.count ELSE 0 END) AS sptjm_printed,
          SUM(CASE WHEN st.fact = 'S' AND st.period = %s AND st.status IN ('DIUNGGAH','DISETUJUI','DIBAWA') THEN st.count ELSE 0 END) AS sptjm_uploaded,
          SUM(CASE WHEN st.fact = 'S' AND st.period = %s AND st.status IN ('DISETUJUI','DIBAWA') THEN st.count ELSE 0 END) AS sptjm_approved,
          SUM(CASE WHEN st.fact = 'S' AND st.period = %s AND st.status = 'DIKEMBALIKAN' THEN st.count ELSE 0 END) AS sptjm_returned,
          SUM(CASE WHEN st.fact = 'S' AND st.period = %s AND st.status = 'DIBAWA' THEN st.count ELSE 0 END) AS sptjm_carried,
          SUM(CASE WHEN st.fact = 'D' AND st.period = %s AND st.status = 'BERHASIL' THEN st.count ELSE 0 END) AS berhasil,
          SUM(CASE WHEN st.fact = 'D' AND st.period = %s AND st.status = 'GAGAL' THEN st.count ELSE 0 END) AS gagal
        FROM {_q(SchoolStat)} st WHERE 1 = 1{where}
        GROUP BY st.npsn"""  # noqa: S608
    cols = (
        "imported, belum, format_salah, menunggu, sent, aktif, residu, sptjm_printed, sptjm_uploaded,"
        " sptjm_approved, sptjm_returned, sptjm_carried, berhasil, gagal"
    )
    # The school's SchoolSptjm row, written before in the same transaction (decision 0119).
    step = f"""SELECT t.*, COALESCE(f.state, '') AS sptjm_state, COALESCE(f.to_print, 0) AS sptjm_to_print
        FROM ({inner}) t LEFT JOIN {_q(SchoolSptjm)} f ON f.school_id = t.npsn"""  # noqa: S608
    cols += ", sptjm_state, sptjm_to_print"
    cur.execute(
        f"""INSERT INTO {_q(SchoolSummary)} (school_id, regency, province, level, {cols}, score)
            SELECT t.npsn, t.regency, t.province, {sources.level_sql("sc.bentuk", "''")}, {cols}, {SCORE_SQL}
            FROM ({step}) t JOIN {_q(School)} sc ON sc.npsn = t.npsn""",  # noqa: S608
        [t, period, period, period, period, period, period, period, *params],
    )


def _insert_sptjm_facts(cur: Any, npsns: list[str] | None, period: str, covering: list[str]) -> None:
    """SchoolSptjm of every school (of `npsns`) for `period` (decision 0105), the approved items
    of the `covering` periods covering a recipient (decision 0116)."""
    select = sources.sptjm_facts_select(npsns, period, covering)
    if select is not None:
        sql, params = select
        cur.execute(f"INSERT INTO {_q(SchoolSptjm)} (school_id, period, state, to_print) {sql}", params)  # noqa: S608


# --- region level -------------------------------------------------------------------------------------


def _rollup_regencies(cur: Any, regencies: list[str] | None) -> None:
    table = _q(RegionStat)
    if regencies is None:
        cur.execute(f"DELETE FROM {table} WHERE area_level = 2")  # noqa: S608
        where, params = "", []
    else:
        cur.execute(f"DELETE FROM {table} WHERE area_level = 2 AND region IN ({_in(regencies)})", regencies)  # noqa: S608
        where, params = f" WHERE regency IN ({_in(regencies)})", list(regencies)
    cur.execute(
        f"""INSERT INTO {table} (area_level, region, parent, {DIMS}, count)
            SELECT 2, regency, province, {DIMS}, SUM(count) FROM {_q(SchoolStat)}{where}
            GROUP BY regency, province, {DIMS}""",  # noqa: S608
        params,
    )
    _rollup_stars(cur, 2, regencies)


def _rollup_provinces(cur: Any, provinces: list[str] | None) -> None:
    table = _q(RegionStat)
    if provinces is None:
        cur.execute(f"DELETE FROM {table} WHERE area_level = 1")  # noqa: S608
        where, params = "", []
    else:
        cur.execute(f"DELETE FROM {table} WHERE area_level = 1 AND region IN ({_in(provinces)})", provinces)  # noqa: S608
        where, params = f" AND parent IN ({_in(provinces)})", list(provinces)
    cur.execute(
        f"""INSERT INTO {table} (area_level, region, parent, {DIMS}, count)
            SELECT 1, parent, '', {DIMS}, SUM(count) FROM {table} WHERE area_level = 2 AND {REAL_ROWS}{where}
            GROUP BY parent, {DIMS}""",  # noqa: S608
        params,
    )
    _rollup_stars(cur, 1, provinces)


def _rollup_nation(cur: Any) -> None:
    table = _q(RegionStat)
    cur.execute(f"DELETE FROM {table} WHERE area_level = 0")  # noqa: S608
    cur.execute(
        f"""INSERT INTO {table} (area_level, region, parent, {DIMS}, count)
            SELECT 0, '', '', {DIMS}, SUM(count) FROM {table} WHERE area_level = 1 AND {REAL_ROWS}
            GROUP BY {DIMS}""",  # noqa: S608
    )
    _rollup_stars(cur, 0, None)


# A school's refresh moves its areas' rows by what its school rows changed (decision 0130): the
# old rows of its schools counted negative, the new ones positive, in a temporary table of
# RegionStat's columns (area_level 3: a school row, region its regency, parent its province).
# Re-summing each area from its school rows read every row of the school's regency (31,000 rows
# on 22,000 pages for a kabupaten of 850 schools) and of its province's regencies on every batch
# of edits. An area's rows are the sums of its schools' rows under every refresh, so old rows plus
# the change are the rows a re-sum gives: the same rows, a group that falls to 0 dropped as a
# re-sum never makes it.
_DELTA = "dash_refresh_delta"
_SCHOOL_ROWS = 3


def _open_delta(cur: Any) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {_DELTA}")  # left by an earlier refresh in this transaction
    cur.execute(
        f"""CREATE TEMPORARY TABLE {_DELTA} (area_level smallint NOT NULL, region varchar(6) NOT NULL,
            parent varchar(6) NOT NULL, level varchar(12) NOT NULL, kind varchar(3) NOT NULL,
            operator varchar(16) NOT NULL, fact varchar(1) NOT NULL, status varchar(20) NOT NULL,
            reason varchar(32) NOT NULL, sent boolean NOT NULL, period varchar(32) NOT NULL, count bigint NOT NULL)"""
    )


def _close_delta(cur: Any) -> None:
    cur.execute(f"DROP TABLE {_DELTA}")


def _add_delta(cur: Any, npsns: list[str], sign: int) -> None:
    """The school rows of `npsns` as they are now, counted `sign` times (-1 before, 1 after)."""
    cur.execute(
        f"""INSERT INTO {_DELTA} (area_level, region, parent, {DIMS}, count)
            SELECT %s, regency, province, {DIMS}, %s * count FROM {_q(SchoolStat)} WHERE npsn IN ({_in(npsns)})""",  # noqa: S608
        [_SCHOOL_ROWS, sign, *npsns],
    )


def _move_areas(cur: Any, area_level: int, regions: list[str] | None) -> None:
    """Rewrite the rows of these areas (regencies 2, provinces 1, the nation 0 with None): their
    real rows plus the change of their schools' rows, then their '*' roll-ups."""
    table = _q(RegionStat)
    if area_level == 2:
        key, parent = "region", "parent"
    elif area_level == 1:
        key, parent = "parent", "''"
    else:
        key, parent = "''", "''"
    if regions is None:
        mine, mine_params, theirs, theirs_params = "", [], "", []
    else:
        mine, mine_params = f" AND region IN ({_in(regions)})", list(regions)
        theirs, theirs_params = f" AND {key} IN ({_in(regions)})", list(regions)
    staged = area_level + 10
    cur.execute(
        f"""INSERT INTO {_DELTA} (area_level, region, parent, {DIMS}, count)
            SELECT %s, region, parent, {DIMS}, SUM(count) FROM (
              SELECT region, parent, {DIMS}, count FROM {table} WHERE area_level = %s AND {REAL_ROWS}{mine}
              UNION ALL
              SELECT {key} AS region, {parent} AS parent, {DIMS}, count FROM {_DELTA} WHERE area_level = %s{theirs}
            ) u GROUP BY region, parent, {DIMS} HAVING SUM(count) <> 0""",  # noqa: S608
        [staged, area_level, *mine_params, _SCHOOL_ROWS, *theirs_params],
    )
    cur.execute(f"DELETE FROM {table} WHERE area_level = %s{mine}", [area_level, *mine_params])  # noqa: S608
    cur.execute(
        f"""INSERT INTO {table} (area_level, region, parent, {DIMS}, count)
            SELECT %s, region, parent, {DIMS}, count FROM {_DELTA} WHERE area_level = %s""",  # noqa: S608
        [area_level, staged],
    )
    cur.execute(f"DELETE FROM {_DELTA} WHERE area_level = %s", [staged])  # noqa: S608
    _rollup_stars(cur, area_level, regions)


def _rollup_stars(cur: Any, area_level: int, regions: list[str] | None) -> None:
    """The '*' roll-ups of the real rows of these areas (see REAL_ROWS)."""
    table = _q(RegionStat)
    where, params = ("", []) if regions is None else (f" AND region IN ({_in(regions)})", list(regions))
    rest = "fact, status, reason, sent, period"
    for keep_level, keep_kind, keep_op in _STAR_SUBSETS:
        picked = [
            c if keep else f"'{STAR}'"
            for c, keep in (("level", keep_level), ("kind", keep_kind), ("operator", keep_op))
        ]
        grouped = [
            c for c, keep in (("level", keep_level), ("kind", keep_kind), ("operator", keep_op)) if keep
        ]
        cur.execute(
            f"""INSERT INTO {table} (area_level, region, parent, {DIMS}, count)
                SELECT area_level, region, parent, {", ".join(picked)}, {rest}, SUM(count) FROM {table}
                WHERE area_level = %s AND {REAL_ROWS}{where}
                GROUP BY area_level, region, parent, {", ".join([*grouped, rest])}""",  # noqa: S608
            [area_level, *params],
        )


def take_snapshot(cur: Any, period: str, day: date | None = None) -> None:
    """Today's funnel per area (nation, provinces, regencies), replacing today's earlier snapshot."""
    day = day or zones.programme_today()
    table = _q(DailySnapshot)
    cur.execute(f"DELETE FROM {table} WHERE day = %s", [day.isoformat()])  # noqa: S608
    cur.execute(
        f"""INSERT INTO {table} (day, area, imported, valid, sent, aktif, residu, sptjm_approved, berhasil, gagal)
            SELECT %s, region,
              SUM(CASE WHEN fact = 'R' THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'R' AND status IN ('MENUNGGU_PROVIDER','AKTIF','RESIDU') THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'R' AND sent = %s THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'R' AND status = 'AKTIF' THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'R' AND status = 'RESIDU' THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'S' AND period = %s AND status IN ('DISETUJUI','DIBAWA') THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'D' AND period = %s AND status = 'BERHASIL' THEN count ELSE 0 END),
              SUM(CASE WHEN fact = 'D' AND period = %s AND status = 'GAGAL' THEN count ELSE 0 END)
            FROM {_q(RegionStat)} WHERE level = '*' AND kind = '*' AND operator = '*' GROUP BY region""",  # noqa: S608
        [day.isoformat(), True, period, period, period],
    )


# --- entry points -------------------------------------------------------------------------------------


def refresh_all() -> dict[str, Any]:
    """Recompute every aggregate from the source tables (set-based); returns counts and seconds."""
    started = time.monotonic()
    started_at = timezone.now()
    period = current_period_code()
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur, big=True)
        cur.execute(f"DELETE FROM {_q(SchoolStat)}")  # noqa: S608
        cur.execute(f"DELETE FROM {_q(SchoolSummary)}")  # noqa: S608
        cur.execute(f"DELETE FROM {_q(SchoolSptjm)}")  # noqa: S608
        _insert_school_facts(cur, None)
        covering = covering_periods(period)
        _insert_sptjm_facts(cur, None, period, covering)
        _insert_summaries(cur, None, period)  # reads the SchoolSptjm rows (decision 0119)
        _rollup_regencies(cur, None)
        _rollup_provinces(cur, None)
        _rollup_nation(cur)
        take_snapshot(cur, period)
        DirtySchool.objects.filter(marked_at__lte=started_at).delete()
        seconds = time.monotonic() - started
        _bump(full_seconds=seconds, facts_key=_key(covering))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (SchoolStat, RegionStat, SchoolSummary, SchoolSptjm):
                cur.execute(f"ANALYZE {_q(model)}")
    return {
        "school_rows": SchoolStat.objects.count(),
        "region_rows": RegionStat.objects.count(),
        "schools": SchoolSummary.objects.count(),
        "seconds": round(time.monotonic() - started, 3),
    }


def refresh_schools(npsns: Iterable[str]) -> dict[str, Any]:
    """Recompute the aggregates of these schools and of the regions they are (or were) in."""
    from verval.reference.models import School

    wanted = sorted({n for n in npsns if n})
    if not wanted:
        return {"schools": 0}
    started = time.monotonic()
    period = current_period_code()
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur)
        regencies: set[str] = set()
        provinces: set[str] = set()
        covering = covering_periods(period)
        _open_delta(cur)
        for chunk in chunks(wanted, _CHUNK):
            cur.execute(
                f"SELECT DISTINCT regency, province FROM {_q(SchoolStat)} WHERE npsn IN ({_in(chunk)})",  # noqa: S608
                chunk,
            )
            for reg, prov in cur.fetchall():
                regencies.add(reg)
                provinces.add(prov)
            for reg, prov in School.objects.filter(npsn__in=chunk).values_list("regency_id", "province_id"):
                regencies.add(reg)
                provinces.add(prov)
            _add_delta(cur, chunk, -1)
            cur.execute(f"DELETE FROM {_q(SchoolStat)} WHERE npsn IN ({_in(chunk)})", chunk)  # noqa: S608
            cur.execute(f"DELETE FROM {_q(SchoolSummary)} WHERE school_id IN ({_in(chunk)})", chunk)  # noqa: S608
            cur.execute(f"DELETE FROM {_q(SchoolSptjm)} WHERE school_id IN ({_in(chunk)})", chunk)  # noqa: S608
            _insert_school_facts(cur, chunk)
            _insert_sptjm_facts(cur, chunk, period, covering)
            _insert_summaries(cur, chunk, period)  # reads the SchoolSptjm rows (decision 0119)
            _add_delta(cur, chunk, 1)
        for chunk in chunks(sorted(regencies), _CHUNK):
            _move_areas(cur, 2, chunk)
        for chunk in chunks(sorted(provinces), _CHUNK):
            _move_areas(cur, 1, chunk)
        _move_areas(cur, 0, None)
        _close_delta(cur)
        take_snapshot(cur, period)
        _bump(facts_key=_key(covering))
    return {
        "schools": len(wanted),
        "regions": len(regencies) + len(provinces),
        "seconds": round(time.monotonic() - started, 3),
    }


def mark_dirty(npsns: Iterable[str]) -> int:
    """Note that these schools' figures changed; a task refreshes them after the commit."""
    wanted = sorted({n for n in npsns if n})
    if not wanted:
        return 0
    now = timezone.now()
    DirtySchool.objects.bulk_create(
        [DirtySchool(npsn=n, marked_at=now) for n in wanted],
        update_conflicts=True,
        unique_fields=["npsn"],
        update_fields=["marked_at"],
    )
    # One refresh per transaction, however many records it touched.
    if not (
        connection.in_atomic_block
        and any(item[1] is _enqueue_dirty_refresh for item in connection.run_on_commit)
    ):
        transaction.on_commit(_enqueue_dirty_refresh, robust=True)
    return len(wanted)


def _enqueue_dirty_refresh() -> None:
    from verval.dashboard.tasks import refresh_dirty_task

    if _dirty_refresh_waiting(refresh_dirty_task.module_path):
        return
    refresh_dirty_task.enqueue()


def _dirty_refresh_waiting(task_path: str) -> bool:
    """Whether a refresh of the dirty schools waits in the queue, not yet started (database task
    backend). It reads the marks when it starts, after this transaction's commit, so it refreshes
    this one's schools too: one more task would find nothing left. Without this check every save
    queued a refresh of its own, and at a deadline the quick queue's worker spent most of its time
    on them while correction files and scan checks waited behind (decision 0117).

    Not the backend's `ready()` (`/healthz` and `core.selectors.queues_waiting` count with it, decision
    0115): that is "a worker may take it now", status READY *and* its `run_after` passed. The
    question here is "not started yet", whenever it may start: a refresh held back to a later
    `run_after` still reads the marks when it starts, after this commit, and covers this save too;
    `ready()` would queue a second one beside it (decision 0120). Both are the backend's READY
    status; no refresh is queued with a `run_after` today, so the two agree in practice."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return False
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task_path, status=TaskResultStatus.READY).exists()


def refresh_dirty(limit: int | None = None) -> dict[str, Any]:
    """Refresh the schools marked dirty (at most `limit`, oldest first)."""
    rows = list(DirtySchool.objects.order_by("marked_at").values_list("npsn", "marked_at")[: limit or None])
    if not rows:
        return {"schools": 0}
    with transaction.atomic():
        result = refresh_schools([n for n, _ in rows])
        # A school marked again while we worked keeps its newer mark and is refreshed next time.
        for npsn, marked in rows:
            DirtySchool.objects.filter(npsn=npsn, marked_at__lte=marked).delete()
    return result


def has_dirty() -> bool:
    return DirtySchool.objects.exists()


# Job kinds that change one document through an action whose audit row marks its school dirty
# (signals), as the same action did inside a web request: no refresh of their own. A scan check
# (decision 0095) runs thousands of times at an upload deadline; a large school's print (decision
# 0102) writes the same print_sptjm audit row as a print in the request.
MARKED_BY_AUDIT_KINDS = frozenset({"sptjm_scan", "sptjm_print"})

# Job kinds whose effect is limited to the job's school (job.school_id); everything else refreshes in full.
FULL_REFRESH_KINDS = {
    "import_dapodik",
    "validate",
    "dump",
    "ingest_results",
    "disbursement",
    "ingest_injection",
}


def jobs_refreshed_in_full() -> Any:
    """The jobs `refresh_after_job` answers with a full refresh (every kind but the owner-only
    ones, unless the job names a school and its kind is not one of FULL_REFRESH_KINDS): until a
    full refresh that started after such a job ended has committed, the aggregates may miss its
    changes. A job of one school is not here: its changes write an audit row naming the school,
    which marks it dirty in the same transaction (signals.py)."""
    from django.db.models import Q

    from verval.core.models import OWNER_ONLY_KINDS, Job

    return Job.objects.exclude(kind__in=OWNER_ONLY_KINDS).filter(
        Q(school_id="") | Q(kind__in=FULL_REFRESH_KINDS)
    )


def refresh_all_on_commit() -> None:
    """After the current transaction commits, enqueue the full refresh a job ending would
    (`refresh_all_task`, which coalesces with any full refresh started after it was asked for);
    at most one per transaction. For an action that changes the current period
    (`reference.actions.open_period`, `close_period`, `save_period`): the summaries and the
    SchoolSptjm rows are read for that period, and the pages count live until they are. A
    failure to enqueue is logged (`robust`): it never undoes the action that committed."""
    if not (
        connection.in_atomic_block
        and any(item[1] is _enqueue_full_refresh for item in connection.run_on_commit)
    ):
        transaction.on_commit(_enqueue_full_refresh, robust=True)


def _enqueue_full_refresh() -> None:
    from verval.dashboard.tasks import refresh_all_task

    # Asked for once the change committed: a full refresh that started after this saw it.
    refresh_all_task.enqueue(timezone.now().isoformat())


def refresh_after_job(job_id: Any) -> None:
    """Called by core.jobs.run when a job ends. Schedules the refresh its changes need; never raises."""
    try:
        from verval.core.models import OWNER_ONLY_KINDS, Job
        from verval.dashboard.tasks import refresh_all_task, refresh_schools_task

        job = Job.objects.filter(pk=job_id).only("state", "school_id", "kind").first()
        if (
            job is None
            or job.state != Job.State.SUCCEEDED
            or job.kind in OWNER_ONLY_KINDS | MARKED_BY_AUDIT_KINDS
        ):
            return
        if job.school_id and job.kind not in FULL_REFRESH_KINDS:
            refresh_schools_task.enqueue([job.school_id])
        else:
            refresh_all_task.enqueue(timezone.now().isoformat())
    except Exception:  # noqa: BLE001 - a dashboard failure must never fail a job
        log.exception("dashboard refresh after job %s could not be scheduled", job_id)
