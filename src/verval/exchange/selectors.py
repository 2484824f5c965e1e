"""Reads of exchange data, always through the scoping helpers (verval.accounts.access)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from verval.accounts import access
from verval.accounts.models import PROVIDER_CHOICES
from verval.exchange.models import (
    DumpBatch,
    DumpItem,
    NumberFormat,
    ProviderSetting,
    ProviderToken,
    RefusedContradiction,
)
from verval.exchange.reasons import residue_reason
from verval.phones import mask
from verval.registry.models import NumberHistory, NumberStatus


def provider_home_counts(user: Any) -> dict[str, Any]:
    batches = access.scope_by_provider(user, DumpBatch.objects.all())
    agg = batches.aggregate(rows=Sum("rows"), answered=Sum("answered"), superseded=Sum("superseded"))
    unanswered = (agg["rows"] or 0) - (agg["answered"] or 0) - (agg["superseded"] or 0)
    return {"batches": batches.count(), "unanswered": max(0, unanswered)}


def batches_for(user: Any) -> QuerySet[DumpBatch]:
    return access.scope_by_provider(user, DumpBatch.objects.all())


def provider_overview(user: Any) -> list[dict[str, Any]]:
    """Per provider: batches, rows, answered, unanswered, contradictions, tokens and the dump
    number format."""
    batches = batches_for(user)
    formats = dict(ProviderSetting.objects.values_list("provider", "number_format"))
    out = []
    for code, name in PROVIDER_CHOICES:
        own = batches.filter(provider=code)
        agg = own.aggregate(
            rows=Sum("rows"),
            answered=Sum("answered"),
            superseded=Sum("superseded"),
            contradictions=Sum("contradictions"),
            aktif=Sum("aktif"),
            residu=Sum("residu"),
        )
        rows = agg["rows"] or 0
        need = rows - (agg["superseded"] or 0)
        # Every live token, whatever its label (the demo and the simulator issue their own).
        tokens = (
            list(ProviderToken.objects.filter(provider=code, revoked_at__isnull=True).order_by("-created_at"))
            if getattr(user, "is_pusdatin", False)
            else []
        )
        out.append(
            {
                "code": code,
                "name": name,
                "batches": own.count(),
                "rows": rows,
                "answered": agg["answered"] or 0,
                "unanswered": max(0, need - (agg["answered"] or 0)),
                "aktif": agg["aktif"] or 0,
                "residu": agg["residu"] or 0,
                "contradictions": agg["contradictions"] or 0,
                "percent": 100 if need <= 0 else int(100 * (agg["answered"] or 0) / need),
                "tokens": tokens,
                "number_format": formats.get(code, NumberFormat.MSISDN),
            }
        )
    return out


def batch_items(user: Any, batch: DumpBatch) -> QuerySet[DumpItem]:
    if not batches_for(user).filter(pk=batch.pk).exists():
        return DumpItem.objects.none()
    return DumpItem.objects.filter(batch=batch)


def contradictions(user: Any, batch: DumpBatch) -> QuerySet[DumpItem]:
    return batch_items(user, batch).exclude(conflict_result="").order_by("-conflict_at")


def refused_contradictions(user: Any, batch: DumpBatch) -> QuerySet[RefusedContradiction]:
    """The contradictions of this batch's results files that were refused whole (nothing of
    them applied), newest first: Pusdatin sees every batch's, a provider its own batches'."""
    if not batches_for(user).filter(pk=batch.pk).exists():
        return RefusedContradiction.objects.none()
    return RefusedContradiction.objects.filter(batch=batch).order_by("-at", "line")


def routing_questions(user: Any, batch: DumpBatch) -> QuerySet[DumpItem]:
    """Rows the provider answered BUKAN_PELANGGAN: Pusdatin checks the prefix routing."""
    return batch_items(user, batch).filter(result="BUKAN_PELANGGAN").order_by("id")


def residue_rows(user: Any, npsn: str) -> list[dict[str, Any]]:
    """A school's residue with the provider's reason, note, batch and what to do (id + en).

    Scoped like the school's list (verval.accounts.access); numbers are masked by the template
    layer of the caller where needed.
    """
    school = access.get_school_or_deny(user, npsn)
    last_item = (
        DumpItem.objects.filter(recipient_id=OuterRef("pk"))
        .exclude(result="")
        .order_by("-answered_at", "-id")
    )
    qs = (
        access.recipients_for(user)
        .filter(school=school, active=True, status=NumberStatus.RESIDU)
        .annotate(
            residue_batch=Subquery(last_item.values("batch_id")[:1]),
            residue_at=Subquery(last_item.values("answered_at")[:1]),
        )
        .order_by("kind", "grade", "name")
    )
    return [annotate_residue(r) for r in qs]


def annotate_residue(recipient: Any) -> dict[str, Any]:
    reason = residue_reason(recipient.reason)
    return {
        "recipient": recipient,
        "provider": recipient.operator,
        "reason": reason.code,
        "reason_message": reason.message_id,
        "reason_message_en": reason.message_en,
        "note": recipient.reason_note,
        "action": reason.action_id,
        "action_en": reason.action_en,
        "batch": getattr(recipient, "residue_batch", None),
        "answered_at": getattr(recipient, "residue_at", None),
    }


def provider_result_entries(recipient: Any) -> list[Any]:
    """The provider results that moved this recipient's status, as (unsaved) NumberHistory
    entries for its timeline. The caller has already checked that the user may see the
    recipient. Answered dump rows are the record of these results (decision 0008)."""
    items = (
        DumpItem.objects.filter(recipient=recipient, applied=True, answered_at__isnull=False)
        .select_related("answered_by")
        .order_by("-answered_at", "-id")
    )
    return [
        NumberHistory(
            recipient=recipient,
            at=cast(datetime, item.answered_at),
            actor=item.answered_by,
            job_id=item.answered_in_id,
            action="provider_result",
            from_status=NumberStatus.MENUNGGU_PROVIDER,
            to_status=NumberStatus.AKTIF if item.result == "AKTIF" else NumberStatus.RESIDU,
            reason="" if item.result == "AKTIF" else item.result,
            phone_before=mask(item.phone),
            phone_after=mask(item.phone),
            note=item.batch_id,
        )
        for item in items
    ]
