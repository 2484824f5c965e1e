from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from verval.accounts import access, actions, selectors
from verval.accounts.models import PROVIDER_CHOICES, OperatorRegistration, Role
from verval.core import audit, health, jobs, pagination
from verval.core import selectors as core_selectors
from verval.core.client import client_ip
from verval.core.logging import masked_numbers
from verval.core.models import Job
from verval.core.numbers import grouped
from verval.core.postonly import post_only
from verval.core.search import search_echo
from verval.core.spreadsheet import BOM, csv_lines, xlsx_report, xlsx_response
from verval.reference import actions as reference_actions
from verval.reference import selectors as reference_selectors
from verval.reference import zones
from verval.reference.forms import PeriodForm
from verval.reference.models import Period, Region

DINAS = (Role.DINAS_PROV, Role.DINAS_KAB)
DINAS_PAGE_SIZE = 50


def _ip(request: HttpRequest) -> str | None:
    return client_ip(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (decision 0082). Django's own answer is a bare "Bad Request (400)": a form that
    posts more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), or a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, left its user on a blank page with nothing saved and nothing said.
    No page of the site posts that many (the largest, a school's list at 500 rows a page, posts
    502), but a user who reaches the limit hears what happened and how to go on. A request for a
    host the site does not serve keeps the bare answer: it comes from bots, and its host is not
    one to link back to."""
    from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

    from verval.core.middleware import form_page

    if isinstance(exception, DisallowedHost):
        return HttpResponse("Bad Request (400)", status=400, content_type="text/plain")
    context = {
        "back": form_page(request),
        "too_many": isinstance(exception, TooManyFieldsSent | TooManyFilesSent),
        "too_big": isinstance(exception, RequestDataTooBig),
    }
    return render(request, "core/bad_request.html", context, status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. A form of a page opened before the user signed in again (in another tab,
    after the session expired) carries a token that no longer holds: Django's own page said so in
    developer's terms, unstyled, and offered no way back. Nothing was saved; say so, and lead back
    to the form's page to send it again."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    from verval.core.middleware import form_page

    context = {"back": form_page(request), "no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return render(request, "core/csrf_failure.html", context, status=403)


def file_gone(request: HttpRequest) -> HttpResponse:
    """A stored file the retention rules deleted (decision 0038): 410, said plainly, not a 500."""
    return render(request, "core/file_gone.html", status=410)


def not_in_region(request: HttpRequest, *, title: str, back_url: str, back_label: str) -> HttpResponse:
    """A list's (or its download's) answer to a `kabkota` or `kecamatan` outside the user's region:
    the same for a code that does not exist and one of another region (a guess tells nothing),
    said on a page with the way back to the whole list (a bookmark of an old filter; decisions
    0133, 0136)."""
    context = {"title": title, "back_url": back_url, "back_label": back_label}
    return render(request, "core/not_in_region.html", context, status=404)


# --- Pusdatin ------------------------------------------------------------------------------------


@login_required
def pusdatin(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    # Not the schools' scan checks and prints (decisions 0095, 0102): thousands at a deadline would
    # push the imports and ingests off this list; each is its school's, on its SPTJM page (`verval
    # jobs` lists them).
    schools_own = ("sptjm_scan", "sptjm_print")
    recent = access.jobs_for(request.user).exclude(kind__in=schools_own).select_related("created_by")[:20]
    q = request.GET.get("q", "").strip()
    found = None
    if q:
        schools = access.schools_for(request.user).select_related("regency", "province")
        found = (
            schools.filter(Q(npsn=q) | Q(name__icontains=q)).order_by("name", "npsn")[:50]
            if len(q) >= 3 or q.isdigit()
            else []
        )
    periods = list(Period.objects.select_related("policy").all()[:24])
    return render(
        request,
        "core/pusdatin.html",
        {
            "jobs": recent,
            # Pusdatin reads numbers masked: one typed here comes back masked (decision 0104).
            "search": search_echo(q, full_numbers=False),
            "found": found,
            "periods": periods,
            "never_opened": reference_selectors.never_opened(periods),
            # The last `verval files` listing: a page view never walks the store.
            "store": core_selectors.file_store_panel(request.user),
            "overlaps": _overlaps_to_edit(),
            # A worker queue without a live worker (decision 0082): its jobs wait for ever.
            "unserved_queues": core_selectors.unserved_queues(),
            "checked_at": timezone.now(),
        },
    )


def _overlaps_to_edit() -> list[tuple[Any, str | None]]:
    """Each pair of periods sharing a day with the one to edit: the later one, or the earlier when
    the later is closed (a closed period is not edited, decision 0078); None when both are."""
    overlaps = reference_selectors.overlapping_periods()
    if not overlaps:
        return []
    pairs = [p for o in overlaps for p in (o.first, o.second)]
    unopened = reference_selectors.never_opened(pairs)

    def editable(period: Period) -> bool:
        return period.is_open or period.code in unopened

    return [(o, next((p.code for p in (o.second, o.first) if editable(p)), None)) for o in overlaps]


def _period_form_page(request: HttpRequest, period: Period | None) -> HttpResponse:
    create = period is None
    initial = (
        {}
        if period is None
        else {f: getattr(period, f) for f in ("code", "policy", *reference_actions.PERIOD_FIELDS)}
    )
    form = PeriodForm(request.POST or None, initial=initial)
    # A closed period is the record of a round that ran: shown, not edited (decision 0078; the
    # action refuses it too).
    closed = period is not None and reference_selectors.period_state(period) == "closed"
    if closed:
        for field in form.fields.values():
            field.disabled = True
    if not create:
        form.fields["code"].disabled = True  # the code is the key; it does not change
        if period.disbursements.exists():  # type: ignore[union-attr]
            # Its disbursement rows carry this policy's packages (reference.actions.save_period).
            form.fields["policy"].disabled = True
            form.fields["policy"].help_text = _(
                "Tidak dapat diubah: penyaluran periode ini sudah dimulai. Bidang lain tetap dapat diubah."
            )
    if request.method == "POST" and form.is_valid():
        try:
            saved = reference_actions.save_period(actor=request.user, create=create, **form.cleaned_data)
        except ValidationError as exc:
            # A deadline out of place is named by its field (its code): at the top of the form,
            # "Tenggat tidak boleh sesudah tanggal selesai periode." left three dates to guess from.
            # The end before the start ("dates") goes under the end, the date to correct, and
            # marks it as the deadlines are (decision 0097).
            where = "ends_on" if exc.code == "dates" else exc.code
            form.add_error(where if where in form.fields else None, exc)
        else:
            messages.success(request, _("Periode %(code)s disimpan.") % {"code": saved.code})
            return redirect("core:pusdatin")
    return render(request, "core/period_form.html", {"form": form, "period": period, "closed": closed})


@login_required
def period_create(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    return _period_form_page(request, None)


@login_required
def period_edit(request: HttpRequest, code: str) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    period = Period.objects.filter(code=code).first()
    if period is None:
        raise Http404("no such period")
    return _period_form_page(request, period)


def _live_documents_left(request: HttpRequest, closing: list[str]) -> Any:
    """Documents of the periods about to close that still hold their records (printed, uploaded,
    returned): closing leaves them to be uploaded, reviewed or voided (decision 0024)."""
    from verval.sptjm import selectors as sptjm_selectors

    return sptjm_selectors.stale_documents(request.user, period_codes=closing)


def _period_change(request: HttpRequest, code: str, *, opening: bool) -> HttpResponse:
    """Open or close a period. When that closes a period with live SPTJM documents, the page
    lists them first and asks again (`lanjut`); after the change a message names how many."""
    access.require_role(request.user, Role.PUSDATIN)
    period = Period.objects.filter(code=code).first()
    if period is None:
        raise Http404("no such period")
    closing = (
        list(Period.objects.filter(is_open=True).exclude(code=code).values_list("code", flat=True))
        if opening
        else ([code] if period.is_open else [])
    )
    from verval.sptjm import selectors as sptjm_selectors

    left = _live_documents_left(request, closing)
    count = left.count()
    # Approved but not yet in a disbursement batch: a closed period is not disbursed (0078).
    undisbursed = sptjm_selectors.not_disbursed_count(closing) if closing else 0
    if (count or undisbursed) and request.POST.get("lanjut") != "1":
        return render(
            request,
            "core/period_confirm.html",
            {
                "period": period,
                "opening": opening,
                "closing": closing,
                "documents": left[:500],
                "count": count,
                "undisbursed": undisbursed,
            },
        )
    if opening:
        reference_actions.open_period(actor=request.user, code=code)
        messages.success(request, _("Periode %(code)s dibuka.") % {"code": code})
    else:
        reference_actions.close_period(actor=request.user, code=code)
        messages.success(request, _("Periode %(code)s ditutup.") % {"code": code})
    if count:
        messages.warning(
            request,
            ngettext(
                "%(n)s SPTJM dari periode yang ditutup masih berlaku dan mengunci data penerimanya: "
                "lihat daftar SPTJM periode yang sudah ditutup di halaman pemeriksaan SPTJM.",
                "%(n)s SPTJM dari periode yang ditutup masih berlaku dan mengunci data penerimanya: "
                "lihat daftar SPTJM periode yang sudah ditutup di halaman pemeriksaan SPTJM.",
                count,
            )
            % {"n": grouped(count)},
        )
    if undisbursed:
        messages.warning(
            request,
            ngettext(
                "%(n)s penerima yang tercakup SPTJM yang disetujui tidak mendapat penyaluran periode yang "
                "ditutup: periode itu tidak disalurkan lagi.",
                "%(n)s penerima yang tercakup SPTJM yang disetujui tidak mendapat penyaluran periode yang "
                "ditutup: periode itu tidak disalurkan lagi.",
                undisbursed,
            )
            % {"n": grouped(undisbursed)},
        )
    return redirect("core:pusdatin")


@login_required
@post_only("core:pusdatin")
def period_open(request: HttpRequest, code: str) -> HttpResponse:
    return _period_change(request, code, opening=True)


@login_required
@post_only("core:pusdatin")
def period_close(request: HttpRequest, code: str) -> HttpResponse:
    return _period_change(request, code, opening=False)


# --- Dinas ---------------------------------------------------------------------------------------


class _NotInRegion(Exception):
    """A `kabkota` or `kecamatan` unknown or outside the user's region."""


