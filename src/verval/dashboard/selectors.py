"""Reads for the dashboard pages: everything comes from the aggregate tables, never from recipients.

Area pages (nation, province, regency, school) read the RegionStat/SchoolStat rows of one area
(a few thousand rows at most) and derive the funnel and the breakdowns in Python; the list of
children is one GROUP BY over the children's rows. Results are cached per stats version, so a
page costs one small query (the version) once it has been computed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from verval.accounts import access
from verval.accounts.models import PROVIDER_CHOICES, Role
from verval.dashboard import services, sources
from verval.dashboard.models import (
    DailySnapshot,
    DirtySchool,
    RegionStat,
    SchoolStat,
    SchoolSummary,
    StatsState,
)
from verval.reference import zones

CACHE_SECONDS = 600
LEVEL_LABELS = {
    "PAUD": _("PAUD"),
    "SD": _("SD"),
    "SMP": _("SMP"),
    "SMA": _("SMA"),
    "SMK": _("SMK"),
    "SLB": _("SLB"),
    "KESETARAAN": _("Kesetaraan"),
    "LAINNYA": _("Lainnya"),
}
KIND_LABELS = {"PD": _("Peserta didik"), "PTK": _("Pendidik (PTK)")}
PROVIDER_LABELS = dict(PROVIDER_CHOICES) | {"": _("Tidak dikenal")}
BEHIND_MIN_SCORE = 20


@dataclass(frozen=True)
class Filters:
    level: str = ""
    kind: str = ""
    provider: str = ""
    period: str = ""

    @classmethod
    def from_query(cls, params: Any, periods: list[str]) -> Filters:
        level = params.get("jenjang", "")
        kind = params.get("jenis", "")
        provider = params.get("provider", "")
        period = params.get("periode", "")
        return cls(
            level=level if level in LEVEL_LABELS else "",
            kind=kind if kind in KIND_LABELS else "",
            provider=provider if provider in PROVIDER_LABELS and provider else "",
            period=period if period in periods else "",
        )

    def key(self) -> str:
        return f"{self.level}|{self.kind}|{self.provider}|{self.period}"

    def query(self) -> str:
        from urllib.parse import urlencode

        pairs = [
            ("jenjang", self.level),
            ("jenis", self.kind),
            ("provider", self.provider),
            ("periode", self.period),
        ]
        return urlencode([(k, v) for k, v in pairs if v])


@dataclass
class Funnel:
    imported: int = 0
    belum: int = 0
    format_salah: int = 0
    menunggu: int = 0
    valid: int = 0
    sent: int = 0
    aktif: int = 0
    residu: int = 0
    residu_by_reason: dict[str, int] = field(default_factory=dict)
    format_by_reason: dict[str, int] = field(default_factory=dict)
    sptjm: dict[str, int] = field(default_factory=dict)  # status -> recipients
    disbursement: dict[str, int] = field(default_factory=dict)  # status -> recipients

    @property
    def sptjm_printed(self) -> int:
        return sum(self.sptjm.values())

    # Recipients carried into the period by an SPTJM approved in an earlier one (2021 policy,
    # sources.CARRIED) count as printed, uploaded and approved: they are covered as those are.
    @property
    def sptjm_uploaded(self) -> int:
        return self.sptjm.get("DIUNGGAH", 0) + self.sptjm_approved

    @property
    def sptjm_approved(self) -> int:
        return self.sptjm.get("DISETUJUI", 0) + self.sptjm_carried

    @property
    def sptjm_carried(self) -> int:
        return self.sptjm.get(sources.CARRIED, 0)

    @property
    def berhasil(self) -> int:
        return self.disbursement.get("BERHASIL", 0)

    @property
    def gagal(self) -> int:
        return self.disbursement.get("GAGAL", 0)

    def pct(self, value: int) -> float | None:
        return round(100 * value / self.imported, 1) if self.imported else None

    @property
    def aktif_pct(self) -> float | None:
        return self.pct(self.aktif)

    def add(self, fact: str, status: str, reason: str, sent: bool, count: int) -> None:
        if fact == "R":
            self.imported += count
            if status == "BELUM_VERVAL":
                self.belum += count
            elif status == "FORMAT_SALAH":
                self.format_salah += count
                self.format_by_reason[reason] = self.format_by_reason.get(reason, 0) + count
            elif status == "MENUNGGU_PROVIDER":
                self.menunggu += count
            elif status == "AKTIF":
                self.aktif += count
            elif status == "RESIDU":
                self.residu += count
                self.residu_by_reason[reason] = self.residu_by_reason.get(reason, 0) + count
            if status in ("MENUNGGU_PROVIDER", "AKTIF", "RESIDU"):
                self.valid += count
            if sent:
                self.sent += count
        elif fact == "S":
            self.sptjm[status] = self.sptjm.get(status, 0) + count
        elif fact == "D":
            self.disbursement[status] = self.disbursement.get(status, 0) + count

    def stages(self) -> list[dict[str, Any]]:
        """The funnel as (key, label, value) stages in order, for the chart and the table."""
        rows = [
            ("imported", _("Diimpor"), self.imported),
            ("valid", _("Format valid"), self.valid),
            ("sent", _("Dikirim ke provider"), self.sent),
            ("AKTIF", _("Aktif (cocok di provider)"), self.aktif),
            ("RESIDU", _("Residu"), self.residu),
            ("sptjm", _("SPTJM dicetak"), self.sptjm_printed),
            ("sptjm", _("SPTJM diunggah"), self.sptjm_uploaded),
            ("sptjm", _("SPTJM disetujui"), self.sptjm_approved),
            ("BERHASIL", _("Injeksi berhasil"), self.berhasil),
            ("GAGAL", _("Injeksi gagal"), self.gagal),
        ]
        if self.sptjm_carried:
            # Of the approved: carried from an earlier period's SPTJM (no new SPTJM needed).
            at = [k for k, _l, _v in rows].index("BERHASIL")
            rows.insert(
                at, ("sptjm", _("— di antaranya dibawa dari SPTJM periode sebelumnya"), self.sptjm_carried)
            )
        return [
            {"key": k, "colour": _colour(k), "label": label, "value": v, "pct": self.pct(v)}
            for k, label, v in rows
        ]


def _colour(key: str) -> str:
    from verval.dashboard.charts import COLOURS

    return COLOURS.get(key, "#0b5394")


@dataclass(frozen=True)
class Area:
    level: int  # 0 nation, 1 province, 2 regency, 3 school
    code: str  # '' nation, region code, or npsn
    name: str
    province: str = ""
    regency: str = ""


# --- periods ------------------------------------------------------------------------------------------


def periods() -> list[tuple[str, str]]:
    from verval.reference.models import Period

    return list(Period.objects.order_by("-starts_on").values_list("code", "name"))


# --- area rows ----------------------------------------------------------------------------------------


def _area_rows(area: Area) -> QuerySet[Any]:
    """A school's aggregate rows (regions read their roll-ups: _rollup_figures)."""
    fields = ("level", "kind", "operator", "fact", "status", "reason", "sent", "period", "count")
    return SchoolStat.objects.filter(npsn=area.code).values_list(*fields)


