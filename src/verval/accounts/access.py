"""The one place that decides what a user may see.

Every read of a school's, region's or provider's data goes through these helpers. Each returns a
queryset already narrowed to the user's scope (an empty one for a user with no scope), so a view
that forgets a filter still cannot leak another school's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Model, Q, QuerySet

from verval.accounts.models import Role

if TYPE_CHECKING:
    from verval.accounts.models import User
    from verval.reference.models import Region, School


_NOTHING = Q(pk__in=[])


def _school_q(user: Any, prefix: str = "") -> Q | None:
    """Q over a School relation reachable through `prefix`; None means "everything"."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NOTHING
    role = user.role
    if role == Role.PUSDATIN:
        return None
    if role == Role.OPERATOR and user.school_id:
        return Q(**{f"{prefix}npsn": user.school_id})
    if role == Role.DINAS_KAB and user.region_id:
        return Q(**{f"{prefix}regency_id": user.region_id})
    if role == Role.DINAS_PROV and user.region_id:
        return Q(**{f"{prefix}province_id": user.region_id})
    return _NOTHING


def schools_for(user: Any) -> QuerySet[School]:
    from verval.reference.models import School

    q = _school_q(user)
    if q is _NOTHING:
        return School.objects.none()
    return School.objects.all() if q is None else School.objects.filter(q)


def scope_by_school(user: Any, qs: QuerySet[Any], school_field: str = "school") -> QuerySet[Any]:
    """Narrow any queryset with a FK to School (through `school_field`) to the user's scope.

    Providers see no school-keyed data through this path: their data is reached through
    scope_by_provider only.
    """
    if getattr(user, "role", None) == Role.PROVIDER:
        return qs.none()
    q = _school_q(user, prefix=f"{school_field}__")
    if q is None:
        return qs
    if q is _NOTHING:
        return qs.none()
    return qs.filter(q)


def recipients_for(user: Any) -> QuerySet[Any]:
    from verval.registry.models import Recipient

    return scope_by_school(user, Recipient.objects.all())