def _school_count(request: HttpRequest, where: selectors.SchoolListArea) -> int:
    return selectors.region_school_count(
        request.user,
        q=request.GET.get("q", ""),
        regency=where.regency if where.regencies else "",
        district=where.district,
    )


def _school_list(request: HttpRequest) -> tuple[Any, selectors.SchoolListArea, str]:
    """The Dinas school list as the GET parameters narrow it (search, kabupaten/kota, kecamatan,
    sort), for the page and its CSV alike; the query string that keeps those filters."""
    access.require_role(request.user, *DINAS)
    where = selectors.school_list_area(
        request.user, regency=request.GET.get("kabkota", ""), district=request.GET.get("kecamatan", "")
    )
    if where is None:
        raise _NotInRegion
    q = request.GET.get("q", "")
    rows = selectors.region_school_rows(
        request.user,
        q=q,
        sort=request.GET.get("sort", "share"),
        regency=where.regency if where.regencies else "",
        district=where.district,
    )
    # The links that keep the filters (sort, CSV, Excel) carry the term as the box gives it back:
    # never a phone number a reader typed (decision 0104). A number finds no school (NPSN, name).
    params = {"q": search_echo(q, full_numbers=False).value}
    if where.regencies and where.regency:
        params["kabkota"] = where.regency
    if where.district:
        params["kecamatan"] = where.district
    return rows, where, urlencode(params)


