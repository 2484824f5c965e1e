"""The Operator Sekolah pages: the school list, inline correction, confirmation, bulk correction.

Thin: parse, call one selector or action, render. Every page works without JavaScript; htmx
(HX-Request) gets fragments instead of whole pages. Names and numbers never go into a URL: the
search term travels in a POST body (docs/decisions/0004-search-without-names-in-urls.md).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from verval.accounts import access
from verval.core import actions as core_actions
from verval.core import audit, files, jobs
from verval.core.numbers import grouped
from verval.core.postonly import post_only
from verval.core.search import search_echo
from verval.core.spreadsheet import BOM, xlsx_response
from verval.phones import REASONS, check, describe
from verval.reference import zones
from verval.registry import actions, bulk, selectors
from verval.registry.forms import EditNumberForm, PhoneCheckForm, UploadForm
from verval.registry.models import Kind, NumberStatus


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _row_base(npsn: str) -> str:
    """Prefix of a row's URLs, reversed once per page instead of three times per row."""
    return reverse("registry:school", kwargs={"npsn": npsn}) + "penerima/"


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "id").startswith("en")


# ---------------------------------------------------------------------------------------------
# School page


@login_required
@require_http_methods(["GET", "POST"])
def school(request: HttpRequest, npsn: str) -> HttpResponse:
    school = access.get_school_or_deny(request.user, npsn)
    can_edit = access.can_edit_school(request.user, school)
    filters = selectors.Filters.from_request(request.GET, request.POST if request.method == "POST" else None)
    page = selectors.school_page(request.user, npsn, filters, full_numbers=can_edit)
    context: dict[str, Any] = {
        "school": school,
        "can_edit": can_edit,
        "filters": filters,
        "page": page,
        "page_sizes": selectors.PAGE_SIZES,
        "searching": bool(filters.query),
        # The search box gives back what was typed; to a reader (Dinas, Pusdatin), who sees every
        # number masked and cannot search by one, a number typed there comes back masked, above
        # the box and not in it (decisions 0098, 0104).
        "search": search_echo(filters.query, full_numbers=can_edit),
        "row_base": _row_base(npsn),
        # The edit links carry the list's filters and page, so that saving without JavaScript comes
        # back to this list. A search result's page number means nothing without its term, which
        # never goes into a URL (decision 0004): such a list comes back to its first page.
        "list_query": filters.querystring(None if filters.query else page.number),
    }
    if _htmx(request) and request.headers.get("HX-Target") == "results":
        response = render(request, "registry/_results.html", {**context, "announce": True})
        if not filters.query:
            # The filters go into the address bar, so that Back and reload show the list that was
            # chosen. A search does not: names never go into a URL (decision 0004).
            query = filters.querystring(filters.page)
            response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
        return response
    context.update(
        summary=selectors.school_summary(request.user, npsn),
        statuses=NumberStatus.choices,
        kinds=Kind.choices,
        corrections=selectors.recent_corrections(request.user, npsn) if can_edit else [],
        shared_limit=settings.VERVAL["SHARED_NUMBER_LIMIT"],
        uses_htmx=True,  # base.html loads htmx only for a page that says so (decision 0087)
    )
    return render(request, "registry/school.html", context)


def _row_context(request: HttpRequest, npsn: str, rid: UUID, **extra: Any) -> dict[str, Any]:
    school = access.get_school_or_deny(request.user, npsn)
    can_edit = access.can_edit_school(request.user, school)
    r = selectors.recipient_in_school(request.user, npsn, rid)
    selectors.decorate(r, full_numbers=can_edit)
    return {"school": school, "can_edit": can_edit, "r": r, "rows": [r], "row_base": _row_base(npsn), **extra}


@login_required
def row(request: HttpRequest, npsn: str, rid: UUID) -> HttpResponse:
    """One table row (htmx: cancel an edit, reload after a conflict); without htmx, the school page."""
    if not _htmx(request):
        return redirect("registry:school", npsn=npsn)
    return render(request, "registry/_row.html", {**_row_context(request, npsn, rid), "focus": True})


