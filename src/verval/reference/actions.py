"""Changes to reference data made from the web and from `verval period`: periods (tahap) and their
schedule. `actor=None` is the server's command line (its audit rows have no actor, as
`verval provider-token`'s); a web request always passes its user, who must be Pusdatin."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from verval.accounts import access
from verval.accounts.models import Role
from verval.core import audit
from verval.core.when import format_day
from verval.reference.models import Period, QuotaPolicy
from verval.reference.selectors import period_state

PERIOD_FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "sptjm_print_deadline",
    "sptjm_upload_deadline",
    "handover_on",
)


def _require_pusdatin(actor: Any) -> None:
    if actor is not None:
        access.require_role(actor, Role.PUSDATIN)


def _current_period() -> str:
    """The period the dashboard's summaries are read for (the open one, else the latest)."""
    from verval.dashboard.services import current_period_code

    return current_period_code()


def _follow_current_period(before: str, *, changed: bool = False) -> None:
    """When the action changed the period the dashboard's facts are read for (or, `changed`,
    what they count of a period), schedule the full refresh after the commit, as a job's end
    does: until it runs, the pages count live (decision 0115)."""
    if changed or _current_period() != before:
        from verval.dashboard.services import refresh_all_on_commit

        refresh_all_on_commit()


def _snapshot(period: Period) -> dict[str, Any]:
    data: dict[str, Any] = {f: getattr(period, f) for f in PERIOD_FIELDS}
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}
    data.update(policy=period.policy_id, is_open=period.is_open)
    return data


def _check_dates(starts_on: date, ends_on: date, **deadlines: date | None) -> None:
    """The schedule in the order the round runs: start, SPTJM printed, SPTJM uploaded, data handed
    to the providers, end. Deadlines given as keyword arguments in that order; any may be None."""
    if ends_on < starts_on:
        raise ValidationError(_("Tanggal selesai harus sesudah tanggal mulai."), code="dates")
    previous: date | None = None
    for name, value in deadlines.items():
        if value is None:
            continue
        if value < starts_on:
            raise ValidationError(_("Tenggat tidak boleh sebelum tanggal mulai periode."), code=name)
        if value > ends_on:
            raise ValidationError(_("Tenggat tidak boleh sesudah tanggal selesai periode."), code=name)
        if previous is not None and value < previous:
            raise ValidationError(
                _(
                    "Urutan jadwal: batas cetak SPTJM, lalu batas unggah SPTJM, lalu serah ke provider; "
                    "tanggal yang lebih belakang tidak boleh lebih awal."
                ),
                code=name,
            )
        previous = value


def _refuse_overlap(*, code: str, starts_on: date, ends_on: date) -> None:
    """Periods do not share a day: "the previous period" of the low-usage rule (SPEC §6) is the
    one that started before, which an overlap makes the wrong one. The periods are locked first
    (in code order) so that two saves at once do not both pass the check (decision 0026)."""
    list(Period.objects.select_for_update().order_by("code").values_list("code", flat=True))
    other = (
        Period.objects.exclude(code=code)
        .filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on", "code")
        .first()
    )
    if other is not None:
        raise ValidationError(
            _(
                "Tanggal periode bertumpang tindih dengan periode %(other)s (%(starts)s sampai "
                "%(ends)s). Periode tidak boleh berbagi hari: mulailah sesudah periode sebelumnya "
                "selesai, atau selesaikan sebelum periode berikutnya dimulai."
            ),
            code="overlap",
            params={
                "other": other.code,
                "starts": format_day(other.starts_on),
                "ends": format_day(other.ends_on),
            },
        )


