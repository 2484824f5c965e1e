"""Selectors for shared-number flags (SPEC §5), through the scoping helper."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from verval.accounts import access
from verval.accounts.models import Role
from verval.registry.models import Recipient, SharedNumber


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


class Sharing(NamedTuple):
    """What a user may read of one flag: the first recipients it may see, how many more of them
    there are, and how many recipients and schools of its scope use the number."""

    people: list[Any]
    more: int
    recipients: int
    schools: int


def people_sharing_many(user: Any, phones: list[str], limit: int) -> dict[str, Sharing]:
    """For each number, the first `limit` recipients behind its flag that the user may see (in
    the Meta order: school, kind, grade, name), how many more there are (a flag can hold
    hundreds: the page names some and counts the rest), and the recipients and schools of the
    user's scope using it. Two queries whatever the number of flags (ROW_NUMBER over the number,
    and one GROUP BY), not one or two per flag."""
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
    totals = {
        phone: (n, schools)
        for phone, n, schools in base.order_by()
        .values_list("phone_e164")
        .annotate(n=Count("pk"), schools=Count("school", distinct=True))
        .values_list("phone_e164", "n", "schools")
    }
    result = {}
    for p, (people, _) in found.items():
        n, schools = totals.get(p, (0, 0))
        result[p] = Sharing(people, max(0, n - limit), n, schools)
    return result


def held_elsewhere(user: Any, phones: list[str], in_scope: dict[str, int]) -> set[str]:
    """The numbers also used by active recipients outside the user's scope (`in_scope`: each
    number's recipients in it). Said without a count or a name (decision 0096): a Dinas reads
    that its region is not alone behind a flag, not another region's figures. One GROUP BY over
    the numbers' recipients (the phone index), live like the counts it is compared with."""
    if not phones:
        return set()
    everywhere = (
        Recipient.objects.filter(active=True, phone_e164__in=phones)
        .order_by()
        .values_list("phone_e164")
        .annotate(n=Count("pk"))
        .values_list("phone_e164", "n")
    )
    return {phone for phone, n in everywhere if n > in_scope.get(phone, 0)}
