"""Provider kit, disbursement side — the SIMULATOR (no Django): for demos and tests only.

`sync_injection` pulls new disbursement batches, "injects" them (`injection_results`: all
BERHASIL except a deterministic share GAGAL; nothing is injected anywhere), uploads those
results, a simulated usage report and the period's recap. A real provider sends its own
injection platform's results instead: `verval-provider pull-disbursements`,
`upload-injection`, `upload-usage` and `send-recap` (verval_provider.disbursement,
docs/provider-kit.md), which this simulator runs on too.

    from verval_provider.client import ApiClient, UrllibTransport
    from verval_provider.inject import sync_injection
    sync_injection(ApiClient(token, UrllibTransport(url)), workdir, fail_share=0.03)

Files (SPEC §7): batch `pd_id,no_ponsel,kuota_gb,kategori` (gzip); results
`pd_id,no_ponsel,status,keterangan,kuota_gb,waktu` (BERHASIL/GAGAL); usage
`pd_id,no_ponsel,pemakaian_gb`. A batch writes no_ponsel in the provider's number format
(`628…`, `+628…` or `08…`, the batch's `number_format`, decision 0027); the results and usage
give it back as the batch has it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from verval_provider.client import ApiClient
from verval_provider.disbursement import (
    DisbursementStore,
    download_batch,
    list_batches,
    period_recap,
    send_recap,
    upload_injection,
    upload_usage,
)

GAGAL_REASONS = (
    "Nomor tidak aktif saat injeksi",
    "Nomor dalam masa tenggang",
    "Gagal sistem injeksi, coba lagi",
)


def _unit(seed: int, salt: str, key: str) -> float:
    h = hashlib.blake2b(f"{seed}:{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def _msisdn(number: str) -> str:
    """A batch's number in any of the three formats as 6281234567890: a simulated number uses the
    same quota whatever its provider's format."""
    number = number.strip()
    if number.startswith("+"):
        return number[1:]
    if number.startswith("0"):
        return "62" + number[1:]
    return number


def injection_results(
    batch_path: Path, out_path: Path, *, fail_share: float = 0.03, seed: int = 0, when: datetime | None = None
) -> dict[str, Any]:
    """Simulated injection of a batch: BERHASIL except a deterministic share GAGAL (per pd_id)."""
    when = when or datetime.now(UTC).replace(microsecond=0)
    counts: dict[str, Any] = {"rows": 0, "berhasil": 0, "gagal": 0, "gb": Decimal(0)}
    with (
        gzip.open(batch_path, "rt", encoding="utf-8", newline="") as src,
        open(out_path, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["pd_id", "no_ponsel", "status", "keterangan", "kuota_gb", "waktu"])
        for row in csv.DictReader(src):
            counts["rows"] += 1
            u = _unit(seed, "inject", row["pd_id"])
            if u < fail_share:
                reason = GAGAL_REASONS[int(u / fail_share * len(GAGAL_REASONS)) % len(GAGAL_REASONS)]
                writer.writerow([row["pd_id"], row["no_ponsel"], "GAGAL", reason, "", when.isoformat()])
                counts["gagal"] += 1
            else:
                writer.writerow(
                    [row["pd_id"], row["no_ponsel"], "BERHASIL", "", row["kuota_gb"], when.isoformat()]
                )
                counts["berhasil"] += 1
                counts["gb"] += Decimal(row["kuota_gb"])
    return counts


def usage_report(results_paths: list[Path], out_path: Path, *, low_share: float = 0.1, seed: int = 0) -> int:
    """Simulated usage of the numbers injected successfully: a share under 1 GB, the rest 1-30 GB."""
    rows = 0
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["pd_id", "no_ponsel", "pemakaian_gb"])
        for path in results_paths:
            with open(path, encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    if row["status"] != "BERHASIL":
                        continue
                    u = _unit(seed, "usage", _msisdn(row["no_ponsel"]))
                    used = (
                        u / low_share * 0.99 if u < low_share else 1 + (u - low_share) / (1 - low_share) * 29
                    )
                    writer.writerow([row["pd_id"], row["no_ponsel"], f"{used:.2f}"])
                    rows += 1
    return rows


def sync_injection(
    client: ApiClient,
    workdir: Path,
    *,
    period: str | None = None,
    fail_share: float = 0.03,
    seed: int = 0,
    send_reports: bool = True,
    log: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """DEMO: "inject" every new disbursement batch (simulated results), upload them, then usage
    (when this run answered some row BERHASIL: `usage` is `{}` otherwise) and the recap of each
    period touched.

    The recap covers the whole period — every batch of it, this run's and earlier runs' (the
    kit keeps each results file it sent in the workdir, `verval_provider.disbursement`) — as
    `PUT /reports/{period}/recap` replaces the period's recap. When the workdir lacks results
    for some of the period's rows (a workdir lost since), the recap is not sent and the
    summary says why (`recap_skipped`)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    batches = list_batches(client, period=period, state="TERBIT")
    batches += list_batches(client, period=period, state="DIAMBIL")
    store = DisbursementStore.at(workdir)
    summary: dict[str, Any] = {"batches": [], "periods": {}}
    by_period: dict[str, list[Path]] = {}
    for batch in sorted(batches, key=lambda b: (b["period"], b["seq"])):
        src = store.batch_file(batch)
        if not store.has_batch(batch):
            download_batch(client, batch, src)
            store.save_listing(batch)
        out = store.period_dir(batch["period"]) / f"simulasi-{batch['id']}.csv"
        counts = injection_results(src, out, fail_share=fail_share, seed=seed)
        answer = upload_injection(client, workdir, batch["id"], out)
        summary["batches"].append(
            {
                "id": batch["id"],
                "period": batch["period"],
                "state": answer.get("state"),
                "counts": answer.get("counts", {}),
            }
        )
        by_period.setdefault(batch["period"], []).append(out)
        if log:
            log(
                f"{batch['id']}: BERHASIL {counts['berhasil']}, GAGAL {counts['gagal']} -> {answer.get('state')}"
            )
    if send_reports:
        for code, results in by_period.items():
            usage = workdir / f"pemakaian-{code}.csv"
            usage_answer: dict[str, Any] = {}
            # When every row this run answered is GAGAL (3 new rows at a share of 0.2: 1 run in
            # 125) there is no usage to report, and the kit refuses a usage file without a row
            # (decision 0070): the recap is sent all the same.
            if usage_report(results, usage, seed=seed):
                usage_answer = upload_usage(client, code, usage)
            elif log:
                log(f"{code}: no BERHASIL row in this run, no usage report sent")
            for path in results:  # the workdir keeps the copies the server applied
                path.unlink(missing_ok=True)
            whole = period_recap(client, workdir, code)
            report: dict[str, Any] = {"usage": usage_answer.get("counts", {}), "recap": whole.recap}
            if whole.complete:
                report["reconciliation"] = send_recap(client, code, whole.recap)
            else:
                report["recap_skipped"] = (
                    f"{whole.pending} rows of the period have no result in {workdir}"
                    + (f"; jobs still running: {', '.join(whole.running)}" if whole.running else "")
                )
            summary["periods"][code] = report
    return summary
