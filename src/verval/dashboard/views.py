"""Dashboard pages: thin — resolve the area and the scope, read cached aggregates, render.

Public (anyone): `/` the nation, `/progres/wilayah/<code>/` a province or regency (aggregates only).
Signed in: the list of schools of a regency (when the user's scope covers it), a school's funnel
(`/progres/sekolah/<npsn>/`, in scope), the schools behind schedule with CSV/XLSX downloads.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from verval.accounts import access
from verval.accounts.models import PROVIDER_CHOICES, Role
from verval.core import audit, jobs, pagination
from verval.core.client import client_ip
from verval.core.models import Job
from verval.core.spreadsheet import xlsx_response
from verval.core.views import file_gone, not_in_region
from verval.dashboard import actions, charts, exports, geo, selectors, services
from verval.dashboard.selectors import Area, Filters
from verval.dashboard.templatetags import dashboard_tags
from verval.reference import zones
from verval.reference.models import Region

PUBLIC_MAX_AGE = 300
DIRTY_REFRESH_ON_READ = 25
SCHOOL_ROWS = 100  # schools listed on a regency page unless ?semua=1  # schools refreshed inline on a signed-in read when the task lags


def _filters(request: HttpRequest) -> tuple[Filters, list[tuple[str, str]]]:
    periods = selectors.periods()
    return Filters.from_query(request.GET, [c for c, _n in periods]), periods


def _cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Anonymous pages: cacheable by the browser for a few minutes; signed-in pages: not at all
    (they name schools). Not by shared caches: the HTML carries the visitor's CSRF token (the
    language form), which a proxy would hand to everyone. A page that showed a one-time message
    ("Anda sudah keluar" after signing out, decision 0108) is not kept either: the browser's copy
    would show it again on the next visit."""
    shown_message = getattr(getattr(request, "_messages", None), "used", False)
    if request.user.is_authenticated or shown_message:
        patch_cache_control(response, private=True, max_age=0)
    else:
        patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
        patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


def _breadcrumbs(area: Area) -> list[tuple[str, str]]:
    crumbs = [(reverse("dashboard:public"), _("Indonesia"))]
    if area.level >= 2 and area.province:
        prov = (
            Region.objects.filter(code=area.province).values_list("name", flat=True).first() or area.province
        )
        crumbs.append((reverse("dashboard:region", args=[area.province]), prov))
    if area.level >= 3 and area.regency:
        reg = Region.objects.filter(code=area.regency).values_list("name", flat=True).first() or area.regency
        crumbs.append((reverse("dashboard:region", args=[area.regency]), reg))
    return crumbs


def _children_rows(
    area: Area, data: dict[str, Any], user: Any, f: Filters, district: str = ""
) -> list[dict[str, Any]]:
    figures = data["children"]
    if not figures:
        return []
    q = f.query()
    suffix = f"?{q}" if q else ""
    if area.level in (0, 1):
        names = dict(Region.objects.filter(code__in=list(figures)).values_list("code", "name"))
        rows = [
            {
                "code": code,
                "name": names.get(code, code),
                "href": reverse("dashboard:region", args=[code]) + suffix,
                **fig,
            }
            for code, fig in figures.items()
        ]
    else:
        in_scope = access.schools_for(user).filter(npsn__in=list(figures))
        if district:
            in_scope = in_scope.filter(region_id=district)
        schools = dict(in_scope.values_list("npsn", "name"))
        base = reverse("dashboard:school", args=["00000000"]).replace("00000000", "{}")
        rows = [
            {"code": code, "name": schools[code], "href": base.format(code) + suffix, **fig}
            for code, fig in figures.items()
            if code in schools
        ]
    for row in rows:
        row["aktif_pct"] = round(100 * row["aktif"] / row["imported"], 1) if row["imported"] else None
    rows.sort(key=lambda r: (r["aktif_pct"] if r["aktif_pct"] is not None else 101, r["name"]))
    return rows


_CHILD_NUMBERS = ("imported", "valid", "sent", "aktif", "residu", "sptjm_approved", "berhasil", "gagal")


def _format_children(rows: list[dict[str, Any]]) -> None:
    """Format the table's numbers once in Python: on a 100-row table, ten template filters a row
    cost ~30 ms of a ~110 ms page (measured with cProfile at 10 M recipients)."""
    t = dashboard_tags.separators()
    for row in rows:
        for name in _CHILD_NUMBERS:
            row["f_" + name] = dashboard_tags.num(row.get(name), t)
        pct = row.get("aktif_pct")
        row["f_aktif_pct"] = dashboard_tags.pct1(pct, t)
        row["meter"] = f"{pct:.1f}" if pct is not None else ""