def _list_query(request: HttpRequest) -> str:
    """The school list's filters and page an edit without JavaScript returns to: the edit link's
    query string (GET), then the form's hidden field (POST). Rebuilt through Filters, so only the
    non-personal filters pass, whatever was sent: never a search term, a number or another URL."""
    source = QueryDict(request.POST.get("kembali", "")[:500]) if request.method == "POST" else request.GET
    filters = selectors.Filters.from_request(source)
    return filters.querystring(filters.page)


def _school_url(npsn: str, query: str) -> str:
    url = reverse("registry:school", kwargs={"npsn": npsn})
    return f"{url}?{query}" if query else url


def _saved_but_invalid(code: str) -> str:
    """The warning for a number saved with a failing verdict (decision 0005: it is saved, so that
    the old wrong number does not stay; the operator must still hear that it will not pass)."""
    text = _("Nomor tersimpan, tetapi bukan nomor ponsel yang sah dan akan ditolak pada validasi berikutnya.")
    why = selectors.reason_text(NumberStatus.FORMAT_SALAH, code)
    return " ".join(part for part in (text, why.message, why.action) if part) if why else text


@login_required
@require_http_methods(["GET", "POST"])
def edit_number(request: HttpRequest, npsn: str, rid: UUID) -> HttpResponse:
    ctx = _row_context(request, npsn, rid)
    if not ctx["can_edit"]:
        raise PermissionDenied("read-only")
    ctx["back"] = _list_query(request)
    ctx["uses_htmx"] = True  # the page of its own checks the number as it is typed
    r = ctx["r"]
    template = "registry/_row_edit.html" if _htmx(request) else "registry/edit.html"
    if request.method == "GET":
        form = EditNumberForm(initial={"nomor": r.shown_number, "versi": r.version})
        # Say so before anything is typed: saving would be refused anyway.
        locked = actions.RecordLocked() if r.locked else None
        return render(request, template, {**ctx, "form": form, "error": locked})
    form = EditNumberForm(request.POST)
    status = 200
    error = None
    if form.is_valid():
        try:
            updated = actions.change_number(
                actor=request.user,
                recipient_id=rid,
                new_raw=form.cleaned_data["nomor"],
                expected_version=form.cleaned_data["versi"],
            )
        except actions.RegistryError as exc:
            error = exc
            status = 409
        else:
            # The same number typed again (in any notation) is not written: no new version.
            unchanged = updated.version == form.cleaned_data["versi"]
            if _htmx(request):
                selectors.decorate(updated, full_numbers=True)
                saved = "same" if unchanged else ("invalid" if updated.reason else "saved")
                # The counts above the list, which still counted the row as it was.
                summary = None if unchanged else selectors.school_summary(request.user, npsn)
                return render(
                    request,
                    "registry/_row.html",
                    {
                        **ctx,
                        "r": updated,
                        "rows": [updated],
                        "saved": saved,
                        "focus": True,
                        "summary": summary,
                    },
                )
            if unchanged:
                messages.info(request, _("Nomornya sama dengan yang tersimpan; tidak ada perubahan."))
            elif updated.reason:
                messages.warning(request, _saved_but_invalid(updated.reason))
            else:
                messages.success(
                    request, _("Nomor tersimpan. Nomor akan diperiksa ulang pada validasi berikutnya.")
                )
            return redirect(_school_url(npsn, ctx["back"]))
    else:
        status = 400
    # htmx does not swap 4xx answers: send the form back with 200 and the message inside.
    return render(
        request, template, {**ctx, "form": form, "error": error}, status=200 if _htmx(request) else status
    )


