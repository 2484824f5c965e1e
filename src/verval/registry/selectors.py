from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from verval.accounts import access
from verval.registry.models import NumberStatus


def school_progress(user: Any) -> QuerySet[Any]:
    """Schools in the user's scope with their counts, least advanced first."""
    return (
        access.schools_for(user)
        .annotate(
            total=Count("recipients", filter=Q(recipients__active=True)),
            aktif=Count("recipients", filter=Q(recipients__active=True, recipients__status=NumberStatus.AKTIF)),
            residu=Count("recipients", filter=Q(recipients__active=True, recipients__status=NumberStatus.RESIDU)),
        )
        .order_by("aktif", "npsn")
    )


def school_recipients(user: Any, npsn: str) -> QuerySet[Any]:
    school = access.get_school_or_deny(user, npsn)
    return access.recipients_for(user).filter(school=school, active=True)
