"""Scoped reads of SPTJM and disbursement data (built on verval.accounts.access)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language

from verval.accounts import access
from verval.accounts.models import Role
from verval.core import files
from verval.core.numbers import grouped
from verval.reference import zones
from verval.reference.models import Period, QuotaRule
from verval.registry.models import NumberStatus, Recipient, SharedNumber
from verval.sptjm import document
from verval.sptjm.models import (
    LATE,
    LIVE_STATUSES,
    Disbursement,
    DisbursementBatch,
    DisbursementStatus,
    ExclusionRule,
    ProviderRecap,
    Sptjm,
    SptjmItem,
    SptjmStatus,
    days_late,
)
from verval.sptjm.reasons import FailureKind, failure_kind

# ------------------------------------------------------------------ periods and policy


def open_periods() -> QuerySet[Period]:
    return Period.objects.filter(is_open=True).select_related("policy").order_by("-starts_on")


def current_period() -> Period | None:
    return open_periods().first()


def previous_period(period: Period) -> Period | None:
    """The period before `period` whose usage the 2021 low-usage rule reads: the latest one
    starting earlier that was ever opened. A period created and never opened (a tahap skipped, or
    made by mistake) paid nothing and holds no usage report: taking it excluded no number at all
    (decision 0116). One query for the earlier periods, one for which of them never opened."""
    from verval.reference.selectors import never_opened

    earlier = list(Period.objects.filter(starts_on__lt=period.starts_on).order_by("-starts_on", "code"))
    unopened = never_opened(earlier)
    return next((p for p in earlier if p.code not in unopened), None)


def package_map(period: Period) -> dict[str, Decimal]:
    """category -> package GB of the period's quota policy (SPEC §6)."""
    return {r.category: r.total_gb for r in QuotaRule.objects.filter(policy_id=period.policy_id)}


# ------------------------------------------------------------------ coverage


def covering_items(period: Period) -> QuerySet[SptjmItem]:
    """Approved items that cover a recipient's *current* number for `period` (correlate with OuterRef).

    Covered = an approved item of this period lists the recipient with its current E.164; in a
    period whose policy asks an SPTJM only for new or changed numbers (2021), an approved item of
    an earlier period with the same E.164 carries it too.
    """
    q = Q(period=period)
    if period.policy.sptjm_only_changed:
        q |= Q(period__starts_on__lt=period.starts_on)
    return SptjmItem.objects.filter(
        q, approved=True, recipient=OuterRef("pk"), phone_e164=OuterRef("phone_e164")
    )


def eligible_recipients(school_ids: Any = None) -> QuerySet[Recipient]:
    qs = Recipient.objects.filter(active=True, status=NumberStatus.AKTIF).exclude(phone_e164="")
    if school_ids is not None:
        qs = (
            qs.filter(school_id__in=school_ids)
            if not isinstance(school_ids, str)
            else qs.filter(school_id=school_ids)
        )
    return qs


def print_candidates(npsn: str, period: Period) -> QuerySet[Recipient]:
    """AKTIF recipients of a school that the next SPTJM of `period` must list (not internal: no scope)."""
    live = SptjmItem.objects.filter(
        recipient=OuterRef("pk"), sptjm__period=period, sptjm__status__in=LIVE_STATUSES
    )
    return (
        eligible_recipients(npsn)
        .filter(locked=False)
        .exclude(Exists(covering_items(period)))
        .exclude(Exists(live))
        .order_by("kind", "grade", "name", "id")
    )


def covered_recipients(period: Period) -> QuerySet[Recipient]:
    return eligible_recipients().filter(Exists(covering_items(period)))


# ------------------------------------------------------------------ documents


def sptjms_for(user: Any) -> QuerySet[Sptjm]:
    return access.scope_by_school(user, Sptjm.objects.select_related("school", "period"))


def get_sptjm(user: Any, sptjm_id: Any) -> Sptjm:
    return access.get_in_scope(sptjms_for(user), pk=sptjm_id)  # type: ignore[return-value]


def can_open_documents(user: Any, school_id: str) -> bool:
    """The printed statement and its signed scan list every number in full: the school's own
    operator and Pusdatin (who reviews it) open them; a Dinas follows the status only, as it
    reads every other school page with masked numbers (docs/security.md, masking)."""
    return getattr(user, "role", None) == Role.PUSDATIN or access.can_edit_school(user, school_id)


def get_sptjm_document(user: Any, sptjm_id: Any) -> Sptjm:
    sptjm = get_sptjm(user, sptjm_id)
    if not can_open_documents(user, sptjm.school_id):
        raise PermissionDenied("the document lists full numbers: the school's operator and Pusdatin only")
    return sptjm


def get_sptjm_to_edit(user: Any, sptjm_id: Any) -> Sptjm:
    """A document its school's operator acts on (upload, void): others in scope only read it."""
    sptjm = get_sptjm(user, sptjm_id)
    if not access.can_edit_school(user, sptjm.school_id):
        raise PermissionDenied("only the school's operator changes its SPTJM")
    return sptjm


def document_totals(sptjm: Sptjm) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    items = SptjmItem.objects.filter(sptjm=sptjm)
    by_op = list(items.values("operator").annotate(n=Count("id"), gb=Sum("package_gb")).order_by("operator"))
    by_cat = list(items.values("category").annotate(n=Count("id"), gb=Sum("package_gb")).order_by("category"))
    return by_op, by_cat  # type: ignore[return-value]  # values() rows are plain dicts


# The warnings of a scan's page check (decision 0084): printed pages not read, pages scanned
# more than once, pages out of order. Told at upload, kept in `Sptjm.scan_pages["warnings"]`.
PAGE_WARNINGS = ("QR_HALAMAN_KURANG", "QR_HALAMAN_GANDA", "QR_HALAMAN_TIDAK_URUT")

# A document whose latest scan was accepted with a page warning. The warnings are kept as
# [code, params] pairs in the order told, at most three of them (a scan without any QR has only
# QR_TIDAK_DITEMUKAN): a JSON path per place, which SQLite and PostgreSQL both read (decision 0092).
PAGE_WARNED = (
    Q(scan_pages__warnings__0__0__in=PAGE_WARNINGS)
    | Q(scan_pages__warnings__1__0__in=PAGE_WARNINGS)
    | Q(scan_pages__warnings__2__0__in=PAGE_WARNINGS)
)


def review_queue(user: Any, late: bool | None = None, pages: bool = False) -> QuerySet[Sptjm]:
    """Uploaded documents waiting for Pusdatin, oldest scan first. `late`: True only those printed
    or uploaded after the deadline in force then, False only the others, None all. `pages`: only
    those whose scan was accepted with a page warning (pages not read, twice or out of order)."""
    access.require_role(user, "PUSDATIN")
    qs = sptjms_for(user).filter(status=SptjmStatus.DIUNGGAH)
    if late is not None:
        qs = qs.filter(LATE) if late else qs.exclude(LATE)
    if pages:
        qs = qs.filter(PAGE_WARNED)
    return qs.order_by("uploaded_at", "pk")


def stale_documents(user: Any, period_codes: Any = None) -> QuerySet[Sptjm]:
    """Documents in the user's scope still holding their records (printed, uploaded or returned)
    whose period is closed — or, with `period_codes`, of those periods whatever their state (what
    closing them would leave behind). Oldest period first, then by school."""
    qs = sptjms_for(user).filter(status__in=LIVE_STATUSES)
    qs = (
        qs.filter(period_id__in=list(period_codes))
        if period_codes is not None
        else qs.filter(period__is_open=False)
    )
    return qs.order_by("period__starts_on", "period_id", "school_id", "seq")


