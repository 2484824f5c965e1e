"""Template filters for dates and times (verval.core.when), installed as a built-in library
(settings.TEMPLATES) so that every template writes them the same way without a `{% load %}`:
`{{ x|when }}` a moment, `{{ x|clock }}` the time of a moment, `{{ d|day }}` a calendar day,
`{{ d|deadline }}` a date-only deadline."""

from __future__ import annotations

from typing import Any

from django import template

from verval.core import when as w

register = template.Library()


@register.filter
def when(value: Any) -> str:
    return w.format_when(value)


@register.filter
def clock(value: Any) -> str:
    return w.format_clock(value)


@register.filter
def day(value: Any) -> str:
    return w.format_day(value)


@register.filter
def deadline(value: Any) -> str:
    return w.format_deadline(value)
