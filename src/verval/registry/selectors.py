"""Reads of registry data, always through verval.accounts.access (scoped to the user)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language, gettext

from verval.accounts import access
from verval.core import pagination
from verval.registry.models import Kind, NumberHistory, NumberStatus, Recipient, ResidueReason, SharedNumber

PAGE_SIZES = (50, 100, 200, 500)
DEFAULT_PAGE_SIZE = 50


def school_progress(user: Any) -> QuerySet[Any]:
    """Schools in the user's scope with their counts, least advanced first."""
    return (
        access.schools_for(user)
        .annotate(
            total=Count("recipients", filter=Q(recipients__active=True)),
            aktif=Count(
                "recipients", filter=Q(recipients__active=True, recipients__status=NumberStatus.AKTIF)
            ),
            residu=Count(
                "recipients", filter=Q(recipients__active=True, recipients__status=NumberStatus.RESIDU)
            ),
        )
        .order_by("aktif", "npsn")
    )


def school_recipients(user: Any, npsn: str) -> QuerySet[Any]:
    school = access.get_school_or_deny(user, npsn)
    return access.recipients_for(user).filter(school=school, active=True)


# ---------------------------------------------------------------------------------------------
# Reason texts


@dataclass(frozen=True, slots=True)
class ReasonText:
    code: str
    message: str
    action: str


def _english() -> bool:
    return (get_language() or "id").startswith("en")


def reason_text(status: str, code: str) -> ReasonText | None:
    """The reason of a FORMAT_SALAH (phone rule) or RESIDU (provider) status, in the UI language."""
    if not code:
        return None
    en = _english()
    if status == NumberStatus.RESIDU:
        try:
            from verval.exchange.reasons import RESIDUE_REASONS
        except ImportError:  # pragma: no cover - the exchange app ships it
            RESIDUE_REASONS = {}  # noqa: N806
        r = RESIDUE_REASONS.get(code)
        if r is not None:
            message, action = (r.message_en, r.action_en) if en else (r.message_id, r.action_id)
            if action.startswith(message):  # the action line already restates the reason
                action = action[len(message) :].strip()
            return ReasonText(code, message, action)
        label = dict(ResidueReason.choices).get(code, code)
        return ReasonText(code, str(label), "")
    from verval.phones import describe

    p = describe(code)
    if p is None:
        return ReasonText(code, code, "")
    return ReasonText(code, p.message_en if en else p.message_id, p.action_en if en else p.action_id)


def history_reason(code: str) -> ReasonText | None:
    """The reason kept on a history row, which has no status of its own to tell the kind: a phone
    rule (a correction, the validation run) or a provider's residue reason (a provider result, a
    re-confirmed residue). The two code sets do not overlap, so the code itself decides."""
    from verval.phones import describe

    if not code:
        return None
    return reason_text(NumberStatus.FORMAT_SALAH if describe(code) else NumberStatus.RESIDU, code)


def precheck(recipient: Recipient) -> ReasonText | None:
    """For a number not yet validated (BELUM_VERVAL): the verdict stored when it was written
    (docs/decisions/0001), or the phone rules applied now for a row stored without one."""
    from verval.phones import check

    if recipient.reason:
        return reason_text(NumberStatus.FORMAT_SALAH, recipient.reason)
    if recipient.phone_e164:
        return None
    verdict = check(recipient.phone_raw)
    if verdict.valid:
        return None
    return reason_text(NumberStatus.FORMAT_SALAH, verdict.reason or "")


# ---------------------------------------------------------------------------------------------
# School page


@dataclass
class SchoolSummary:
    total: int = 0
    confirmed: int = 0
    locked: int = 0
    needs_validation: int = 0
    by_status: list[tuple[str, str, int]] = field(default_factory=list)  # (code, label, count)
    by_reason: list[tuple[str, str, str, int]] = field(default_factory=list)  # (status, code, text, count)
    # The reason filter matches a code under any status: one option per code, counts summed.
    reason_options: list[tuple[str, str, int]] = field(default_factory=list)  # (code, text, count)
    grades: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return next((n for code, _, n in self.by_status if code == status), 0)