def _matches(
    f: Filters, period: str, level: str, kind: str, operator: str, fact: str, row_period: str, skip: str = ""
) -> bool:
    if f.level and skip != "level" and level != f.level:
        return False
    if f.kind and skip != "kind" and kind != f.kind:
        return False
    if f.provider and skip != "provider" and operator != f.provider:
        return False
    if fact in ("S", "D") and row_period != period:
        return False
    return True


def _rollup_figures(
    area: Area, f: Filters, period: str
) -> tuple[Funnel, dict[str, Funnel], dict[str, Funnel], dict[str, Funnel]]:
    """A region's figures from its '*' roll-up rows (services._rollup_stars): the funnel is the
    row set (level, kind, operator) = (filter or '*'), each breakdown the rows with that dimension
    real and the other two at (filter or '*'). Reads a few hundred rows where the real rows of a
    regency are thousands (measured: 35 of the ~110 ms of a cold regency page at 10 M)."""
    star = services.STAR
    want = (f.level or star, f.kind or star, f.provider or star)
    funnel = Funnel()
    by_level: dict[str, Funnel] = defaultdict(Funnel)
    by_kind: dict[str, Funnel] = defaultdict(Funnel)
    by_provider: dict[str, Funnel] = defaultdict(Funnel)
    level_q, kind_q, op_q = Q(level=want[0]), Q(kind=want[1]), Q(operator=want[2])
    rows = RegionStat.objects.filter(area_level=area.level, region=area.code).filter(
        (level_q & kind_q & op_q)
        | (~Q(level=star) & kind_q & op_q)
        | (~Q(kind=star) & level_q & op_q)
        | (~Q(operator=star) & level_q & kind_q)
    )
    fields = ("level", "kind", "operator", "fact", "status", "reason", "sent", "period", "count")
    for level, kind, operator, fact, status, reason, sent, row_period, count in rows.values_list(*fields):
        if fact in ("S", "D") and row_period != period:
            continue
        count, sent = int(count), bool(sent)
        same_level, same_kind, same_op = level == want[0], kind == want[1], operator == want[2]
        if same_level and same_kind and same_op:
            funnel.add(fact, status, reason, sent, count)
        if level != star and same_kind and same_op:
            by_level[level].add(fact, status, reason, sent, count)
        if kind != star and same_level and same_op:
            by_kind[kind].add(fact, status, reason, sent, count)
        if operator != star and same_level and same_kind:
            by_provider[operator].add(fact, status, reason, sent, count)
    return funnel, by_level, by_kind, by_provider


