"""Provider API v1, disbursement side: batches out, injection results, usage and recap back.

Mounted on the exchange's API (same Bearer token auth, JSON errors, audit per call):
`api.add_router("/", router)` in verval.exchange.api. A provider sees only its own batches,
jobs and reports (another provider's object answers 404).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router, Schema
from pydantic import Field, WithJsonSchema
from pydantic.json_schema import JsonDict

from verval.core import files, jobs
from verval.core.models import Job
from verval.exchange.apiaudit import audit_call, call_fields
from verval.exchange.apiauth import own_rows, provider_auth, provider_of
from verval.exchange.apierrors import ApiError, ErrorOut, IssueOut, issue_out, not_found
from verval.exchange.apiroutes import get_with_head, state_filter, state_parameter
from verval.exchange.apiupload import (
    PERIOD_ROWS,
    UPLOAD_RESPONSES,
    Upload,
    check_upload,
    open_upload,
    run_or_queue,
    upload_openapi,
)
from verval.exchange.resultfile import masked_text
from verval.exchange.streaming import (
    DOWNLOAD_OPENAPI,
    RangeNotSatisfiable,
    file_response,
    range_not_satisfiable,
)
from verval.reference.models import Period
from verval.sptjm import actions, selectors, services
from verval.sptjm.document import gb
from verval.sptjm.models import DisbursementBatch
from verval.sptjm.reasons import ActionRefused

router = Router(auth=provider_auth, tags=["disbursement"])

SYNC_INGEST_MAX_BYTES = int(os.environ.get("VERVAL_API_SYNC_INGEST_BYTES", str(64 * 1024 * 1024)))
ISSUES_IN_RESPONSE = 100
JOB_KINDS = ("ingest_injection", "ingest_usage")


class PeriodOut(Schema):
    code: str
    name: str
    policy: str
    starts_on: date
    ends_on: date
    handover_on: date | None
    is_open: bool


class DisbursementBatchOut(Schema):
    id: str
    period: str
    provider: str
    seq: int
    created_at: datetime
    rows: int
    total_gb: str
    sha256: str
    size: int
    state: str
    number_format: str = Field(
        description="How the file writes no_ponsel: msisdn (628…), e164 (+628…) "
        "or national (08…), the provider's number format when the batch was written. "
        "Injection results and usage may give the number in any of these forms."
    )
    file_url: str
    manifest_url: str
    results_url: str


class DisbursementJobOut(Schema):
    """Not JobOut: one OpenAPI schema name for two shapes made the document describe the
    exchange's jobs with this one's required `kind`."""

    job_id: str
    kind: str
    state: str
    batch_id: str = ""
    period: str = ""
    counts: dict[str, Any]
    error_code: str = ""
    error_message: str = ""
    error_message_en: str = ""
    issues_total: int
    issues: list[IssueOut]
    issues_url: str
    job_url: str


# The bounds of a recap figure in the OpenAPI document (what actions.record_recap takes; outside
# them it answers 400 REKAP_TIDAK_VALID naming the figure). Documented only: the schema does not
# check them, so the refusal keeps its own code and message (decision 0032).
_COUNT_DOC: JsonDict = {"minimum": 0, "maximum": 2_147_483_647}
_GB_DOC = {
    "anyOf": [
        {"type": "number", "minimum": 0, "exclusiveMaximum": 1_000_000_000_000},
        {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]+)?$"},
    ]
}


class RecapIn(Schema):
    sent: int = Field(json_schema_extra=_COUNT_DOC)
    injected: int = Field(json_schema_extra=_COUNT_DOC)
    failed: int = Field(json_schema_extra=_COUNT_DOC)
    gb: Annotated[Decimal, WithJsonSchema(_GB_DOC)]


class ReconciliationOut(Schema):
    provider: str
    sent: int
    berhasil: int
    gagal: int
    missing: int
    excluded: int
    duplicates: int = 0
    gb_sent: str
    gb_berhasil: str
    recap_sent: int | None
    recap_injected: int | None
    recap_failed: int | None
    recap_gb: str | None
    flags: list[str]
    ok: bool


def _batch_out(b: DisbursementBatch) -> dict[str, Any]:
    base = f"/api/v1/disbursements/batches/{b.pk}"
    return {
        "id": str(b.pk),
        "period": b.period_id,
        "provider": b.provider,
        "seq": b.seq,
        "created_at": b.created_at,
        "rows": b.rows,
        "total_gb": gb(b.total_gb),
        "sha256": b.sha256,
        "size": b.size,
        "state": b.state,
        "number_format": b.number_format,
        "file_url": f"{base}/file",
        "manifest_url": f"{base}/manifest",
        "results_url": f"{base}/results",
    }


def _job_period(job: Job) -> str:
    """A usage report names its period in its parameters; an injection job has its batch's."""
    if period := job.params.get("period"):
        return str(period)
    batch_id = job.params.get("batch_id")
    if not batch_id:
        return ""
    found = DisbursementBatch.objects.filter(pk=batch_id).values_list("period_id", flat=True).first()
    return found or ""


