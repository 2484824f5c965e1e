"""Audit rows: written by actions in the same transaction as the change they record.

Numbers in audit rows are masked: actions write masked values in `before` / `after`
(`verval.phones.mask`), and the note, which often holds what a person typed (a reason, a file's
name), is masked here (decision 0086)."""

from __future__ import annotations

from typing import Any

from verval.core.logging import masked_numbers
from verval.core.models import AuditEvent


def record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    school_id: str = "",
    region_code: str = "",
    provider: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
    ip: str | None = None,
) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        school_id=school_id or "",
        region_code=region_code or "",
        provider=provider or "",
        before=before,
        after=after,
        note=masked_numbers(note) if note else note,
        ip=ip,
    )
