"""Web pages of SPTJM and disbursement: thin — parse, call one action or selector, render."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from verval.accounts import access
from verval.accounts.models import Role
from verval.core import audit, files, pagination
from verval.core.middleware import CSP
from verval.core.numbers import grouped
from verval.core.postonly import post_only
from verval.core.spreadsheet import BOM, csv_row, xlsx_report, xlsx_response
from verval.core.views import file_gone
from verval.core.when import format_deadline
from verval.reference.models import Period
from verval.sptjm import actions, selectors
from verval.sptjm.document import gb
from verval.sptjm.models import DisbursementStatus, QrVerdict, Sptjm, SptjmStatus
from verval.sptjm.reasons import ActionRefused, failure_advice, flag_label, masked_note

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def _refusal(request: HttpRequest, exc: ActionRefused, help_section: str = "") -> None:
    """The refusal as an error message; with `help_section`, the message links to the code's
    entry on the help page (decision 0083)."""
    tags = f"help:{help_section}:{exc.code}" if help_section else ""
    messages.error(request, exc.message_en if get_language() == "en" else exc.message, extra_tags=tags)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


# ------------------------------------------------------------------ school


@login_required
def school(request: HttpRequest, npsn: str) -> HttpResponse:
    from verval.phones import mask, national_display

    page = selectors.school_page(request.user, npsn, request.GET.get("periode") or None)
    school = access.get_school_or_deny(request.user, npsn)
    can_edit = access.can_edit_school(request.user, npsn)
    # The school's own operator sees the failed number in full (to fix it); everyone else masked.
    failed = [
        {
            "period": f.period.name,
            "name": f.recipient.name,
            "phone": national_display(f.phone_e164) if can_edit else mask(f.phone_e164),
            "provider": f.provider,
            # A provider's note may quote a number: masked for everyone (stored masked since the
            # ingest masks it; older notes are masked here).
            "reason": masked_note(f.reason),
            # Changed since it failed: the new number goes out once validated, AKTIF and covered.
            "changed": f.recipient.phone_e164 != f.phone_e164,
            # Else what to do follows the provider's reason (decision 0034).
            "advice": failure_advice(f.reason, get_language()),
        }
        for f in page.failed
    ]
    excluded_page, excluded_groups = _excluded(request, page, full_numbers=can_edit)
    # A large print asked for and prepared by a job (decision 0102): preparing, or refused. Every
    # reader of the school sees one in progress, whoever asked (decision 0107).
    printing = selectors.print_job(request.user, npsn, page.period) if page.period else None
    live = [d for d in [page.live, *(page.other_live or [])] if d is not None]
    # The latest scan sent of each, checked in a job (decision 0095): checking, refused, accepted.
    checks = selectors.scan_checks(request.user, live)
    for d in live:
        setattr(d, "scan_check", checks.get(str(d.pk)))  # noqa: B010 - a template attribute, not a field
        if can_edit:
            # Each document's own scan limit (it grows with the pages printed: decision 0079).
            limit = selectors.scan_max_bytes(d)
            setattr(d, "scan_max_bytes", limit)  # noqa: B010
            setattr(d, "scan_max_mb", limit // (1024 * 1024))  # noqa: B010
    return render(
        request,
        "sptjm/school.html",
        {
            "school": school,
            "page": page,
            "can_edit": can_edit,
            "can_open_documents": selectors.can_open_documents(request.user, npsn),
            "failed": failed,
            "printing": printing,
            "excluded_page": excluded_page,
            "excluded_groups": excluded_groups,
            "shared_limit": settings.VERVAL["SHARED_NUMBER_LIMIT"],
            "statuses": DisbursementStatus,
        },
    )


EXCLUDED_PAGE_SIZE = 100


def _excluded(
    request: HttpRequest, page: selectors.SchoolPage, *, full_numbers: bool
) -> tuple[Any, list[Any]]:
    """The page of excluded recipients asked for (`?dikecualikan=N`), grouped by rule, each group
    with the rule's explanation and what to do. Numbers in full for the school's own operator
    (who fixes them), masked for every other reader."""
    from verval.phones import mask, national_display

    if page.period is None or not page.excluded_by_rule or page.excluded is None:
        return None, []
    rows = pagination.page_of(request, Paginator(page.excluded, EXCLUDED_PAGE_SIZE), "dikecualikan")
    help_of = selectors.exclusion_help(page.period, page.excluded_by_rule)
    groups: list[dict[str, Any]] = []
    for d in rows:
        if not groups or groups[-1]["code"] != d.rule:
            groups.append(
                {"code": d.rule, "help": help_of[d.rule], "total": page.excluded_by_rule[d.rule], "rows": []}
            )
        groups[-1]["rows"].append(
            {
                "name": d.recipient.name,
                "category": d.category,
                "phone": national_display(d.phone_e164) if full_numbers else mask(d.phone_e164),
                "provider": d.provider,
            }
        )
    return rows, groups


@login_required
@post_only("sptjm:school", "npsn")
def print_view(request: HttpRequest, npsn: str) -> HttpResponse:
    period_code = request.POST.get("periode", "")
    try:
        # A large document is printed by a job (decision 0102); the page says it is being prepared.
        sptjm, created, _job = actions.request_print(actor=request.user, npsn=npsn, period_code=period_code)
    except ActionRefused as exc:
        _refusal(request, exc)
    else:
        if sptjm is None and created:
            pass  # a job prints it: the page says so at once (selectors.print_job), no message twice
        elif sptjm is None:
            # Asked already, by this operator or another of the school (decision 0107): one print.
            messages.info(
                request,
                _("SPTJM ini sudah diminta dan sedang disiapkan; tidak dicetak dua kali."),
            )
        elif created:
            messages.success(
                request,
                _(
                    "SPTJM %(number)s dicetak: %(rows)s penerima, data terkunci sampai disetujui atau dibatalkan."
                )
                % {"number": sptjm.number, "rows": grouped(sptjm.rows)},
            )
            if sptjm.print_late_days and sptjm.print_deadline:
                messages.warning(
                    request,
                    ngettext(
                        "SPTJM dicetak %(days)s hari setelah batas cetak (%(deadline)s) dan tercatat "
                        "terlambat; Pusdatin melihat catatan ini saat memeriksa.",
                        "SPTJM dicetak %(days)s hari setelah batas cetak (%(deadline)s) dan tercatat "
                        "terlambat; Pusdatin melihat catatan ini saat memeriksa.",
                        sptjm.print_late_days,
                    )
                    % {
                        "days": grouped(sptjm.print_late_days),
                        "deadline": format_deadline(sptjm.print_deadline),
                    },
                )
        else:
            messages.info(
                request,
                _("SPTJM %(number)s masih berlaku; dokumen yang sama dapat diunduh lagi.")
                % {"number": sptjm.number},
            )
    return redirect(f"{_school_url(npsn)}?periode={period_code}")


def _school_url(npsn: str) -> str:
    from django.urls import reverse

    return reverse("sptjm:school", args=[npsn])


def _sptjm_school_page(request: HttpRequest, sptjm_id: UUID) -> str:
    """The school's SPTJM page, where a document's upload and void forms are (a document outside
    the reader's scope: 403, as its POST)."""
    sptjm = selectors.get_sptjm(request.user, sptjm_id)
    return reverse("sptjm:school", kwargs={"npsn": sptjm.school_id})


@login_required
@post_only(_sptjm_school_page)
def void_view(request: HttpRequest, sptjm_id: UUID) -> HttpResponse:
    sptjm = selectors.get_sptjm_to_edit(request.user, sptjm_id)
    try:
        actions.void_sptjm(actor=request.user, sptjm_id=sptjm.pk, version=_version(request))
        messages.success(request, _("SPTJM dibatalkan; data dibuka kembali."))
    except ActionRefused as exc:
        _refusal(request, exc)
    return redirect(f"{_school_url(sptjm.school_id)}?periode={sptjm.period_id}")


@login_required
@post_only("sptjm:review", "sptjm_id")
def void_closed_view(request: HttpRequest, sptjm_id: UUID) -> HttpResponse:
    """Pusdatin voids a document of a closed period that its school left printed, uploaded or
    returned, so that its records are unlocked (decision 0024)."""
    access.require_role(request.user, Role.PUSDATIN)
    sptjm = selectors.get_sptjm(request.user, sptjm_id)
    try:
        actions.void_sptjm(actor=request.user, sptjm_id=sptjm.pk, version=_version(request))
        messages.success(
            request,
            _("SPTJM %(number)s dibatalkan; %(rows)s penerima dibuka kembali.")
            % {"number": sptjm.number, "rows": grouped(sptjm.rows)},
        )
    except ActionRefused as exc:
        _refusal(request, exc)
    return redirect(f"{reverse('sptjm:review_queue')}#periode-ditutup")


@login_required
@post_only(_sptjm_school_page)
def upload_view(request: HttpRequest, sptjm_id: UUID) -> HttpResponse:
    """Receives the scan and hands its QR check to a job (decision 0095): the school's page says
    at once that it was received, then what the check found (`selectors.scan_checks`)."""
    sptjm = selectors.get_sptjm_to_edit(request.user, sptjm_id)
    upload = request.FILES.get("pindaian")
    if upload is None:
        _refusal(request, ActionRefused("BERKAS_KOSONG"), "unggah")
    else:
        try:
            _job, created = actions.receive_scan(
                actor=request.user, sptjm_id=sptjm.pk, upload=upload, version=_version(request)
            )
        except ActionRefused as exc:
            _refusal(request, exc, "unggah")
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "Pindaian diterima untuk diperiksa. Hasil pemeriksaan kode QR tampil pada dokumen di bawah."
                    ),
                )
            else:  # the same file already in check, sent by this operator or another (decision 0107)
                messages.info(
                    request,
                    _(
                        "Berkas yang sama sudah diterima dan sedang diperiksa; tidak diperiksa dua kali. "
                        "Hasilnya tampil pada dokumen di bawah."
                    ),
                )
    return redirect(f"{_school_url(sptjm.school_id)}?periode={sptjm.period_id}")