def _job_out(job: Job) -> dict[str, Any]:
    issues = list(job.issues.order_by("line", "id")[:ISSUES_IN_RESPONSE])
    return {
        "job_id": str(job.pk),
        "kind": job.kind,
        "state": job.state,
        "batch_id": job.params.get("batch_id", ""),
        "period": _job_period(job),
        "counts": job.counts or {},
        "error_code": job.error_code,
        "error_message": job.error_message,
        "error_message_en": job.error_message_en,
        "issues_total": job.issues.count(),
        "issues": [issue_out(i) for i in issues],
        "issues_url": f"/api/v1/disbursements/jobs/{job.pk}/issues",
        "job_url": f"/api/v1/disbursements/jobs/{job.pk}",
    }


def _own_batch(request: HttpRequest, batch_id: str) -> DisbursementBatch:
    try:
        batch = own_rows(request, DisbursementBatch.objects.all()).filter(pk=batch_id).first()
    except Exception:  # noqa: BLE001 - a malformed id is simply not found
        batch = None
    if batch is None:
        raise not_found()
    return batch


def _own_job(request: HttpRequest, job_id: str) -> Job:
    try:
        job = own_rows(request, Job.objects.all()).filter(pk=job_id, kind__in=JOB_KINDS).first()
    except Exception:  # noqa: BLE001
        job = None
    if job is None:
        raise not_found()
    return job


def _period(code: str) -> Period:
    """The period of a report path; an unknown code is named with where the codes are listed (a
    bare "Not found." left a script to guess which part of the path was wrong). Periods are no
    provider's own, unlike batches and jobs, whose 404 stays the same for another's and none."""
    period = Period.objects.filter(code=code).first()
    if period is None:
        shown = masked_text(code[:40])
        raise ApiError(
            "TIDAK_DITEMUKAN",
            f"Periode {shown} tidak dikenal. Kode periode didaftar oleh GET /api/v1/periods.",
            f"Unknown period {shown}: GET /api/v1/periods lists the period codes.",
        )
    return period


def _run_or_queue(job: Job, upload: Upload, response: HttpResponse) -> Any:
    """Small files (by what they unpack to) are applied while the request waits (200); large
    ones run as a job (202 with `Location`)."""
    size = files.absolute(job.input_path).stat().st_size
    return run_or_queue(
        job,
        unpacked=size if upload.unpacked is None else upload.unpacked,
        sync_max=SYNC_INGEST_MAX_BYTES,
        response=response,
        out_of=_job_out,
        job_url=f"/api/v1/disbursements/jobs/{job.pk}",
    )


# ------------------------------------------------------------------ periods


@get_with_head(router, "/periods", response=list[PeriodOut], summary="Periods (tahap) of the programme")
def list_periods(request: HttpRequest) -> list[dict[str, Any]]:
    """The programme's periods, newest first (at most 100): `code` (what the period paths and the
    `period` filter take), `name`, `policy` (the quota policy), `starts_on`, `ends_on`,
    `handover_on` (may be null) and `is_open`. Errors: 401 TIDAK_TERAUTENTIKASI, 429
    TERLALU_BANYAK_PERMINTAAN. HEAD answers the headers only."""
    out = [
        {
            "code": p.code,
            "name": p.name,
            "policy": p.policy_id,
            "starts_on": p.starts_on,
            "ends_on": p.ends_on,
            "handover_on": p.handover_on,
            "is_open": p.is_open,
        }
        for p in Period.objects.order_by("-starts_on")[:100]
    ]
    audit_call(request, "api_list_periods", "period", "", count=len(out))
    return out


# ------------------------------------------------------------------ disbursement batches


BATCH_STATES = tuple(DisbursementBatch.State.values)


