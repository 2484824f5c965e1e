"""Provider kit, disbursement side (no Django): pull disbursement batches, inject, report back.

A real provider replaces `injection_results` with its own injection platform's output; the rest —
download with resume and SHA-256 check, upload of results, usage and recap — is the same.

    from verval_provider.client import ApiClient, UrllibTransport
    from verval_provider.inject import sync_injection
    sync_injection(ApiClient(token, UrllibTransport(url)), workdir, fail_share=0.03)

Files (SPEC §7): batch `pd_id,no_ponsel,kuota_gb,kategori` (gzip); results
`pd_id,no_ponsel,status,keterangan,kuota_gb,waktu` (BERHASIL/GAGAL); usage
`pd_id,no_ponsel,pemakaian_gb`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from verval_provider.client import ApiClient, ApiFailure

GAGAL_REASONS = (
    "Nomor tidak aktif saat injeksi",
    "Nomor dalam masa tenggang",
    "Gagal sistem injeksi, coba lagi",
)


def _unit(seed: int, salt: str, key: str) -> float:
    h = hashlib.blake2b(f"{seed}:{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


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
                    u = _unit(seed, "usage", row["no_ponsel"])
                    used = (
                        u / low_share * 0.99 if u < low_share else 1 + (u - low_share) / (1 - low_share) * 29
                    )
                    writer.writerow([row["pd_id"], row["no_ponsel"], f"{used:.2f}"])
                    rows += 1
    return rows


def download_batch(client: ApiClient, batch: dict[str, Any], dest: Path) -> Path:
    """Download a disbursement batch (resuming `dest.part` with Range) and check its SHA-256."""
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    status, hdrs, chunks = client._call(
        "GET", f"/disbursements/batches/{batch['id']}/file", {"Range": f"bytes={have}-"} if have else {}
    )
    if status == 416:
        for _ in chunks:
            pass
        part.unlink(missing_ok=True)
        have = 0
        status, hdrs, chunks = client._call("GET", f"/disbursements/batches/{batch['id']}/file")
    if status not in (200, 206):
        raw = b"".join(chunks)
        raise ApiFailure(status, json.loads(raw) if raw.startswith(b"{") else {})
    with open(part, "ab" if status == 206 and have else "wb") as out:
        for data in chunks:
            out.write(data)
    digest = hashlib.sha256(part.read_bytes()).hexdigest()
    if digest != batch["sha256"]:
        part.unlink(missing_ok=True)
        raise ApiFailure(0, {"code": "SHA256_TIDAK_COCOK", "message_en": "SHA-256 mismatch; file discarded"})
    os.replace(part, dest)
    return dest


def upload(client: ApiClient, path: str, file: Path) -> tuple[int, dict[str, Any]]:
    with open(file, "rb") as fh:
        return client._json(
            "POST",
            path,
            {"Content-Type": "text/csv", "Content-Length": str(file.stat().st_size)},
            fh,
            ok=(200, 202),
        )


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
    """Inject every new disbursement batch, upload results, then usage and recap per period."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    query = "?state=TERBIT" + (f"&period={period}" if period else "")
    batches = client._json("GET", "/disbursements/batches" + query)[1]
    batches += client._json(
        "GET", "/disbursements/batches?state=DIAMBIL" + (f"&period={period}" if period else "")
    )[1]
    summary: dict[str, Any] = {"batches": [], "periods": {}}
    by_period: dict[str, list[Path]] = {}
    for batch in batches:
        src = download_batch(client, batch, workdir / f"{batch['id']}.csv.gz")
        out = workdir / f"{batch['id']}-hasil.csv"
        counts = injection_results(src, out, fail_share=fail_share, seed=seed)
        status, body = upload(client, f"/disbursements/batches/{batch['id']}/results", out)
        summary["batches"].append(
            {
                "id": batch["id"],
                "period": batch["period"],
                "status": status,
                "state": body.get("state"),
                "counts": body.get("counts", {}),
            }
        )
        by_period.setdefault(batch["period"], []).append(out)
        if log:
            log(
                f"{batch['id']}: {counts['berhasil']} berhasil, {counts['gagal']} gagal -> {body.get('state')}"
            )
    if send_reports:
        for code, results in by_period.items():
            usage = workdir / f"pemakaian-{code}.csv"
            usage_report(results, usage, seed=seed)
            _, usage_body = upload(client, f"/reports/{code}/usage", usage)
            recap = recap_of(results)
            _, recon = client._json(
                "PUT",
                f"/reports/{code}/recap",
                {"Content-Type": "application/json"},
                json.dumps(recap).encode(),
            )
            summary["periods"][code] = {
                "usage": usage_body.get("counts", {}),
                "recap": recap,
                "reconciliation": recon,
            }
    return summary


def recap_of(results_paths: list[Path]) -> dict[str, Any]:
    """The provider's own recap from its results files: sent, injected, failed, GB."""
    sent = injected = failed = 0
    total = Decimal(0)
    for path in results_paths:
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                sent += 1
                if row["status"] == "BERHASIL":
                    injected += 1
                    total += Decimal(row["kuota_gb"] or 0)
                else:
                    failed += 1
    return {"sent": sent, "injected": injected, "failed": failed, "gb": format(total.normalize(), "f")}
