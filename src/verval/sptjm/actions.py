"""State changes of SPTJM documents and disbursement. Each writes its audit row in its transaction.

print_sptjm → DICETAK (records locked) → upload_scan → DIUNGGAH → approve_sptjm → DISETUJUI
(records unlocked, items approved = "covered") or return_sptjm → DIKEMBALIKAN (still locked, the
school uploads again); void_sptjm → DIBATALKAN (unlocked) at any time before approval.
A print or upload after the period's deadline is accepted and marked on the document with the
deadline in force then and the days late (docs/decisions/0018-sptjm-deadlines.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from verval.accounts import access
from verval.accounts.models import PROVIDER_CODES, Role
from verval.core import audit, files, jobs
from verval.core.db import brief_lock_wait
from verval.core.models import Job
from verval.reference import zones
from verval.reference.models import Period, School
from verval.registry.models import Category, Kind, Recipient
from verval.sptjm import document, selectors
from verval.sptjm.models import (
    LIVE_STATUSES,
    DisbursementBatch,
    ProviderRecap,
    QrVerdict,
    Sptjm,
    SptjmItem,
    SptjmStatus,
    days_late,
)
from verval.sptjm.reasons import ActionRefused

_CENT = Decimal("0.01")
_MAX_COUNT = 2_147_483_647  # PostgreSQL's integer, the column of a recap's counts
_MAX_RECAP_GB = Decimal(10) ** 12  # DecimalField(max_digits=14, decimal_places=2)


def _busy() -> ActionRefused:
    """Rows a bulk job holds (decision 0041): the school's recipients, its SPTJM items."""
    return ActionRefused("SEDANG_DIPROSES")


def _open_period(code: str) -> Period:
    period = Period.objects.select_related("policy").filter(code=code, is_open=True).first()
    if period is None:
        raise ActionRefused("PERIODE_TIDAK_DIBUKA")
    return period


def _ident(r: Recipient) -> str:
    if r.kind == Kind.PD:
        return r.nisn or "-"
    if len(r.nik) >= 8:
        return r.nik[:4] + "*" * (len(r.nik) - 8) + r.nik[-4:]
    return "-"


def _klass(r: Recipient) -> str:
    if r.kind == Kind.PTK:
        return "PTK"
    if r.category == Category.PAUD or r.grade is None:
        return "PAUD"
    return f"Kelas {r.grade}"


def _unlock(sptjm: Sptjm) -> int:
    """Unlock the document's records (a void or an approval). A record that has since moved to
    another school gives that school a print candidate back (and, on an approval, a covered
    number): that school is marked dirty as well, as the audit row marks the document's
    (the late-schools page reads the summaries' `to_print`, decision 0105)."""
    from verval.dashboard.services import mark_dirty

    ids = SptjmItem.objects.filter(sptjm=sptjm).values("recipient_id")
    mark_dirty(
        Recipient.objects.filter(pk__in=ids)
        .exclude(school_id=sptjm.school_id)
        .order_by()
        .values_list("school_id", flat=True)
        .distinct()
    )
    return Recipient.objects.filter(pk__in=ids, locked=True).update(locked=False, version=F("version") + 1)


def _iso(day: Any) -> str | None:
    return day.isoformat() if day is not None else None


def _check_version(sptjm: Sptjm, version: int | None) -> None:
    if version is not None and int(version) != sptjm.version:
        raise ActionRefused("VERSI_BERUBAH")


# ------------------------------------------------------------------ print / void


