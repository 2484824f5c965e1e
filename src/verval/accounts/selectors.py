from __future__ import annotations

from typing import Any

from django.db.models import Count

from verval.accounts import access
from verval.accounts.models import Role


def home_summary(user: Any) -> dict[str, Any]:
    """The counts a role may see on its home page, each through the scoping helpers."""
    summary: dict[str, Any] = {"role": user.role}
    if user.role == Role.PROVIDER:
        from verval.exchange.selectors import provider_home_counts

        summary.update(provider_home_counts(user))
        return summary
    schools = access.schools_for(user)
    recipients = access.recipients_for(user).filter(active=True)
    by_status = dict(recipients.values_list("status").annotate(n=Count("id")).order_by())
    summary.update(
        {
            "schools": schools.count() if user.role != Role.OPERATOR else 1,
            "recipients": sum(by_status.values()),
            "by_status": by_status,
            "scope_name": _scope_name(user),
        }
    )
    return summary


def _scope_name(user: Any) -> str:
    if user.role == Role.OPERATOR and user.school_id:
        return str(user.school)
    if user.region_id:
        return str(user.region)
    return "Nasional"