@login_required
def dinas(request: HttpRequest) -> HttpResponse:
    try:
        rows, where, filter_query = _school_list(request)
    except _NotInRegion:
        return _dinas_not_in_region(request)
    sort = request.GET.get("sort", "share")
    paginator = Paginator(rows, DINAS_PAGE_SIZE)
    # The schools counted without their recipients (a kabupaten of 5,000 schools: decision 0079).
    paginator.count = _school_count(request, where)  # type: ignore[misc]
    page = pagination.page_of(request, paginator)
    schools = list(page.object_list)
    states = selectors.sptjm_states(request.user, [s.npsn for s in schools])
    # A list over several kabupaten/kota (a province Dinas, not narrowed to one) says where each
    # school is: school names repeat from one kabupaten/kota to the next ("SD NEGERI 1 ...").
    regency_names = dict(where.regencies) if where.regencies and not where.regency else {}
    for s in schools:
        s.share_pct = round(100 * s.share, 1)
        s.sptjm_state = states.get(s.npsn, "")
        s.regency_name = regency_names.get(s.regency_id, "")
    pending = actions.registrations_to_decide(request.user).filter(status=OperatorRegistration.Status.PENDING)
    # A count is looked at from its largest first (the schools with the most residue are the ones to
    # call); a code, a name and the AKTIF share (least advanced first, the page's default) from
    # the smallest. A second click on the sorted column turns its order around.
    first_descending = {"total", "aktif", "residu"}
    columns = []
    for key, label in (
        ("npsn", "NPSN"),
        ("name", _("Sekolah")),
        ("total", _("Penerima")),
        ("aktif", _("Aktif")),
        ("share", _("% aktif")),
        ("residu", _("Residu")),
    ):
        if sort == key:
            link = "-" + key
        elif sort == "-" + key:
            link = key
        else:
            link = "-" + key if key in first_descending else key
        columns.append((key, label, link))
    return render(
        request,
        "core/dinas.html",
        {
            "schools": schools,
            "page": page,
            "search": search_echo(request.GET.get("q", ""), full_numbers=False),
            "sort": sort,
            "where": where,
            "filter_query": filter_query,
            # A search or a kecamatan that finds nothing says so and leads back (decision 0109).
            "narrowed": bool(
                request.GET.get("q", "").strip() or where.district or (where.regencies and where.regency)
            ),
            "columns": columns,
            "show_sptjm": bool(states) or _sptjm_available(),
            "pending": pending[:10],
            "pending_count": pending.count(),
            "region": getattr(request.user, "region", None),
            "two_factor": actions.two_factor_applies(request.user),
        },
    )


