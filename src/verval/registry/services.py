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
from verval.core.db import REGISTRY_JOBS, analyze_after_commit, serialise_jobs
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
        # After a running import, not through it (decision 0042): its counts, history rows and
        # UPDATE then all see the same pending rows.
        serialise_jobs(REGISTRY_JOBS)
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
        audit.record(
            actor=actor, action="validate", object_type="job", object_id=job.pk if job else "", after=counts
        )
        analyze_after_commit()
    if progress:
        progress.update(total, total, force=True)
    return counts


def recount_shared_numbers() -> dict[str, int]:
    """Recompute SharedNumber from scratch with one GROUP BY over active recipients."""
    limit: int = settings.VERVAL["SHARED_NUMBER_LIMIT"]
    implausible: int = settings.VERVAL["SHARED_NUMBER_IMPLAUSIBLE"]
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
            [implausible, now, True, limit],
        )
    by_level = {"SEKOLAH": 0, "TIDAK_RASIONAL": 0}
    for level, n in SharedNumber.objects.values_list("level").annotate(n=Count("phone_e164")).order_by():
        by_level[level] = n
    return by_level


def recount_numbers(numbers: Any) -> None:
    """Recompute the flags of these numbers only, after an edit or a correction changed who uses
    them: a flag counted by the last validation run kept saying "65 recipients" after the school
    had corrected 60 of them, and a number pushed past the limit by edits was not flagged until
    the next run. Same rule as recount_shared_numbers; called inside the change's transaction."""
    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return
    limit: int = settings.VERVAL["SHARED_NUMBER_LIMIT"]
    implausible: int = settings.VERVAL["SHARED_NUMBER_IMPLAUSIBLE"]
    recipients = _table(Recipient)
    shared = _table(SharedNumber)
    now = timezone.now()
    with connection.cursor() as cur:
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ", ".join(["%s"] * len(part))
            cur.execute(f"DELETE FROM {shared} WHERE phone_e164 IN ({marks})", part)  # noqa: S608
            cur.execute(
                f"""INSERT INTO {shared} (phone_e164, recipients, schools, level, computed_at)
                    SELECT phone_e164, COUNT(*), COUNT(DISTINCT school_id),
                        CASE WHEN COUNT(*) > %s THEN 'TIDAK_RASIONAL' ELSE 'SEKOLAH' END, %s
                    FROM {recipients}
                    WHERE phone_e164 IN ({marks}) AND active = %s AND reason = ''
                    GROUP BY phone_e164 HAVING COUNT(*) > %s""",  # noqa: S608
                [implausible, now, *part, True, limit],
            )


def run_validation_job(job: Job) -> dict[str, int]:
    counts: dict[str, int] = {}
    if job.params.get("recheck"):
        counts.update(recheck_verdicts(actor=job.created_by, job=job))
    counts.update(validate_pending(actor=job.created_by, job=job))
    return counts


RECHECK_CHUNK = 50_000


def recheck_verdicts(*, actor: Any, job: Job | None = None) -> dict[str, int]:
    """Run the engine again over every active, unlocked recipient and flag the ones whose verdict
    changed (a new prefix table or rule): their stored verdict is replaced and they wait for the
    next validation run. Reads in primary-key chunks through the bulk path; writes only changes."""
    import polars as pl

    from verval.phones import check_series
    from verval.phones.reasons import REASONS as ENGINE_REASONS

    checked = changed = 0
    last_pk = None
    now = timezone.now()
    base = Recipient.objects.filter(active=True, locked=False).order_by("pk")
    progress = Progress(job) if job is not None else None
    with transaction.atomic():
        serialise_jobs(REGISTRY_JOBS)
        total = base.count()
        if progress:
            progress.update(0, total, force=True)
        while True:
            qs = base if last_pk is None else base.filter(pk__gt=last_pk)
            rows = list(qs.values_list("pk", "phone_raw", "phone_e164", "operator", "reason")[:RECHECK_CHUNK])
            if not rows:
                break
            last_pk = rows[-1][0]
            verdicts = check_series(
                pl.Series("input", [r[1] for r in rows], dtype=pl.Utf8),
                columns=("e164", "operator", "reason"),
            )
            e164 = verdicts.get_column("e164").to_list()
            operator = verdicts.get_column("operator").to_list()
            reason = verdicts.get_column("reason").to_list()
            updates = []
            for i, (pk, _raw, old_e164, old_operator, old_reason) in enumerate(rows):
                new = (e164[i] or "", operator[i] or "", reason[i] or "")
                # A residue row's reason is the provider's answer (TIDAK_AKTIF, ...), not a
                # verdict of the engine: compared with the engine's "valid" it would read as a
                # change and send every answered number to the providers again.
                old_verdict = old_reason if old_reason in ENGINE_REASONS else ""
                if new != (old_e164, old_operator, old_verdict):
                    updates.append(
                        Recipient(
                            pk=pk,
                            phone_e164=new[0],
                            operator=new[1],
                            reason=new[2],
                            needs_validation=True,
                            updated_at=now,
                        )
                    )
            if updates:
                # A verdict is of the number it was made from. A school's correction or a print
                # committed since the chunk was read has its own verdict or lock; the unconditional
                # bulk UPDATE wrote the old number's verdict over the new number (decision 0042).
                # Locked now, these rows stay as read until this run commits.
                read_as = {pk: raw for pk, raw, *_ in rows}
                still = set(
                    Recipient.objects.select_for_update()
                    .filter(pk__in=[u.pk for u in updates], active=True, locked=False)
                    .values_list("pk", "phone_raw")
                )
                updates = [u for u in updates if (u.pk, read_as[u.pk]) in still]
            if updates:
                Recipient.objects.bulk_update(
                    updates,
                    ["phone_e164", "operator", "reason", "needs_validation", "updated_at"],
                    batch_size=2000,
                )
            checked += len(rows)
            changed += len(updates)
            if progress:
                progress.update(checked)
        audit.record(actor=actor, action="recheck_verdicts", after={"diperiksa": checked, "berubah": changed})
        analyze_after_commit()
    return {"diperiksa_ulang": checked, "putusan_berubah": changed}