@get_with_head(
    router,
    "/disbursements/batches",
    response={200: list[DisbursementBatchOut], 400: ErrorOut},
    summary="List this provider's disbursement batches",
    openapi_extra={
        "parameters": [
            state_parameter(
                BATCH_STATES, "TERBIT (new), DIAMBIL (downloaded), SELESAI (every row has a result)"
            )
        ]
    },
)
def list_disbursement_batches(request: HttpRequest, period: str | None = None) -> list[dict[str, Any]]:
    """Newest first. `state`: TERBIT (new), DIAMBIL (downloaded), SELESAI (every row has a
    result); another value answers 400 with the allowed ones."""
    wanted = state_filter(request.GET.get("state"), BATCH_STATES)
    qs = own_rows(request, DisbursementBatch.objects.all())
    if period:
        qs = qs.filter(period_id=period)
    if wanted:
        qs = qs.filter(state=wanted)
    out = [_batch_out(b) for b in qs[:1000]]
    audit_call(request, "api_list_disbursement_batches", "disbursement_batch", "", count=len(out))
    return out


@get_with_head(
    router,
    "/disbursements/batches/{batch_id}",
    response={200: DisbursementBatchOut, 404: ErrorOut},
    summary="One disbursement batch",
)
def get_disbursement_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """The batch as the list gives it: `period`, `seq`, `rows`, `total_gb`, the `sha256` and
    `size` of its file, `state` (TERBIT: new, DIAMBIL: downloaded, SELESAI: every row has a
    result), `number_format` and the URLs of its file and manifest. The id is a UUID, as the list
    gives it. Errors: 404 TIDAK_DITEMUKAN (no disbursement batch of yours with this id; another
    provider's, or a dump batch's id, answers the same), 401 TIDAK_TERAUTENTIKASI, 429
    TERLALU_BANYAK_PERMINTAAN. HEAD answers the headers only."""
    batch = _own_batch(request, batch_id)
    audit_call(request, "api_get_disbursement_batch", "disbursement_batch", batch.pk)
    return _batch_out(batch)