def _sptjm_available() -> bool:
    try:
        from verval.sptjm.models import Sptjm  # noqa: F401
    except ImportError:
        return False
    return True


SCHOOL_COLUMNS = [
    "npsn",
    "nama_sekolah",
    "bentuk",
    "kabupaten_kota",
    "penerima",
    "aktif",
    "persen_aktif",
    "residu",
    # Appended last (decision 0067): programs that read the columns above by position keep working.
    "kecamatan",
]


def _school_rows(rows: Any) -> Iterator[list[Any]]:
    # Tuples, not School instances: a province's 60,000 schools took 1.5 CPU-s as models with
    # their regency and region attached (decision 0094).
    fields = ("npsn", "name", "bentuk", "regency__name", "total", "aktif", "share", "residu")
    for *row, region_name, region_level in rows.values_list(
        *fields, "region__name", "region__level"
    ).iterator(chunk_size=2000):
        # Empty when the cutoff placed the school in a kabupaten/kota only (no kecamatan code).
        district = region_name if region_level == Region.Level.DISTRICT else ""
        yield [*row[:6], 100 * row[6], row[7], district]


def _school_csv(rows: Any) -> Iterator[str]:
    return csv_lines(SCHOOL_COLUMNS, ([*r[:6], f"{r[6]:.1f}", *r[7:]] for r in _school_rows(rows)))


def _dinas_not_in_region(request: HttpRequest) -> HttpResponse:
    """The list's and its CSV's and Excel's answer to a region outside the user's (its downloads
    answered a bare 404 page before: decision 0136's left item, closed after its merge)."""
    return not_in_region(
        request,
        title=_("Sekolah di wilayah"),
        back_url=reverse("core:dinas"),
        back_label=_("Tampilkan semua sekolah di wilayah Anda"),
    )


def _school_export(request: HttpRequest, fmt: str) -> tuple[Any, str]:
    """The region's schools as the page lists them (search, filters and order kept), the download
    audited; and the file's name without its suffix. Raises _NotInRegion before any audit row."""
    rows, where, _query = _school_list(request)
    user: Any = request.user
    audit.record(
        actor=user,
        action="download_region_school_list",
        object_type="region",
        object_id=user.region_id,
        region_code=where.district or where.regency or user.region_id,
        # The region codes the list was narrowed to; not the search as typed (free text).
        note=f"format={fmt} kabkota={where.regency if where.regencies else ''} kecamatan={where.district}",
        ip=_ip(request),
    )
    area = where.district or (where.regency if where.regencies else "") or user.region_id
    return rows, f"sekolah-{area}-{zones.file_day()}"