def area_figures(area: Area, f: Filters, period: str) -> dict[str, Any]:
    """Funnel plus breakdowns by level, kind and provider for one area (filters applied)."""
    if area.level < 3:
        funnel, by_level, by_kind, by_provider = _rollup_figures(area, f, period)
    else:
        funnel = Funnel()
        by_level = defaultdict(Funnel)
        by_kind = defaultdict(Funnel)
        by_provider = defaultdict(Funnel)
        for level, kind, operator, fact, status, reason, sent, row_period, count in _area_rows(area):
            count = int(count)
            sent = bool(sent)
            if _matches(f, period, level, kind, operator, fact, row_period):
                funnel.add(fact, status, reason, sent, count)
            if _matches(f, period, level, kind, operator, fact, row_period, skip="level"):
                by_level[level].add(fact, status, reason, sent, count)
            if _matches(f, period, level, kind, operator, fact, row_period, skip="kind"):
                by_kind[kind].add(fact, status, reason, sent, count)
            if _matches(f, period, level, kind, operator, fact, row_period, skip="provider"):
                by_provider[operator].add(fact, status, reason, sent, count)
    return {
        "funnel": funnel,
        "by_level": [
            (code, LEVEL_LABELS[code], by_level[code]) for code in sources.LEVELS if code in by_level
        ],
        "by_kind": [(code, KIND_LABELS[code], by_kind[code]) for code in KIND_LABELS if code in by_kind],
        "by_provider": [
            (code, PROVIDER_LABELS.get(code, code), by_provider[code])
            for code in [c for c, _l in PROVIDER_CHOICES] + [""]
            if code in by_provider
        ],
    }


_CHILD_SUMS = """
    SUM(CASE WHEN fact = 'R' THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'R' AND status IN ('MENUNGGU_PROVIDER','AKTIF','RESIDU') THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'R' AND sent = %s THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'R' AND status = 'AKTIF' THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'R' AND status = 'RESIDU' THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'R' AND status = 'FORMAT_SALAH' THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'S' AND period = %s THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'S' AND period = %s AND status IN ('DIUNGGAH','DISETUJUI','DIBAWA') THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'S' AND period = %s AND status IN ('DISETUJUI','DIBAWA') THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'D' AND period = %s AND status = 'BERHASIL' THEN count ELSE 0 END),
    SUM(CASE WHEN fact = 'D' AND period = %s AND status = 'GAGAL' THEN count ELSE 0 END)"""
CHILD_COLUMNS = [
    "imported", "valid", "sent", "aktif", "residu", "format_salah",
    "sptjm_printed", "sptjm_uploaded", "sptjm_approved", "berhasil", "gagal",
]  # fmt: skip


def _dim_where(f: Filters) -> tuple[str, list[Any]]:
    sql, params = "", []
    for column, value in (("level", f.level), ("kind", f.kind), ("operator", f.provider)):
        if value:
            sql += f" AND {column} = %s"
            params.append(value)
    return sql, params