def print_sptjm(
    *, actor: Any, npsn: str, period_code: str, requested_at: datetime | None = None
) -> tuple[Sptjm, bool]:
    """Print the school's SPTJM for a period; returns (document, created).

    While a document of the period is live (DICETAK/DIUNGGAH/DIKEMBALIKAN) printing returns it
    unchanged. Otherwise a new one lists every AKTIF recipient not yet covered, and locks them;
    past the print deadline it is printed all the same and marked late (`print_late_days`).
    `requested_at`: when the school asked, for a print a job makes later (decision 0102); its
    lateness counts from the click, not from when a busy worker reached it.
    """
    from verval.phones import national_display

    if not access.can_edit_school(actor, npsn):
        raise PermissionDenied("only the school's operator prints its SPTJM")
    period = _open_period(period_code)
    with brief_lock_wait(_busy):
        school = School.objects.select_for_update().select_related("region", "regency").get(npsn=npsn)
        live = Sptjm.objects.filter(school=school, period=period, status__in=LIVE_STATUSES).first()
        if live is not None:
            return live, False
        recipients = _candidates_held(npsn, period)
        if not recipients:
            raise ActionRefused("TIDAK_ADA_DATA")
        packages = selectors.package_map(period)
        seq = (Sptjm.objects.filter(school=school, period=period).aggregate(m=Max("seq"))["m"] or 0) + 1
        number = f"SPTJM/{period.code}/{npsn}/{seq}"
        printed_at = timezone.now()
        lines = [
            document.Line(
                recipient_id=str(r.pk),
                name=r.name,
                ident=_ident(r),
                klass=_klass(r),
                phone_e164=r.phone_e164,
                phone_national=national_display(r.phone_e164),
                operator=r.operator,
                category=r.category,
                package_gb=packages.get(r.category, Decimal(0)),
            )
            for r in recipients
        ]
        sha = document.content_hash(number, period.code, npsn, lines)
        region = ", ".join(
            n
            for n in (
                school.region.name,
                school.regency.name if school.regency_id != school.region_id else "",
            )
            if n
        )
        pdf = document.render_pdf(
            document.DocumentData(
                number=number,
                period_code=period.code,
                period_name=period.name,
                npsn=npsn,
                school_name=school.name,
                region_name=region,
                # The school signs in its own zone's day, whoever's request prints (decision 0037).
                printed_at=timezone.localtime(
                    printed_at, zones.ZONES[zones.zone_of_region(school.province_id)]
                ),
                lines=lines,
                print_deadline=document.date_id(period.sptjm_print_deadline)
                if period.sptjm_print_deadline
                else "",
                upload_deadline=document.date_id(period.sptjm_upload_deadline)
                if period.sptjm_upload_deadline
                else "",
            )
        )
        rel, pdf_sha, _size = files.save_stream("sptjm", ".pdf", [pdf])
        sptjm = Sptjm.objects.create(
            number=number,
            school=school,
            period=period,
            seq=seq,
            status=SptjmStatus.DICETAK,
            rows=len(lines),
            total_gb=sum((li.package_gb for li in lines), Decimal(0)),
            content_sha256=sha,
            pdf_path=rel,
            pdf_sha256=pdf_sha,
            printed_by=actor,
            printed_at=printed_at,
            # Against the deadline printed on this very PDF; a late print is marked, not refused.
            print_deadline=period.sptjm_print_deadline,
            print_late_days=days_late(period.sptjm_print_deadline, requested_at or printed_at),
        )
        SptjmItem.objects.bulk_create(
            [
                SptjmItem(
                    sptjm=sptjm,
                    recipient_id=r.pk,
                    period=period,
                    line=i,
                    phone_e164=li.phone_e164,
                    operator=li.operator,
                    category=li.category,
                    package_gb=li.package_gb,
                )
                for i, (r, li) in enumerate(zip(recipients, lines, strict=True), start=1)
            ],
            batch_size=2000,
        )
        Recipient.objects.filter(pk__in=[r.pk for r in recipients]).update(
            locked=True, version=F("version") + 1
        )
        audit.record(
            actor=actor,
            action="print_sptjm",
            object_type="sptjm",
            object_id=sptjm.pk,
            school_id=npsn,
            region_code=school.regency_id,
            after={
                "number": number,
                "rows": len(lines),
                "sha256": sha,
                "period": period.code,
                "print_deadline": _iso(sptjm.print_deadline),
                "late_days": sptjm.print_late_days,
            },
        )
    return sptjm, True


# How often a print reads its recipients again after some changed between its read and its lock
# (each time some other writer committed meanwhile); then it is refused as busy.
HOLD_ATTEMPTS = 5


def _candidates_held(npsn: str, period: Period) -> list[Recipient]:
    """The recipients the print lists, read and then locked unchanged (decision 0121).

    Read without a lock, a row could change before the print's own update locked it: a Dapodik
    import, a correction file or another operator's save committing meanwhile (the soak met all
    three) left a locked recipient with another number, or no longer AKTIF, than the signed
    document lists, and an approval that covers nothing. So the rows read are locked (in id
    order, as an import locks them: no deadlock with it) and their versions compared with those
    read; a row changed meanwhile has them read again, as an import does (`_hold_rows`). A row
    held by another transaction waits the save's brief wait (SEDANG_DIPROSES after it). SQLite:
    the print's transaction is the one writer from its start (IMMEDIATE), nothing to hold."""
    for _attempt in range(HOLD_ATTEMPTS):
        try:
            # A savepoint each read: rolled back, it lets the rows of a read gone stale go, so
            # the rows kept are locked by one statement in id order.
            with transaction.atomic():
                recipients = list(selectors.print_candidates(npsn, period))
                if connection.vendor != "postgresql" or not recipients:
                    return recipients
                read = {r.pk: r.version for r in recipients}
                held = dict(
                    Recipient.objects.filter(pk__in=list(read))
                    .order_by("pk")
                    .select_for_update()
                    .values_list("pk", "version")
                )
                if held != read:
                    raise _ReadAgain
                return recipients
        except _ReadAgain:
            continue
    raise _busy()


class _ReadAgain(Exception):
    """Rows changed between the print's read and its lock (`_candidates_held`)."""


PRINT = "sptjm_print"  # the job kind that prints a large document (decision 0102)


def request_print(*, actor: Any, npsn: str, period_code: str) -> tuple[Sptjm | None, bool, Job | None]:
    """The school page's print (decision 0102): (document, created, None) when printed here, or
    (None, created, job) when a `sptjm_print` job prints it: created False when that job was
    already asked for, by this operator or another of the school (decision 0107).

    A document of up to VERVAL["SPTJM_PRINT_IN_REQUEST_MAX"] recipients is printed at once by
    `print_sptjm` (under a second of CPU); a larger one by a job on the `interactive` queue that
    calls the same `print_sptjm`, so its lock, audit row and PDF are those of a print in the
    request. What needs no printing is said at once, as before: who, the period, a live document
    (returned unchanged), nothing to print. A print already waiting or running for the school and
    period is returned instead of a second one (the school's row lock orders two clicks; the
    second job would find the live document anyway, as a second `print_sptjm` does)."""
    if not access.can_edit_school(actor, npsn):
        raise PermissionDenied("only the school's operator prints its SPTJM")
    period = _open_period(period_code)
    with brief_lock_wait(_busy):
        school = School.objects.select_for_update().get(npsn=npsn)
        live = Sptjm.objects.filter(school=school, period=period, status__in=LIVE_STATUSES).first()
        if live is not None:
            return live, False, None
        waiting = (
            Job.objects.filter(kind=PRINT, school_id=npsn, params__period=period.code)
            .exclude(state__in=(Job.State.SUCCEEDED, Job.State.REFUSED, Job.State.FAILED))
            .first()
        )
        if waiting is not None:
            return None, False, waiting
        rows = selectors.print_candidates(npsn, period).count()
        if rows == 0:
            raise ActionRefused("TIDAK_ADA_DATA")
        if rows > int(settings.VERVAL["SPTJM_PRINT_IN_REQUEST_MAX"]):
            job = jobs.create_job(
                actor=actor,
                kind=PRINT,
                input_name=f"SPTJM {period.code} {npsn}",
                school_id=npsn,
                params={"period": period.code, "rows": rows},
            )
            jobs.enqueue(job)
            return None, True, job
        # In this transaction, under the school's lock already held: no job slips in between.
        sptjm, created = print_sptjm(actor=actor, npsn=npsn, period_code=period.code)
    return sptjm, created, None