@login_required
def dinas_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The region's school list as CSV (aggregates only, no person or number). Audited."""
    try:
        rows, name = _school_export(request, "csv")
    except _NotInRegion:
        return _dinas_not_in_region(request)
    response = StreamingHttpResponse(_school_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
def dinas_export_xlsx(request: HttpRequest) -> HttpResponse:
    """The same list as an Excel file: the NPSN a text cell, the counts numbers. Audited."""
    try:
        rows, name = _school_export(request, "xlsx")
    except _NotInRegion:
        return _dinas_not_in_region(request)
    report = xlsx_report(
        sheet="sekolah",
        columns=SCHOOL_COLUMNS,
        rows=([*r[:6], round(r[6], 1), *r[7:]] for r in _school_rows(rows)),
        widths=[11, 40, 9, 28, 10, 10, 12, 10, 28],
    )
    return xlsx_response(report, f"{name}.xlsx")


# --- the audit log (decision 0135) ----------------------------------------------------------------

AUDIT_READERS = (Role.PUSDATIN, *DINAS)


def _audit_request(request: HttpRequest) -> tuple[Any, core_selectors.AuditFilters, dict[str, str]]:
    """The audit rows the reader may read, as the query string narrows them, and the refused
    filters."""
    access.require_role(request.user, *AUDIT_READERS)
    filters, errors = core_selectors.audit_filters(request.GET)
    return core_selectors.audit_events(request.user, filters), filters, errors


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """ "Jejak audit": who did what, when, from what to what; Pusdatin's all, a Dinas's its
    region's (`access.audit_for`). Paged without counting (a log of millions of rows): the next
    page is offered when one more row is there, as the list of schools behind schedule does."""
    qs, filters, errors = _audit_request(request)
    page = pagination.number(request.GET.get("hal"))
    size = core_selectors.AUDIT_PAGE_SIZE
    rows = list(qs[(page - 1) * size : page * size + 1]) if page >= 1 else []
    pagination.check(page, page if rows else None, "hal")
    pusdatin = request.user.role == Role.PUSDATIN  # type: ignore[union-attr]
    for e in rows:
        e.label = core_selectors.action_label(e.action)
        # Written by a provider's API call (its token's prefix in the note: apiaudit.audit_call).
        e.by_token = not e.actor_id and bool(e.provider) and e.note.startswith("token ")
        e.before_text = _short(core_selectors.compact(e.before))
        e.after_text = _short(core_selectors.compact(e.after))
    actions_present = core_selectors.audit_actions()
    if not pusdatin:
        # The provider API's rows name no school or region: never a Dinas's, and asking for one of
        # them would walk the whole log to find none (decision 0135).
        actions_present = [a for a in actions_present if not a.startswith("api_")]
    if filters.action and filters.action not in actions_present:
        actions_present = sorted([*actions_present, filters.action])
    return render(
        request,
        "core/audit.html",
        {
            "rows": rows[:size],
            "page": page,
            "has_next": len(rows) > size,
            "filters": filters,
            "errors": errors,
            "query": urlencode(filters.params()),
            "actions": [(code, core_selectors.action_label(code)) for code in actions_present],
            "providers": PROVIDER_CHOICES,
            "show_ip": pusdatin,
            "region": None if pusdatin else getattr(request.user, "region", None),
        },
    )


def _short(text: str, limit: int = 160) -> str:
    """A before/after value on the page: the first `limit` characters (the CSV holds it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@login_required
def audit_csv(request: HttpRequest) -> HttpResponseBase:
    """The rows the page's filters give, every one, as CSV: streamed 2,000 rows at a time (no
    cap, constant memory), the download itself audited with its filters."""
    qs, filters, errors = _audit_request(request)
    if errors:
        # A refused filter would export more than was asked: back to the page, which says why; a
        # refused value holding a phone number is not carried into the address.
        query = request.GET.copy()
        for param in errors:
            if masked_numbers(query.get(param, "")) != query.get(param, ""):
                query.pop(param)
        return redirect(f"{reverse('core:audit')}?{query.urlencode()}")
    user: Any = request.user
    pusdatin = user.role == Role.PUSDATIN
    audit.record(
        actor=user,
        action="download_audit_csv",
        object_type="audit",
        # A Dinas's download is a row of its own region's log.
        region_code="" if pusdatin else user.region_id,
        note=f"format=csv {filters.note()}",
        ip=_ip(request),
    )
    rows = core_selectors.audit_csv_rows(qs, with_ip=pusdatin)
    response = StreamingHttpResponse(
        csv_lines(core_selectors.AUDIT_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    area = "" if pusdatin else f"-{user.region_id}"
    response["Content-Disposition"] = f'attachment; filename="jejak-audit{area}-{zones.file_day()}.csv"'
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- jobs ----------------------------------------------------------------------------------------


def _job(request: HttpRequest, job_id: UUID):  # type: ignore[no-untyped-def]
    return access.get_in_scope(access.jobs_for(request.user), pk=job_id)


@login_required
def job_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(request, job_id)
    # A job still running polls its progress with htmx; a finished one's page is plain (decision 0087).
    return render(request, "core/job.html", {**_job_context(request, job), "uses_htmx": not job.is_finished})


def _job_context(request: HttpRequest, job: Any) -> dict[str, Any]:
    return {
        "job": job,
        # Pusdatin, or the operator who uploaded a correction file (decision 0039).
        "can_cancel": access.can_cancel_job(request.user, job),
        # A report export's file (decision 0068): offered once written, "deleted" once pruned.
        "output_gone": job.state == Job.State.SUCCEEDED
        and bool((job.params or {}).get("file_path"))
        and jobs.output_file(job) is None,
        **jobs.progress_context(job),
        **_issues_context(job),
    }


def _issues_context(job: Any) -> dict[str, Any]:
    if not job.is_finished:
        return {}
    return {"issues": job.issues.all()[:100], "issue_count": job.issues.count()}


@login_required
@post_only("core:job", "job_id")
def job_requeue(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Pusdatin hands a stuck or failed job to the worker again (what `verval jobs --requeue`
    does; decision 0022)."""
    return _job_action(request, job_id, requeue=True)