def children_figures(area: Area, f: Filters, period: str) -> dict[str, dict[str, int]]:
    """code → the funnel columns of each child of the area (provinces, regencies or schools)."""
    sums_params: list[Any] = [True, period, period, period, period, period]
    table: Any
    # Regions: the '*' roll-up rows that match the filters exactly (one set per child).
    star = " AND level = %s AND kind = %s AND operator = %s"
    star_params = [f.level or services.STAR, f.kind or services.STAR, f.provider or services.STAR]
    if area.level == 0:
        table, key, cond, cond_params = RegionStat, "region", "area_level = 1 AND parent = ''", []
        where, params = star, star_params
    elif area.level == 1:
        table, key, cond, cond_params = RegionStat, "region", "area_level = 2 AND parent = %s", [area.code]
        where, params = star, star_params
    elif area.level == 2:
        if not (f.level or f.kind or f.provider) and period == services.current_period_code():
            # Unfiltered: the one-row-per-school summary has exactly these columns.
            cols = [c for c in CHILD_COLUMNS if c != "valid"]
            out = {}
            for row in SchoolSummary.objects.filter(regency=area.code).values_list(
                "school_id", "menunggu", *cols
            ):
                fig = dict(zip(cols, (int(v) for v in row[2:]), strict=True))
                fig["valid"] = int(row[1]) + fig["aktif"] + fig["residu"]
                out[row[0]] = fig
            return out
        table, key, cond, cond_params = SchoolStat, "npsn", "regency = %s", [area.code]
        where, params = _dim_where(f)
    else:
        return {}
    sql = f"SELECT {key}, {_CHILD_SUMS} FROM {sources.q(table)} WHERE {cond}{where} GROUP BY {key}"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [*sums_params, *cond_params, *params])
        return {
            row[0]: dict(zip(CHILD_COLUMNS, (int(v or 0) for v in row[1:]), strict=True))
            for row in cur.fetchall()
        }


def timeline(area: Area, days: int = 90) -> list[DailySnapshot]:
    # Snapshots are taken per WIB day (services.take_snapshot), whatever zone the reader is in.
    since = zones.programme_today() - datetime.timedelta(days=days)
    code = "" if area.level == 0 else area.code
    return list(DailySnapshot.objects.filter(area=code, day__gte=since).order_by("day"))


def cached_area_data(
    area: Area, f: Filters, *, with_children: bool, version: str | None = None
) -> dict[str, Any]:
    """Everything an area page shows, cached per stats version (a refresh makes a new key)."""
    version = services.stats_version() if version is None else version
    period = f.period or services.current_period_code()
    key = f"dash:{version}:{get_language()}:{area.level}:{area.code}:{f.key()}:{int(with_children)}:{period}"
    data = cache.get(key)
    if data is None:
        data = area_figures(area, f, period)
        data["period"] = period
        data["children"] = children_figures(area, f, period) if with_children else {}
        data["timeline"] = timeline(area)
        data["version"] = version
        cache.set(key, data, CACHE_SECONDS)
    return data


# --- scope --------------------------------------------------------------------------------------------


def can_list_schools(user: Any, regency_code: str) -> bool:
    """School names appear on a regency page only for users whose scope covers the whole regency."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.PUSDATIN:
        return True
    if user.role in (Role.DINAS_PROV, Role.DINAS_KAB):
        return access.regions_for(user).filter(code=regency_code).exists()
    return False


def home_url_args(user: Any) -> tuple[str, list[str]] | None:
    """Where a signed-in user's own scope lives on the dashboard: (url name, args)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.role == Role.OPERATOR and user.school_id:
        return "dashboard:school", [user.school_id]
    if user.role in (Role.DINAS_PROV, Role.DINAS_KAB) and user.region_id:
        return "dashboard:region", [user.region_id]
    return "dashboard:public", []


# --- schools behind schedule --------------------------------------------------------------------------

BEHIND_REASONS = {
    "BELUM_SPTJM": _("Ada nomor aktif, SPTJM belum dicetak"),
    "SPTJM_DIKEMBALIKAN": _("SPTJM dikembalikan, perlu unggah ulang"),
    "BELUM_UNGGAH": _("SPTJM dicetak, pindaian belum diunggah"),
    "TERLAMBAT": _("Lewat tenggat periode"),
    "RESIDU_TINGGI": _("Residu/format tidak valid ≥ 20%"),
    "BELUM_VERVAL": _("Banyak nomor belum diverifikasi"),
    "GAGAL_INJEKSI": _("Ada injeksi gagal"),
}