def _map(area: Area, children: list[dict[str, Any]]) -> dict[str, Any] | None:
    if area.level != 0:
        return None
    provinces = list(
        Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name", "kemendagri_code")
    )
    kem = {code: k for code, _n, k in provinces}
    per_shape: dict[str, dict[str, Any]] = {}
    for row in children:
        shape = geo.shape_for(kem.get(row["code"], ""))
        if not shape:
            continue
        agg = per_shape.setdefault(shape, {"imported": 0, "aktif": 0, "names": [], "href": None})
        agg["imported"] += row["imported"]
        agg["aktif"] += row["aktif"]
        agg["names"].append(row["name"])
        if shape == kem.get(row["code"]) or agg["href"] is None:
            agg["href"] = row["href"]
    values = {}
    active = _("aktif")  # outside the f-string: xgettext does not look inside one
    for shape, agg in per_shape.items():
        pct = round(100 * agg["aktif"] / agg["imported"], 1) if agg["imported"] else None
        label = " + ".join(agg["names"]) + (
            f": {dashboard_tags.pct1(pct)} {active}" if pct is not None else ""
        )
        values[shape] = {"percent": pct, "label": label, "href": agg["href"]}
    return {
        "svg": geo.render_map(values, title=_("Peta persentase nomor aktif per provinsi")),
        "legend": geo.render_legend(_("% nomor aktif")),
        "notes": geo.fold_notes(provinces),
    }


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    funnel = data["funnel"]
    segments = [
        ("AKTIF", _("Aktif")),
        ("RESIDU", _("Residu")),
        ("MENUNGGU_PROVIDER", _("Proses validasi provider")),
        ("FORMAT_SALAH", _("Format tidak valid")),
        ("BELUM_VERVAL", _("Belum diverifikasi")),
    ]

    def rows(items: list[tuple[str, Any, selectors.Funnel]]) -> list[dict[str, Any]]:
        return [
            {
                "label": label,
                "total": fn.imported,
                "parts": {
                    "AKTIF": fn.aktif,
                    "RESIDU": fn.residu,
                    "MENUNGGU_PROVIDER": fn.menunggu,
                    "FORMAT_SALAH": fn.format_salah,
                    "BELUM_VERVAL": fn.belum,
                },
            }
            for _code, label, fn in items
        ]

    snaps = data["timeline"]
    return {
        "funnel_svg": charts.funnel_svg(funnel.stages(), title=_("Corong progres")),
        "level_svg": charts.stacked_bars_svg(
            rows(data["by_level"]), segments, title=_("Status nomor per jenjang")
        )
        if data["by_level"]
        else "",
        "provider_svg": charts.stacked_bars_svg(
            rows(data["by_provider"]), segments, title=_("Status nomor per provider")
        )
        if data["by_provider"]
        else "",
        "timeline_svg": charts.line_svg(
            [s.day for s in snaps],
            [
                ("imported", _("Diimpor"), [s.imported for s in snaps]),
                ("valid", _("Format valid"), [s.valid for s in snaps]),
                ("AKTIF", _("Aktif"), [s.aktif for s in snaps]),
                ("berhasil_line", _("Injeksi berhasil"), [s.berhasil for s in snaps]),
            ],
            title=_("Progres dari hari ke hari"),
        )
        if snaps
        else "",
    }


