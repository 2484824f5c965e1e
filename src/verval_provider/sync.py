"""`verval-provider sync`: pull new batches, verify, match, upload, report."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from verval_provider.client import ApiClient, ApiFailure
from verval_provider.match import MatchError, match, unreadable_summary
from verval_provider.transfer import local_time


def sync(
    client: ApiClient,
    subscribers: str | Path,
    workdir: str | Path,
    *,
    wait_seconds: float = 600.0,
    gzip_results: bool = False,
    accept_low_match: bool = False,
    log: Any = None,
) -> list[dict[str, Any]]:
    """Handle every batch that has no answer yet (state OPEN). Returns one report per batch:
    batch, rows, and once matched `matched` (counts by status) and `unreadable` (the export's
    msisdn values the kit cannot read: count, first_lines, by_kind), then the upload's job,
    state and counts, or state ERROR with error and detail.

    The workdir keeps the downloaded dumps and results and a `done.json` of batches answered,
    so running sync again does not upload twice.
    """
    # Before any request (an OSError naming the path): a mistyped export path was found only
    # after the first batch was downloaded, and with no batch waiting not at all, so that cron's
    # hourly run said "no new batches" until the day one came (decision 0100).
    with open(subscribers, "rb") as export:  # a folder or an unreadable file fails here too
        export.read(1)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    done_file = workdir / "done.json"
    done: dict[str, Any] = json.loads(done_file.read_text()) if done_file.exists() else {}
    say = log or (lambda msg: None)
    reports: list[dict[str, Any]] = []
    for batch in sorted(client.batches(state="OPEN"), key=lambda b: b["created_at"]):
        batch_id = batch["id"]
        if batch_id in done:
            continue
        report: dict[str, Any] = {"batch": batch_id, "rows": batch["rows"]}
        try:
            manifest = client.manifest(batch_id)
            dump = client.download(
                batch_id, workdir / f"{batch_id}.csv.gz", expected_sha256=manifest["sha256"]
            )
            say(f"{batch_id}: downloaded {manifest['rows']} rows, SHA-256 ok")
            out = workdir / (f"{batch_id}-hasil.csv" + (".gz" if gzip_results else ""))
            matched = match(dump, subscribers, out, accept_low_match=accept_low_match)
            report["matched"] = matched["by_status"]
            # The export's msisdn values the kit cannot read match nothing: counted, with their
            # first lines, in the report and the ledger (the command warns and exits 1; 0106).
            report["unreadable"] = matched["unreadable"]
            unread = unreadable_summary(matched["unreadable"])
            say(
                f"{batch_id}: matched {matched['rows']} rows {matched['by_status']}"
                + (f"; {unread}" if unread else "")
            )
            status, answer = client.upload_results(batch_id, out)
            deadline = time.monotonic() + wait_seconds
            while (
                status == 202
                and answer.get("state") in ("PENDING", "RUNNING")
                and time.monotonic() < deadline
            ):
                time.sleep(1.0)
                answer = client.job(answer["job_id"])
            report.update(
                {
                    "job": answer.get("job_id"),
                    "state": answer.get("state"),
                    "counts": answer.get("counts", {}),
                }
            )
            say(
                f"{batch_id}: uploaded, job {answer.get('job_id')} {answer.get('state')} {answer.get('counts', {})}"
            )
            if answer.get("state") == "SUCCEEDED":
                done[batch_id] = {
                    "job": answer.get("job_id"),
                    "at": local_time(),
                    "unreadable": matched["unreadable"],
                }
                # Beside it, then renamed: a run cut off here must not leave a half-written ledger.
                part = done_file.with_name(done_file.name + ".part")
                part.write_text(json.dumps(done, indent=1))
                os.replace(part, done_file)
        except ApiFailure as failure:
            report.update(
                {"state": "ERROR", "error": failure.code, "status": failure.status, "detail": failure.body}
            )
            say(f"{batch_id}: {failure}")
        except MatchError as failure:
            # A file the matcher refuses (most often the subscriber export): nothing is uploaded
            # for this batch; the report says why, and the next run tries again.
            report.update({"state": "ERROR", "error": "MATCH_FAILED", "detail": str(failure)})
            say(f"{batch_id}: {failure}")
        reports.append(report)
    return reports
