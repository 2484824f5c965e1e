"""Selectors for shared-number flags (SPEC §5), through the scoping helper."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from verval.accounts import access
from verval.accounts.models import Role
from verval.registry.models import SharedNumber


def shared_numbers_for(user: Any) -> QuerySet[SharedNumber]:
    """Flags the user may see: a school sees the numbers its recipients use; Dinas and Pusdatin
    see the implausible ones (TIDAK_RASIONAL) in their scope, Pusdatin all of them."""
    in_scope = access.recipients_for(user).filter(active=True).values("phone_e164")
    qs = SharedNumber.objects.filter(phone_e164__in=in_scope)
    if getattr(user, "role", None) in (Role.DINAS_KAB, Role.DINAS_PROV):
        qs = qs.filter(level=SharedNumber.Level.TIDAK_RASIONAL)
    return qs


def recipients_sharing(user: Any, phone_e164: str) -> QuerySet[Any]:
    """The recipients behind one flag that the user is allowed to see."""
    return access.recipients_for(user).filter(active=True, phone_e164=phone_e164).select_related("school")


def people_sharing(user: Any, phone_e164: str, limit: int) -> tuple[list[Any], int]:
    """The first `limit` recipients behind one flag that the user may see, and how many more of
    those there are (a flag can hold hundreds: the page names some and counts the rest)."""
    qs = recipients_sharing(user, phone_e164)  # Recipient.Meta order: school, kind, grade, name
    people = list(qs[: limit + 1])
    if len(people) <= limit:
        return people, 0
    return people[:limit], qs.count() - limit
