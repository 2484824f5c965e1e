"""Selectors for shared-number flags (SPEC §5), through the scoping helper."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

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


def people_sharing_many(user: Any, phones: list[str], limit: int) -> dict[str, tuple[list[Any], int]]:
    """For each number, the first `limit` recipients behind its flag that the user may see (in
    the Meta order: school, kind, grade, name) and how many more there are (a flag can hold
    hundreds: the page names some and counts the rest). Two queries whatever the number of flags
    (ROW_NUMBER over the number, and one GROUP BY), not one or two per flag."""
    if not phones:
        return {}
    base = access.recipients_for(user).filter(active=True, phone_e164__in=phones)
    order = [F("school"), F("kind"), F("grade"), F("name"), F("pk")]
    ranked = (
        base.select_related("school")
        .annotate(place=Window(RowNumber(), partition_by=[F("phone_e164")], order_by=order))
        .filter(place__lte=limit)
        .order_by("phone_e164", "place")
    )
    found: dict[str, tuple[list[Any], int]] = {p: ([], 0) for p in phones}
    for r in ranked:
        found[r.phone_e164][0].append(r)
    totals = dict(
        base.order_by().values_list("phone_e164").annotate(n=Count("pk")).values_list("phone_e164", "n")
    )
    return {p: (people, max(0, totals.get(p, 0) - limit)) for p, (people, _) in found.items()}
