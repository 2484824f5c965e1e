"""Reads of reference data that every role may see (regions, periods): no scoping applies."""

from __future__ import annotations

from dataclasses import dataclass

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