@transaction.atomic
def save_period(
    *,
    actor: Any,
    code: str,
    name: str,
    policy: QuotaPolicy,
    starts_on: date,
    ends_on: date,
    sptjm_print_deadline: date | None = None,
    sptjm_upload_deadline: date | None = None,
    handover_on: date | None = None,
    create: bool = False,
) -> Period:
    """Create (create=True) or edit a period's name, dates and quota policy.

    The policy of a period whose disbursement has started (it has disbursement rows) does not
    change: its rows carry the packages of that policy. Its other fields stay editable. The
    period row is locked as the disbursement run locks it, so neither overtakes the other.

    A closed period (opened, then closed: not one never opened) is not edited at all: its
    schedule and policy are the record of a round that ran, and its dates decide which period is
    "the previous one" of the low-usage rule (SPEC §6). Decision 0078.
    """
    _require_pusdatin(actor)
    _check_dates(
        starts_on,
        ends_on,
        sptjm_print_deadline=sptjm_print_deadline,
        sptjm_upload_deadline=sptjm_upload_deadline,
        handover_on=handover_on,
    )
    if create:
        if Period.objects.filter(code=code).exists():
            raise ValidationError(_("Kode periode sudah dipakai."), code="code")
        period = Period(code=code)
        before = None
    else:
        period = Period.objects.select_for_update().get(code=code)
        before = _snapshot(period)
        if period_state(period) == "closed":
            raise ValidationError(
                _(
                    "Periode %(code)s sudah ditutup: jadwal dan kebijakan kuotanya adalah catatan "
                    "tahap yang sudah berjalan dan tidak dapat diubah lagi."
                ),
                code="closed",
                params={"code": period.code},
            )
        if policy.pk != period.policy_id and period.disbursements.exists():  # type: ignore[attr-defined]
            raise ValidationError(
                _(
                    "Kebijakan kuota periode %(code)s tidak dapat diubah: penyalurannya sudah dimulai "
                    "dan setiap baris penyaluran membawa paket kebijakan %(policy)s. Bidang lain tetap "
                    "dapat diubah."
                ),
                code="policy",
                params={"code": period.code, "policy": period.policy_id},
            )
    _refuse_overlap(code=code, starts_on=starts_on, ends_on=ends_on)
    current = _current_period()  # with no period open, a new or moved start may change it
    # A policy asking an SPTJM for changed numbers only counts carried records (the dashboard's
    # DIBAWA facts, `dashboard.sources`) in its period: another policy changes them.
    policy_changed = before is not None and before["policy"] != policy.pk
    period.name = name
    period.policy = policy
    period.starts_on = starts_on
    period.ends_on = ends_on
    period.sptjm_print_deadline = sptjm_print_deadline
    period.sptjm_upload_deadline = sptjm_upload_deadline
    period.handover_on = handover_on
    period.save()
    audit.record(
        actor=actor,
        action="create_period" if create else "update_period",
        object_type="period",
        object_id=period.code,
        before=before,
        after=_snapshot(period),
    )
    _follow_current_period(current, changed=policy_changed)
    return period


@transaction.atomic
def open_period(*, actor: Any, code: str) -> Period:
    """Open a period; the period open before it (if any) is closed: one current round at a time."""
    _require_pusdatin(actor)
    period = Period.objects.select_for_update().get(code=code)
    current = _current_period()
    for other in Period.objects.select_for_update().filter(is_open=True).exclude(code=code):
        other.is_open = False
        other.save(update_fields=["is_open"])
        audit.record(
            actor=actor, action="close_period", object_type="period", object_id=other.code, note="replaced"
        )
    if not period.is_open:
        period.is_open = True
        period.save(update_fields=["is_open"])
        audit.record(actor=actor, action="open_period", object_type="period", object_id=period.code)
    _follow_current_period(current)
    return period


@transaction.atomic
def close_period(*, actor: Any, code: str) -> Period:
    _require_pusdatin(actor)
    period = Period.objects.select_for_update().get(code=code)
    current = _current_period()
    if period.is_open:
        period.is_open = False
        period.save(update_fields=["is_open"])
        audit.record(actor=actor, action="close_period", object_type="period", object_id=period.code)
    # With none open, the dashboard reads the latest period: another one when a later period waits.
    _follow_current_period(current)
    return period
