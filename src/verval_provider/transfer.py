"""What every kit command that sends a file to the API shares, dump results and disbursement
files alike: the POST with its Content-Type and Content-Length, waiting for a large file's job,
a file refused whole (422) turned into a report, a batch that is not this provider's named
without leaking what was typed, and the whole report of refused rows written to a CSV."""

from __future__ import annotations

import os
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from verval_provider.client import ApiClient, ApiFailure, api_path
from verval_provider.match import _is_gzip, _mask


def local_time() -> str:
    """Now on this machine's clock, with its offset from UTC ("2026-12-01T17:10:00+07:00"): a
    ledger entry (done.json, hasil.json) read on another machine or after a clock change still
    says when it was written (decision 0100)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


# Job states of the server (verval.core.models.Job.State).
FINISHED = ("SUCCEEDED", "REFUSED", "FAILED")

# A disbursement batch id (a UUID) or a dump batch id (DMP-20200915-telkomsel-0001).
_BATCH_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|DMP-\d{8}-[a-z]+-\d{4}"
)


def shown_id(batch_id: str) -> str:
    """An id as the server writes them is shown whole (a dump id holds its date); anything else
    is masked, as every value from outside is."""
    return batch_id if _BATCH_ID.fullmatch(batch_id) else _mask(batch_id)[:80]


def well_formed(batch_id: str) -> bool:
    """The id is in one of the forms the server writes batch ids in."""
    return bool(_BATCH_ID.fullmatch(batch_id))


# Named in a 404 for an id not in the form the server writes (decision 0066), instead of the id:
# masked, a mistyped `dmp-20200915-…` read `dmp-20****15-…`, a date that looked wrong rather
# than a letter case that was.
DUMP_ID_FORM = (
    "id batch dump berbentuk DMP-20200915-telkomsel-0001 (DMP dengan huruf besar, nama provider "
    "dengan huruf kecil)",
    "a dump batch id reads like DMP-20200915-telkomsel-0001 (DMP in capitals, the provider in lower case)",
)
DISBURSEMENT_ID_FORM = (
    "id batch penyaluran adalah UUID seperti 0b9c5d1e-6f3a-4e2b-9c7d-1a2b3c4d5e6f",
    "a disbursement batch id is a UUID such as 0b9c5d1e-6f3a-4e2b-9c7d-1a2b3c4d5e6f",
)


def not_yours(failure: ApiFailure, message: str, message_en: str) -> ApiFailure:
    """A 404 for a batch, said in the kit's words (what to check), the server's code kept."""
    return ApiFailure(404, {**failure.body, "message": message, "message_en": message_en})


def post_file(client: ApiClient, path: str, file: Path) -> tuple[int, dict[str, Any]]:
    ctype = "application/gzip" if _is_gzip(file) else "text/csv"
    with open(file, "rb") as fh:
        return client._json(
            "POST",
            path,
            {"Content-Type": ctype, "Content-Length": str(file.stat().st_size)},
            fh,
            ok=(200, 202),
        )


def wait_job(client: ApiClient, answer: dict[str, Any], wait_seconds: float, jobs: str) -> dict[str, Any]:
    """Poll `<jobs>/<job_id>` until the job ends or `wait_seconds` pass."""
    deadline = time.monotonic() + wait_seconds
    while answer.get("state") not in FINISHED and time.monotonic() < deadline:
        time.sleep(1.0)
        answer = client._json("GET", jobs + api_path(answer["job_id"]))[1]
    return answer


def refused_answer(failure: ApiFailure) -> dict[str, Any]:
    """A file refused whole (422): the server's answer as a report."""
    body = failure.body
    return {
        "job_id": body.get("job_id"),
        "state": "REFUSED",
        "error": failure.code,
        "message_en": body.get("message_en", ""),
        "counts": body.get("counts", {}),
        "issues_total": body.get("issues_total", 0),
        "issues": body.get("rows", []),
        "issues_url": body.get("issues_url", ""),
    }


def send(client: ApiClient, path: str, file: Path, *, jobs: str, wait_seconds: float) -> dict[str, Any]:
    """POST a file and wait for its job: the server's answer, a 422 included as REFUSED."""
    try:
        _status, answer = post_file(client, path, file)
    except ApiFailure as failure:
        if failure.status != 422:
            raise
        answer = refused_answer(failure)
    return wait_job(client, answer, wait_seconds, jobs) if answer.get("state") not in FINISHED else answer


def save_report(client: ApiClient, jobs: str, job_id: str, dest: Path) -> Path:
    """Every refused row of a job (the server's CSV report: baris,kolom,kode,pesan,message,nilai,
    values masked), written to `dest` whole or not at all. The answer holds only the first 100."""
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".part")
    status, _hdrs, chunks = client._call("GET", jobs + api_path(job_id, "issues"), {"Accept": "text/csv"})
    if status != 200:
        b"".join(chunks)
        raise ApiFailure(status, {"message_en": f"the report of job {job_id} could not be read"})
    with open(tmp, "wb") as out:
        for data in chunks:
            out.write(data)
    os.replace(tmp, dest)
    return dest