def school_summary(user: Any, npsn: str) -> SchoolSummary:
    """Counts per status and reason (and the grades present) of a school's active recipients.

    One query. Raises PermissionDenied when the school is outside the user's scope.
    """
    rows = (
        school_recipients(user, npsn)
        .order_by()
        .values("status", "reason", "kind", "grade")
        .annotate(
            n=Count("pk"),
            confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
            locked=Count("pk", filter=Q(locked=True)),
            pending=Count("pk", filter=Q(needs_validation=True)),
        )
    )
    return _summarise(rows)


def _summarise(rows: Any) -> SchoolSummary:
    s = SchoolSummary()
    statuses: dict[str, int] = {}
    reasons: dict[tuple[str, str], int] = {}
    grades: set[int] = set()
    kinds: set[str] = set()
    for row in rows:
        n = row["n"]
        s.total += n
        s.confirmed += row["confirmed"]
        s.locked += row["locked"]
        s.needs_validation += row["pending"]
        statuses[row["status"]] = statuses.get(row["status"], 0) + n
        if row["reason"]:
            key = (row["status"], row["reason"])
            reasons[key] = reasons.get(key, 0) + n
        if row["grade"] is not None:
            grades.add(row["grade"])
        kinds.add(row["kind"])
    s.by_status = [(code, str(label), statuses.get(code, 0)) for code, label in NumberStatus.choices]
    options: dict[str, tuple[str, int]] = {}
    precheck = gettext("Pemeriksaan awal:")
    for (status, code), n in sorted(reasons.items()):
        found = reason_text(status, code)
        text = found.message if found else code
        # A new number's stored verdict (BELUM_VERVAL) reads like the same reason after validation
        # (FORMAT_SALAH): say which one it is, as the row does.
        shown = f"{precheck} {text}" if status == NumberStatus.BELUM_VERVAL else text
        s.by_reason.append((status, code, shown, n))
        first_text, seen = options.get(code, (text, 0))
        options[code] = (first_text, seen + n)
    s.reason_options = [
        (code, text, n) for code, (text, n) in sorted(options.items(), key=lambda kv: kv[1][0])
    ]
    s.grades = sorted(grades)
    s.kinds = [k for k in (Kind.PD, Kind.PTK) if k in kinds]
    return s


# The value of the list's `injeksi` filter: recipients with an unresolved failed injection.
FAILED_FILTER = "gagal"


@dataclass(frozen=True)
class Filters:
    status: str = ""
    kind: str = ""
    grade: int | None = None
    reason: str = ""
    query: str = ""  # name or NISN; only ever read from a POST body (docs/decisions/0004)
    # Only recipients whose quota injection failed and who were not delivered since (`injeksi=gagal`).
    failed: bool = False
    # Only recipients whose number is flagged as shared by too many recipients (`bersama=1`, SPEC §5).
    shared: bool = False
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_request(cls, get: Any, post: Any | None = None) -> Filters:
        data = post if post is not None else get
        status = data.get("status", "")
        kind = data.get("jenis", "")
        reason = data.get("alasan", "")[:32]
        try:
            grade: int | None = int(data.get("kelas", ""))
        except ValueError:
            grade = None
        try:
            size = int(data.get("n", DEFAULT_PAGE_SIZE))
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        page = pagination.number(data.get("hal", 1))
        query = (post.get("q", "") if post is not None else "").strip()[:100]
        return cls(
            status=status if status in NumberStatus.values else "",
            kind=kind if kind in Kind.values else "",
            grade=grade if grade is not None and 0 <= grade <= 13 else None,
            reason=reason if reason.replace("_", "").isalnum() else "",
            query=query,
            failed=data.get("injeksi", "") == FAILED_FILTER,
            shared=data.get("bersama", "") == "1",
            page=page,
            size=size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        )

    @property
    def narrows(self) -> bool:
        """Whether a filter or a search leaves recipients out (the page size does not)."""
        return bool(
            self.status
            or self.kind
            or self.grade is not None
            or self.reason
            or self.query
            or self.failed
            or self.shared
        )

    def querystring(self, page: int | None = None) -> str:
        """The GET form of the filters (never the search term)."""
        from urllib.parse import urlencode

        params: dict[str, Any] = {}
        if self.status:
            params["status"] = self.status
        if self.kind:
            params["jenis"] = self.kind
        if self.grade is not None:
            params["kelas"] = self.grade
        if self.reason:
            params["alasan"] = self.reason
        if self.failed:
            params["injeksi"] = FAILED_FILTER
        if self.shared:
            params["bersama"] = "1"
        if self.size != DEFAULT_PAGE_SIZE:
            params["n"] = self.size
        if page and page > 1:
            params["hal"] = page
        return urlencode(params)