@get_with_head(
    router,
    "/disbursements/batches/{batch_id}/manifest",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="A disbursement batch's manifest",
)
def get_disbursement_manifest(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """What the batch file holds, to check a download against: batch_id, period, provider, seq,
    rows, total_gb, sha256 (of the .csv.gz), size, columns, number_format, state, created_at. Errors: 404 TIDAK_DITEMUKAN (no disbursement
    batch of yours with this id), 401 TIDAK_TERAUTENTIKASI, 429 TERLALU_BANYAK_PERMINTAAN. HEAD
    answers the headers only."""
    batch = _own_batch(request, batch_id)
    audit_call(request, "api_get_disbursement_manifest", "disbursement_batch", batch.pk)
    return services.manifest_of(batch)


@router.api_operation(
    ["HEAD"],
    "/disbursements/batches/{batch_id}/file",
    response={200: None, 206: None, 304: None, 404: ErrorOut, 410: ErrorOut, 416: ErrorOut},
    summary="Headers of a disbursement batch download, without the file",
    operation_id="verval_sptjm_api_download_disbursement_batch_head",
    openapi_extra=DOWNLOAD_OPENAPI(None),
)
@router.get(
    "/disbursements/batches/{batch_id}/file",
    response={200: None, 206: None, 304: None, 404: ErrorOut, 410: ErrorOut, 416: ErrorOut},
    summary="Download a disbursement batch (gzip CSV)",
    openapi_extra=DOWNLOAD_OPENAPI(
        "gzip CSV `pd_id,no_ponsel,kuota_gb,kategori`; headers ETag and X-Content-SHA256"
    ),
)
def download_disbursement_batch(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Supports `Range: bytes=N-` (206), `If-None-Match` (304) and HEAD, like dump files."""
    batch = _own_batch(request, batch_id)
    path = files.absolute(batch.file_path)
    # One audit row per call (docs/api.md "Audit"), `download_disbursement_batch` as the dump's is
    # `download_dump`; the download that moves the batch to DIAMBIL writes it with the move
    # (decision 0136; until then `api_download_disbursement_batch` and a second row).
    if not path.is_file():  # deleted by the retention rules (decision 0038)
        audit_call(
            request,
            "download_disbursement_batch",
            "disbursement_batch",
            batch.pk,
            status=410,
            method=request.method,
        )
        raise ApiError("BERKAS_SUDAH_DIHAPUS")
    try:
        response = file_response(
            request,
            path,
            sha256=batch.sha256,
            filename=f"penyaluran-{batch.period_id}-{batch.provider}-{batch.seq}.csv.gz",
        )
    except RangeNotSatisfiable:
        response = range_not_satisfiable(path)
    call = {
        "status": response.status_code,
        "method": request.method,
        "range": request.headers.get("Range", "")[:100],
    }
    if response.status_code in (200, 206) and request.method == "GET":
        actions.mark_batch_downloaded(actor=None, batch=batch, after=call, **call_fields(request))
    else:
        audit_call(request, "download_disbursement_batch", "disbursement_batch", batch.pk, **call)
    return response  # type: ignore[return-value]  # streaming or 304


# Injection results and usage reports: applied (200), queued as a job (202), as the dump
# results (verval.exchange.apiupload.UPLOAD_RESPONSES: 400, 404, 411, 413, 415, 422).
_UPLOAD_RESPONSES = {200: DisbursementJobOut, 202: DisbursementJobOut, **UPLOAD_RESPONSES}


@router.post(
    "/disbursements/batches/{batch_id}/results",
    response=_UPLOAD_RESPONSES,
    summary="Upload the injection results of a disbursement batch",
    openapi_extra=upload_openapi(
        "CSV `pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]` (status BERHASIL or GAGAL; plain or gzip) as the raw body, or multipart with field `file`."
    ),
)
def upload_injection_results(request: HttpRequest, batch_id: str, response: HttpResponse) -> Any:
    """Applied whole or not at all; the same file twice changes nothing; 422 when refused whole.
    Size, type and gzip limits as the results of a dump batch (POST /batches/{batch_id}/results)."""
    batch = _own_batch(request, batch_id)
    check_upload(request, rows=batch.rows)
    upload = open_upload(request, rows=batch.rows, name=f"injeksi-{batch.pk}.csv")
    try:
        job = actions.create_injection_job(actor=None, batch=batch, upload=upload.file, name=upload.name)
    finally:
        upload.close()
    audit_call(
        request,
        "api_upload_injection_results",
        "disbursement_batch",
        batch.pk,
        job=str(job.pk),
        sha256=job.input_sha256,
    )
    return _run_or_queue(job, upload, response)


@get_with_head(
    router,
    "/disbursements/jobs/{job_id}",
    response={200: DisbursementJobOut, 404: ErrorOut},
    summary="State and counts of an injection or usage job",
)
def get_disbursement_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """An injection-results or usage upload that was queued (the 202 of its upload, whose
    `Location` names this URL); `kind` says which (ingest_injection, ingest_usage). `state`:
    PENDING or RUNNING (poll again; `counts` then holds `progress_done` / `progress_total` rows),
    SUCCEEDED (`counts` as in the 200 of the upload), REFUSED (the file was refused whole, nothing
    changed: `error_code`, `error_message_en`), or FAILED (nothing changed: `error_code`, e.g.
    KESALAHAN_SISTEM, PEKERJAAN_TERHENTI; send the file again). `issues` holds the first 100
    refused rows, `issues_url` every one as CSV. Errors: 404 TIDAK_DITEMUKAN (no injection or
    usage job of yours with this id), 401 TIDAK_TERAUTENTIKASI, 429 TERLALU_BANYAK_PERMINTAAN.
    HEAD answers the headers only."""
    job = _own_job(request, job_id)
    audit_call(request, "api_get_job", "job", job.pk)
    out = _job_out(job)
    if not job.is_finished:
        done, total = jobs.read_progress(job)
        out["counts"] = {**out["counts"], "progress_done": done, "progress_total": total}
    return out


@get_with_head(
    router,
    "/disbursements/jobs/{job_id}/issues",
    response={200: None, 404: ErrorOut},
    summary="All refused rows of a job (CSV)",
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV `baris,kolom,kode,pesan,message,nilai`, one line per refused row (numbers masked)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def get_disbursement_job_issues(request: HttpRequest, job_id: str) -> StreamingHttpResponse:
    """CSV `baris,kolom,kode,pesan,message,nilai`, every refused row. HEAD answers the same
    headers without reading the report."""
    job = _own_job(request, job_id)
    audit_call(request, "download_job_report", "job", job.pk, method=request.method)
    response = StreamingHttpResponse(jobs.issues_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="laporan-{job.pk}.csv"'
    return response


# ------------------------------------------------------------------ reports


@router.post(
    "/reports/{period_code}/usage",
    response=_UPLOAD_RESPONSES,
    summary="Upload usage per number for a period",
    openapi_extra=upload_openapi(
        "CSV `pd_id,no_ponsel,pemakaian_gb` (plain or gzip) as the raw body, or multipart with field `file`. Rows of recipients this provider was sent in the period; a later upload replaces earlier figures."
    ),
)
def upload_usage(request: HttpRequest, period_code: str, response: HttpResponse) -> Any:
    """Usage in GB per number for the rows this provider was sent in the period; a later upload
    replaces the earlier figures. Small files are applied at once (200 with the job's state,
    counts and first refused rows); large ones become a job (202 with `Location`; poll GET
    /disbursements/jobs/{job_id}). Errors: 404 TIDAK_DITEMUKAN (no period with this code; take it
    from GET /periods), 422 when the file is refused whole (nothing changed; the codes below),
    400 PERMINTAAN_TIDAK_VALID, 411 CONTENT_LENGTH_DIPERLUKAN, 413 BERKAS_TERLALU_BESAR /
    ISI_GZIP_TERLALU_BESAR, 415 JENIS_ISI_TIDAK_DIDUKUNG, 401 TIDAK_TERAUTENTIKASI, 429
    TERLALU_BANYAK_PERMINTAAN."""
    period = _period(period_code)
    rows = selectors.rows_sent(period, provider_of(request))
    check_upload(request, rows=rows, rows_of=PERIOD_ROWS)
    upload = open_upload(request, rows=rows, name=f"pemakaian-{period.code}.csv", rows_of=PERIOD_ROWS)
    try:
        job = actions.create_usage_job(
            actor=None, period=period, provider=provider_of(request), upload=upload.file, name=upload.name
        )
    finally:
        upload.close()
    audit_call(request, "api_upload_usage", "period", period.code, job=str(job.pk), sha256=job.input_sha256)
    return _run_or_queue(job, upload, response)


@router.put(
    "/reports/{period_code}/recap",
    response={200: ReconciliationOut, 400: ErrorOut, 404: ErrorOut},
    summary="Send this provider's recap of a period",
)
def put_recap(request: HttpRequest, period_code: str, body: RecapIn) -> dict[str, Any]:
    """Sent, injected, failed and GB as the provider counts them; answers the reconciliation row."""
    period = _period(period_code)
    try:
        actions.record_recap(
            actor=None,
            period=period,
            provider=provider_of(request),
            sent=body.sent,
            injected=body.injected,
            failed=body.failed,
            gb=body.gb,
        )
    except ActionRefused as exc:
        # The figure refused named in `rows`, as a field refused by the schema is (value masked).
        rows = []
        if exc.field:
            rows.append(
                {
                    "line": 0,
                    "column": exc.field,
                    "code": exc.code,
                    "message": exc.message,
                    "message_en": exc.message_en,
                    "value": masked_text(str(getattr(body, exc.field)))[:40],
                }
            )
        raise ApiError(exc.code, exc.message, exc.message_en, status=400, rows=rows) from None
    audit_call(request, "api_put_recap", "period", period.code)
    return _recon_out(selectors.reconcile(period, provider_of(request))[0])


@get_with_head(
    router,
    "/reports/{period_code}/reconciliation",
    response={200: ReconciliationOut, 404: ErrorOut},
    summary="This provider's reconciliation for a period",
)
def get_reconciliation(request: HttpRequest, period_code: str) -> dict[str, Any]:
    """This provider's row of the period's reconciliation: what the server counts (`sent` lines,
    `berhasil`, `gagal`, `missing`: lines sent without a result yet, `excluded` recipients,
    `duplicates`: second BERHASIL lines of a recipient, `gb_sent`, `gb_berhasil`), the provider's recap as last sent (`recap_*`, null before PUT
    /reports/{period_code}/recap), and `flags`, the differences still open (REKAP_BELUM_ADA,
    TERKIRIM_BERBEDA, BERHASIL_BERBEDA, GAGAL_BERBEDA, GB_BERBEDA, HASIL_BELUM_LENGKAP,
    GB_BARIS_BERBEDA, BERHASIL_GANDA); `ok` is true when there is none. Errors: 404
    TIDAK_DITEMUKAN (no period with this code), 401 TIDAK_TERAUTENTIKASI, 429
    TERLALU_BANYAK_PERMINTAAN. HEAD answers the headers only."""
    period = _period(period_code)
    audit_call(request, "api_get_reconciliation", "period", period.code)
    return _recon_out(selectors.reconcile(period, provider_of(request))[0])


def _recon_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{
            k: row[k]
            for k in (
                "provider",
                "sent",
                "berhasil",
                "gagal",
                "missing",
                "excluded",
                "duplicates",
                "recap_sent",
                "recap_injected",
                "recap_failed",
                "flags",
                "ok",
            )
        },
        "gb_sent": gb(row["gb_sent"]),
        "gb_berhasil": gb(row["gb_berhasil"]),
        "recap_gb": None if row["recap_gb"] is None else gb(row["recap_gb"]),
    }