def behind_reasons(s: SchoolSummary, deadlines: dict[str, Any]) -> list[str]:
    # The programme's day: the deadlines are WIB dates for every school (decision 0037).
    today = zones.programme_today()
    out = []
    if s.has_to_print:
        out.append("BELUM_SPTJM")
        if deadlines.get("print") and today > deadlines["print"]:
            out.append("TERLAMBAT")
    if s.has_returned:
        out.append("SPTJM_DIKEMBALIKAN")
        # A returned scan not sent again is late once the upload deadline passed, as the late page
        # (`sptjm.selectors.late_schools`) counts it (decision 0109).
        if deadlines.get("upload") and today > deadlines["upload"] and "TERLAMBAT" not in out:
            out.append("TERLAMBAT")
    if s.has_printed_not_uploaded:
        out.append("BELUM_UNGGAH")
        if deadlines.get("upload") and today > deadlines["upload"] and "TERLAMBAT" not in out:
            out.append("TERLAMBAT")
    if s.imported and 100 * (s.residu + s.format_salah) >= 20 * s.imported:
        out.append("RESIDU_TINGGI")
    if s.imported and 100 * s.belum >= 50 * s.imported:
        out.append("BELUM_VERVAL")
    if s.gagal > 0:
        out.append("GAGAL_INJEKSI")
    return out


def period_deadlines() -> dict[str, Any]:
    from verval.reference.models import Period

    code = services.current_period_code()
    p = Period.objects.filter(code=code).first()
    if p is None:
        return {}
    return {
        "code": p.code,
        "name": p.name,
        "print": p.sptjm_print_deadline,
        "upload": p.sptjm_upload_deadline,
    }


def regency_names() -> dict[str, str]:
    """code -> name of every kabupaten/kota (about 500 rows)."""
    from verval.reference.models import Region

    return dict(Region.objects.filter(level=Region.Level.REGENCY).values_list("code", "name"))


def behind_schools(user: Any, *, regency: str = "") -> QuerySet[SchoolSummary]:
    """Schools in the user's scope that need chasing, furthest behind first."""
    qs = access.scope_by_school(user, SchoolSummary.objects.all(), school_field="school")
    if regency:
        qs = qs.filter(regency=regency)
    return qs.filter(score__gte=BEHIND_MIN_SCORE).select_related("school").order_by("-score", "school_id")


# --- the Dinas school list (decision 0085) ------------------------------------------------------


def summaries_follow_every_job() -> bool:
    """Whether SchoolSummary includes every registry job's changes: a full refresh has committed,
    and no job answered by a full refresh (`services.jobs_refreshed_in_full`) is running or ended
    after that refresh started. Changes of single records are not asked about here: they mark
    their school dirty in their own transaction, and `school_counts` counts a dirty school live.

    A failed job is not asked about either: its transaction was rolled back (decisions 0029,
    0039), and `refresh_after_job` refreshes nothing for it."""
    from verval.core.models import Job

    state = StatsState.objects.filter(pk=1).values_list("full_refreshed_at", "full_seconds").first()
    if state is None or state[0] is None or state[1] is None:
        return False
    # The refresh's own start: its transaction read every change committed before it.
    started = state[0] - datetime.timedelta(seconds=state[1])
    return not (
        services.jobs_refreshed_in_full()
        .filter(Q(state=Job.State.RUNNING) | Q(state=Job.State.SUCCEEDED, finished_at__gte=started))
        .exists()
    )


# Dirty schools of one list counted live at most; beyond, the whole list is counted (the worker
# that refreshes them lags far behind: decision 0082 says so on Pusdatin's page).
DIRTY_COUNTED_MAX = 500

# A figure of `school_counts`: its name -> (the SchoolSummary column that holds it, the status of
# the active recipients it counts; None = every active recipient). The summary's columns are the
# R facts' sums by status (services.refresh_*: `imported`, `belum`, `format_salah`, `menunggu`,
# `aktif`, `residu`).
LIST_FIGURES: dict[str, tuple[str, str | None]] = {
    "total": ("imported", None),
    "aktif": ("aktif", "AKTIF"),
    "residu": ("residu", "RESIDU"),
}
# Every status, for the Dinas home page (decision 0090); in the order of NumberStatus.
STATUS_FIGURES: dict[str, tuple[str, str | None]] = {
    "belum": ("belum", "BELUM_VERVAL"),
    "format_salah": ("format_salah", "FORMAT_SALAH"),
    "menunggu": ("menunggu", "MENUNGGU_PROVIDER"),
    "aktif": ("aktif", "AKTIF"),
    "residu": ("residu", "RESIDU"),
}