def print_requested(job: Job) -> tuple[Sptjm, bool]:
    """The job's part of a large print (decision 0102): `print_sptjm` for the operator who asked,
    which checks again who may print, the period and a live document. A refusal changes nothing."""
    return print_sptjm(
        actor=job.created_by,
        npsn=job.school_id,
        period_code=str((job.params or {})["period"]),
        requested_at=job.created_at,
    )


def void_sptjm(*, actor: Any, sptjm_id: Any, version: int | None = None) -> Sptjm:
    """DIBATALKAN, records unlocked: by the school's operator before approval, in any period (a
    document of a closed period too: else its records would stay locked for good); by Pusdatin
    only for a document whose period is closed (a school that no longer acts on it,
    docs/decisions/0024-sptjm-across-periods.md)."""
    with brief_lock_wait(_busy):
        sptjm = Sptjm.objects.select_for_update().select_related("period").filter(pk=sptjm_id).first()
        if sptjm is None:
            raise PermissionDenied("only the school's operator voids its SPTJM")
        by_pusdatin = getattr(actor, "role", None) == Role.PUSDATIN
        if not by_pusdatin and not access.can_edit_school(actor, sptjm.school_id):
            raise PermissionDenied("only the school's operator voids its SPTJM")
        if sptjm.status not in LIVE_STATUSES:
            raise ActionRefused("STATUS_TIDAK_SESUAI")
        if by_pusdatin and sptjm.period.is_open:
            raise ActionRefused("PERIODE_MASIH_DIBUKA")
        _check_version(sptjm, version)
        before = sptjm.status
        sptjm.status = SptjmStatus.DIBATALKAN
        sptjm.voided_by = actor
        sptjm.voided_at = timezone.now()
        sptjm.version += 1
        sptjm.save(update_fields=["status", "voided_by", "voided_at", "version"])
        unlocked = _unlock(sptjm)
        audit.record(
            actor=actor,
            action="void_sptjm",
            object_type="sptjm",
            object_id=sptjm.pk,
            school_id=sptjm.school_id,
            before={"status": before},
            after={
                "status": sptjm.status,
                "unlocked": unlocked,
                "period": sptjm.period_id,
                "period_open": sptjm.period.is_open,
                "by": "pusdatin" if by_pusdatin else "school",
            },
        )
    return sptjm


# ------------------------------------------------------------------ upload


@dataclass
class UploadResult:
    sptjm: Sptjm
    verdict: str
    # (code, params) of each warning the upload was accepted with: an ACTION_REFUSALS code and
    # the values of its %(name)s placeholders; the text is ScanCheck.warning_text's.
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def warning(self) -> str:
        return self.warnings[0][0] if self.warnings else ""

    @property
    def warning_params(self) -> dict[str, Any]:
        return self.warnings[0][1] if self.warnings else {}


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        pos = upload.tell()
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(pos)
    return int(size)


@dataclass(frozen=True)
class ScanCheck:
    """What the QR codes of a scan say: the verdict, and for a PDF scan of a document printed on
    several pages, on how many of its pages this document's own QR was read. A document printed
    since decision 0084 names its page in its QR: then also which printed pages were not read,
    which were scanned more than once and which come after a later page (`paged`)."""

    verdict: str
    pages_with_qr: int
    printed_pages: int
    kind: str
    paged: bool = False
    missing: tuple[int, ...] = ()
    repeated: tuple[int, ...] = ()
    out_of_order: tuple[int, ...] = ()
    other_at: int = 0  # the scan's page (1 the first) carrying another document's QR, 0: none
    other_number: str = ""  # that document's number

    @property
    def pages_short(self) -> bool:
        """This document's QR was read on some pages of a PDF scan, but on fewer than were
        printed: a page may be missing (or scanned too poorly to read). Said to the school as a
        warning. A photo (JPG, PNG) is one page: it can never hold the whole document."""
        return (
            self.kind == "pdf"
            and self.verdict == QrVerdict.QR_COCOK
            and 0 < self.pages_with_qr < self.printed_pages
        )

    def warnings(self) -> list[tuple[str, dict[str, Any]]]:
        """The warnings an accepted scan is told, as (code, params), in this order: no QR at all;
        printed pages not read; pages scanned twice; pages out of order (decision 0084)."""
        if self.verdict == QrVerdict.QR_TIDAK_DITEMUKAN:
            return [("QR_TIDAK_DITEMUKAN", {})]
        out: list[tuple[str, dict[str, Any]]] = []
        if self.pages_short:
            found = {"found": self.pages_with_qr, "pages": self.printed_pages}
            if self.paged:
                out.append(("QR_HALAMAN_KURANG", {**found, "missing": page_list(self.missing)}))
            else:
                out.append(("QR_HALAMAN_KURANG", found))
        if self.repeated:
            out.append(("QR_HALAMAN_GANDA", {"repeated": page_list(self.repeated)}))
        if self.out_of_order:
            out.append(("QR_HALAMAN_TIDAK_URUT", {"out_of_order": page_list(self.out_of_order)}))
        return out

    def audit(self) -> dict[str, Any]:
        """The check as the upload's audit row and the document keep it (`Sptjm.scan_pages`)."""
        row: dict[str, Any] = {"printed_pages": self.printed_pages, "pages_with_qr": self.pages_with_qr}
        if self.paged:
            row |= {
                "missing_pages": list(self.missing),
                "repeated_pages": list(self.repeated),
                "pages_out_of_order": list(self.out_of_order),
            }
        return row