def live_documents_count(period_codes: Any) -> int:
    """How many documents of these periods still hold their records (printed, uploaded or
    returned), over every school: what closing them leaves behind, for the server's command line
    (`verval period`), which has no user to scope by. The web page asks stale_documents(user)."""
    return Sptjm.objects.filter(period_id__in=list(period_codes), status__in=LIVE_STATUSES).count()


def not_disbursed_count(period_codes: Any) -> int:
    """Recipients covered by an approved SPTJM for these periods (as the disbursement run reads
    it) that no disbursement run of the period has taken yet: closing the period leaves them
    unpaid for it, since a closed period is not disbursed (PERIODE_TIDAK_DIBUKA). Over every
    school (Pusdatin closes periods); one query, and one more per period. Decision 0078."""
    total = 0
    for period in Period.objects.filter(code__in=list(period_codes)).select_related("policy"):
        taken = Disbursement.objects.filter(period=period, recipient=OuterRef("pk"))
        total += covered_recipients(period).exclude(Exists(taken)).count()
    return total


def approval_carries(sptjm: Sptjm) -> bool:
    """Whether approving this document still covers its recipients for a period that can be
    disbursed: its own period is open, or the open period's policy carries numbers approved in
    an earlier period (2021: SPTJM only for new or changed numbers). What the open period asks,
    not the document's own period's policy: a 2020 document approved under a 2021 period carries,
    a 2021 document under a 2020 period does not (decision 0078)."""
    return sptjm.period.is_open or _carries_into(sptjm, current_period())


def _carries_into(sptjm: Sptjm, current: Period | None) -> bool:
    """Whether approving a closed period's document covers its recipients for `current`."""
    return bool(
        current is not None
        and current.policy.sptjm_only_changed
        and sptjm.period.starts_on < current.starts_on
    )


def late_documents(user: Any, period: Period) -> QuerySet[Sptjm]:
    """Documents of the period in the user's scope printed or uploaded after the deadline in force
    then (voided ones left out: they no longer stand), by school."""
    return (
        sptjms_for(user)
        .filter(LATE, period=period)
        .exclude(status=SptjmStatus.DIBATALKAN)
        .order_by("school_id", "-seq")
    )


@dataclass
class SchoolPage:
    period: Period | None
    periods: list[Period]
    live: Sptjm | None
    documents: list[Sptjm]
    candidates: int
    carried: int
    failed: list[Disbursement]
    disbursement_counts: dict[str, int]
    # Of the candidates, those the school has not confirmed (verifikasi): the statement says the
    # school checked every number it lists, so the page says how many it has not.
    unconfirmed: int = 0
    # Of the candidates, those whose number is flagged as used by more recipients than allowed
    # (SPEC §5): printing locks them, so the page asks to check them first (decision 0054).
    shared: int = 0
    # Days past the period's print/upload deadline if the school printed/uploaded now (0: not
    # past, or no deadline): the page says so before the school acts (decisions/0018).
    print_late_now: int = 0
    upload_late_now: int = 0
    # The school's recipients excluded by a rule this period (DIKECUALIKAN), by rule then name,
    # in the reader's scope (a lazy queryset: the page shows it a page at a time), and how many
    # per rule.
    excluded: QuerySet[Disbursement] | None = None
    excluded_by_rule: dict[str, int] | None = None
    # The school's documents of OTHER periods that still hold their records (printed, uploaded or
    # returned) — mostly of a period closed since: the school uploads or voids them from here.
    other_live: list[Sptjm] | None = None
    # Recipients those documents keep locked (they cannot be listed on this period's SPTJM).
    locked_elsewhere: int = 0
    # The period shown is not open: nothing is printed for it (its documents stay actionable).
    period_closed: bool = False
    # All the school's unresolved failures by what they ask of it (failure_groups, decision 0034).
    failed_groups: list[Any] = field(default_factory=list)


def _page_periods(user: Any, school: Any, period_code: str | None) -> tuple[Period | None, list[Period]]:
    """The period the page shows and the periods it offers: the open ones, those in which the
    school still has a live document, and the one asked for (`?periode=`, any period: its
    documents, disbursement and exclusions stay readable after it closed)."""
    with_live = sptjms_for(user).filter(school=school, status__in=LIVE_STATUSES).values("period_id")
    periods = list(
        Period.objects.filter(Q(is_open=True) | Q(pk__in=with_live) | Q(pk=period_code or ""))
        .select_related("policy")
        .order_by("-is_open", "-starts_on")
    )
    if period_code:
        return next((p for p in periods if p.code == period_code), None), periods
    return (periods[0] if periods else None), periods