def school_counts(
    schools: QuerySet[Any],
    figures: dict[str, tuple[str, str | None]] | None = None,
    *,
    check_jobs: bool = True,
) -> QuerySet[Any] | None:
    """`schools` (reference.School) annotated with `figures` (default LIST_FIGURES: `total`
    (active recipients), `aktif` and `residu` as `registry.selectors.school_progress` counts them),
    read from SchoolSummary — except for a school marked dirty, whose summary may be behind a
    change not yet refreshed: those schools are counted from their recipients first (one grouped
    query) and their figures written into the statement. A school without a summary row (no
    active recipient) counts 0.

    None — the caller counts from the recipients, as before — when the summaries may miss a
    registry job's changes (`summaries_follow_every_job()`, asked unless `check_jobs` is False: a
    job marks no school dirty) or when more than DIRTY_COUNTED_MAX of the schools are dirty. The
    one place of these rules, for the Dinas list (decision 0085) and the Dinas and Pusdatin home
    pages (0090, 0091).

    Not a per-school test in SQL ("is this school dirty? then count"): the count beside it gives
    the statement the cost of 5,000 counts of recipients, which makes PostgreSQL compile it (JIT,
    3.4–4.7 s at 1 M recipients; decision 0028 met the same) whether or not a count runs."""
    from django.db.models import BigIntegerField, Case, Count, F, Value, When
    from django.db.models.functions import Coalesce

    from verval.registry.models import Recipient

    figures = LIST_FIGURES if figures is None else figures
    if check_jobs and not summaries_follow_every_job():
        return None
    dirty = list(
        DirtySchool.objects.filter(npsn__in=schools.values("npsn"))
        .order_by("npsn")
        .values_list("npsn", flat=True)[: DIRTY_COUNTED_MAX + 1]
    )
    if len(dirty) > DIRTY_COUNTED_MAX:
        return None
    live: dict[str, dict[str, int]] = {npsn: dict.fromkeys(figures, 0) for npsn in dirty}
    if dirty:
        rows: Any = (
            Recipient.objects.filter(school_id__in=dirty, active=True)
            .order_by()
            .values("school_id")
            .annotate(
                **{
                    name: Count("pk") if status is None else Count("pk", filter=Q(status=status))
                    for name, (_column, status) in figures.items()
                }
            )
        )
        for row in rows:
            live[row["school_id"]] = {name: row[name] for name in figures}

    def figure(name: str, column: str) -> Any:
        # One LEFT JOIN of the summaries (a correlated look-up per school and column cost 0.2 s
        # for 5,000 schools on PostgreSQL).
        summary = Coalesce(F(f"summary__{column}"), Value(0), output_field=BigIntegerField())
        if not live:
            return summary
        by_value: dict[int, list[str]] = {}
        for npsn, counts in live.items():
            by_value.setdefault(counts[name], []).append(npsn)
        return Case(
            *[When(npsn__in=npsns, then=Value(n)) for n, npsns in sorted(by_value.items())],
            default=summary,
            output_field=BigIntegerField(),
        )

    return schools.annotate(**{name: figure(name, column) for name, (column, _status) in figures.items()})


def status_counts(schools: QuerySet[Any]) -> dict[str, int] | None:
    """Status code -> active recipients of `schools` with it (every status, 0 included), summed
    from `school_counts(schools, STATUS_FIGURES)`: the same figures as a count of the recipients
    by status, under the same rules. None when `school_counts` gives way to a count (decision 0090;
    Pusdatin's home page passes every school, decision 0091)."""
    from django.db.models import Sum

    qs = school_counts(schools, STATUS_FIGURES)
    if qs is None:
        return None
    sums = qs.aggregate(**{f"sum_{name}": Sum(name) for name in STATUS_FIGURES})
    return {str(status): int(sums[f"sum_{name}"] or 0) for name, (_c, status) in STATUS_FIGURES.items()}