@login_required
@post_only("registry:school", "npsn")
def confirm(request: HttpRequest, npsn: str) -> HttpResponse:
    """Confirm the ticked rows. A checkbox value is "<uuid>.<version>.<number tag>" (the version
    and the number shown; "<uuid>.<version>" from a page of before the tag is still read)."""
    school = access.get_school_or_deny(request.user, npsn)
    if not access.can_edit_school(request.user, school):
        raise PermissionDenied("read-only")
    expected: dict[str, int] = {}
    shown: dict[str, str] = {}
    for value in request.POST.getlist("pilih"):
        rid, _sep, rest = value.partition(".")
        version, _sep, tag = rest.partition(".")
        try:
            key = str(UUID(rid))
            expected[key] = int(version)
        except ValueError:
            continue
        if tag:
            shown[key] = tag
    # Back to the list as it was (its filters and page, never a search term: _list_query).
    back = _school_url(npsn, _list_query(request))
    if not expected:
        messages.warning(request, _("Pilih dulu data yang akan diverifikasi."))
        return redirect(back)
    try:
        result = actions.confirm_recipients(
            actor=request.user,
            recipient_ids=list(expected),
            expected_versions=expected,
            shown_numbers=shown,
            school_npsn=npsn,
        )
    except actions.RecordBusy as exc:
        messages.warning(request, exc.message)
        return redirect(back)
    done = result.confirmed + result.reconfirmed
    messages.success(
        request,
        ngettext("%(n)s data diverifikasi.", "%(n)s data diverifikasi.", done) % {"n": grouped(done)}
        + (
            " " + _("%(n)s residu dikirim ulang ke validasi.") % {"n": grouped(result.reconfirmed)}
            if result.reconfirmed
            else ""
        )
        + (
            # A second click (the Back button, a colleague) is answered, not left as "0 data".
            " " + _("%(n)s sudah diverifikasi sebelumnya.") % {"n": grouped(result.unchanged)}
            if result.unchanged
            else ""
        ),
    )
    labels = {
        "TERKUNCI_SPTJM": _("terkunci SPTJM"),
        "VERSI_BERUBAH": _("diubah orang lain sejak halaman dibuka, muat ulang"),
        "FORMAT_SALAH": _("format nomor salah, perbaiki dulu"),
    }
    if result.refused:
        parts = [f"{grouped(n)} {labels.get(code, code)}" for code, n in sorted(result.refused.items())]
        messages.warning(request, _("Tidak diverifikasi: %(list)s.") % {"list": "; ".join(parts)})
    return redirect(back)


@login_required
def history(request: HttpRequest, npsn: str, rid: UUID) -> HttpResponse:
    school = access.get_school_or_deny(request.user, npsn)
    r, entries = selectors.recipient_history(request.user, npsn, rid)
    selectors.decorate(r, full_numbers=access.can_edit_school(request.user, school))
    template = "registry/_history.html" if _htmx(request) else "registry/history.html"
    return render(request, template, {"school": school, "r": r, "entries": entries})


# ---------------------------------------------------------------------------------------------
# Number check (live feedback while typing)


@login_required
@post_only("registry:phone_check")
def check_number(request: HttpRequest) -> HttpResponse:
    """The verdict for the number being typed, pasted, dictated or suggested (htmx, on input). POST so
    the number never lands in a URL or an access log. The list page for many numbers is
    views_validation.phone_check."""
    verdict = None
    form = PhoneCheckForm(request.POST)
    if form.is_valid() and form.cleaned_data["nomor"].strip():
        verdict = check(form.cleaned_data["nomor"])
    operator_name = (
        dict(_operators()).get(verdict.operator, verdict.operator) if verdict and verdict.operator else ""
    )
    ctx = {"form": form, "verdict": verdict, "reason": _reason(verdict), "operator_name": operator_name}
    # Typed in a row's editor: a number the school already uses for others (a sibling's, a parent's)
    # is said at once, not only after Pusdatin's next validation run flags it (decision 0108).
    if verdict is not None and verdict.valid and verdict.e164 and request.POST.get("penerima"):
        others = selectors.others_on_number(request.user, request.POST["penerima"], verdict.e164)
        if others:
            ctx["shared"] = _shared_hint(others)
    return render(request, "registry/_verdict.html", ctx)


