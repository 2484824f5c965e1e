from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext

from verval.accounts import access
from verval.accounts.models import Role
from verval.reference import zones
from verval.registry.models import NumberStatus


def home_summary(user: Any) -> dict[str, Any]:
    """The counts a role may see on its home page, each through the scoping helpers.

    The recipients by status of a Dinas (decision 0090) and of Pusdatin (the nation, decision 0091)
    are read from the dashboard's school summaries under the Dinas list's rules
    (`dashboard.selectors.status_counts`): the figures a count gives. An operator's one school is
    counted."""
    summary: dict[str, Any] = {"role": user.role}
    if user.role == Role.PROVIDER:
        from verval.exchange.selectors import provider_home_counts
        from verval.sptjm.selectors import provider_disbursement_counts

        summary.update(provider_home_counts(user))
        # The disbursement batches waiting for the provider, beside the dumps (decision 0136).
        summary.update(provider_disbursement_counts(user))
        return summary
    schools = access.schools_for(user)
    counts: dict[str, int] | None = None
    if user.role in (Role.DINAS_KAB, Role.DINAS_PROV, Role.PUSDATIN):
        # The scope's schools' summaries while they are current, a dirty school counted live:
        # the figures of the count below (decisions 0085, 0090, 0091), without counting a
        # province's or the nation's recipients on each view.
        from verval.dashboard.selectors import status_counts

        counts = status_counts(schools)
    if counts is None:
        recipients = access.recipients_for(user).filter(active=True)
        counts = dict(recipients.values_list("status").annotate(n=Count("id")).order_by())
    # In the order of the flow (SPEC §4), not the database's.
    by_status = {code: counts[code] for code in NumberStatus.values if counts.get(code)}
    summary.update(
        {
            "schools": schools.count() if user.role != Role.OPERATOR else 1,
            "recipients": sum(by_status.values()),
            "by_status": by_status,
            "scope_name": _scope_name(user),
        }
    )
    if user.role in (Role.DINAS_KAB, Role.DINAS_PROV):
        # The registrations this Dinas decides (decision 0096), said where it starts its day: the
        # home page led to them only through the school list (decision 0109).
        from verval.accounts.actions import registrations_to_decide
        from verval.accounts.models import OperatorRegistration

        summary["pending_registrations"] = (
            registrations_to_decide(user).filter(status=OperatorRegistration.Status.PENDING).count()
        )
    if user.role == Role.OPERATOR and user.school_id:
        # Failed injections are fixed in the school list: the home page says how many, and why.
        from verval.sptjm.reasons import masked_note
        from verval.sptjm.selectors import failure_summary, home_sptjm

        failures = failure_summary(user, user.school_id)
        summary["failed_injections"] = failures["count"]
        summary["failed_reasons"] = [(masked_note(reason), n) for reason, n in failures["reasons"]]
        # What each reason asks of the school (decision 0034): not always a new number.
        summary["failed_groups"] = failures["groups"]
        # The SPTJM: its state, the next step and its deadline (a return is said here).
        summary["sptjm"] = home_sptjm(user, user.school_id)
    return summary


def _scope_name(user: Any) -> str:
    if user.role == Role.OPERATOR and user.school_id:
        return str(user.school)
    if user.region_id:
        return str(user.region)
    return gettext("Nasional")


# --- Dinas: schools of the region ranked by progress ---------------------------------------------

DINAS_SORTS = {
    "npsn": ("npsn",),
    "name": ("name", "npsn"),
    "total": ("total", "npsn"),
    "aktif": ("aktif", "npsn"),
    "share": ("share", "npsn"),
    "residu": ("residu", "npsn"),
}


@dataclass(frozen=True, slots=True)
class SchoolListArea:
    """Where a Dinas narrowed its school list: a kabupaten/kota and a kecamatan ("" = not narrowed),
    and the choices its filter form offers."""

    regency: str = ""
    district: str = ""
    regencies: list[tuple[str, str]] = field(default_factory=list)
    districts: list[tuple[str, str]] = field(default_factory=list)


def school_list_area(user: Any, *, regency: str = "", district: str = "") -> SchoolListArea | None:
    """The `kabkota` and `kecamatan` of the Dinas school list, checked against the user's scope.

    None when either names a region that is unknown, of the wrong level or outside the scope: the
    caller answers 404 for all three alike, so a guessed code tells nothing about other regions.
    A kecamatan of another kabupaten/kota than the one chosen (the province Dinas changed the
    kabupaten/kota and kept the old kecamatan in the form) gives way to the kabupaten/kota.
    """
    from verval.reference.models import Region

    regency, district = regency.strip(), district.strip()
    scope = access.regions_for(user)
    regencies: list[tuple[str, str]] = []
    if user.role == Role.DINAS_KAB:
        if regency and regency != user.region_id:
            return None
        regency = user.region_id
    else:
        regencies = list(
            scope.filter(level=Region.Level.REGENCY).order_by("name").values_list("code", "name")
        )
        if regency and regency not in dict(regencies):
            return None
    if district:
        parent = (
            scope.filter(code=district, level=Region.Level.DISTRICT)
            .values_list("parent_id", flat=True)
            .first()
        )
        if parent is None:
            return None
        if not regency:
            regency = parent
        elif parent != regency:
            district = ""
    districts = (
        list(
            Region.objects.filter(level=Region.Level.DISTRICT, parent_id=regency)
            .order_by("name")
            .values_list("code", "name")
        )
        if regency
        else []
    )
    return SchoolListArea(regency=regency, district=district, regencies=regencies, districts=districts)