@login_required
@post_only("core:job", "job_id")
def job_cancel(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Pusdatin stops a job (`verval jobs --cancel`): at once when no worker is running it, at its
    next checkpoint when one is (decision 0029). The operator who uploaded a correction file may
    stop its apply too (decision 0039; the action decides who)."""
    return _job_action(request, job_id, requeue=False)


def _job_action(request: HttpRequest, job_id: UUID, *, requeue: bool) -> HttpResponse:
    from verval.core import actions as job_actions

    if requeue:
        access.require_role(request.user, Role.PUSDATIN)
    job = _job(request, job_id)
    act = job_actions.requeue_job if requeue else job_actions.cancel_job
    try:
        after = act(actor=request.user, job_id=job.pk, note=request.POST.get("note", "")[:200])
    except job_actions.JobActionRefused as refused:
        en = (request.LANGUAGE_CODE or "").startswith("en")
        messages.error(request, refused.message_en if en else refused.message)
    else:
        if requeue:
            messages.success(request, _("Pekerjaan diserahkan lagi ke pekerja."))
        elif after.is_finished:
            messages.success(request, _("Pekerjaan dibatalkan; data tidak diubah."))
        else:
            messages.success(
                request,
                _(
                    "Pembatalan diminta; pekerjaan berhenti pada titik periksa berikutnya dan semua "
                    "perubahannya dibatalkan."
                ),
            )
    return redirect("core:job", job_id=job.pk)


@login_required
def job_progress(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """htmx fragment polled while a job runs; stops polling once the job is finished."""
    job = _job(request, job_id)
    return render(request, "core/_job_progress.html", {**_job_context(request, job), "announce": True})


def _job_report(request: HttpRequest, job_id: UUID, fmt: str) -> Any:
    job = _job(request, job_id)
    audit.record(
        actor=request.user,
        action="download_job_report",
        object_type="job",
        object_id=job.pk,
        school_id=job.school_id,
        provider=job.provider,
        note=f"format={fmt}",
    )
    return job


@login_required
def job_issues_csv(request: HttpRequest, job_id: UUID) -> StreamingHttpResponse:
    job = _job_report(request, job_id, "csv")
    # The mark only here: the providers' API serves jobs.issues_csv as it is.
    response = StreamingHttpResponse(
        itertools.chain([BOM], jobs.issues_csv(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="laporan-{job.kind}-{job.pk}.csv"'
    return response


@login_required
def job_issues_xlsx(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The refused-row report as an Excel file: the rows and columns of the CSV, the value a
    text cell (a NISN or NPSN keeps its leading zero)."""
    job = _job_report(request, job_id, "xlsx")
    return xlsx_response(jobs.report_xlsx(jobs.issues_rows(job)), f"laporan-{job.kind}-{job.pk}.xlsx")


def favicon(request: HttpRequest) -> HttpResponse:
    """The icon itself (not a redirect to /static/, which a test client and some proxies do not
    serve), cacheable for a day."""
    from django.conf import settings

    icon = (settings.PACKAGE_DIR / "static" / "favicon.svg").read_bytes()
    response = HttpResponse(icon, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer or monitor: 200 when this process can serve, 503 when not."""
    healthy, body = health.status()
    return JsonResponse(body, status=200 if healthy else 503)
