"""Pusdatin's validation run (SPEC §3 step 3) and the shared-number count (SPEC §5).

The number engine runs when a number is written (import, edit, bulk correction) and stores its
verdict on the recipient (phone_e164, operator, reason). The run applies those verdicts to every
recipient whose number is new or changed since the last run, set-based: one INSERT … SELECT for the
history and one UPDATE, so 1 M recipients take seconds rather than minutes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from verval.core import audit
from verval.core.jobs import Progress
from verval.core.models import Job
from verval.registry.models import NumberHistory, NumberStatus, Recipient, SharedNumber

# The verdict stored at write time: valid when it has an E.164 form and no refusal reason.
_VALID = "(phone_e164 <> '' AND reason = '')"
_PENDING = "needs_validation = %s AND active = %s AND locked = %s"


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def validate_pending(*, actor: Any, job: Job | None = None) -> dict[str, int]:
    """Move every pending recipient to MENUNGGU_PROVIDER or FORMAT_SALAH; returns counts."""
    recipients = _table(Recipient)
    history = _table(NumberHistory)
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    job_id = job.pk.hex if job is not None and connection.vendor == "sqlite" else (job.pk if job else None)
    pending = (True, True, False)
    progress = Progress(job) if job is not None else None
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(*), SUM(CASE WHEN {_VALID} THEN 1 ELSE 0 END) FROM {recipients} WHERE {_PENDING}",  # noqa: S608
                pending,
            )
            total, valid = cur.fetchone()
            total, valid = int(total or 0), int(valid or 0)
            if progress:
                progress.update(0, total, force=True)
            # History first, while the rows still carry their old status.
            cur.execute(
                f"""INSERT INTO {history} (recipient_id, at, actor_id, job_id, action, from_status, to_status,
                        reason, phone_before, phone_after, note)
                    SELECT id, %s, %s, %s, 'validasi', status,
                        CASE WHEN {_VALID} THEN %s ELSE %s END,
                        CASE WHEN {_VALID} THEN '' ELSE reason END, '', '', ''
                    FROM {recipients} WHERE {_PENDING}""",  # noqa: S608
                (now, actor_id, job_id, NumberStatus.MENUNGGU_PROVIDER, NumberStatus.FORMAT_SALAH, *pending),
            )
            cur.execute(
                f"""UPDATE {recipients} SET
                        status = CASE WHEN {_VALID} THEN %s ELSE %s END,
                        reason = CASE WHEN {_VALID} THEN '' ELSE reason END,
                        reason_note = '', needs_validation = %s, status_changed_at = %s, updated_at = %s,
                        version = version + 1
                    WHERE {_PENDING}""",  # noqa: S608
                (NumberStatus.MENUNGGU_PROVIDER, NumberStatus.FORMAT_SALAH, False, now, now, *pending),
            )
        shared = recount_shared_numbers()
        counts = {
            "divalidasi": total,
            "menunggu_provider": valid,
            "format_salah": total - valid,
            "nomor_dipakai_bersama": shared["SEKOLAH"] + shared["TIDAK_RASIONAL"],
            "nomor_tidak_rasional": shared["TIDAK_RASIONAL"],
        }
        audit.record(actor=actor, action="validate", object_type="job", object_id=job.pk if job else "", after=counts)
    if progress:
        progress.update(total, total, force=True)
    return counts


def recount_shared_numbers() -> dict[str, int]:
    """Recompute SharedNumber from scratch with one GROUP BY over active recipients."""
    limit = settings.VERVAL["SHARED_NUMBER_LIMIT"]
    implausible = settings.VERVAL["SHARED_NUMBER_IMPLAUSIBLE"]
    recipients = _table(Recipient)
    shared = _table(SharedNumber)
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {shared}")  # noqa: S608
        cur.execute(
            f"""INSERT INTO {shared} (phone_e164, recipients, schools, level, computed_at)
                SELECT phone_e164, COUNT(*), COUNT(DISTINCT school_id),
                    CASE WHEN COUNT(*) > %s THEN 'TIDAK_RASIONAL' ELSE 'SEKOLAH' END, %s
                FROM {recipients}
                WHERE active = %s AND phone_e164 <> '' AND reason = ''
                GROUP BY phone_e164 HAVING COUNT(*) > %s""",  # noqa: S608
            (implausible, now, True, limit),
        )
    by_level = {"SEKOLAH": 0, "TIDAK_RASIONAL": 0}
    for level, n in SharedNumber.objects.values_list("level").annotate(n=Count("phone_e164")).order_by():
        by_level[level] = n
    return by_level


def run_validation_job(job: Job) -> dict[str, int]:
    return validate_pending(actor=job.created_by, job=job)