def warning_text(code: str, params: dict[str, Any], language: str | None = None) -> str:
    """A warning's message in the page's language: a page list names the printed pages it is about."""
    text = "QR_HALAMAN_KURANG_NOMOR" if code == "QR_HALAMAN_KURANG" and "missing" in params else ""
    warning = ActionRefused(code, text=text, **params)
    return warning.message_en if (language or "").startswith("en") else warning.message


def page_list(pages: Any, limit: int = 12) -> str:
    """Page numbers as a reader takes them in: runs of three or more as ranges, "37, 41, 50–58";
    past `limit` items, "… (n halaman)" with the count of all of them."""
    items: list[str] = []
    numbers = sorted(pages)
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        if j - i >= 2:
            items.append(f"{numbers[i]}–{numbers[j]}")
        else:
            items.extend(str(n) for n in numbers[i : j + 1])
        i = j + 1
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", … ({len(numbers)})"
    return ", ".join(items)


def check_scan(sptjm: Sptjm, path: Path, kind: str, printed: int | None = None) -> str:
    """QR verdict of a stored scan against its document."""
    return read_scan(sptjm, path, kind, printed).verdict


def read_scan(
    sptjm: Sptjm,
    path: Path,
    kind: str,
    printed: int | None = None,
    progress: jobs.Progress | None = None,
) -> ScanCheck:
    """The QR codes of every page of a stored scan against its document.

    A QR of another document (another school's, or another print of this school's) on any page
    makes the verdict QR_DOKUMEN_LAIN, with the first such page of the scan. A document whose QR
    names its page (decision 0084) is also checked page by page: which printed pages were not
    read, which were read on more than one page of the scan, and which were first read after a
    page with a higher number (a repeat is said as a repeat, not again as out of order).

    Run as a job (decision 0095), `progress` counts the scan's pages read of the pages printed."""
    ours = 0
    other_at, other_number = 0, ""
    seen: list[int] = []  # the printed page of each scan page of ours that names one, in scan order
    # Every page is read, so a scan may hold the printed pages and a few more (a cover letter, a
    # page scanned twice), not a document of another school appended after them.
    if printed is None:
        printed = selectors.printed_pages(sptjm)
    try:
        for at, texts in enumerate(document.read_qr_pages(path, kind, max_pages=printed + 2), start=1):
            parsed = [p for p in map(document.parse_qr_payload, texts) if p is not None]
            mine = [p for p in parsed if (p.number, p.sha256) == (sptjm.number, sptjm.content_sha256)]
            if mine:
                ours += 1
                named = sorted(p.page for p in mine if p.page is not None)
                seen.extend(named[:1])  # one page of paper is one printed page
            other = next(
                (p for p in parsed if (p.number, p.sha256) != (sptjm.number, sptjm.content_sha256)), None
            )
            if other is not None and not other_at:
                other_at, other_number = at, other.number
            if progress is not None:
                progress.update(at, max(printed, at))
    except (jobs.LeaseLost, jobs.JobCancelled):
        raise  # the job's own checkpoint (decision 0029), not a fault of the file
    except document.TooManyPages as exc:
        raise ActionRefused("HALAMAN_TERLALU_BANYAK") from exc
    except Exception as exc:  # noqa: BLE001 - any decoder/renderer failure means an unreadable file
        raise ActionRefused("BERKAS_RUSAK") from exc
    if other_at:
        verdict = QrVerdict.QR_DOKUMEN_LAIN
    else:
        verdict = QrVerdict.QR_COCOK if ours else QrVerdict.QR_TIDAK_DITEMUKAN
    if not seen or kind != "pdf":  # a print before decision 0084, no QR of ours, or a photo: as ever
        return ScanCheck(
            verdict=verdict,
            pages_with_qr=ours,
            printed_pages=printed,
            kind=kind,
            other_at=other_at,
            other_number=other_number,
        )
    times = Counter(seen)
    # Missing pages are counted against the stored PDF's pages, not the count a QR says: the hash
    # is printed in every footer, so a QR can be made up, and its count could be any number.
    late: list[int] = []
    highest = 0
    first: set[int] = set()
    for page in seen:
        if page in first:
            continue  # a repeat: said as such, not as out of order
        first.add(page)
        if page < highest:
            late.append(page)
        highest = max(highest, page)
    return ScanCheck(
        verdict=verdict,
        pages_with_qr=len(times),
        printed_pages=printed,
        kind=kind,
        paged=True,
        missing=tuple(p for p in range(1, printed + 1) if p not in times),
        repeated=tuple(sorted(p for p, n in times.items() if n > 1)),
        out_of_order=tuple(sorted(late)),
        other_at=other_at,
        other_number=other_number,
    )


def _sent_again(sptjm: Sptjm, version: int | None, sha256: str) -> bool:
    """The form's scan is the one its document holds, uploaded since the form was opened."""
    return (
        version is not None
        and int(version) != sptjm.version
        and sptjm.status == SptjmStatus.DIUNGGAH
        and sptjm.scan_sha256 == sha256
    )