def _render_area(
    request: HttpRequest,
    area: Area,
    *,
    with_children: bool,
    children_hidden: bool = False,
    district: tuple[str, str] | None = None,
    districts: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    if request.user.is_authenticated and services.has_dirty():
        services.refresh_dirty(limit=DIRTY_REFRESH_ON_READ)
    f, periods = _filters(request)
    version = services.stats_version()
    # The body (figures, charts, tables) is the same for everyone who may see it: cached per stats
    # version. Only the header (links of the user's own scope, the filter form) is rendered per request.
    key = (
        f"dash-body:{version}:{get_language()}:{area.level}:{area.code}:{f.key()}:"
        f"{int(with_children)}:{int(children_hidden)}:{int(request.user.is_authenticated)}"
    )
    show_all = request.GET.get("semua") == "1"
    district_code, district_name = district or ("", "")
    key += f":{int(show_all)}:{district_code}"
    cached = cache.get(key)
    if cached is None:
        data = selectors.cached_area_data(area, f, with_children=with_children, version=version)
        children = _children_rows(area, data, request.user, f, district_code)
        children_total = len(children)
        if area.level == 2 and not show_all:
            children = children[:SCHOOL_ROWS]  # the furthest behind first; the rest on request
        _format_children(children)
        body_context = {
            "T": dashboard_tags.separators(),
            "area": area,
            "funnel": data["funnel"],
            "stages": data["funnel"].stages(),
            "by_level": data["by_level"],
            "by_kind": data["by_kind"],
            "by_provider": data["by_provider"],
            # A breakdown lists every group of its own dimension, whatever that filter says
            # (the other filters apply): the page says so and marks the chosen group.
            "chosen": {"level": f.level, "kind": f.kind, "provider": f.provider},
            "children": children,
            "children_total": children_total,
            "show_all_query": "?"
            + "&".join(
                x
                for x in (
                    f.query(),
                    urlencode({"kecamatan": district_code}) if district_code else "",
                    "semua=1",
                )
                if x
            ),
            "district_name": district_name,
            "children_hidden": children_hidden,
            "timeline": data["timeline"],
            "map": _map(area, children),
            "residu_reasons": _reason_rows(data["funnel"].residu_by_reason, kind="residu"),
            "format_reasons": _reason_rows(data["funnel"].format_by_reason, kind="format"),
            **_charts(data),
        }
        cached = (
            data["period"],
            data["funnel"],
            render_to_string("dashboard/_area_body.html", body_context, request=request),
        )
        cache.set(key, cached, selectors.CACHE_SECONDS)
    period, funnel, body = cached
    context = {
        "area": area,
        "filters": f,
        "periods": periods,
        "period": period,
        "funnel": funnel,
        "levels": list(selectors.LEVEL_LABELS.items()),
        "kinds": list(selectors.KIND_LABELS.items()),
        "providers": PROVIDER_CHOICES,
        "crumbs": _breadcrumbs(area),
        "home_url": _home_url(request.user),
        "can_chase": request.user.is_authenticated and request.user.role in CHASE_ROLES,
        "districts": districts or [],
        "district": district_code,
        "body": mark_safe(body),  # noqa: S308 - rendered by our own template (autoescaped)
    }
    return _cacheable(request, render(request, "dashboard/area.html", context))


def _home_url(user: Any) -> str:
    target = selectors.home_url_args(user)
    return reverse(target[0], args=target[1]) if target else ""


def _reason_rows(counts: dict[str, int], *, kind: str) -> list[tuple[str, str, int]]:
    labels: dict[str, Any] = {}
    if kind == "residu":
        from verval.registry.models import ResidueReason

        labels = dict(ResidueReason.choices)
    else:
        try:
            from django.utils.translation import get_language

            from verval.phones.reasons import REASONS

            english = (get_language() or "id").startswith("en")
            labels = {code: (r.message_en if english else r.message_id) for code, r in REASONS.items()}
        except Exception:  # noqa: BLE001 - labels are a nicety; the code is shown anyway
            labels = {}
    return sorted(((code, str(labels.get(code, code)), n) for code, n in counts.items()), key=lambda r: -r[2])


def public(request: HttpRequest) -> HttpResponse:
    """`/`: the national progress, aggregates only (SPEC §2: the public never sees a person)."""
    return _render_area(request, Area(level=0, code="", name=_("Indonesia")), with_children=True)


def region(request: HttpRequest, code: str) -> HttpResponse:
    """A province or a kabupaten/kota. Its schools are listed only to users whose scope covers it."""
    reg = Region.objects.filter(code=code, level__in=[Region.Level.PROVINCE, Region.Level.REGENCY]).first()
    if reg is None:
        raise Http404
    if reg.level == Region.Level.PROVINCE:
        area = Area(level=1, code=reg.code, name=reg.name, province=reg.code)
        return _render_area(request, area, with_children=True)
    area = Area(level=2, code=reg.code, name=reg.name, province=reg.code[:2] + "0000", regency=reg.code)
    show = selectors.can_list_schools(request.user, reg.code)
    if not show:
        return _render_area(request, area, with_children=False, children_hidden=True)
    # The school list narrowed to one kecamatan of this kabupaten/kota (the figures above it stay
    # the kabupaten/kota's: the aggregates are kept per school and per regency, not per kecamatan).
    districts = list(
        Region.objects.filter(level=Region.Level.DISTRICT, parent_id=reg.code)
        .order_by("name")
        .values_list("code", "name")
    )
    code_asked = request.GET.get("kecamatan", "")
    district = None
    if code_asked:
        name = dict(districts).get(code_asked)
        if name is None:
            # Unknown, or a kecamatan of another kabupaten/kota: no list of anywhere else.
            raise Http404("kecamatan not in this regency")
        district = (code_asked, name)
    return _render_area(request, area, with_children=True, district=district, districts=districts)


@login_required
def school(request: HttpRequest, npsn: str) -> HttpResponse:
    s = access.get_school_or_deny(request.user, npsn)
    area = Area(level=3, code=s.npsn, name=f"{s.npsn} {s.name}", province=s.province_id, regency=s.regency_id)
    return _render_area(request, area, with_children=False)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    target = selectors.home_url_args(user)
    if user.role == Role.PROVIDER and user.provider:
        return redirect(reverse("dashboard:public") + f"?provider={user.provider}")
    name, args = target or ("dashboard:public", [])
    return redirect(reverse(name, args=args))


_JSON_FUNNEL_KEYS = (
    "imported",
    "valid",
    "sent",
    "aktif",
    "residu",
    "sptjm_printed",
    "sptjm_uploaded",
    "sptjm_approved",
    "sptjm_carried",
    "berhasil",
    "gagal",
)


def public_json(request: HttpRequest) -> JsonResponse:
    """The national funnel and the per-province figures as JSON (no cookies, cacheable anywhere)."""
    f, _periods = _filters(request)
    area = Area(level=0, code="", name="Indonesia")
    data = selectors.cached_area_data(area, f, with_children=True)
    fn = data["funnel"]
    names = dict(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name"))
    body = {
        "period": data["period"],
        "filters": {"jenjang": f.level, "jenis": f.kind, "provider": f.provider},
        # Named keys read from the funnel's figures, not the chart's stages (the three SPTJM stages
        # share a colour key; the carried step is drawn only when there is something carried).
        "funnel": {key: getattr(fn, key) for key in _JSON_FUNNEL_KEYS},
        "residu_by_reason": fn.residu_by_reason,
        "provinces": [
            {"code": c, "name": names.get(c, c), **fig} for c, fig in sorted(data["children"].items())
        ],
    }
    response = JsonResponse(body)
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


# --- schools behind schedule --------------------------------------------------------------------------

CHASE_ROLES = (Role.PUSDATIN, Role.DINAS_PROV, Role.DINAS_KAB)
PAGE_SIZE = 50


class _NotInRegion(Exception):
    """A `kabkota` that is not a kabupaten/kota of the user's region (or does not exist)."""


def _behind_request(request: HttpRequest) -> tuple[Any, str]:
    access.require_role(request.user, *CHASE_ROLES)
    regency = request.GET.get("kabkota", "")
    if (
        regency
        and not access.regions_for(request.user).filter(code=regency, level=Region.Level.REGENCY).exists()
    ):
        raise _NotInRegion
    return selectors.behind_schools(request.user, regency=regency), regency


def _not_in_region(request: HttpRequest) -> HttpResponse:
    """The answer of the list and of its CSV and Excel to a `kabkota` outside the user's region,
    as `/dinas/` answers (decision 0136): a 404 that says so, with the way back to the whole list.
    The same for a code that does not exist: a guess tells nothing about other regions."""
    return not_in_region(
        request,
        title=_("Sekolah yang perlu ditindaklanjuti"),
        back_url=reverse("dashboard:behind"),
        back_label=_("Tampilkan semua sekolah yang perlu ditindaklanjuti"),
    )


@login_required
def behind(request: HttpRequest) -> HttpResponse:
    try:
        qs, regency = _behind_request(request)
    except _NotInRegion:
        return _not_in_region(request)
    # Bounded (a page number past 64-bit integers reached the database's OFFSET, an error). The
    # list does not count its rows to show a page; a page past the end (an empty page past the
    # first) counts them once, to go to the last page with a notice as every list does
    # (decision 0136).
    page = pagination.asked(request)
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1]) if page >= 1 else []
    if page != 1 and not rows:
        pagination.check(page, max(1, -(-qs.count() // PAGE_SIZE)))
    deadlines = selectors.period_deadlines()
    regencies = list(
        access.regions_for(request.user)
        .filter(level=Region.Level.REGENCY)
        .order_by("name")
        .values_list("code", "name")
    )
    # A list over several kabupaten/kota (Pusdatin, a province Dinas, not narrowed to one) names
    # each school's: school names repeat from one kabupaten/kota to the next.
    names = dict(regencies) if not regency and getattr(request.user, "role", None) != Role.DINAS_KAB else {}
    items = [
        (
            s,
            [selectors.BEHIND_REASONS[r] for r in selectors.behind_reasons(s, deadlines)],
            names.get(s.regency, ""),
        )
        for s in rows[:PAGE_SIZE]
    ]
    response = render(
        request,
        "dashboard/behind.html",
        {
            "items": items,
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "regency": regency,
            "regencies": regencies if getattr(request.user, "role", None) != Role.DINAS_KAB else [],
            "deadlines": deadlines,
            "query": f"kabkota={regency}" if regency else "",
            # A Dinas has no job list: the exports it asked for are found again where it asked.
            "exports": list(
                access.jobs_for(request.user)
                .filter(kind=exports.KIND, created_by=request.user)
                .order_by("-created_at")[:5]
            ),
        },
    )
    patch_cache_control(response, private=True, max_age=0)
    return response


def _audit_download(request: HttpRequest, fmt: str, regency: str, job_id: Any = "") -> None:
    audit.record(
        actor=request.user,
        action=f"download_behind_schools_{fmt}",
        object_type="job" if job_id else "dashboard",
        object_id=job_id,
        region_code=regency or (getattr(request.user, "region_id", None) or ""),
        note=f"format={fmt}",
        ip=client_ip(request),
    )


def _behind_name(regency: str) -> str:
    """Named like the Dinas school export: what, where, when."""
    return f"sekolah-tertinggal-{regency or 'semua'}-{zones.file_day()}"


@login_required
def behind_csv(request: HttpRequest) -> HttpResponseBase:
    # Streamed whatever its length: writing the lines costs ~1 s per 300,000 schools and no memory
    # (decision 0068), so no background job.
    try:
        qs, regency = _behind_request(request)
    except _NotInRegion:
        return _not_in_region(request)
    _audit_download(request, "csv", regency)
    response = StreamingHttpResponse(
        exports.csv_lines(exports.export_rows(qs)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_behind_name(regency)}.csv"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
def behind_xlsx(request: HttpRequest) -> HttpResponse:
    """The Excel file at once, or, for a list longer than VERVAL_EXPORT_JOB_ROWS, a page whose
    button (a POST) starts a background job whose page offers the file when it is written
    (decision 0068): a minute of a web worker per 300,000 rows is more than a proxy waits."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        qs, regency = _behind_request(request)
    except _NotInRegion:
        return _not_in_region(request)
    rows = qs.count()
    if rows > exports.job_rows():
        if request.method != "POST":
            # A link (a bookmark, a browser's prefetch) never starts a job: the button does.
            query = f"kabkota={regency}" if regency else ""
            return render(request, "dashboard/behind_export_confirm.html", {"rows": rows, "query": query})
        job = actions.start_behind_export(
            actor=request.user,
            regency=regency,
            file_name=f"{_behind_name(regency)}.xlsx",
            rows=rows,
            ip=client_ip(request),
        )
        return redirect("core:job", job_id=job.pk)
    _audit_download(request, "xlsx", regency)
    return xlsx_response(exports.xlsx_file(exports.export_rows(qs)), f"{_behind_name(regency)}.xlsx")


@login_required
def behind_export_file(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The file a late-schools export job wrote, to the user who asked for it only, while their
    scope is the one it was written for; audited as the direct download is."""
    access.require_role(request.user, *CHASE_ROLES)
    job: Any = access.get_in_scope(
        access.jobs_for(request.user).filter(kind=exports.KIND, created_by=request.user), pk=job_id
    )
    if job.state != Job.State.SUCCEEDED:
        raise Http404("export not written")
    params = job.params or {}
    if not exports.scope_still_holds(request.user, params):
        raise PermissionDenied("scope changed since the export")
    path = jobs.output_file(job)
    if path is None:
        return file_gone(request)
    regency = str(params.get("regency", ""))
    _audit_download(request, "xlsx", regency, job_id=job.pk)
    return xlsx_response(open(path, "rb"), str(params.get("file_name") or f"{_behind_name(regency)}.xlsx"))  # noqa: SIM115