@dataclass
class Page:
    rows: list[Recipient]
    number: int
    size: int
    count: int
    shared_numbers: int = 0  # numbers of the school flagged as used by too many recipients
    # Recipients of the school whose quota injection failed and who were not delivered since
    # (sptjm.selectors.unresolved_failures): flagged on the row and above the list.
    failed_injections: int = 0
    # The same, by what they ask of the school (sptjm.selectors.failure_groups, decision 0034).
    failed_groups: list[Any] = field(default_factory=list)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return 0 if not self.count else (self.number - 1) * self.size + 1

    @property
    def end_index(self) -> int:
        return min(self.count, self.number * self.size)


_LIST_FIELDS = (
    "id",
    "kind",
    "category",
    "name",
    "nisn",
    "grade",
    "school_id",
    "phone_raw",
    "phone_e164",
    "operator",
    "status",
    "reason",
    "reason_note",
    "needs_validation",
    "confirmed_at",
    "locked",
    "version",
)


def school_page(user: Any, npsn: str, filters: Filters, *, full_numbers: bool) -> Page:
    """One page of a school's recipients with display fields attached (3 queries)."""
    from verval.phones import mask, national_display
    from verval.sptjm import selectors as sptjm_selectors  # sptjm builds on registry: imported here

    qs = base = school_recipients(user, npsn)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.grade is not None:
        qs = qs.filter(grade=filters.grade)
    if filters.reason:
        qs = qs.filter(reason=filters.reason)
    # Failed injections still to fix (sptjm.selectors.unresolved_failures): a school has few,
    # read once for the count above the list, the filter and the row markers.
    failed = sptjm_selectors.failures_by_recipient(user, npsn)
    if filters.failed:
        qs = qs.filter(pk__in=list(failed))
    # SPEC §5: a number used by more recipients than allowed is flagged for the school, on the
    # row and above the list. A school has few such numbers: one query gives them all.
    shared = dict(
        SharedNumber.objects.filter(phone_e164__in=base.values("phone_e164"))
        .order_by()
        .values_list("phone_e164", "recipients")
    )
    if filters.shared:
        qs = qs.filter(phone_e164__in=list(shared))
    if filters.query:
        term = filters.query
        digits = "".join(c for c in term if c.isdigit())
        if term.isdigit():
            match = Q(nisn__startswith=term)
            if full_numbers and len(digits) >= 4:
                # The school's own operator also finds a number (typed 0812..., 62812... or
                # 812...); a reader sees masked numbers, so searching them would reveal them.
                match |= Q(phone_raw__contains=digits) | Q(phone_e164__contains=_national_tail(digits))
            qs = qs.filter(match)
        elif full_numbers and len(digits) >= 4 and set(term) <= set("0123456789+-() ."):
            qs = qs.filter(Q(phone_raw__contains=term) | Q(phone_e164__contains=_national_tail(digits)))
        else:
            qs = qs.filter(name__icontains=term)
    count = qs.count()
    pages = max(1, -(-count // filters.size))
    # A page past the end says so (decision 0096) rather than showing the last one.
    pagination.check(filters.page, pages, "hal")
    number = filters.page
    start = (number - 1) * filters.size
    rows = list(qs.only(*_LIST_FIELDS).order_by("kind", "grade", "name", "id")[start : start + filters.size])
    # A failed injection is fixed here (a new number): the row says so, with the provider's reason.
    for r in rows:
        decorate(r, full_numbers=full_numbers, mask=mask, national_display=national_display)
        r.shared_with = shared.get(r.phone_e164, 0) if r.phone_e164 else 0  # type: ignore[attr-defined]
        r.failed_injection = failed.get(r.pk)  # type: ignore[attr-defined]
    return Page(
        rows=rows,
        number=number,
        size=filters.size,
        count=count,
        shared_numbers=len(shared),
        failed_injections=len(failed),
        failed_groups=sptjm_selectors.failure_groups(
            Counter(getattr(d, "kind", "") for d in failed.values())
        ),
    )


def _national_tail(digits: str) -> str:
    """The part of an E.164 number a typed fragment matches: 0812... -> 812..., 62812... -> 812..."""
    if digits.startswith("0"):
        return digits[1:]
    if digits.startswith("62"):
        return digits[2:]
    return digits


def decorate(
    r: Recipient, *, full_numbers: bool, mask: Any = None, national_display: Any = None
) -> Recipient:
    """Attach what the row template shows: the number (full or masked) and the reason texts."""
    if mask is None or national_display is None:
        from verval.phones import mask, national_display
    if full_numbers:
        r.shown_number = national_display(r.phone_e164) if r.phone_e164 else r.phone_raw  # type: ignore[attr-defined]
    else:
        r.shown_number = mask(r.phone_e164 or r.phone_raw)  # type: ignore[attr-defined]
    if r.status == NumberStatus.BELUM_VERVAL:
        r.why = precheck(r)  # type: ignore[attr-defined]
        r.why_is_precheck = r.why is not None  # type: ignore[attr-defined]
    else:
        r.why = reason_text(r.status, r.reason)  # type: ignore[attr-defined]
        r.why_is_precheck = False  # type: ignore[attr-defined]
    return r


def recipient_in_school(user: Any, npsn: str, recipient_id: Any) -> Recipient:
    """One active recipient of a school in the user's scope, or PermissionDenied."""
    return access.get_in_scope(school_recipients(user, npsn), pk=recipient_id)  # type: ignore[return-value]


def recipient_history(
    user: Any, npsn: str, recipient_id: Any, limit: int = 200
) -> tuple[Recipient, list[NumberHistory]]:
    """The recipient's timeline, newest first: its NumberHistory rows and the provider results
    that moved its status (kept on the answered dump rows, decision 0008)."""
    from verval.exchange.selectors import provider_result_entries

    recipient = recipient_in_school(user, npsn, recipient_id)
    rows = list(
        NumberHistory.objects.filter(recipient=recipient)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    entries = rows + provider_result_entries(recipient)
    entries.sort(key=lambda e: e.at, reverse=True)
    return recipient, entries[:limit]


def school_export_rows(user: Any, npsn: str) -> QuerySet[Recipient]:
    return school_recipients(user, npsn).only(*_LIST_FIELDS).order_by("kind", "grade", "name", "id")


def recent_corrections(user: Any, npsn: str) -> QuerySet[Any]:
    return access.jobs_for(user).filter(kind="bulk_correction", school_id=npsn).order_by("-created_at")[:5]


def others_on_number(user: Any, recipient_id: str, e164: str) -> int | None:
    """How many other recipients of the same school hold `e164`, for the school's own operator
    typing it as `recipient_id`'s number (the live check, decision 0108); None for anyone else or an
    unknown id. Only the school's own count: other schools' use of a number is not the operator's to
    see (the shared-number page marks it without a count)."""
    try:
        rid = uuid.UUID(str(recipient_id))
    except ValueError:
        return None
    own = access.recipients_for(user).filter(pk=rid).values_list("school_id", flat=True).first()
    if own is None or not access.can_edit_school(user, own):
        return None
    return access.recipients_for(user).filter(school_id=own, phone_e164=e164).exclude(pk=rid).count()
