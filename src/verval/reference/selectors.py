"""Reads of reference data that every role may see (regions, periods): no scoping applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from verval.core.models import AuditEvent
from verval.reference.models import Period


@dataclass(frozen=True)
class Overlap:
    first: Period
    second: Period


def overlapping_periods() -> list[Overlap]:
    """Pairs of stored periods that share a day (dates inclusive), earlier start first. Saving a
    period refuses an overlap (decision 0026), but periods stored before that rule, or written
    outside the form, are only caught here: the low-usage rule reads "the previous period" by
    start date, which an overlap makes the wrong one. Periods are a few dozen rows: compared in
    Python, one query."""
    periods = list(Period.objects.order_by("starts_on", "code"))
    found = []
    for i, a in enumerate(periods):
        for b in periods[i + 1 :]:
            if b.starts_on > a.ends_on:
                # Sorted by start: every later period also starts after a has ended.
                break
            found.append(Overlap(first=a, second=b))
    return found


def never_opened(periods: Iterable[Period]) -> set[str]:
    """Codes of the given closed periods that were never open (decision 0033): no audit row of
    opening or closing it (reference.actions writes one for each), no SPTJM printed in it (only an
    open period prints) and no disbursement batch. A period stored open outside the actions (the
    demo) gets its close_period row when closed, so it counts as opened too. One query."""
    closed = [p.code for p in periods if not p.is_open]
    if not closed:
        return set()
    audited = AuditEvent.objects.filter(
        object_type="period", object_id=OuterRef("code"), action__in=("open_period", "close_period")
    )
    same = Period.objects.filter(code=OuterRef("code"))
    opened = Period.objects.filter(code__in=closed).filter(
        Exists(audited)
        | Exists(same.filter(sptjms__isnull=False))
        | Exists(same.filter(disbursement_batches__isnull=False))
    )
    return set(closed) - set(opened.values_list("code", flat=True))


def period_states() -> list[tuple[Period, str]]:
    """Every period, newest start first, with its state as `verval period list` names it: `open`,
    `closed`, or `never_opened` (closed and never open: the "Belum dibuka" of /pusdatin/). Two
    queries."""
    periods = list(Period.objects.order_by("-starts_on", "code"))
    unopened = never_opened(periods)
    return [(p, "open" if p.is_open else "never_opened" if p.code in unopened else "closed") for p in periods]


def period_state(period: Period) -> str:
    """One period's state as period_states() names it. One query for a closed period, none else."""
    if period.is_open:
        return "open"
    return "never_opened" if period.code in never_opened([period]) else "closed"


def period_exists(code: str) -> bool:
    return Period.objects.filter(code=code).exists()


def open_period_codes() -> list[str]:
    """Codes of the open periods (one, or none, as reference.actions.open_period keeps it)."""
    return list(Period.objects.filter(is_open=True).order_by("code").values_list("code", flat=True))