def _received(actor: Any, sptjm_id: Any, upload: Any) -> tuple[Sptjm, int, str]:
    """The checks of an upload that need no reading of its pages (who, the document's state, the
    size, the type by magic bytes), in the order the help page lists them: the document, its
    printed pages and the scan's type."""
    sptjm = Sptjm.objects.filter(pk=sptjm_id).first()
    if sptjm is None or not access.can_edit_school(actor, sptjm.school_id):
        raise PermissionDenied("only the school's operator uploads its SPTJM")
    if sptjm.status not in LIVE_STATUSES:
        raise ActionRefused("STATUS_TIDAK_SESUAI")
    size = _size(upload)
    if size == 0:
        raise ActionRefused("BERKAS_KOSONG")
    printed = selectors.printed_pages(sptjm)
    if size > selectors.scan_max_bytes(sptjm, printed):
        raise ActionRefused("BERKAS_TERLALU_BESAR")
    upload.seek(0)
    kind = document.sniff(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise ActionRefused("JENIS_BERKAS_SALAH")
    return sptjm, printed, kind


def upload_scan(*, actor: Any, sptjm_id: Any, upload: Any, version: int | None = None) -> UploadResult:
    """Store the signed scan (PDF/JPG/PNG by magic bytes), read its QR, move to DIUNGGAH.

    A scan whose QR belongs to another document is refused; one without a readable QR is accepted
    with a warning (Pusdatin sees the verdict when reviewing). Past the upload deadline the scan
    is accepted and marked late (`upload_late_days`, of the latest scan).

    In one go, for the demo and the tests; the web page receives the scan (`receive_scan`) and a
    job checks it (`check_received_scan`, decision 0095), with the same checks in the same order.
    """
    sptjm, printed, kind = _received(actor, sptjm_id, upload)
    rel, sha, stored = files.save_upload("sptjm-scans", upload, suffix=f".{kind}")
    path = files.absolute(rel)
    try:
        return _check_and_apply(actor, sptjm, rel, sha, stored, kind, printed, version)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


SCAN_CHECK = "sptjm_scan"  # the job kind that checks a received scan (decision 0095)


def receive_scan(*, actor: Any, sptjm_id: Any, upload: Any, version: int | None = None) -> tuple[Job, bool]:
    """Store the signed scan and hand the reading of its QR codes to a job (decision 0095).

    What needs no reading of its pages is refused here at once, as `upload_scan` does; the rest
    (the QR of every page: 3-5 CPU seconds for 160 pages) runs in the job, which accepts the scan
    or refuses it exactly as `upload_scan` would. Nothing of the document changes here: a scan
    refused by the job leaves it as it was. No audit row: the job writes the upload's, as before.

    Returns (job, created). While a check of the document waits or runs (another operator of the
    school, or this one a moment ago), the same file joins it ((that job, False)) and another file
    is refused `PINDAIAN_SEDANG_DIPERIKSA` (decision 0107): it would be read in full only to be
    told the document changed meanwhile. Both are decided from the upload's SHA-256 before it is
    written to the store (decision 0113); only two receipts racing each other store the second
    copy, which the check under the document's lock below deletes."""
    sptjm, _printed, kind = _received(actor, sptjm_id, upload)
    running = _scan_in_check(sptjm)
    if running is not None:
        return _joined(running, files.sha256_upload(upload)), False
    rel, sha, stored = files.save_upload("sptjm-scans", upload, suffix=f".{kind}")
    try:
        with brief_lock_wait(_busy):
            # The document's row orders two receipts (two operators of the school, a double click):
            # the second finds the first's check (decision 0107).
            Sptjm.objects.select_for_update().filter(pk=sptjm.pk).first()
            running = _scan_in_check(sptjm)
            if running is not None:
                joined = _joined(running, sha)
                # The very file already in check: nothing to read twice; the page says the check.
                files.absolute(rel).unlink(missing_ok=True)
                return joined, False
            job = jobs.create_job(
                actor=actor,
                kind=SCAN_CHECK,
                # The document's number, not the file's name (a name may be anything a phone wrote).
                input_name=sptjm.number,
                input_path=rel,
                input_sha256=sha,
                school_id=sptjm.school_id,
                params={"sptjm": str(sptjm.pk), "version": version, "type": kind, "size": stored},
            )
            jobs.enqueue(job)
    except BaseException:
        files.absolute(rel).unlink(missing_ok=True)
        raise
    return job, True


def _joined(running: Job, sha256: str) -> Job:
    """The check a scan joins when it is the very file in check; another file is refused."""
    if running.input_sha256 != sha256:
        raise ActionRefused("PINDAIAN_SEDANG_DIPERIKSA")
    return running


def _scan_in_check(sptjm: Sptjm) -> Job | None:
    """The scan check of this document still waiting or running, if any (decision 0107)."""
    return (
        Job.objects.filter(kind=SCAN_CHECK, school_id=sptjm.school_id, params__sptjm=str(sptjm.pk))
        .exclude(state__in=(Job.State.SUCCEEDED, Job.State.REFUSED, Job.State.FAILED))
        .order_by("created_at")
        .first()
    )


def check_received_scan(job: Job, progress: jobs.Progress | None = None) -> UploadResult:
    """The job's part of an upload (decision 0095): the checks `upload_scan` makes after storing
    the file, for the scan `receive_scan` stored, by the operator who sent it. A scan refused
    (ActionRefused) or not checked (any error) is deleted; the document is left as it was."""
    params = job.params or {}
    path = files.absolute(job.input_path)
    try:
        sptjm = Sptjm.objects.filter(pk=str(params["sptjm"])).first()
        if sptjm is None or not access.can_edit_school(job.created_by, sptjm.school_id):
            raise PermissionDenied("only the school's operator uploads its SPTJM")
        if sptjm.status not in LIVE_STATUSES:
            raise ActionRefused("STATUS_TIDAK_SESUAI")
        printed = selectors.printed_pages(sptjm)
        version = params.get("version")
        return _check_and_apply(
            job.created_by,
            sptjm,
            job.input_path,
            job.input_sha256,
            int(params.get("size", 0)),
            str(params.get("type", "")),
            printed,
            None if version is None else int(version),
            progress,
            received_at=job.created_at,
        )
    except jobs.LeaseLost:
        raise  # another worker runs this job now, on this file
    except Exception:
        path.unlink(missing_ok=True)
        raise


def _check_and_apply(
    actor: Any,
    sptjm: Sptjm,
    rel: str,
    sha: str,
    stored: int,
    kind: str,
    printed: int,
    version: int | None,
    progress: jobs.Progress | None = None,
    *,
    received_at: datetime | None = None,
) -> UploadResult:
    """Read the stored scan's QR codes and, unless refused, make it the document's scan.
    `received_at`: when the school's upload arrived, for a check a job makes later (decision
    0095): at a deadline the queue may reach it after midnight, and the school uploaded in time."""
    path = files.absolute(rel)
    scanned = read_scan(sptjm, path, kind, printed, progress)
    verdict = scanned.verdict
    if verdict == QrVerdict.QR_DOKUMEN_LAIN:
        raise _other_document(sptjm, scanned)
    with transaction.atomic():
        locked = Sptjm.objects.select_for_update().get(pk=sptjm.pk)
        if locked.status not in LIVE_STATUSES:
            raise ActionRefused("STATUS_TIDAK_SESUAI")
        if _sent_again(locked, version, sha):
            # A double click on a slow line: the first send stored this very file, and the
            # second was told "diubah orang lain" although the upload had succeeded.
            path.unlink(missing_ok=True)
            again = locked.qr_verdict
            told = [(code, params) for code, params in locked.scan_pages.get("warnings", [])]
            if not told and again == QrVerdict.QR_TIDAK_DITEMUKAN:  # a scan from before 0084
                told = [("QR_TIDAK_DITEMUKAN", {})]
            return UploadResult(sptjm=locked, verdict=again, warnings=told)
        _check_version(locked, version)
        before = {
            "status": locked.status,
            "scan_sha256": locked.scan_sha256,
            "late_days": locked.upload_late_days,
        }
        locked.scan_path, locked.scan_type, locked.scan_sha256, locked.scan_size = rel, kind, sha, stored
        locked.uploaded_by, locked.uploaded_at = actor, received_at or timezone.now()
        locked.upload_count += 1
        locked.qr_verdict = verdict
        warnings = scanned.warnings()
        locked.scan_pages = {**scanned.audit(), "warnings": [list(w) for w in warnings]}
        # The deadline in force now (read in this transaction: a schedule changed later does
        # not rewrite the mark); a late scan is accepted and marked, Pusdatin decides.
        deadline = Period.objects.values_list("sptjm_upload_deadline", flat=True).get(pk=locked.period_id)
        locked.upload_deadline = deadline
        locked.upload_late_days = days_late(deadline, locked.uploaded_at)
        locked.status = SptjmStatus.DIUNGGAH
        locked.version += 1
        locked.save()
        audit.record(
            actor=actor,
            action="upload_sptjm_scan",
            object_type="sptjm",
            object_id=locked.pk,
            school_id=locked.school_id,
            before=before,
            after={
                "status": locked.status,
                "qr": verdict,
                "scan_sha256": sha,
                "type": kind,
                "size": stored,
                "upload_deadline": _iso(deadline),
                "late_days": locked.upload_late_days,
                **scanned.audit(),
                "warnings": [code for code, _params in warnings],
            },
        )
    return UploadResult(sptjm=locked, verdict=verdict, warnings=warnings)


def _other_document(sptjm: Sptjm, scanned: ScanCheck) -> ActionRefused:
    """QR_DOKUMEN_LAIN naming the page of a PDF scan that carries another document's QR, and
    that document's number when it is another print of this school's (decision 0084)."""
    if scanned.kind != "pdf" or not scanned.other_at:
        return ActionRefused("QR_DOKUMEN_LAIN")
    parts = scanned.other_number.split("/")  # SPTJM/<period>/<npsn>/<seq>
    if len(parts) == 4 and parts[0] == "SPTJM" and parts[2] == sptjm.school_id:
        return ActionRefused(
            "QR_DOKUMEN_LAIN", text="QR_DOKUMEN_LAIN_CETAKAN", at=scanned.other_at, other=scanned.other_number
        )
    return ActionRefused("QR_DOKUMEN_LAIN", text="QR_DOKUMEN_LAIN_HALAMAN", at=scanned.other_at)


# ------------------------------------------------------------------ review


def _review(actor: Any, sptjm_id: Any, version: int | None) -> Sptjm:
    access.require_role(actor, Role.PUSDATIN)
    sptjm = Sptjm.objects.select_for_update().filter(pk=sptjm_id).first()
    if sptjm is None:
        raise PermissionDenied("unknown SPTJM")
    if sptjm.status != SptjmStatus.DIUNGGAH:
        raise ActionRefused("STATUS_TIDAK_SESUAI")
    _check_version(sptjm, version)
    return sptjm


def approve_sptjm(*, actor: Any, sptjm_id: Any, version: int | None = None) -> Sptjm:
    """DISETUJUI: items become approved (the recipients are covered), records are unlocked."""
    with brief_lock_wait(_busy):
        sptjm = _review(actor, sptjm_id, version)
        now = timezone.now()
        sptjm.status = SptjmStatus.DISETUJUI
        sptjm.reviewed_by, sptjm.reviewed_at = actor, now
        sptjm.version += 1
        sptjm.save(update_fields=["status", "reviewed_by", "reviewed_at", "version"])
        approved = SptjmItem.objects.filter(sptjm=sptjm).update(approved=True, approved_at=now)
        unlocked = _unlock(sptjm)
        audit.record(
            actor=actor,
            action="approve_sptjm",
            object_type="sptjm",
            object_id=sptjm.pk,
            school_id=sptjm.school_id,
            before={"status": SptjmStatus.DIUNGGAH},
            # What Pusdatin approved knowingly: the QR verdict and the deadline marks it saw.
            after={
                "status": sptjm.status,
                "items": approved,
                "unlocked": unlocked,
                "qr": sptjm.qr_verdict,
                "print_late_days": sptjm.print_late_days,
                "upload_late_days": sptjm.upload_late_days,
            },
        )
    return sptjm


def return_sptjm(
    *, actor: Any, sptjm_id: Any, reason: str, version: int | None = None, base_url: str = ""
) -> Sptjm:
    """DIKEMBALIKAN ("belum sempurna") with a reason; the records stay locked, the school uploads
    again. The school's operators are mailed after the commit (decision 0034): the mail links to
    the SPTJM page and does not quote the reason (a reviewer's free text may name a recipient)."""
    # Who may return comes before judging the form: a non-Pusdatin user is refused, not told "reason required".
    access.require_role(actor, Role.PUSDATIN)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("ALASAN_WAJIB")
    # As approving: a reviewer is told SEDANG_DIPROSES after the brief wait instead of waiting,
    # request open, for whatever holds the document (a scan check, the school voiding it).
    with brief_lock_wait(_busy):
        sptjm = _review(actor, sptjm_id, version)
        sptjm.status = SptjmStatus.DIKEMBALIKAN
        sptjm.return_reason = reason[:2000]
        sptjm.reviewed_by, sptjm.reviewed_at = actor, timezone.now()
        sptjm.version += 1
        sptjm.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at", "version"])
        audit.record(
            actor=actor,
            action="return_sptjm",
            object_type="sptjm",
            object_id=sptjm.pk,
            school_id=sptjm.school_id,
            before={"status": SptjmStatus.DIUNGGAH},
            after={"status": sptjm.status},
            note=sptjm.return_reason,
        )
        _mail_return(sptjm, base_url)
    return sptjm


def _mail_return(sptjm: Sptjm, base_url: str) -> None:
    from django.urls import reverse
    from django.utils.translation import gettext, override

    from verval.accounts.actions import absolute_url, mail_school_operators
    from verval.core.when import format_deadline

    link = absolute_url(reverse("sptjm:school", args=[sptjm.school_id]), base_url)
    deadline = sptjm.period.sptjm_upload_deadline
    # Written in the default language: the operator is not the reviewer at the keyboard.
    with override(settings.LANGUAGE_CODE):
        body = gettext(
            "SPTJM %(number)s (periode %(period)s) sekolah NPSN %(npsn)s dikembalikan Pusdatin "
            "(belum sempurna). Baca alasannya di halaman SPTJM sekolah, perbaiki, lalu unggah "
            "pindaiannya lagi."
        ) % {"number": sptjm.number, "period": sptjm.period.name, "npsn": sptjm.school_id}
        if deadline is not None:
            body += " " + gettext("Batas unggah: %(day)s.") % {
                # In the school's zone: the operator reads it, not the reviewer (decision 0037).
                "day": format_deadline(deadline, zones.ZONES[zones.zone_of_region(sptjm.school.province_id)])
            }
        body += "\n" + link
        subject = gettext("SPTJM sekolah NPSN %(npsn)s dikembalikan Pusdatin") % {"npsn": sptjm.school_id}
    mail_school_operators(school_id=sptjm.school_id, subject=subject, body=body)


def record_download(*, actor: Any, sptjm: Sptjm, what: str) -> None:
    """Audit a download of the printed document or the scan (every role, every time)."""
    audit.record(
        actor=actor,
        action=f"download_sptjm_{what}",
        object_type="sptjm",
        object_id=sptjm.pk,
        school_id=sptjm.school_id,
    )


# ------------------------------------------------------------------ disbursement


def request_disbursement(*, actor: Any, period_code: str, enqueue: bool = True) -> Job:
    """Create the disbursement job for a period (Pusdatin); the worker writes the batches."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        access.require_role(actor, Role.PUSDATIN)
    if not Period.objects.filter(code=period_code, is_open=True).exists():
        raise ActionRefused("PERIODE_TIDAK_DIBUKA")  # unknown, never opened or closed
    with transaction.atomic():
        job = jobs.create_job(actor=actor, kind="disbursement", params={"period": period_code})
        audit.record(
            actor=actor, action="request_disbursement", object_type="job", object_id=job.pk, note=period_code
        )
        if enqueue:
            jobs.enqueue(job)
    return job


def create_injection_job(
    *, actor: Any, batch: DisbursementBatch, upload: Any = None, path: Path | None = None, name: str = ""
) -> Job:
    """Store a provider's injection results file for a batch and create its job (not yet run)."""
    if path is not None:
        with open(path, "rb") as fh:
            rel, sha, _size = files.save_upload("injection-results", fh, suffix=".csv")
        name = name or path.name
    else:
        rel, sha, _size = files.save_upload("injection-results", upload, suffix=".csv")
        name = name or getattr(upload, "name", "") or ""
    job = jobs.create_job(
        actor=actor,
        kind="ingest_injection",
        params={"batch_id": str(batch.pk)},
        input_name=name[:255],
        input_path=rel,
        input_sha256=sha,
        provider=batch.provider,
    )
    audit.record(
        actor=actor,
        action="upload_injection_results",
        object_type="disbursement_batch",
        object_id=batch.pk,
        provider=batch.provider,
        after={"job": str(job.pk), "sha256": sha},
    )
    return job


def create_usage_job(
    *, actor: Any, period: Period, provider: str, upload: Any = None, path: Path | None = None, name: str = ""
) -> Job:
    if provider not in PROVIDER_CODES:
        raise ValueError("unknown provider")
    if path is not None:
        with open(path, "rb") as fh:
            rel, sha, _size = files.save_upload("usage-reports", fh, suffix=".csv")
        name = name or path.name
    else:
        rel, sha, _size = files.save_upload("usage-reports", upload, suffix=".csv")
        name = name or getattr(upload, "name", "") or ""
    job = jobs.create_job(
        actor=actor,
        kind="ingest_usage",
        params={"period": period.code},
        input_name=name[:255],
        input_path=rel,
        input_sha256=sha,
        provider=provider,
    )
    audit.record(
        actor=actor,
        action="upload_usage_report",
        object_type="period",
        object_id=period.code,
        provider=provider,
        after={"job": str(job.pk), "sha256": sha},
    )
    return job


def record_recap(
    *, actor: Any, period: Period, provider: str, sent: Any, injected: Any, failed: Any, gb: Any
) -> ProviderRecap:
    """A provider's recap of a period (replaces its earlier recap of the same period).

    Refused (REKAP_TIDAK_VALID, naming the figure): a count that is not a whole number from 0 to
    2,147,483,647, a gb that is not a finite number from 0 to under 10^12 (`-0` is 0). Refused as
    inconsistent (REKAP_TIDAK_KONSISTEN): injected + failed above sent, or GB without an injection.
    """
    values: dict[str, Any] = {}
    for key, raw in (("sent", sent), ("injected", injected), ("failed", failed)):
        try:
            values[key] = int(raw)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
            values[key] = None
        # Within the columns (PositiveIntegerField, DecimalField(14, 2)): SQLite would store a
        # larger value as it came, and every later read of the row would then fail.
        if values[key] is None or not 0 <= values[key] <= _MAX_COUNT:
            raise _recap_refused(key)
    try:
        amount = Decimal(str(gb))
        # NaN first: no comparison may touch it (it raises); then negative (-0 is 0), then the rounding.
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
        values["gb"] = abs(amount.quantize(_CENT, rounding=ROUND_HALF_UP))
    except (TypeError, ValueError, InvalidOperation):  # quantize raises it for a huge value
        values["gb"] = None
    if values["gb"] is None or values["gb"] >= _MAX_RECAP_GB:
        raise _recap_refused("gb")
    if values["injected"] + values["failed"] > values["sent"]:
        raise ActionRefused(
            "REKAP_TIDAK_KONSISTEN",
            field="sent",
            **{k: values[k] for k in ("sent", "injected", "failed")},
        )
    if values["injected"] == 0 and values["gb"] > 0:
        raise ActionRefused(
            "REKAP_TIDAK_KONSISTEN", text="REKAP_GB_TANPA_INJEKSI", field="gb", gb=document.gb(values["gb"])
        )
    with transaction.atomic():
        before = (
            ProviderRecap.objects.filter(period=period, provider=provider)
            .values("sent", "injected", "failed", "gb")
            .first()
        )
        user = actor if getattr(actor, "is_authenticated", False) else None
        recap, _ = ProviderRecap.objects.update_or_create(
            period=period, provider=provider, defaults={**values, "uploaded_by": user}
        )
        audit.record(
            actor=actor,
            action="upload_provider_recap",
            object_type="period",
            object_id=period.code,
            provider=provider,
            before={k: str(v) for k, v in before.items()} if before else None,
            after={k: str(v) for k, v in values.items()},
        )
    return recap


def _recap_refused(field: str) -> ActionRefused:
    """REKAP_TIDAK_VALID naming the figure refused and the largest value it may take."""
    limit = "999999999999.99" if field == "gb" else str(_MAX_COUNT)
    return ActionRefused(
        "REKAP_TIDAK_VALID", text="REKAP_TIDAK_VALID_KOLOM", field=field, figure=field, limit=limit
    )


def mark_batch_downloaded(
    *, actor: Any, batch: DisbursementBatch, after: dict[str, Any], note: str = "", ip: str | None = None
) -> None:
    """A batch downloaded (a GET answered 200 or 206): the first one moves the batch to DIAMBIL.

    Writes the call's one audit row (`download_disbursement_batch`, decision 0136): `after` is
    what the API records of every download (status, method, Range), `note` and `ip` the token
    prefix and address of the call; the row of the download that moved the batch also says so
    (`before`/`after` `state`). Until 0136 the move wrote a row of its own beside the API's
    `api_download_disbursement_batch`: two rows for one call."""
    with transaction.atomic():
        moved = 0
        if batch.first_downloaded_at is None:
            DisbursementBatch.objects.filter(pk=batch.pk, first_downloaded_at__isnull=True).update(
                first_downloaded_at=timezone.now()
            )
            moved = DisbursementBatch.objects.filter(
                pk=batch.pk, state=DisbursementBatch.State.TERBIT
            ).update(state=DisbursementBatch.State.DIAMBIL)
        audit.record(
            actor=actor,
            action="download_disbursement_batch",
            object_type="disbursement_batch",
            object_id=batch.pk,
            provider=batch.provider,
            before={"state": DisbursementBatch.State.TERBIT} if moved else None,
            after={**after, "state": DisbursementBatch.State.DIAMBIL} if moved else after,
            note=note,
            ip=ip,
        )