def school_page(user: Any, npsn: str, period_code: str | None = None) -> SchoolPage:
    school = access.get_school_or_deny(user, npsn)
    period, periods = _page_periods(user, school, period_code)
    other_live: list[Sptjm] = []
    locked_elsewhere = 0
    documents: list[Sptjm] = []
    live = None
    candidates = carried = unconfirmed = shared = 0
    failed: list[Disbursement] = []
    counts: dict[str, int] = {}
    excluded: QuerySet[Disbursement] = Disbursement.objects.none()
    by_rule: dict[str, int] = {}
    if period is not None:
        documents = list(sptjms_for(user).filter(school=school, period=period).order_by("-seq"))
        live = next((d for d in documents if d.is_live), None)
        candidates = unconfirmed = 0
        other_live = list(
            sptjms_for(user)
            .filter(school=school, status__in=LIVE_STATUSES)
            .exclude(period=period)
            .order_by("period__starts_on", "seq")
        )
        locked_elsewhere = sum(d.rows for d in other_live)
        if live is None and period.is_open:
            to_print = print_candidates(school.npsn, period)
            agg = to_print.aggregate(
                n=Count("pk"),
                unconfirmed=Count("pk", filter=Q(confirmed_at__isnull=True)),
                shared=Count("pk", filter=Q(phone_e164__in=SharedNumber.objects.values("phone_e164"))),
            )
            candidates, unconfirmed, shared = agg["n"], agg["unconfirmed"], agg["shared"]
        if period.policy.sptjm_only_changed:
            carried = (
                eligible_recipients(school.npsn)
                .filter(Exists(covering_items(period).filter(period__starts_on__lt=period.starts_on)))
                .count()
            )
        disb = access.scope_by_school(
            user, Disbursement.objects.filter(school=school, period=period, is_current=True)
        )
        counts = dict(disb.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        excluded = disb.filter(status=DisbursementStatus.DIKECUALIKAN)
        by_rule = dict(excluded.values_list("rule").annotate(n=Count("id")).values_list("rule", "n"))
        excluded = excluded.select_related("recipient").order_by("rule", "recipient__name", "id")
    else:
        # No such period (`?periode=` unknown): the school's live documents still show.
        other_live = list(sptjms_for(user).filter(school=school, status__in=LIVE_STATUSES).order_by("seq"))
        locked_elsewhere = sum(d.rows for d in other_live)
    failed = list(
        unresolved_failures(user, school.npsn)
        .select_related("recipient", "period")
        .order_by("-updated_at")[:200]
    )
    now = timezone.now()
    return SchoolPage(
        period,
        periods,
        live,
        documents,
        candidates,
        carried,
        failed,
        counts,
        unconfirmed,
        shared=shared,
        print_late_now=days_late(period.sptjm_print_deadline, now) if period else 0,
        upload_late_now=days_late(period.sptjm_upload_deadline, now) if period else 0,
        excluded=excluded,
        excluded_by_rule=by_rule,
        other_live=other_live,
        locked_elsewhere=locked_elsewhere,
        period_closed=period is not None and not period.is_open,
        failed_groups=failure_summary(user, school.npsn)["groups"] if failed else [],
    )


def period_jobs(user: Any, period: Period, batches: Any) -> QuerySet[Any]:
    """The disbursement page's jobs of one period, newest first: its disbursement runs and usage
    reports (their `period` parameter) and the injection results of its batches. Before decision
    0078 the page of tahap 2 listed tahap 1's jobs under its own figures."""
    batch_ids = [str(pk) for pk in batches.values_list("pk", flat=True)]
    return access.jobs_for(user).filter(
        Q(kind__in=["disbursement", "ingest_usage"], params__period=period.code)
        | Q(kind="ingest_injection", params__batch_id__in=batch_ids)
    )


def unresolved_failures(user: Any, npsn: str | None = None) -> QuerySet[Disbursement]:
    """Failed injections a school still has to act on, in the user's scope: each recipient's
    current GAGAL row of its latest period with one, left out when the recipient was delivered
    (a current BERHASIL row) in a later period or is no longer in Dapodik (inactive). A recipient
    that failed in two periods is listed once, with the later failure."""
    later = Disbursement.objects.filter(
        recipient=OuterRef("recipient"),
        is_current=True,
        status__in=(DisbursementStatus.BERHASIL, DisbursementStatus.GAGAL),
        period__starts_on__gt=OuterRef("period__starts_on"),
    )
    qs = Disbursement.objects.filter(status=DisbursementStatus.GAGAL, is_current=True, recipient__active=True)
    if npsn is not None:
        qs = qs.filter(school_id=npsn)
    return access.scope_by_school(user, qs).exclude(Exists(later))


def failures_by_recipient(user: Any, npsn: str) -> dict[Any, Disbursement]:
    """recipient id -> its unresolved failed injection (unresolved_failures) for the whole school,
    in one query (a school's failures are a few, at most its recipients). Each carries
    `current_phone`, the recipient's number now, and `kind` (failure_kind_of)."""
    from django.db.models import F

    rows = (
        unresolved_failures(user, npsn)
        .select_related("period")
        .annotate(current_phone=F("recipient__phone_e164"))
    )
    out: dict[Any, Disbursement] = {}
    for d in rows:
        d.kind = failure_kind_of(d, d.current_phone)  # type: ignore[attr-defined]
        out[d.recipient_id] = d
    return out


def failure_kind_of(failure: Disbursement, current_phone: str) -> str:
    """What a failed injection asks of the school (reasons.FailureKind): DIGANTI once the
    recipient's number was changed since, else the kind of the provider's reason."""
    return FailureKind.DIGANTI if current_phone != failure.phone_e164 else failure_kind(failure.reason)


@dataclass(frozen=True)
class FailureGroup:
    """The failed injections of a school of one kind, and what the school does about them."""

    kind: str
    count: int
    text: str


# The order a school reads them: what it must fix first, what it need not touch last.
FAILURE_GROUP_ORDER = ("NOMOR", "MASA_TENGGANG", "LAINNYA", "DIGANTI", "SISTEM")


def failure_groups(counts: dict[str, int]) -> list[FailureGroup]:
    """kind -> count as the sentences of a banner (decisions/0034), in FAILURE_GROUP_ORDER."""
    from django.utils.translation import ngettext

    texts = {
        "NOMOR": lambda n: ngettext(
            "%(n)s nomor tidak aktif atau tidak dikenal provider: ganti dengan nomor yang aktif.",
            "%(n)s nomor tidak aktif atau tidak dikenal provider: ganti dengan nomor yang aktif.",
            n,
        ),
        "MASA_TENGGANG": lambda n: ngettext(
            "%(n)s nomor dalam masa tenggang: minta pemiliknya mengisi pulsa; nomornya tidak perlu diganti.",
            "%(n)s nomor dalam masa tenggang: minta pemiliknya mengisi pulsa; nomornya tidak perlu diganti.",
            n,
        ),
        "LAINNYA": lambda n: ngettext(
            "%(n)s gagal dengan alasan lain: baca alasan dari provider pada barisnya.",
            "%(n)s gagal dengan alasan lain: baca alasan dari provider pada barisnya.",
            n,
        ),
        "DIGANTI": lambda n: ngettext(
            "%(n)s nomor sudah diganti: dikirim lagi setelah tervalidasi dan tercantum pada SPTJM yang disetujui.",
            "%(n)s nomor sudah diganti: dikirim lagi setelah tervalidasi dan tercantum pada SPTJM yang disetujui.",
            n,
        ),
        "SISTEM": lambda n: ngettext(
            "%(n)s gagal karena gangguan sistem provider: nomornya tidak perlu diganti, sekolah tidak perlu berbuat apa-apa.",
            "%(n)s gagal karena gangguan sistem provider: nomornya tidak perlu diganti, sekolah tidak perlu berbuat apa-apa.",
            n,
        ),
    }
    return [
        FailureGroup(kind, counts[kind], texts[kind](counts[kind]) % {"n": grouped(counts[kind])})
        for kind in FAILURE_GROUP_ORDER
        if counts.get(kind)
    ]


def failure_summary(user: Any, npsn: str, top: int = 3) -> dict[str, Any]:
    """How many recipients of the school still have a failed injection to fix, the most frequent
    reasons (as stored: numbers in them masked by the ingest) with their counts, and the groups
    by what they ask of the school (failure_groups). One query, grouped by reason: a school's
    failures have a few distinct reasons."""
    from django.db.models import BooleanField, Case, F, Value, When

    changed = Case(
        When(phone_e164=F("recipient__phone_e164"), then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )
    grouped = list(
        unresolved_failures(user, npsn)
        .annotate(changed=changed)
        .values_list("reason", "changed")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_reason: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for reason, was_changed, n in grouped:
        by_reason[reason] = by_reason.get(reason, 0) + n
        kind = FailureKind.DIGANTI if was_changed else failure_kind(reason)
        kinds[kind] = kinds.get(kind, 0) + n
    reasons = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))[:top]
    return {"count": sum(by_reason.values()), "reasons": reasons, "groups": failure_groups(kinds)}


# ------------------------------------------------------------------ the operator's home page


@dataclass(frozen=True)
class HomeStep:
    """One SPTJM matter of a school as its operator's home page says it: the document (None: the
    open period has none yet), what to do next (`step`: CETAK, UNGGAH, UNGGAH_LAGI, TUNGGU,
    SELESAI, TIDAK_ADA, or BATALKAN: a closed period's document whose approval would not carry
    into the open period), the deadline of that step and how many days it is past."""

    period: Period
    document: Sptjm | None
    step: str
    deadline: date | None = None
    days_late: int = 0
    candidates: int = 0


HOME_LIVE_SHOWN = 5  # live documents named on the home page (a school has one per period)


def home_sptjm(user: Any, npsn: str) -> list[HomeStep]:
    """The school's SPTJM state for its operator's home page (at most 3 queries): every live
    document (printed, uploaded, returned) of any period, a closed one included (decision 0024),
    then, for the open period without a live document, its approved document or what is left to
    print. Each with its next step and that step's deadline."""
    school = access.get_school_or_deny(user, npsn)
    period = current_period()
    now = timezone.now()
    shown = Q(status__in=LIVE_STATUSES)
    if period is not None:
        shown |= Q(period=period, status=SptjmStatus.DISETUJUI)
    documents = list(
        sptjms_for(user)
        .filter(shown, school=school)
        .order_by("-period__is_open", "-period__starts_on", "-seq")[: HOME_LIVE_SHOWN + 1]
    )
    steps: list[HomeStep] = []
    for d in documents:
        if d.status not in LIVE_STATUSES:
            continue
        if not d.period.is_open and not _carries_into(d, period):
            # A closed period's document whose approval no longer leads to a disbursement (the
            # open period's policy asks a new SPTJM): uploading it is no step forward; voiding it
            # frees its records for the open period's SPTJM, as the SPTJM page says. Decision 0078.
            steps.append(HomeStep(d.period, d, "BATALKAN"))
            continue
        deadline = d.period.sptjm_upload_deadline
        step = {
            SptjmStatus.DICETAK: "UNGGAH",
            SptjmStatus.DIKEMBALIKAN: "UNGGAH_LAGI",
            SptjmStatus.DIUNGGAH: "TUNGGU",
        }[SptjmStatus(d.status)]
        late = days_late(deadline, now) if step != "TUNGGU" else 0
        steps.append(HomeStep(d.period, d, step, deadline if step != "TUNGGU" else None, late))
    steps = steps[:HOME_LIVE_SHOWN]
    if period is not None and not any(s.period.pk == period.pk for s in steps):
        candidates = print_candidates(school.npsn, period).count()
        if candidates:
            deadline = period.sptjm_print_deadline
            steps.insert(0, HomeStep(period, None, "CETAK", deadline, days_late(deadline, now), candidates))
        else:
            approved = next((d for d in documents if d.period_id == period.pk), None)
            steps.insert(0, HomeStep(period, approved, "SELESAI" if approved else "TIDAK_ADA"))
    return steps


@dataclass(frozen=True)
class ExclusionHelp:
    """An exclusion rule as the school reads it: its name, why it applied (with the period's
    figures) and what the school can do, in the page's language."""

    code: str
    label: str
    message: str
    action: str


def exclusion_help(period: Period, codes: Any = None) -> dict[str, ExclusionHelp]:
    """code -> ExclusionHelp for the rules `codes` (default: every rule), filled with `period`'s
    policy (packages per number, minimum usage) and the previous period's name."""
    from verval.sptjm.reasons import EXCLUSION_TEXTS

    english = (get_language() or "id").startswith("en")
    policy = period.policy
    previous = previous_period(period) if policy.min_previous_usage_gb is not None else None
    minimum = policy.min_previous_usage_gb
    values = {
        "cap": policy.max_packages_per_number,
        "minimum": "–" if minimum is None else number_format(Decimal(minimum).normalize()),
        "previous": previous.name if previous else "–",
    }
    labels = dict(ExclusionRule.choices)
    out = {}
    for code in codes if codes is not None else EXCLUSION_TEXTS:
        text = EXCLUSION_TEXTS.get(code)
        if text is None:  # a rule without a text yet: its name only
            out[code] = ExclusionHelp(code, str(labels.get(code, code)), "", "")
            continue
        message, action = (text.message_en, text.action_en) if english else (text.message_id, text.action_id)
        out[code] = ExclusionHelp(
            code, str(labels.get(code, code)), message.format(**values), action.format(**values)
        )
    return out


# ------------------------------------------------------------------ Dinas and dashboard


def schools_with_print_candidates(schools: Any, period: Period) -> set[str]:
    """NPSNs among `schools` (a queryset) with at least one print candidate for `period`: an
    AKTIF recipient not covered (carried ones are), not locked, not on a live document of the
    period — what `print_candidates` would list. Set-based, for lists of schools."""
    live = SptjmItem.objects.filter(
        recipient=OuterRef("pk"), sptjm__period=period, sptjm__status__in=LIVE_STATUSES
    )
    candidates = (
        eligible_recipients()
        .filter(school=OuterRef("pk"), locked=False)
        .exclude(Exists(covering_items(period)))
        .exclude(Exists(live))
    )
    # One candidate is enough: each school's recipients are read until the first one. Reading
    # every candidate of the list's schools and keeping their distinct schools read all 160,245
    # AKTIF recipients of a kabupaten of 5,000 schools: 3.3 s of its late-schools page (0079).
    # Asked as "the school's first candidate" (a subquery with LIMIT 1), not EXISTS: PostgreSQL
    # turns an EXISTS into a join, and on estimates that say no recipient is AKTIF (statistics
    # taken before a provider's answers) it compared every school with every candidate of the
    # nation: 125 s for Pusdatin at 1 M recipients. A scalar subquery is run per school on the
    # index of the school's recipients, whatever the statistics say (decision 0093).
    first = Subquery(candidates.order_by().values("pk")[:1])
    return set(
        schools.alias(first_candidate=first)
        .filter(first_candidate__isnull=False)
        .order_by()
        .values_list("npsn", flat=True)
    )


def schools_with_carried(schools: Any, period: Period) -> set[str]:
    """NPSNs among `schools` with AKTIF recipients carried into `period` by an SPTJM approved in
    an earlier period (only when the period's policy asks an SPTJM for new or changed numbers only)."""
    if not period.policy.sptjm_only_changed:
        return set()
    earlier = covering_items(period).filter(period__starts_on__lt=period.starts_on)
    return set(
        eligible_recipients()
        .filter(school__in=schools)
        .filter(Exists(earlier))
        .order_by()
        .values_list("school_id", flat=True)
        .distinct()
    )


def school_sptjm_state(user: Any, npsns: Any, period: Period | None = None) -> dict[str, dict[str, Any]]:
    """npsn -> {"period", "status" (an SPTJM status or ""), "approved", "carried", "late_print",
    "late_upload", "late"}.

    For schools in the user's scope only (others are left out). `status` is the document of the
    period that says what the school still has to do: one waiting for its scan (DIKEMBALIKAN >
    DICETAK), else the most advanced (DISETUJUI > DIUNGGAH); voided ones ignored. A school with an
    approved SPTJM and a second one printed and not uploaded is DICETAK (decision 0119).
    `carried`: the school has recipients covered by an SPTJM approved in an earlier period (2021
    policy). Late: past the print deadline with something a print would list now (no document,
    or only approved ones and AKTIF numbers none lists: decision 0122), or past the upload
    deadline with a printed or returned one (whatever other documents it has). A school without a document of the period is
    late only when it has something to print (print candidates): under the 2021 policy a school
    whose numbers are all carried has nothing to do. A printed or returned document not uploaded
    by the upload deadline is late whatever else.
    """
    period = period or current_period()
    schools = access.schools_for(user).filter(npsn__in=list(npsns))
    if period is None:
        return {
            npsn: _state(None, "", False, False, False) for npsn in schools.values_list("npsn", flat=True)
        }
    return _states(schools, period)


def _states(
    schools: QuerySet[Any],
    period: Period,
    *,
    only_maybe_late: bool = False,
    with_carried: bool = True,
    npsns: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """`school_sptjm_state` of `schools` (a queryset, never a list of NPSNs: a list of the
    nation's 440,000 made each statement a 440,000-value IN list, decision 0094). `npsns`: the
    NPSNs of `schools`, every one in it, when the caller holds a short list of them (the at most
    DIRTY_COUNTED_MAX schools `_late_from_summaries` asks live): the documents and the
    recipients are then asked by that list, reached through their school indexes (decision 0131). With
    `only_maybe_late`, only the schools that can be late: those with a printed or returned
    document of the period, and those without a live one (none, or only approved ones) that have
    print candidates (`_late` says no to every other school; decision 0122). Without `with_carried`, `carried` is False for every school: the caller
    asks it of the schools it shows (`late_schools_shown`).

    The rank is `dashboard.sources.STEP_RANK`, the SchoolSptjm rows' own: a document waiting for
    its scan says what the school has to do before an uploaded or approved one (decision 0119)."""
    from verval.dashboard.sources import STEP_RANK as rank

    # A short list of NPSNs is given as the list itself, not as the schools' subquery: for
    # Pusdatin's 500 dirty schools PostgreSQL read that subquery by a parallel seq scan of the
    # nation's 440,000 schools, the list as a filter (decision 0131).
    in_schools: dict[str, Any] = {"school_id__in": npsns} if npsns is not None else {"school__in": schools}
    documents = Sptjm.objects.filter(period=period, **in_schools).exclude(status=SptjmStatus.DIBATALKAN)
    waiting = (SptjmStatus.DICETAK, SptjmStatus.DIKEMBALIKAN)
    if only_maybe_late:
        # A school whose documents are all uploaded or approved is late for nothing (`_late`):
        # the printed and returned documents only, not the nation's 400,000. One of them beside
        # an approved one is still late to upload (decision 0119).
        documents = documents.filter(status__in=waiting)
    best: dict[str, str] = {}
    # The rank decides, not the order: no sort of the documents.
    for npsn, status in documents.order_by().values_list("school_id", "status"):
        if rank.get(status, 0) > rank.get(best.get(npsn, ""), 0):  # type: ignore[call-overload]
            best[npsn] = status
    # Only schools without a live document can print (a print returns the live one): those
    # without a document and those whose documents are all approved, with new AKTIF numbers since
    # (decision 0122). Their candidates are read set-based, one statement over the scope's AKTIF
    # recipients (hash anti-joins on the items and the live documents), not a first-candidate
    # probe per school NAMES_CHUNK schools at a time: since 0122 the probes were of every school
    # without a live document, 308,218 of the nation's 440,000 (the approved ones read each of
    # their AKTIF recipients, having none), 35 s of Pusdatin's page against 5 s (decision 0128).
    # Not the schools with a first-candidate subquery each, nor an EXISTS from the schools: the
    # first ran on every school of the scope (decision 0094), the second compared schools with
    # candidates on bad statistics (decision 0093); this one reads recipients only.
    live_document = Sptjm.objects.filter(
        school=OuterRef("school_id"), period=period, status__in=LIVE_STATUSES
    )
    live_item = SptjmItem.objects.filter(
        recipient=OuterRef("pk"), sptjm__period=period, sptjm__status__in=LIVE_STATUSES
    )
    candidates = eligible_recipients().filter(locked=False)
    # A province's statement reads the nation's recipients to find its own (a seq scan, hash
    # joins): forced through its schools' index it was no cheaper at national size, its
    # recipients being on 96 % of the heap's pages there, and only a third cheaper laid out
    # school by school — the status that decides is in no index (decision 0131).
    if npsns is not None or schools.query.where:  # Pusdatin's scope is every school: no join to them
        candidates = candidates.filter(**in_schools)
    candidates = (
        candidates.exclude(Exists(live_document))
        .exclude(Exists(covering_items(period)))
        .exclude(Exists(live_item))
    )
    to_print: set[str] = set(candidates.order_by().values_list("school_id", flat=True).distinct())
    if only_maybe_late and to_print:
        # The approved documents were not read above: the status the page shows for a school
        # approved and with new numbers to print, as its SchoolSptjm row says.
        found = sorted(to_print)
        for start in range(0, len(found), NAMES_CHUNK):
            approved = Sptjm.objects.filter(
                period=period, school_id__in=found[start : start + NAMES_CHUNK], status=SptjmStatus.DISETUJUI
            )
            for npsn in approved.order_by().values_list("school_id", flat=True).distinct():
                best.setdefault(npsn, SptjmStatus.DISETUJUI)
    carried = schools_with_carried(schools, period) if with_carried else set()
    # The programme's day, not the reader's: a school is late at 00:00 WIB wherever it is (0037).
    today = zones.programme_today()
    out = {}
    stated: Any = schools.values_list("npsn", flat=True)
    if only_maybe_late:
        stated = sorted(best.keys() | to_print)
    for npsn in stated:
        status = best.get(npsn, "")
        out[npsn] = _state(
            period,
            status,
            status == SptjmStatus.DISETUJUI,
            *_late(period, status, npsn in to_print, today),
            carried=npsn in carried,
        )
    return out


def _state(
    period: Period | None,
    status: str,
    approved: bool,
    late_print: bool,
    late_upload: bool,
    *,
    carried: bool = False,
) -> dict[str, Any]:
    return {
        "period": period.code if period else "",
        "status": status,
        "approved": approved,
        "carried": carried,
        "late_print": late_print,
        "late_upload": late_upload,
        "late": late_print or late_upload,
    }


def _late(period: Period, status: str, has_candidates: bool, today: date) -> tuple[bool, bool]:
    """(late to print, late to upload). `has_candidates`: a print would list someone now (no live
    document). Late to print past the print deadline with candidates, whether the school has no
    document or only approved ones (new AKTIF numbers since: decision 0122). Without a document:
    late only with print candidates. With a printed or returned one: late to upload past the
    upload deadline."""
    if not status and not has_candidates:
        return False, False
    late_print = bool(period.sptjm_print_deadline and today > period.sptjm_print_deadline and has_candidates)
    late_upload = bool(
        period.sptjm_upload_deadline
        and today > period.sptjm_upload_deadline
        and status not in (SptjmStatus.DIUNGGAH, SptjmStatus.DISETUJUI)
    )
    return late_print, late_upload


def late_schools(user: Any, period: Period) -> list[dict[str, Any]]:
    """Schools in scope past a deadline: nothing printed while they have print candidates, or a
    printed/returned document not uploaded (school_sptjm_state). Every one, with its name."""
    return late_schools_shown(user, period, None).rows


@dataclass(frozen=True)
class LateSchools:
    """The late schools of a scope: the first ones by NPSN, with their names, and how many."""

    rows: list[dict[str, Any]]
    count: int


def late_schools_shown(user: Any, period: Period, limit: int | None) -> LateSchools:
    """`late_schools`, its first `limit` rows only (None: every one), and how many schools are
    late in all. The count is exact, from the states of every school that can be late; only the
    rows shown are named: the late-schools page shows 500 of Pusdatin's 84,100, and reading the
    names of all of them, 2,000 at a time, was 43 statements of 0.1-0.3 s (decision 0101)."""
    # Before both deadlines no school is late (`_late`): nothing to ask for most of a period.
    today = zones.programme_today()
    deadlines = (period.sptjm_print_deadline, period.sptjm_upload_deadline)
    if not any(deadline and today > deadline for deadline in deadlines):
        return LateSchools([], 0)
    # The states of the schools that can be late only (a document of the period, or print
    # candidates without one), over the scope as a queryset; then the names of the late ones.
    # Not the states of a list of every school with an eligible recipient or a live document (a
    # late school is one of those): for Pusdatin that list was the nation's ~440,000 schools,
    # passed back as an IN list to each statement (decision 0094).
    scope = access.schools_for(user)
    summarised = _late_from_summaries(scope, period, limit, today)
    if summarised is not None:
        late, count = summarised
    else:
        late = {
            npsn: state
            for npsn, state in _states(scope, period, only_maybe_late=True, with_carried=False).items()
            if state["late"]
        }
        count = len(late)
    late_npsns = sorted(late)
    shown = late_npsns if limit is None else late_npsns[:limit]
    # Whether a school has carried recipients (2021 policy) is asked of the schools shown only:
    # over the scope it asks every AKTIF recipient in it (for Pusdatin, the nation's) for an
    # approved item of an earlier period, for a column the page does not show.
    names: dict[str, tuple[str, str]] = {}
    carried: set[str] = set()
    for start in range(0, len(shown), NAMES_CHUNK):
        chunk = scope.filter(npsn__in=shown[start : start + NAMES_CHUNK])
        names.update(
            (npsn, (name, regency))
            for npsn, name, regency in chunk.values_list("npsn", "name", "regency__name")
        )
        carried |= schools_with_carried(chunk, period)
    return LateSchools(
        [
            {
                "npsn": npsn,
                "name": names[npsn][0],
                "regency": names[npsn][1],
                **late[npsn],
                "carried": npsn in carried,
            }
            for npsn in shown
        ],
        count,
    )


def _late_from_summaries(
    scope: QuerySet[Any], period: Period, limit: int | None, today: date
) -> tuple[dict[str, dict[str, Any]], int] | None:
    """The late schools of `scope` from the dashboard's SchoolSptjm rows (decision 0105): the
    states of the first `limit` of them by NPSN (None: every one) and how many in all — what
    `_states(…, only_maybe_late=True)` gives —, or None when the rows cannot say so and the
    caller counts live. The rules of the Dinas list's summaries (`dashboard.selectors.
    school_counts`), and two of this page's own:

    - the rows may miss a job's changes (`summaries_follow_every_job`), or no full refresh has
      written them yet (`StatsState.sptjm_facts_at`, null after the migration that added them),
      or they were read under other periods than `period`'s covering ones today
      (`StatsState.sptjm_facts_key`: a policy or a start date edited since, which decides what a
      2021 policy carries; decision 0116);
    - more than DIRTY_COUNTED_MAX schools of the scope are behind: marked dirty (a change the
      refresh has not read yet) or read for another period than `period` (the page shows any
      open period; a refresh reads the current one). Fewer are asked live, as before, and their
      rows left out.

    A school without a row was created after the refresh: a document or a recipient of it since
    would have marked it dirty, so it has neither and is not late."""
    from verval.dashboard import selectors as dashboard
    from verval.dashboard import services
    from verval.dashboard.models import DirtySchool, SchoolSptjm, StatsState

    if not dashboard.summaries_follow_every_job():
        return None
    # Rows a full refresh wrote for every school: not the empty table of a fresh migration, nor
    # the rows of the few schools a school's refresh wrote before the first full one; and written
    # under the periods that cover a recipient for `period` today (its policy's carry, 2021).
    # A page of another period than the refresh's finds that period's rows behind (below).
    key = (
        StatsState.objects.filter(pk=1, sptjm_facts_at__isnull=False)
        .values_list("sptjm_facts_key", flat=True)
        .first()
    )
    if key is None:
        return None
    if key != services.sptjm_facts_key(period.code):
        current = services.current_period_code()
        if current == period.code or key != services.sptjm_facts_key(current):
            return None
    most = dashboard.DIRTY_COUNTED_MAX
    # Pusdatin's scope is every school: its rows are read without a join to the schools (a row
    # is written for each school of reference.School, and no path removes a school).
    in_scope: dict[str, Any] = {"school__in": scope} if scope.query.where else {}
    behind = set(
        DirtySchool.objects.filter(npsn__in=scope.values("npsn")).values_list("npsn", flat=True)[: most + 1]
    )
    # Rows of another period: two range reads of the index, in the whole table first (none,
    # but for the time between a period's opening and the next refresh).
    other_period = SchoolSptjm.objects.filter(Q(period__lt=period.code) | Q(period__gt=period.code))
    if len(behind) <= most and other_period.exists():
        behind |= set(other_period.filter(**in_scope).values_list("school_id", flat=True)[: most + 1])
    if len(behind) > most:
        return None
    # `_late`'s rule as a filter: without a document, late past either deadline with a print
    # candidate; with only approved ones and a candidate, late past the print deadline (decision
    # 0122); with a printed or returned one (`state` names it before an uploaded or approved one,
    # decision 0119), late past the upload deadline.
    late_q = Q(state="", to_print__gt=0)
    if period.sptjm_print_deadline and today > period.sptjm_print_deadline:
        late_q |= Q(to_print__gt=0)
    if period.sptjm_upload_deadline and today > period.sptjm_upload_deadline:
        late_q |= Q(state__in=(SptjmStatus.DICETAK, SptjmStatus.DIKEMBALIKAN))
    summarised = SchoolSptjm.objects.filter(late_q, period=period.code, **in_scope)
    if behind:
        summarised = summarised.exclude(school_id__in=sorted(behind))
    rows = summarised.order_by("school_id").values_list("school_id", "state", "to_print")
    # A Dinas's late schools (11,608 of Jawa Barat's 60,073) are read whole and counted here, one
    # statement; Pusdatin's 84,100 are counted by the database and the first `limit` read.
    first = rows if limit is None or in_scope else rows[:limit]
    late = {
        npsn: _state(
            period, status, status == SptjmStatus.DISETUJUI, *_late(period, status, to_print > 0, today)
        )
        for npsn, status, to_print in first
    }
    count = len(late) if limit is None or len(late) < limit or in_scope else summarised.count()
    if behind:
        # `behind` is of the scope (both reads above are), so its list is the schools asked.
        listed = sorted(behind)
        live = _states(
            scope.filter(npsn__in=listed), period, only_maybe_late=True, with_carried=False, npsns=listed
        )
        late_live = {npsn: state for npsn, state in live.items() if state["late"]}
        late.update(late_live)
        count += len(late_live)
    return late, count


# Late schools are asked for their names, and schools with print candidates for their approved
# documents, this many at a time (a bounded IN list; decision 0094).
NAMES_CHUNK = 2000


# ------------------------------------------------------------------ disbursement and reports


def batches_for(user: Any) -> QuerySet[DisbursementBatch]:
    return access.scope_by_provider(user, DisbursementBatch.objects.select_related("period"))


def provider_disbursement_counts(user: Any) -> dict[str, int]:
    """The provider's home cards (decision 0136): its disbursement batches not downloaded yet
    (`TERBIT`), those downloaded and waiting for injection results (`DIAMBIL`: none uploaded, or
    some lines still without a result), and those lines. One query, scoped by provider."""
    agg = access.scope_by_provider(user, DisbursementBatch.objects.all()).aggregate(
        to_download=Count("pk", filter=Q(state=DisbursementBatch.State.TERBIT)),
        to_answer=Count("pk", filter=Q(state=DisbursementBatch.State.DIAMBIL)),
        lines_to_answer=Sum("pending", filter=Q(state=DisbursementBatch.State.DIAMBIL)),
    )
    return {
        "disbursement_to_download": agg["to_download"] or 0,
        "disbursement_to_answer": agg["to_answer"] or 0,
        "disbursement_lines_to_answer": max(0, agg["lines_to_answer"] or 0),
    }


def reconciliation(user: Any, period: Period, provider: str | None = None) -> list[dict[str, Any]]:
    """Per provider: what we sent and what came back vs the provider's own recap; mismatches flagged.

    Pusdatin sees every provider; a provider user only its own.
    """
    access.require_role(user, "PUSDATIN", "PROVIDER")
    if user.role == "PROVIDER":
        provider = user.provider
    return reconcile(period, provider)


def reconcile(period: Period, provider: str | None = None) -> list[dict[str, Any]]:
    """Unscoped core of `reconciliation` (the provider API calls it with the token's provider).

    Ours counts batch lines, as the provider does: every attempt sent (a retried recipient's
    failed line and its new one), each BERHASIL line the provider injected (a recipient's second
    one too: flagged BERHASIL_GANDA, `duplicates`). `excluded` counts recipients (current rows).
    """
    # One pass over the period's lines: the lines sent and the recipients excluded together (no
    # index names the status, decision 0048, so a separate count of the excluded read them all
    # a second time).
    qs = Disbursement.objects.filter(period=period)
    if provider:
        qs = qs.filter(provider=provider)
    sent = ~Q(status=DisbursementStatus.DIKECUALIKAN)
    rows = qs.values("provider").annotate(
        sent=Count("id", filter=sent),
        berhasil=Count("id", filter=Q(status=DisbursementStatus.BERHASIL)),
        gagal=Count("id", filter=Q(status=DisbursementStatus.GAGAL)),
        missing=Count("id", filter=Q(status=DisbursementStatus.DIJADWALKAN)),
        gb_sent=Sum("package_gb", filter=sent),
        gb_berhasil=Sum("package_gb", filter=Q(status=DisbursementStatus.BERHASIL)),
        gb_reported=Sum("reported_gb", filter=Q(status=DisbursementStatus.BERHASIL)),
        duplicates=Count("id", filter=Q(status=DisbursementStatus.BERHASIL, is_duplicate=True)),
        excluded=Count("id", filter=Q(status=DisbursementStatus.DIKECUALIKAN, is_current=True)),
    )
    ours: dict[str, Any] = {}
    excluded: dict[str, int] = {}
    for line in rows:
        if line["sent"]:
            ours[line["provider"]] = line
        if line["excluded"]:
            excluded[line["provider"]] = line["excluded"]
    recap_qs = ProviderRecap.objects.filter(period=period)
    if provider:
        recap_qs = recap_qs.filter(provider=provider)
    recaps = {r.provider: r for r in recap_qs}
    providers = sorted(set(ours) | set(recaps) | ({provider} if provider else set()))
    out = []
    for code in providers:
        o: dict[str, Any] = ours.get(code, {})
        r = recaps.get(code)
        row: dict[str, Any] = {
            "provider": code,
            "sent": o.get("sent", 0),
            "berhasil": o.get("berhasil", 0),
            "gagal": o.get("gagal", 0),
            "missing": o.get("missing", 0),
            "duplicates": o.get("duplicates", 0),
            "excluded": excluded.get(code, 0),
            "gb_sent": o.get("gb_sent") or Decimal(0),
            "gb_berhasil": o.get("gb_berhasil") or Decimal(0),
            "gb_reported_rows": o.get("gb_reported") or Decimal(0),
            "recap": r,
            "recap_sent": r.sent if r else None,
            "recap_injected": r.injected if r else None,
            "recap_failed": r.failed if r else None,
            "recap_gb": r.gb if r else None,
        }
        flags = []
        if r is None:
            flags.append("REKAP_BELUM_ADA")
        else:
            if r.sent != row["sent"]:
                flags.append("TERKIRIM_BERBEDA")
            if r.injected != row["berhasil"]:
                flags.append("BERHASIL_BERBEDA")
            if r.failed != row["gagal"]:
                flags.append("GAGAL_BERBEDA")
            if r.gb != row["gb_berhasil"]:
                flags.append("GB_BERBEDA")
        if row["missing"]:
            flags.append("HASIL_BELUM_LENGKAP")
        if row["gb_reported_rows"] and row["gb_reported_rows"] != row["gb_berhasil"]:
            flags.append("GB_BARIS_BERBEDA")
        if row["duplicates"]:
            flags.append("BERHASIL_GANDA")
        row["flags"] = flags
        row["ok"] = not flags
        out.append(row)
    return out


def disbursement_counts(user: Any, period: Period) -> dict[str, Any]:
    """Recipients of the period by status and rule (their current rows)."""
    rows = Disbursement.objects.filter(period=period, is_current=True)
    qs = (
        access.scope_by_school(user, rows)
        if getattr(user, "role", "") != "PROVIDER"
        else access.scope_by_provider(user, rows)
    )
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_rule = dict(qs.exclude(rule="").values_list("rule").annotate(n=Count("id")).values_list("rule", "n"))
    return {"by_status": by_status, "by_rule": by_rule, "last": qs.aggregate(m=Max("updated_at"))["m"]}


def rows_sent(period: Period, provider: str) -> int:
    """Rows of the provider's disbursement batches in a period: what a usage report can hold."""
    return (
        DisbursementBatch.objects.filter(period=period, provider=provider).aggregate(n=Sum("rows"))["n"] or 0
    )


def orphan_lines() -> dict[str, int]:
    """Disbursement lines that name a row which does not exist: a recipient, an SPTJM item or a
    result job (unscoped: `verval stats`). The lines carry no database keys (decisions 0023 and
    0048): the writers name rows they read or hold in the same transaction and nothing in the
    application deletes recipients, items or jobs, so every count is 0 unless a row was deleted
    by hand. One anti-join per key."""
    from verval.core.models import Job

    lines = Disbursement.objects.all()
    return {
        "recipient": lines.exclude(Exists(Recipient.objects.filter(pk=OuterRef("recipient_id")))).count(),
        "sptjm_item": lines.filter(sptjm_item_id__isnull=False)
        .exclude(Exists(SptjmItem.objects.filter(pk=OuterRef("sptjm_item_id"))))
        .count(),
        "result_job": lines.filter(result_job_id__isnull=False)
        .exclude(Exists(Job.objects.filter(pk=OuterRef("result_job_id"))))
        .count(),
    }


# ------------------------------------------------------------------ scans


def printed_pages(sptjm: Sptjm) -> int:
    """The pages of the document as printed (its stored PDF); 12 when it cannot be read."""
    try:
        return document.page_count(files.absolute(sptjm.pdf_path)) if sptjm.pdf_path else 12
    except Exception:  # noqa: BLE001 - the stored PDF is ours; if it cannot be read, the old bound
        return 12


def scan_max_bytes(sptjm: Sptjm, pages: int | None = None) -> int:
    """The largest scan accepted for this document: SCAN_MAX_BYTES, or SCAN_MAX_BYTES_PER_PAGE for
    each printed page when that is more. A 160-page document (7,300 recipients) scanned at 150 dpi
    in grey is 50-70 MB: a fixed 10 MB refused every honest scan of it (decision 0079)."""
    limits = settings.VERVAL
    if pages is None:
        pages = printed_pages(sptjm)
    return max(int(limits["SCAN_MAX_BYTES"]), pages * int(limits["SCAN_MAX_BYTES_PER_PAGE"]))


@dataclass(frozen=True)
class JobWait:
    """Who started a school's SPTJM job and where it stands, as a reader of the school sees it
    while it waits or runs (decision 0107). `who`: "self" (this user started it), "colleague"
    (another operator of the same school), "school" (a reader who does not edit the school: Dinas,
    Pusdatin). `running`: a worker has taken it (since `job.started_at`); else it waits behind
    `ahead` unfinished jobs of its queue. `job_page`: the user may open the job's own page."""

    who: str
    running: bool
    ahead: int
    job_page: bool


def _wait(user: Any, job: Any, editor: bool) -> JobWait:
    from verval.core import jobs
    from verval.core.models import Job

    who = "self" if job.created_by_id == user.pk else ("colleague" if editor else "school")
    running = job.state == Job.State.RUNNING
    return JobWait(
        who=who,
        running=running,
        ahead=0 if running else jobs.ahead_in_queue(job),
        job_page=access.jobs_for(user).filter(pk=job.pk).exists(),
    )


@dataclass(frozen=True)
class ScanCheckState:
    """What the school's page says of the latest scan sent for a document (decisions 0095, 0107):
    `checking` while its job waits or runs, to every reader of the school (`wait`: who sent it and
    where it stands); to the school's operators also `refused` (or `failed`) when that job refused
    it after the document's last accepted scan, with the reason, and `accepted` while the document
    awaits review with that very scan. None when there is nothing more to say than the document
    does."""

    state: str
    job: Any
    message: str = ""
    help: str = ""
    # Accepted: what the upload used to be told at once, (css class, text, help address) a line.
    lines: tuple[tuple[str, str, str], ...] = ()
    wait: JobWait | None = None


def scan_checks(user: Any, documents: list[Sptjm]) -> dict[str, ScanCheckState]:
    """The state of the latest scan check (`sptjm_scan` job) of each document, by document id:
    whoever of the school's operators sent it (`access.school_work_for`, decision 0107). A reader
    who does not edit the school (Dinas, Pusdatin) is told only of a check still in progress."""
    from verval.core.models import Job
    from verval.help.entries import help_url_for
    from verval.sptjm.actions import SCAN_CHECK

    if not documents:
        return {}
    wanted = {str(d.pk): d for d in documents}
    latest: dict[str, Any] = {}
    editors: dict[str, bool] = {}
    for npsn in sorted({d.school_id for d in documents}):
        editors[npsn] = access.can_edit_school(user, npsn)
        # A school sends a few scans a period: its latest scan checks, newest first, are few rows.
        for job in access.school_work_for(user, npsn).filter(kind=SCAN_CHECK).order_by("-created_at")[:50]:
            key = str((job.params or {}).get("sptjm", ""))
            if key in wanted and key not in latest:
                latest[key] = job
    english = (get_language() or "").startswith("en")
    out: dict[str, ScanCheckState] = {}
    for key, job in latest.items():
        d = wanted[key]
        editor = editors[d.school_id]
        if not job.is_finished:
            out[key] = ScanCheckState("checking", job, wait=_wait(user, job, editor))
        elif not editor:
            continue  # the outcome is the document itself, as its readers see it
        elif job.state in (Job.State.REFUSED, Job.State.FAILED):
            if d.uploaded_at is None or job.created_at > d.uploaded_at:
                out[key] = ScanCheckState(
                    "refused" if job.state == Job.State.REFUSED else "failed",
                    job,
                    job.error_message_en if english else job.error_message,
                    help_url_for(job.error_code, "unggah") if job.state == Job.State.REFUSED else "",
                )
        elif d.status == SptjmStatus.DIUNGGAH and d.scan_sha256 == job.input_sha256:
            out[key] = ScanCheckState("accepted", job, lines=_accepted_lines(d))
    return out


def _accepted_lines(d: Sptjm) -> tuple[tuple[str, str, str], ...]:
    """What the school was told at once when the upload ran in its request (before decision 0095),
    in the same words: accepted without a warning, or with the scan's warnings other than its page
    warnings (those follow in the card's page notes, decision 0092), and the late mark."""
    from django.utils.translation import gettext, ngettext

    from verval.core.when import format_deadline
    from verval.help.entries import help_url
    from verval.sptjm.actions import warning_text

    language = get_language()
    told = [(code, params) for code, params in (d.scan_pages or {}).get("warnings", [])]
    if not told and d.qr_verdict == "QR_TIDAK_DITEMUKAN":  # a scan from before decision 0084
        told = [("QR_TIDAK_DITEMUKAN", {})]
    lines: list[tuple[str, str, str]] = []
    if not told:
        lines.append(
            (
                "success",
                gettext("Pindaian diterima; kode QR cocok dengan dokumen. Menunggu pemeriksaan Pusdatin."),
                "",
            )
        )
    else:
        lines.append(
            ("warn", gettext("Pindaian diterima dengan peringatan. Menunggu pemeriksaan Pusdatin."), "")
        )
        lines.extend(
            ("warn", warning_text(code, params, language), help_url("unggah", code))
            for code, params in told
            if code not in PAGE_WARNINGS
        )
    if d.upload_late_days and d.upload_deadline:
        lines.append(
            (
                "warn",
                ngettext(
                    "Pindaian diunggah %(days)s hari setelah batas unggah (%(deadline)s) dan tercatat "
                    "terlambat; Pusdatin melihat catatan ini saat memeriksa.",
                    "Pindaian diunggah %(days)s hari setelah batas unggah (%(deadline)s) dan tercatat "
                    "terlambat; Pusdatin melihat catatan ini saat memeriksa.",
                    d.upload_late_days,
                )
                % {"days": grouped(d.upload_late_days), "deadline": format_deadline(d.upload_deadline)},
                "",
            )
        )
    return tuple(lines)


@dataclass(frozen=True)
class PrintJobState:
    """What the school's page says of the latest large print asked for a period (decisions 0102,
    0107): `preparing` while its job waits or runs, to every reader of the school (`wait`: who
    asked and where it stands); to the school's operators also `refused` (or `failed`) when that
    job ended so, after the period's latest document was printed, with the reason. None otherwise:
    a print done is the document itself, on the page with its download as after a print in the
    request."""

    state: str
    job: Any
    message: str = ""
    wait: JobWait | None = None


def print_job(user: Any, npsn: str, period: Period) -> PrintJobState | None:
    """The state of the latest `sptjm_print` job of this school and period, whichever of the
    school's operators asked for it (`access.school_work_for`, decision 0107). A reader who does
    not edit the school (Dinas, Pusdatin) is told only of a print still in progress."""
    from verval.core.models import Job
    from verval.sptjm.actions import PRINT

    job = (
        access.school_work_for(user, npsn)
        .filter(kind=PRINT, params__period=period.code)
        .order_by("-created_at")
        .first()
    )
    if job is None:
        return None
    editor = access.can_edit_school(user, npsn)
    if not job.is_finished:
        return PrintJobState("preparing", job, wait=_wait(user, job, editor))
    if not editor or job.state not in (Job.State.REFUSED, Job.State.FAILED):
        return None
    printed = Sptjm.objects.filter(school_id=npsn, period=period).aggregate(at=Max("printed_at"))["at"]
    if printed is not None and printed > job.created_at:
        return None  # a later print says more than this job's refusal
    english = (get_language() or "").startswith("en")
    return PrintJobState(
        "refused" if job.state == Job.State.REFUSED else "failed",
        job,
        job.error_message_en if english else job.error_message,
    )
