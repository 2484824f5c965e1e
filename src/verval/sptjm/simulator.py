"""Provider simulator, disbursement side: every provider with new disbursement batches injects
them (all BERHASIL except a share GAGAL), uploads results, usage and its recap — through the real
API with the provider kit (verval_provider.inject), in-process or against `url`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from verval.core import files
from verval.exchange import actions as exchange_actions
from verval.sptjm.models import DisbursementBatch


def simulate_injection(
    period: str | None = None,
    *,
    actor: Any = None,
    fail_share: float = 0.03,
    seed: int = 0,
    url: str | None = None,
    providers: list[str] | None = None,
    workdir: Path | None = None,
    log: Any = None,
) -> dict[str, Any]:
    from verval.exchange.simulator import DjangoClientTransport
    from verval_provider.client import ApiClient, UrllibTransport
    from verval_provider.inject import sync_injection

    workdir = workdir or files.root() / "simulator-injection"
    waiting = DisbursementBatch.objects.exclude(state=DisbursementBatch.State.SELESAI)
    if period:
        waiting = waiting.filter(period_id=period)
    if providers:
        waiting = waiting.filter(provider__in=providers)
    summary: dict[str, Any] = {
        "providers": {},
        "batches": 0,
        "rows": 0,
        "berhasil": 0,
        "gagal": 0,
        "refused": 0,
    }
    for code in sorted(set(waiting.values_list("provider", flat=True))):
        _row, token = exchange_actions.issue_token(
            actor=actor, provider=code, label="simulator", rotate=False
        )
        client = ApiClient(token, UrllibTransport(url) if url else DjangoClientTransport())
        report = sync_injection(
            client, workdir / code, period=period, fail_share=fail_share, seed=seed, log=log
        )
        summary["providers"][code] = report
        for b in report["batches"]:
            summary["batches"] += 1
            for key in ("rows", "berhasil", "gagal", "refused"):
                summary[key] += b["counts"].get(key, 0)
    return summary
