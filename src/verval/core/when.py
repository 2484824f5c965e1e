"""How pages write dates and times: one human format, in the reader's zone, with its label.

`30 Nov 2026 10.15 WIB` in Indonesian (the clock's separator is a dot, as Indonesian writes it),
`30 Nov 2026 10:15 WIB` in English. Times are shown in the zone the request activated
(`accounts.middleware.UserTimeZoneMiddleware`); dates that are deadlines say the instant they pass,
which is WIB for everyone (docs/decisions/0037-times-in-the-readers-zone.md). Files, exports and
the API keep ISO 8601 with the offset: they never go through here.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.formats import date_format

from verval.reference import zones

DAY = "j M Y"


def _clock_format() -> str:
    return "H.i" if (translation.get_language() or "id").startswith("id") else "H:i"


def _local(value: datetime.datetime, tz: datetime.tzinfo | None) -> datetime.datetime:
    tz = tz or timezone.get_current_timezone()
    return timezone.localtime(value, tz) if timezone.is_aware(value) else value.replace(tzinfo=tz)


def format_when(value: Any, tz: datetime.tzinfo | None = None) -> str:
    """A moment: `30 Nov 2026 10.15 WIB`. A bare date is written as a day."""
    if not value:
        return ""
    if not isinstance(value, datetime.datetime):
        return format_day(value)
    local = _local(value, tz)
    return f"{date_format(local, DAY)} {date_format(local, _clock_format())} {zones.label(local.tzinfo)}"  # type: ignore[arg-type]


def format_clock(value: Any, tz: datetime.tzinfo | None = None) -> str:
    """A time of today's job: `10.15 WIB`."""
    if not value:
        return ""
    local = _local(value, tz)
    return f"{date_format(local, _clock_format())} {zones.label(local.tzinfo)}"  # type: ignore[arg-type]


def format_day(value: Any) -> str:
    """A calendar day (a period's start, a snapshot's day): `30 Nov 2026`, no zone — a date is the
    same day for everyone. A moment is written as the reader's day of it."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value, None)
    return date_format(value, DAY)


def format_deadline(value: Any, tz: datetime.tzinfo | None = None) -> str:
    """A date-only deadline as the last minute it allows: `30 Nov 2026 23.59 WIB`, and for a reader
    in another zone the same instant in theirs: `30 Nov 2026 23.59 WIB (1 Des 2026 01.59 WIT)`."""
    if not value:
        return ""
    last_minute = zones.deadline_end(value) - datetime.timedelta(minutes=1)
    text = format_when(last_minute, zones.programme_tz())
    reader = tz or timezone.get_current_timezone()
    if zones.label(reader) != zones.label(zones.programme_tz()):
        text += f" ({format_when(last_minute, reader)})"
    return text