def region_school_rows(
    user: Any,
    q: str = "",
    sort: str = "share",
    *,
    regency: str = "",
    district: str = "",
    counted: bool | None = None,
) -> Any:
    """Schools in the user's scope with total, AKTIF count, AKTIF share and residue count.

    `sort` is one of DINAS_SORTS, optionally prefixed with "-" (descending); default: least advanced first.
    `regency` / `district` narrow to a kabupaten/kota / kecamatan (checked by `school_list_area`;
    the scope still applies whatever they say). A school's kecamatan is its `region`, the most
    precise region the cutoff gave.

    The figures come from the dashboard's school summaries whenever those include every registry
    job's changes (`dashboard.selectors.school_counts`, whose rules the home page shares; a school
    marked dirty is counted live in the same statement), else from the recipients, as before: the
    same figures either way (decision 0085). `counted=True` always counts, `False` reads the
    summaries whatever the jobs (unless more than `dashboard.selectors.DIRTY_COUNTED_MAX` of the
    schools are dirty).
    """
    from django.db.models import Case, F, FloatField, Value, When
    from django.db.models.functions import Cast

    from verval.dashboard import selectors as dashboard_selectors
    from verval.registry.selectors import school_progress

    qs = (
        None
        if counted
        else dashboard_selectors.school_counts(access.schools_for(user), check_jobs=counted is None)
    )
    if qs is None:
        qs = school_progress(user)
    qs = qs.annotate(
        share=Case(
            When(total=0, then=Value(0.0)),
            default=Cast(F("aktif"), FloatField()) / Cast(F("total"), FloatField()),
            output_field=FloatField(),
        )
    )
    qs = _narrow(qs, q, regency=regency, district=district)
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    fields = DINAS_SORTS.get(key, DINAS_SORTS["share"])
    return qs.order_by(*[("-" + f if desc else f) for f in fields])


def region_school_count(user: Any, q: str = "", *, regency: str = "", district: str = "") -> int:
    """How many schools `region_school_rows` lists for the same filters, counted without their
    recipients: the list of a kabupaten of 5,000 schools counted them all twice, once for the
    page and once for the page count (decision 0079)."""
    return int(_narrow(access.schools_for(user), q, regency=regency, district=district).count())


def _narrow(qs: Any, q: str, *, regency: str, district: str) -> Any:
    from django.db.models import Q

    if regency:
        qs = qs.filter(regency_id=regency)
    if district:
        qs = qs.filter(region_id=district)
    q = q.strip()
    if q:
        qs = qs.filter(Q(npsn=q) | Q(name__icontains=q))
    return qs


def sptjm_states(user: Any, npsns: list[str]) -> dict[str, str]:
    """npsn -> status code of the school's latest SPTJM, when the sptjm app provides it."""
    try:
        from verval.sptjm import selectors as sptjm_selectors  # type: ignore[attr-defined]

        fn = getattr(sptjm_selectors, "latest_status_by_school", None)
        if fn is not None:
            return dict(fn(user, npsns))
    except ImportError:
        pass
    try:
        from verval.sptjm.models import Sptjm

        rows = (
            access.scope_by_school(user, Sptjm.objects.filter(school_id__in=npsns))
            .order_by("school_id", "-printed_at")
            .values_list("school_id", "status")
        )
    except (ImportError, LookupError, AttributeError):
        return {}
    try:
        states: dict[str, str] = {}
        for npsn, status in rows:
            states.setdefault(npsn, status)
        return states
    except Exception:  # noqa: BLE001 - the sptjm schema may still move; the page works without it
        return {}


def zone_for(user: Any) -> str:
    """The zone (WIB/WITA/WIT) a signed-in person reads times in: their own choice, else the
    province of their school (operator) or region (Dinas), else WIB (Pusdatin, providers)."""
    if user.time_zone:
        return str(user.time_zone)
    if user.role == Role.OPERATOR and user.school_id:
        return zones.zone_of_region(user.school.province_id)
    if user.role in (Role.DINAS_PROV, Role.DINAS_KAB):
        return zones.zone_of_region(user.region_id)
    return zones.WIB