def _shared_hint(others: int) -> dict[str, Any]:
    limit = settings.VERVAL["SHARED_NUMBER_LIMIT"]
    if others + 1 > limit:
        text = ngettext(
            "Nomor ini sudah dipakai %(n)d penerima lain di sekolah ini. Bila disimpan, nomor ini dipakai "
            "lebih dari %(limit)d penerima dan ditandai sebagai nomor bersama: pastikan nomor ini memang "
            "milik penerima ini atau orang tua/walinya.",
            "Nomor ini sudah dipakai %(n)d penerima lain di sekolah ini. Bila disimpan, nomor ini dipakai "
            "lebih dari %(limit)d penerima dan ditandai sebagai nomor bersama: pastikan nomor ini memang "
            "milik penerima ini atau orang tua/walinya.",
            others,
        )
        return {"over": True, "text": text % {"n": others, "limit": limit}}
    text = ngettext(
        "Nomor ini juga dipakai %(n)d penerima lain di sekolah ini (misalnya saudara kandung). Satu nomor "
        "boleh dipakai paling banyak %(limit)d penerima.",
        "Nomor ini juga dipakai %(n)d penerima lain di sekolah ini (misalnya saudara kandung). Satu nomor "
        "boleh dipakai paling banyak %(limit)d penerima.",
        others,
    )
    return {"over": False, "text": text % {"n": others, "limit": limit}}


def _reason(verdict: Any) -> Any:
    if verdict is None:
        return None
    code = verdict.reason or verdict.warning
    r = describe(code) if code else None
    if r is None:
        return None
    en = _english()
    return {
        "code": code,
        "message": r.message_en if en else r.message_id,
        "action": r.action_en if en else r.action_id,
    }


def _operators() -> list[tuple[str, str]]:
    from verval.accounts.models import PROVIDER_CHOICES

    return PROVIDER_CHOICES


# ---------------------------------------------------------------------------------------------
# Bulk correction


@login_required
def download_xlsx(request: HttpRequest, npsn: str) -> HttpResponse:
    school = access.get_school_or_deny(request.user, npsn)
    can_edit = access.can_edit_school(request.user, school)
    rows = selectors.school_export_rows(request.user, npsn)
    data = bulk.school_xlsx(school, rows.iterator(chunk_size=2000), full_numbers=can_edit)
    audit.record(
        actor=request.user,
        action="download_school_xlsx",
        object_type="school",
        object_id=npsn,
        school_id=npsn,
        after={"masked": not can_edit, "bytes": len(data)},
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="verval-{npsn}-{zones.file_day()}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


def _editor_school(request: HttpRequest, npsn: str) -> Any:
    school = access.get_school_or_deny(request.user, npsn)
    if not access.can_edit_school(request.user, school):
        raise PermissionDenied("read-only")
    return school


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, npsn: str) -> HttpResponse:
    school = _editor_school(request, npsn)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = actions.upload_correction_file(
            actor=request.user, school_npsn=npsn, upload=form.cleaned_data["berkas"]
        )
        return redirect("registry:preview", npsn=npsn, job_id=job.pk)
    return render(
        request, "registry/upload.html", {"school": school, "form": form}, status=400 if form.errors else 200
    )


def _job(request: HttpRequest, npsn: str, job_id: UUID) -> Any:
    return access.get_in_scope(
        access.jobs_for(request.user).filter(kind="bulk_correction", school_id=npsn), pk=job_id
    )


def _shown_value(issue: Any, typed: dict[int, str]) -> str:
    return typed.get(issue.line, issue.value) if issue.column == "nomor_koreksi" else issue.value