def scope_by_provider(user: Any, qs: QuerySet[Any], provider_field: str = "provider") -> QuerySet[Any]:
    """Provider-keyed data: a provider sees its own rows, Pusdatin everything, others nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.role == Role.PUSDATIN:
        return qs
    if user.role == Role.PROVIDER and user.provider:
        return qs.filter(**{provider_field: user.provider})
    return qs.none()


def regions_for(user: Any) -> QuerySet[Region]:
    from verval.reference.models import Region

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Region.objects.none()
    if user.role == Role.PUSDATIN:
        return Region.objects.all()
    if user.role in (Role.DINAS_PROV, Role.DINAS_KAB) and user.region_id:
        prefix = user.region_id[:2] if user.role == Role.DINAS_PROV else user.region_id[:4]
        return Region.objects.filter(code__startswith=prefix)
    return Region.objects.none()


def jobs_for(user: Any) -> QuerySet[Any]:
    """Jobs: Pusdatin all; a provider its own; an operator its school's; Dinas none (reads only).
    A report export (`OWNER_ONLY_KINDS`) only to whoever asked for it, Dinas too (decision 0068)."""
    from django.db.models import Q

    from verval.core.models import OWNER_ONLY_KINDS, Job

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Job.objects.none()
    if user.role == Role.PUSDATIN:
        return Job.objects.filter(~Q(kind__in=OWNER_ONLY_KINDS) | Q(created_by=user))
    if user.role in (Role.DINAS_PROV, Role.DINAS_KAB):
        return Job.objects.filter(kind__in=OWNER_ONLY_KINDS, created_by=user)
    if user.role == Role.PROVIDER and user.provider:
        return Job.objects.filter(provider=user.provider)
    if user.role == Role.OPERATOR and user.school_id:
        return Job.objects.filter(school_id=user.school_id, created_by=user)
    return Job.objects.none()


def audit_for(user: Any) -> QuerySet[Any]:
    """The audit rows a user may read (decision 0135): Pusdatin all; a Dinas the rows of its
    region: those whose school is one of its schools today (`schools_for`, whatever region the
    row names) and those whose region code lies in its region (a kabupaten/kota and its
    kecamatan; a province and everything in it), whoever wrote them. A row with neither a
    school nor a region (a provider's API call, a period opened, a file pruned) is Pusdatin's
    only. Operators and providers read none here (a provider reads its own API rows through
    the API, `exchange.apiauth.own_rows`)."""
    from verval.core.models import AuditEvent

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AuditEvent.objects.none()
    if user.role == Role.PUSDATIN:
        return AuditEvent.objects.all()
    if user.role in (Role.DINAS_PROV, Role.DINAS_KAB) and user.region_id:
        prefix = user.region_id[:2] if user.role == Role.DINAS_PROV else user.region_id[:4]
        schools: Any = schools_for(user).values("npsn")
        if user.role == Role.DINAS_KAB and connection.vendor == "postgresql":
            # The NPSNs themselves (a kabupaten/kota has a few thousand at most): PostgreSQL then
            # estimates how many rows they have from its statistics and, when they are few, reads
            # them through the school_id and region_code indexes instead of walking the whole log
            # in time order (decision 0135: 0.5 s down to 15 ms for a small kabupaten at 3 million
            # rows). A subquery is a filter it cannot estimate.
            schools = list(schools.values_list("npsn", flat=True))
        return AuditEvent.objects.filter(Q(school_id__in=schools) | Q(region_code__startswith=prefix))
    return AuditEvent.objects.none()


def school_work_for(user: Any, npsn: str) -> QuerySet[Any]:
    """The jobs acting on one school's SPTJM (`SCHOOL_SHARED_KINDS`: scan checks, large prints) for
    every reader of that school (`schools_for`): its operators, whoever started the job, the Dinas
    of its region and Pusdatin; nothing for anyone else (decision 0107). What a page shows of them
    is read-only: the job's own page stays `jobs_for`'s."""
    from verval.core.models import SCHOOL_SHARED_KINDS, Job

    if not schools_for(user).filter(npsn=npsn).exists():
        return Job.objects.none()
    return Job.objects.filter(kind__in=SCHOOL_SHARED_KINDS, school_id=npsn)


def get_school_or_deny(user: Any, npsn: str) -> School:
    school = schools_for(user).filter(npsn=npsn).first()
    if school is None:
        raise PermissionDenied("school outside the user's scope")
    return school


def get_in_scope(qs: QuerySet[Any], **lookup: Any) -> Model:
    """Fetch one object from an already-scoped queryset, or PermissionDenied (never 'exists elsewhere')."""
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise PermissionDenied("object outside the user's scope")
    return obj


def can_edit_school(user: Any, school: School | str | None) -> bool:
    """Only the school's own operator edits its numbers; Dinas and Pusdatin read. No school
    (a user without one asking about its own): nobody edits."""
    if school is None:
        return False
    npsn = school if isinstance(school, str) else school.npsn
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.OPERATOR
        and user.school_id == npsn
    )


def can_cancel_job(user: Any, job: Any) -> bool:
    """Pusdatin cancels any job; a school's operator the correction file it uploaded itself,
    while it is still that school's operator (decision 0039)."""
    from verval.core.models import UPLOADER_CANCELS_KINDS

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == Role.PUSDATIN:
        return True
    return (
        job.kind in UPLOADER_CANCELS_KINDS
        and job.created_by_id is not None
        and job.created_by_id == user.pk
        and can_edit_school(user, job.school_id)
    )


# Who decides an operator registration (decision 0096). UU 23/2014 gives the province SMA, SMK and
# special education (SLB) and the kabupaten/kota PAUD, SD, SMP and kesetaraan; a school whose form
# is not listed here (including one Dapodik gives no known form) is the kabupaten/kota's. The forms
# are those of the dashboard's SMA, SMK and SLB levels (`dashboard.sources`), madrasah included so
# that one school is never the province's on one page and the kabupaten/kota's on another.
PROVINCE_SCHOOL_FORMS = ("SMA", "MA", "SMK", "MAK", "SLB", "SDLB", "SMPLB", "SMLB", "SMALB", "TKLB")


def _active_dinas(role: str, region_field: str) -> Any:
    """EXISTS an active Dinas account of `role` for the region in `region_field` of the row."""
    from django.db.models import Exists, OuterRef

    from verval.accounts.models import User

    return Exists(User.objects.filter(role=role, is_active=True, region_id=OuterRef(region_field)))


def decides_registration_q(user: Any, prefix: str = "school__") -> Q:
    """Q over rows with a School (through `prefix`) whose operator registration `user` decides.

    The level UU 23/2014 makes responsible for the school decides; when that level has no active
    Dinas account in the school's region the other level decides instead, so that no
    registration waits for an account that does not exist (decision 0096). Pusdatin, operators
    and providers decide none. Computed at each read: a Dinas account created or deactivated
    moves the school's pending registrations at once, with nothing to migrate."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.region_id:
        return _NOTHING
    province_form = Q(**{f"{prefix}bentuk__in": PROVINCE_SCHOOL_FORMS})
    if user.role == Role.DINAS_PROV:
        no_regency_dinas = ~_active_dinas(Role.DINAS_KAB, f"{prefix}regency_id")
        return Q(**{f"{prefix}province_id": user.region_id}) & (province_form | Q(no_regency_dinas))
    if user.role == Role.DINAS_KAB:
        no_province_dinas = ~_active_dinas(Role.DINAS_PROV, f"{prefix}province_id")
        return Q(**{f"{prefix}regency_id": user.region_id}) & (~province_form | Q(no_province_dinas))
    return _NOTHING


def registration_decider(school: School) -> str:
    """The role that decides a registration for `school` today (DINAS_PROV or DINAS_KAB): the
    responsible level, or the other one when the responsible level has no active account."""
    from verval.accounts.models import User

    if school.bentuk in PROVINCE_SCHOOL_FORMS:
        responsible, region, other = Role.DINAS_PROV, school.province_id, Role.DINAS_KAB
    else:
        responsible, region, other = Role.DINAS_KAB, school.regency_id, Role.DINAS_PROV
    if User.objects.filter(role=responsible, region_id=region, is_active=True).exists():
        return responsible
    return other


def registration_office(school: School) -> str:
    """The name of the office that decides a registration for `school` today ("Kab. Bogor",
    "Prov. Jawa Barat"; `registration_decider`'s region), or "" when that region is unknown. The
    page after registering and the applicant's e-mail both name it (decisions 0109, 0113)."""
    region = school.province if registration_decider(school) == Role.DINAS_PROV else school.regency
    return region.name if region else ""


def require_role(user: User | Any, *roles: str) -> None:
    if not getattr(user, "is_authenticated", False) or user.role not in roles:
        raise PermissionDenied("role not allowed")