@login_required
def pdf_view(request: HttpRequest, sptjm_id: UUID) -> FileResponse:
    """The printed document: the school's operator and Pusdatin (every download audited)."""
    sptjm = selectors.get_sptjm_document(request.user, sptjm_id)
    if not files.absolute(sptjm.pdf_path).is_file():
        return file_gone(request)  # type: ignore[return-value]
    actions.record_download(actor=request.user, sptjm=sptjm, what="pdf")
    name = sptjm.number.replace("/", "-") + ".pdf"
    return FileResponse(
        open(files.absolute(sptjm.pdf_path), "rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=name,
    )  # noqa: SIM115


@login_required
@xframe_options_sameorigin
def scan_view(request: HttpRequest, sptjm_id: UUID) -> FileResponse:
    """The uploaded scan, inline (shown in an <iframe>/<img> on the review page). Scoped and audited."""
    sptjm = selectors.get_sptjm_document(request.user, sptjm_id)
    if not sptjm.scan_path:
        raise Http404
    if not files.absolute(sptjm.scan_path).is_file():
        return file_gone(request)  # type: ignore[return-value]
    actions.record_download(actor=request.user, sptjm=sptjm, what="scan")
    response = FileResponse(
        open(files.absolute(sptjm.scan_path), "rb"), content_type=CONTENT_TYPES[sptjm.scan_type]
    )  # noqa: SIM115
    response["Content-Disposition"] = f'inline; filename="pindaian-{sptjm.pk}.{sptjm.scan_type}"'
    response["Cache-Control"] = "private, no-store"
    # Framed by our own review page only.
    response["Content-Security-Policy"] = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    return response


# ------------------------------------------------------------------ Pusdatin review


# The review queue's deadline filter (`terlambat`): "1" late only, "0" the others, else all.
LATE_FILTER = {"1": True, "0": False}


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    late = request.GET.get("terlambat", "")
    pages = request.GET.get("halaman", "") == "1"  # only scans with a page warning (decision 0092)
    queue = selectors.review_queue(request.user, LATE_FILTER.get(late), pages)
    stale = selectors.stale_documents(request.user)
    return render(
        request,
        "sptjm/review_queue.html",
        {
            "stale": stale[:200],
            "stale_count": stale.count(),
            "queue": queue[:200],
            "count": queue.count(),
            "late": late if late in LATE_FILTER else "",
            "pages": pages,
            "total": selectors.review_queue(request.user).count() if late in LATE_FILTER or pages else None,
        },
    )


# Rows of the recipient list per page of the review page (page number in `hal`, as the school list).
REVIEW_PAGE_SIZE = 500


@login_required
def review(request: HttpRequest, sptjm_id: UUID) -> HttpResponse:
    return _review_page(request, sptjm_id)


def _scan_pages(sptjm: Sptjm) -> dict[str, Any]:
    """The page check of the latest scan for the reviewer: pages read of those printed and, for
    a document whose QR names its page (decision 0084), the pages missing, repeated and out of
    order as page lists ("37, 41"). Empty for a scan uploaded before it was kept."""
    kept = sptjm.scan_pages or {}
    if sptjm.scan_type != "pdf" or "printed_pages" not in kept:
        return {}
    return {
        "read": kept["pages_with_qr"],
        "printed": kept["printed_pages"],
        "missing": actions.page_list(kept.get("missing_pages", [])),
        "repeated": actions.page_list(kept.get("repeated_pages", [])),
        "out_of_order": actions.page_list(kept.get("pages_out_of_order", [])),
    }


def _review_page(
    request: HttpRequest, sptjm_id: UUID, *, reason: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    """The review page; after a refused return it shows the reason as typed with the refusal."""
    access.require_role(request.user, Role.PUSDATIN)
    sptjm = selectors.get_sptjm(request.user, sptjm_id)
    items = pagination.page_of(
        request, Paginator(sptjm.items.select_related("recipient").order_by("line"), REVIEW_PAGE_SIZE), "hal"
    )
    by_operator, by_category = selectors.document_totals(sptjm)
    return render(
        request,
        "sptjm/review.html",
        {
            "sptjm": sptjm,
            # A scan no longer in the store: a message instead of a frame of the 410 page.
            "scan_gone": bool(sptjm.scan_path) and not files.absolute(sptjm.scan_path).is_file(),
            "items": items,
            "by_operator": by_operator,
            "by_category": by_category,
            "verdicts": QrVerdict,
            "scan_pages": _scan_pages(sptjm),
            "can_review": sptjm.status == SptjmStatus.DIUNGGAH,
            # A document of a closed period: does approving it still cover anything?
            "current_carries": selectors.approval_carries(sptjm),
            "return_reason": reason,
            "return_error": error,
        },
        status=status,
    )


@login_required
@post_only("sptjm:review", "sptjm_id")
def approve_view(request: HttpRequest, sptjm_id: UUID) -> HttpResponse:
    try:
        sptjm = actions.approve_sptjm(actor=request.user, sptjm_id=sptjm_id, version=_version(request))
        messages.success(request, _("SPTJM %(number)s disetujui.") % {"number": sptjm.number})
    except ActionRefused as exc:
        _refusal(request, exc)
        return redirect("sptjm:review", sptjm_id=sptjm_id)
    return redirect("sptjm:review_queue")


@login_required
@post_only("sptjm:review", "sptjm_id")
def return_view(request: HttpRequest, sptjm_id: UUID) -> HttpResponse:
    reason = request.POST.get("alasan", "")
    try:
        sptjm = actions.return_sptjm(
            actor=request.user,
            sptjm_id=sptjm_id,
            reason=reason,
            version=_version(request),
            base_url=request.build_absolute_uri("/"),
        )
    except ActionRefused as exc:
        # Answer with the page itself, not a redirect: the reviewer's reason stays in the form
        # beside the refusal. The page is read afresh, so after a stale version it shows what
        # changed and carries the current version for sending again.
        message = exc.message_en if get_language() == "en" else exc.message
        status = 400 if exc.code == "ALASAN_WAJIB" else 409  # 409: the document changed meanwhile
        return _review_page(request, sptjm_id, reason=reason, error=message, status=status)
    messages.success(request, _("SPTJM %(number)s dikembalikan ke sekolah.") % {"number": sptjm.number})
    return redirect("sptjm:review_queue")


# ------------------------------------------------------------------ Dinas


# Rows of each list of the late page; a longer list says how many it leaves out (a province Dinas
# has thousands of schools) and where the whole one is.
LATE_ROWS = 500


@login_required
def late(request: HttpRequest) -> HttpResponse:
    """Deadlines of the open periods and the schools in scope that are late (Dinas, Pusdatin)."""
    access.require_role(request.user, Role.DINAS_PROV, Role.DINAS_KAB, Role.PUSDATIN)
    periods = list(selectors.open_periods())
    period = next(
        (p for p in periods if p.code == request.GET.get("periode")), periods[0] if periods else None
    )
    # The first LATE_ROWS late schools only, named, and how many in all (decision 0101).
    shown = selectors.late_schools_shown(request.user, period, LATE_ROWS) if period else None
    documents = selectors.late_documents(request.user, period) if period else None
    stale = selectors.stale_documents(request.user)
    return render(
        request,
        "sptjm/late.html",
        {
            "stale": stale[:LATE_ROWS],
            "stale_count": stale.count(),
            # Pusdatin's scope is the nation: "di wilayah Anda" would read as a region of its own.
            "national": getattr(request.user, "role", "") == Role.PUSDATIN,
            "periods": periods,
            "period": period,
            "rows": shown.rows if shown is not None else [],
            "count": shown.count if shown is not None else 0,
            "limit": LATE_ROWS,
            # A list over several kabupaten/kota (a province Dinas, Pusdatin) names each school's.
            "show_regency": getattr(request.user, "role", "") != Role.DINAS_KAB,
            "late_documents": documents[:LATE_ROWS] if documents is not None else [],
            "late_documents_count": documents.count() if documents is not None else 0,
        },
    )


# ------------------------------------------------------------------ Pusdatin disbursement and reports


def _period_or_404(code: str) -> Period:
    period = Period.objects.select_related("policy").filter(code=code).first()
    if period is None:
        raise Http404
    return period


@login_required
def disbursement(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    periods = list(Period.objects.select_related("policy").order_by("-starts_on")[:24])
    # Without a choice, the period open now (the one a disbursement runs for); the newest one
    # only when none is open. A closed period is shown for reading, without the run button.
    default = selectors.current_period() or (periods[0] if periods else None)
    period = next((p for p in periods if p.code == request.GET.get("periode")), default)
    ctx: dict[str, Any] = {"periods": periods, "period": period, "statuses": DisbursementStatus}
    if period is not None:
        ctx["batches"] = selectors.batches_for(request.user).filter(period=period).order_by("provider", "seq")
        ctx["counts"] = selectors.disbursement_counts(request.user, period)
        ctx["jobs"] = selectors.period_jobs(request.user, period, ctx["batches"])[:10]
    return render(request, "sptjm/disbursement.html", ctx)


@login_required
@post_only("sptjm:disbursement")
def disburse_view(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("periode", "")
    try:
        job = actions.request_disbursement(actor=request.user, period_code=code)
    except ActionRefused as exc:
        _refusal(request, exc)
        return redirect("sptjm:disbursement")
    return redirect("core:job", job_id=job.pk)


@login_required
def reconciliation(request: HttpRequest, period_code: str) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    period = _period_or_404(period_code)
    rows = selectors.reconciliation(request.user, period, request.GET.get("provider") or None)
    # The flags as labels in the page's language (the CSV and the API keep the codes).
    language = get_language()
    for row in rows:
        row["flag_labels"] = [flag_label(code, language) for code in row["flags"]]
    return render(request, "sptjm/reconciliation.html", {"period": period, "rows": rows})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, Decimal):
        return gb(value)
    return str(value)


RECON_COLUMNS = [
    "provider",
    "sent",
    "berhasil",
    "gagal",
    "missing",
    "excluded",
    "gb_sent",
    "gb_berhasil",
    "gb_reported_rows",
    "recap_sent",
    "recap_injected",
    "recap_failed",
    "recap_gb",
    "flags",
]


def _reconciliation_download(request: HttpRequest, period_code: str, fmt: str) -> tuple[Period, list[Any]]:
    access.require_role(request.user, Role.PUSDATIN)
    period = _period_or_404(period_code)
    rows = selectors.reconciliation(request.user, period, request.GET.get("provider") or None)
    audit.record(
        actor=request.user,
        action="download_reconciliation",
        object_type="period",
        object_id=period.code,
        note=f"format={fmt}",
    )
    return period, rows


@login_required
def reconciliation_csv(request: HttpRequest, period_code: str) -> HttpResponse:
    period, rows = _reconciliation_download(request, period_code, "csv")
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf)
    writer.writerow(RECON_COLUMNS)
    for row in rows:
        writer.writerow(csv_row(_cell(row[c]) for c in RECON_COLUMNS))
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rekonsiliasi-{period.code}.csv"'
    return response


def _xlsx_value(value: Any) -> Any:
    """Counts and GB stay numbers a spreadsheet can sum; no recap yet is an empty cell."""
    if isinstance(value, int | Decimal):
        return value
    return _cell(value)


@login_required
def reconciliation_xlsx(request: HttpRequest, period_code: str) -> HttpResponse:
    period, rows = _reconciliation_download(request, period_code, "xlsx")
    report = xlsx_report(
        sheet="rekonsiliasi",
        columns=RECON_COLUMNS,
        rows=([_xlsx_value(row[c]) for c in RECON_COLUMNS] for row in rows),
        widths=[12, *[12] * 12, 40],
    )
    return xlsx_response(report, f"rekonsiliasi-{period.code}.xlsx")