@login_required
def preview(request: HttpRequest, npsn: str, job_id: UUID) -> HttpResponse:
    school = _editor_school(request, npsn)
    job = _job(request, npsn, job_id)
    refused_here = job.state == job.State.REFUSED and job.params.get("refused_before_run")
    if not job.awaits_apply and not refused_here:  # applied, or ended: its job page
        return redirect("core:job", job_id=job.pk)
    if not files.absolute(job.input_path).is_file():  # deleted by the retention rules: the job page says so
        return redirect("core:job", job_id=job.pk)
    plan, refused = bulk.preview_from_file(npsn, files.absolute(job.input_path))
    if refused_here and bulk.preview_refusal(plan, refused) is None:
        # Refused at its upload; the data it was checked against changed since: its job page says.
        return redirect("core:job", job_id=job.pk)
    issues = _preview_issues(plan, refused)
    typed = plan.typed if plan is not None else {}
    en = _english()
    whole = bulk.preview_refusal(plan, refused)
    other_school = whole if whole is not None and whole.code == "DAFTAR_SEKOLAH_LAIN" else None
    return render(
        request,
        "registry/preview.html",
        {
            "school": school,
            "job": job,
            "plan": plan,
            "refused": refused,
            "refused_message": (refused.message_en if en else refused.message) if refused else "",
            # Another school's whole list: said once, not as one refused row per line.
            "other_school_message": (other_school.message_en if en else other_school.message)
            if other_school
            else "",
            # Its refused rows as a file: a file refused whole at upload has its report saved; one
            # awaiting its click has a few refused rows the operator fixes in the file (0113).
            "report": _report_urls(npsn, job.pk, saved=bool(refused_here)) if issues else None,
            # The school's own operator (_editor_school) sees a refused correction as typed; the
            # job's saved report keeps it masked (bulk.Plan.typed says why).
            "issues": [
                (
                    i.line,
                    i.column,
                    i.code,
                    i.message_en if en else i.message,
                    _shown_value(i, typed),
                    plan.names.get(i.line, "") if plan is not None else "",
                )
                for i in issues[:500]
            ],
            "issue_count": len(issues),
            "changes": plan.changes[:500] if plan else [],
            "can_apply": job.awaits_apply and bool(plan and plan.changes and not plan.too_many_refused),
            "reasons": REASONS,
        },
    )


def _preview_issues(plan: Any, refused: Any) -> list[Any]:
    return refused.issues if refused is not None else (plan.issues if plan is not None else [])


def _report_urls(npsn: str, job_id: UUID, *, saved: bool) -> dict[str, str]:
    if saved:
        return {fmt: reverse(f"core:job_issues_{fmt}", kwargs={"job_id": job_id}) for fmt in ("csv", "xlsx")}
    return {
        fmt: reverse(f"registry:preview_issues_{fmt}", kwargs={"npsn": npsn, "job_id": job_id})
        for fmt in ("csv", "xlsx")
    }


@login_required
def preview_issues(request: HttpRequest, npsn: str, job_id: UUID, fmt: str) -> HttpResponse:
    """The refused rows of a correction file awaiting its click, as the job's report would hold
    them (CSV or Excel, values masked): the file is not applied yet, so nothing is saved; they are
    read from the file as the preview reads them (decision 0113)."""
    _editor_school(request, npsn)
    job = _job(request, npsn, job_id)
    if not files.absolute(job.input_path).is_file():  # deleted by the retention rules: the job page says so
        return redirect("core:job", job_id=job.pk)
    issues = _preview_issues(*bulk.preview_from_file(npsn, files.absolute(job.input_path)))
    audit.record(
        actor=request.user,
        action="download_job_report",
        object_type="job",
        object_id=job.pk,
        school_id=npsn,
        note=f"format={fmt} preview",
    )
    rows = jobs.report_rows(issues)
    name = f"laporan-{job.kind}-{job.pk}"
    if fmt == "xlsx":
        return xlsx_response(jobs.report_xlsx(rows), f"{name}.xlsx")
    response = HttpResponse(BOM + "".join(jobs.report_csv(rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
@post_only("registry:preview", "npsn", "job_id")
def apply(request: HttpRequest, npsn: str, job_id: UUID) -> HttpResponse:
    _editor_school(request, npsn)
    job = _job(request, npsn, job_id)
    core_actions.apply_preview(actor=request.user, job=job)
    return redirect(reverse("core:job", kwargs={"job_id": job.pk}))
