"""State changes of the exchange: tokens, dumps, match results. Each writes its audit row."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from verval.accounts.models import PROVIDER_CODES
from verval.core import audit, files, jobs
from verval.core.db import analyze_after_commit
from verval.core.jobs import Progress, RowIssue
from verval.core.models import Job
from verval.exchange import services
from verval.exchange.models import DumpBatch, NumberFormat, ProviderSetting, ProviderToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    *, actor: Any, provider: str, label: str = "default", rotate: bool = True
) -> tuple[ProviderToken, str]:
    """Issue a new API token for a provider. A rotation (the default: the Pusdatin page and
    `verval provider-token`) revokes every active token of the provider, whatever its label, so
    that afterwards only the new one works. The tools that hand themselves a token on each run
    (the simulator, the demo) pass rotate=False: they replace only their own label's token and
    must not cut off the provider's real one.

    Returns the row and the token in clear, which is shown once and never stored.
    """
    if provider not in PROVIDER_CODES:
        raise ValueError(f"unknown provider {provider!r}")
    prefix = secrets.token_hex(4)
    token = f"vp_{prefix}_{secrets.token_urlsafe(32)}"
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        active = ProviderToken.objects.filter(provider=provider, revoked_at__isnull=True)
        if not rotate:
            active = active.filter(label=label)
        revoked = active.update(revoked_at=timezone.now())
        row = ProviderToken.objects.create(
            provider=provider, label=label, prefix=prefix, token_hash=hash_token(token), created_by=user
        )
        audit.record(
            actor=actor,
            action="issue_provider_token",
            object_type="provider_token",
            object_id=row.pk,
            provider=provider,
            after={"prefix": prefix, "label": label, "rotate": rotate, "revoked": revoked},
        )
    return row, token


def revoke_tokens(*, actor: Any, provider: str) -> int:
    """Revoke every active API token of a provider without issuing another: the way to cut a
    provider off (deactivating its web accounts does not touch the API, whose tokens belong to
    the provider, not to a person). Returns how many were revoked."""
    if provider not in PROVIDER_CODES:
        raise ValueError(f"unknown provider {provider!r}")
    with transaction.atomic():
        active = ProviderToken.objects.filter(provider=provider, revoked_at__isnull=True)
        prefixes = sorted(active.values_list("prefix", flat=True))
        revoked = active.update(revoked_at=timezone.now())
        audit.record(
            actor=actor,
            action="revoke_provider_tokens",
            object_type="provider_token",
            object_id=provider,
            provider=provider,
            after={"revoked": revoked, "prefixes": prefixes},
        )
    return revoked


def set_number_format(*, actor: Any, provider: str, number_format: str) -> dict[str, Any]:
    """Set how a provider's dumps and disbursement batches write no_ponsel (NumberFormat). It
    applies from the provider's next batch of either kind: a batch already published keeps the
    format its file and manifest were written in, and its results are understood in any format
    (docs/decisions/0027-provider-number-format.md).
    Setting the format a provider already has changes nothing and writes no audit row.

    Returns provider, number_format, before, changed, and unfinished_batches: how many of the
    provider's batches still wait for answers in another format than the new one."""
    if provider not in PROVIDER_CODES:
        raise ValueError(f"unknown provider {provider!r}")
    if number_format not in NumberFormat.values:
        raise ValueError(f"unknown number format {number_format!r}")
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        row, _created = ProviderSetting.objects.select_for_update().get_or_create(provider=provider)
        before = row.number_format
        # Dumps still waiting for answers and disbursement batches without all their injection
        # results: both keep the format their files were written in (decision 0027, Revision).
        from verval.sptjm.models import DisbursementBatch  # sptjm builds on exchange

        unfinished = (
            DumpBatch.objects.filter(provider=provider)
            .exclude(state=DumpBatch.State.COMPLETE)
            .exclude(number_format=number_format)
            .count()
        ) + (
            DisbursementBatch.objects.filter(provider=provider)
            .exclude(state=DisbursementBatch.State.SELESAI)
            .exclude(number_format=number_format)
            .count()
        )
        changed = before != number_format
        if changed:
            row.number_format, row.updated_by = number_format, user
            row.save(update_fields=["number_format", "updated_by", "updated_at"])
            audit.record(
                actor=actor,
                action="set_provider_number_format",
                object_type="provider",
                object_id=provider,
                provider=provider,
                before={"number_format": before},
                after={"number_format": number_format, "unfinished_batches": unfinished},
            )
    return {
        "provider": provider,
        "number_format": number_format,
        "before": before,
        "changed": changed,
        "unfinished_batches": unfinished,
    }


def publish_dumps(
    *, actor: Any, provider: str | None = None, job: Job | None = None, progress: Progress | None = None
) -> list[DumpBatch]:
    """Publish a dump batch per provider (or for one) of what is new or changed. One transaction."""
    providers = [provider] if provider else list(PROVIDER_CODES)
    for code in providers:
        if code not in PROVIDER_CODES:
            raise ValueError(f"unknown provider {code!r}")
    with transaction.atomic():
        batches = services.publish_dump_batches(actor=actor, providers=providers, job=job, progress=progress)
        analyze_after_commit()
        return batches


def request_dump(*, actor: Any, provider: str | None = None) -> Job:
    """Create the dump job and hand it to the worker."""
    with transaction.atomic():
        job = jobs.create_job(
            actor=actor, kind="dump", params={"provider": provider or ""}, provider=provider or ""
        )
        audit.record(
            actor=actor, action="request_dump", object_type="job", object_id=job.pk, provider=provider or ""
        )
        jobs.enqueue(job)
    return job


def apply_match_results(
    *, actor: Any, batch: DumpBatch, path: Path, job: Job | None = None, progress: Progress | None = None
) -> tuple[dict[str, Any], list[RowIssue]]:
    """Apply a provider's results file to a batch (caller holds the transaction)."""
    counts, issues = services.apply_results(actor=actor, batch=batch, path=path, job=job, progress=progress)
    audit.record(
        actor=actor,
        action="ingest_match_results",
        object_type="dump_batch",
        object_id=batch.id,
        provider=batch.provider,
        after={k: v for k, v in counts.items() if k != "by_code"},
    )
    return counts, issues


def create_ingest_job(
    *,
    actor: Any,
    batch: DumpBatch,
    upload: Any = None,
    path: Path | None = None,
    name: str = "",
    provider: str = "",
) -> Job:
    """Store the results file and create its ingest job (not yet run)."""
    if path is not None:
        with open(path, "rb") as fh:
            rel, sha, _size = files.save_upload("results", fh, suffix=".csv")
        name = name or path.name
    else:
        rel, sha, _size = files.save_upload("results", upload, suffix=".csv")
    return jobs.create_job(
        actor=actor,
        kind="ingest_results",
        params={"batch_id": batch.id},
        input_name=name[:255],
        input_path=rel,
        input_sha256=sha,
        provider=provider or batch.provider,
    )
