"""Provider kit, dump side, for a provider that matches with its own pipeline (its own database,
not the kit's `match`): `pull_dumps` downloads the dump batches and their manifests without
matching them, `upload_match_results` sends a results file the provider produced itself for one
batch and returns what the server applied and refused. `sync` does both around the kit's own
matcher; these are the two ends without it (decision 0036).

The download folder (`--out`) holds, per batch, `<batch id>.csv.gz` (the dump as the server
stores it, SHA-256 checked against the manifest) and `<batch id>.manifest.json` (its manifest,
written once the file is complete: a batch with both, of the server's SHA-256, is skipped), and
while a download runs `<batch id>.csv.gz.part`, which the next run resumes with HTTP Range.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from verval_provider.client import ApiClient, ApiFailure, api_path
from verval_provider.disbursement import BATCH_FAILURES, KitFileError, Log, _key, _safe, _scan, _write_json
from verval_provider.match import ABSENT, STATUS_MAP, _is_gzip
from verval_provider.transfer import DUMP_ID_FORM, not_yours, save_report, send, shown_id, well_formed

RESULT_REQUIRED = ("pd_id", "no_ponsel", "status")
RESULT_COLUMNS = (*RESULT_REQUIRED, "keterangan")
RESULT_STATUSES = (*STATUS_MAP.values(), ABSENT)
# The server takes at most 1 MiB + 512 bytes a row of the batch, as sent (decision 0010). A
# plain results row is 60-80 bytes, so that bound is only reached by a wrong file; gzip above a
# MiB is about transfer time (a 1 M-row answer: ~70 MB plain, ~15 MB gzip).
GZIP_ABOVE = 1 << 20
UPLOAD_BASE = 1 << 20
UPLOAD_PER_ROW = 512


def batch_of(client: ApiClient, batch_id: str) -> dict[str, Any]:
    """One dump batch of this provider; a 404 (unknown, or another provider's) says what to check."""
    try:
        return client._json("GET", api_path("batches", batch_id))[1]
    except ApiFailure as failure:
        if failure.status != 404:
            raise
        where = "(pull prints the id of each batch it downloads; `pull --all` lists every one)"
        if not well_formed(batch_id):
            raise not_yours(
                failure,
                f"Tidak ada batch dump perusahaan Anda dengan id itu; {DUMP_ID_FORM[0]}. Periksa --batch.",
                f"no dump batch of yours on this server has that id; {DUMP_ID_FORM[1]}: check --batch {where}",
            ) from None
        shown = shown_id(batch_id)
        raise not_yours(
            failure,
            f"Batch dump {shown} tidak ada untuk perusahaan Anda; periksa --batch.",
            f"no dump batch {shown} of yours on this server: check --batch {where}",
        ) from None


def _complete(dump: Path, manifest_file: Path, sha256: str) -> bool:
    """The dump is on disk whole: its manifest, written after the file checked out, names the
    server's SHA-256."""
    if not dump.exists() or not manifest_file.exists():
        return False
    try:
        return bool(json.loads(manifest_file.read_text(encoding="utf-8")).get("sha256") == sha256)
    except ValueError:
        return False


def pull_dumps(
    client: ApiClient,
    out: str | Path,
    *,
    batch_id: str | None = None,
    every: bool = False,
    log: Log = None,
) -> list[dict[str, Any]]:
    """Download the dump batches waiting for an answer (state OPEN), every batch (`every`) or
    one (`batch_id`, whatever its state), each with its manifest, into `out`. One report per
    batch: batch, rows, state, number_format, sha256, file, manifest, downloaded (False: already
    complete here) or error (SHA-256 mismatch: the partial file was deleted, run again).
    ApiFailure for an unknown batch or a server that cannot be reached (a download cut off
    resumes from its .part on the next run)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    say = log or (lambda _msg: None)
    if batch_id:
        batches = [batch_of(client, batch_id)]
    else:
        batches = sorted(client.batches(state=None if every else "OPEN"), key=lambda b: b["created_at"])
    reports = []
    for batch in batches:
        dump = folder / f"{_safe(batch['id'])}.csv.gz"
        manifest_file = folder / f"{_safe(batch['id'])}.manifest.json"
        report: dict[str, Any] = {
            "batch": batch["id"],
            "rows": batch["rows"],
            "state": batch["state"],
            "number_format": batch.get("number_format", "msisdn"),
            "sha256": batch["sha256"],
            "file": str(dump),
            "manifest": str(manifest_file),
        }
        if _complete(dump, manifest_file, batch["sha256"]):
            report["downloaded"] = False
        else:
            try:
                manifest = client.manifest(batch["id"])
                client.download(batch["id"], dump, expected_sha256=manifest["sha256"])
            except ApiFailure as failure:
                if failure.code not in BATCH_FAILURES:  # the server or the link, not this batch
                    raise
                report.update({"downloaded": False, "error": failure.code, "detail": str(failure)})
                say(f"{batch['id']}: {failure}")
                reports.append(report)
                continue
            _write_json(manifest_file, manifest)
            report["downloaded"] = True
        say(
            f"{batch['id']}: {batch['rows']} rows, {batch['state']}, {report['number_format']}, "
            f"SHA-256 ok -> {dump}" + ("" if report["downloaded"] else " (already here)")
        )
        reports.append(report)
    return reports


def check_match_results(path: str | Path) -> dict[str, Any]:
    """Read a match results file before it is sent, with the server's structural rules (UTF-8,
    comma-separated, header `pd_id,no_ponsel,status[,keterangan]` in any case and order, a line
    break after the last row, no line it cannot parse): rows, counts by status, and the rows the
    server will refuse for their pd_id, number or status. KitFileError when it cannot be sent."""
    import polars as pl

    path = Path(path)
    with _scan(path, "results", RESULT_REQUIRED, RESULT_COLUMNS) as scan:
        status = pl.col("status").fill_null("").str.strip_chars().str.to_uppercase()
        # The server's reading of a number (services.normalize_msisdn): +, then 0 -> 62, 10-15 digits.
        digits = pl.col("no_ponsel").fill_null("").str.strip_chars().str.strip_prefix("+")
        digits = (
            pl.when(digits.str.starts_with("0")).then(pl.lit("62") + digits.str.slice(1)).otherwise(digits)
        )
        counts = scan.select(
            pl.len().alias("rows"),
            *((status == code).sum().alias(code) for code in RESULT_STATUSES),
            (~status.is_in(RESULT_STATUSES)).sum().alias("other_status"),
            _key("pd_id").is_null().sum().alias("bad_pd_id"),
            (~digits.str.contains(r"^[0-9]{10,15}$")).sum().alias("bad_no_ponsel"),
            # Every column read, so that a line with more fields than the header is named.
            pl.all().null_count().name.prefix("empty_"),
        ).collect(engine="streaming")
    row = counts.row(0, named=True)
    if row["rows"] == 0:
        raise KitFileError(f"results {path.name}: no rows under the header")
    return {
        "rows": int(row["rows"]),
        "by_status": {code: int(row[code]) for code in RESULT_STATUSES if row[code]},
        "other_status": int(row["other_status"]),
        "bad_pd_id": int(row["bad_pd_id"]),
        "bad_no_ponsel": int(row["bad_no_ponsel"]),
    }


def _gzipped(source: Path, folder: Path) -> Path:
    try:
        from isal import igzip as gzip_mod
    except ImportError:
        import gzip as gzip_mod  # type: ignore[no-redef]
    packed = folder / (source.name + ".gz")
    with open(source, "rb") as src, gzip_mod.open(packed, "wb", compresslevel=1) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return packed


def upload_match_results(
    client: ApiClient,
    batch_id: str,
    results: str | Path,
    *,
    refused_out: str | Path | None = None,
    wait_seconds: float = 600.0,
    log: Log = None,
) -> dict[str, Any]:
    """Check, then send a results file the provider matched itself for one dump batch (gzip when
    it is plain and above GZIP_ABOVE). Returns the server's answer (job_id, state, counts, the
    first 100 refused rows as `issues`...) with `batch`, `checked` (the kit's counts of the file)
    and `sent_as`; with `refused_out`, every refused row of the job is written there as CSV.
    KitFileError (nothing sent): a file that cannot be sent; ApiFailure: an unknown batch (404),
    a server that cannot be reached."""
    say = log or (lambda _msg: None)
    results = Path(results)
    checked = check_match_results(results)
    batch = batch_of(client, batch_id)
    say(
        f"{results.name}: {checked['rows']} rows for a batch of {batch['rows']}: "
        + ", ".join(f"{code} {n}" for code, n in checked["by_status"].items())
        + (f"; {checked['other_status']} with another status" if checked["other_status"] else "")
        + (f"; {checked['bad_pd_id']} without a valid pd_id" if checked["bad_pd_id"] else "")
        + (f"; {checked['bad_no_ponsel']} without a valid no_ponsel" if checked["bad_no_ponsel"] else "")
    )
    limit = UPLOAD_BASE + UPLOAD_PER_ROW * int(batch["rows"])
    with tempfile.TemporaryDirectory(prefix=".verval-") as tmp:
        body = results
        if not _is_gzip(results) and results.stat().st_size > GZIP_ABOVE:
            body = _gzipped(results, Path(tmp))
        size = body.stat().st_size
        if size > limit:
            raise KitFileError(
                f"results {results.name}: {size} bytes as sent, more than batch {batch['id']} takes "
                f"({limit} bytes: 1 MiB + 512 a row of its {batch['rows']}): is it the right batch?"
            )
        answer = send(
            client, api_path("batches", batch["id"], "results"), body, jobs="/jobs", wait_seconds=wait_seconds
        )
    out: dict[str, Any] = {
        "batch": batch["id"],
        "checked": checked,
        "sent_as": "gzip" if _is_gzip(results) or body is not results else "csv",
        **answer,
    }
    if refused_out and answer.get("job_id") and answer.get("state") in ("SUCCEEDED", "REFUSED"):
        out["refused_out"] = str(save_report(client, "/jobs", answer["job_id"], Path(refused_out)))
    return out
