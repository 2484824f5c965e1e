"""Reads of the help pages (decision 0083): the period's schedule and, for a school operator, its
own school's SPTJM steps and deadlines, always through the scoped selectors the home page uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from verval.accounts import access
from verval.accounts.models import Role


@dataclass
class HelpContext:
    periods: list[Any] = field(default_factory=list)  # the open periods, newest first
    period: Any = None  # the current period (the newest open one), else the latest period
    school: Any = None  # the operator's own school
    steps: list[Any] = field(default_factory=list)  # sptjm.selectors.HomeStep of the school
    shared_limit: int = 3
    implausible: int = 10
    scan_max_mb: int = 10
    refuse_percent: str = "5"


def help_context(user: Any) -> HelpContext:
    """What every help page shows of the programme's real schedule, and, for an operator, of its
    school: the steps the home page names, with their deadlines (sptjm.selectors.home_sptjm)."""
    from verval.reference.models import Period
    from verval.sptjm import selectors as sptjm_selectors

    periods = list(sptjm_selectors.open_periods())
    period = periods[0] if periods else Period.objects.select_related("policy").order_by("-starts_on").first()
    ctx = HelpContext(
        periods=periods,
        period=period,
        shared_limit=settings.VERVAL["SHARED_NUMBER_LIMIT"],
        implausible=settings.VERVAL["SHARED_NUMBER_IMPLAUSIBLE"],
        refuse_percent=f"{100 * float(settings.VERVAL['REFUSE_FILE_ABOVE_SHARE']):g}",
        scan_max_mb=int(settings.VERVAL["SCAN_MAX_BYTES"] // (1024 * 1024)),
    )
    if getattr(user, "role", None) == Role.OPERATOR and user.school_id:
        schools = access.schools_for(user).select_related("regency", "province")
        ctx.school = access.get_in_scope(schools, npsn=user.school_id)
        ctx.steps = sptjm_selectors.home_sptjm(user, ctx.school.npsn)
    return ctx
