"""Provider API v1 (django-ninja). OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Every endpoint authenticates with a provider's Bearer token (verval.exchange.apiauth), sees only
that provider's data (another provider's object answers 404), writes an audit row, and answers
errors as JSON {"code", "message", "message_en", "rows"}. docs/api.md describes the flow.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status

from verval.core import files, jobs
from verval.core.models import Job
from verval.exchange import actions
from verval.exchange.apiauth import (
    ApiError,
    IssueOut,
    audit_call,
    audit_refusal,
    audit_unauthenticated,
    check_upload_size,
    error_body,
    error_for_status,
    not_found,
    provider_auth,
    provider_of,
)
from verval.exchange.models import DumpBatch
from verval.exchange.services import manifest_of
from verval.exchange.streaming import RangeNotSatisfiable, file_response, range_not_satisfiable

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Verval Ponsel Provider API",
    version="1.0.0",
    description=(
        "Dump batches out, match and injection results back. One Bearer token per provider "
        "(`Authorization: Bearer vp_...`). Errors: JSON `{code, message, message_en, rows}`. See docs/api.md."
    ),
    urls_namespace="api-v1",
)

# Results files up to this size are applied while the request waits; larger ones run as a job
# (poll GET /jobs/{id}).
SYNC_INGEST_MAX_BYTES = int(os.environ.get("VERVAL_API_SYNC_INGEST_BYTES", str(64 * 1024 * 1024)))
ISSUES_IN_RESPONSE = 100


# ---------------------------------------------------------------------------------------------
# Errors as JSON


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    audit_refusal(request, exc.status, exc.code)
    return api.create_response(
        request, error_body(exc.code, exc.message, exc.message_en, exc.rows, **exc.extra), status=exc.status
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    audit_unauthenticated(request)
    response = api.create_response(
        request,
        error_body(
            "TIDAK_TERAUTENTIKASI", "Token tidak ada atau tidak berlaku.", "Missing or invalid token."
        ),
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    rows = [
        {
            "column": ".".join(str(x) for x in e.get("loc", [])),
            "code": e.get("type", ""),
            "message_en": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    audit_refusal(request, 400, "PERMINTAAN_TIDAK_VALID")
    return api.create_response(
        request,
        error_body("PERMINTAAN_TIDAK_VALID", "Permintaan tidak valid.", "Invalid request.", rows),
        status=400,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    audit_refusal(request, 404, "TIDAK_DITEMUKAN")
    return api.create_response(
        request, error_body("TIDAK_DITEMUKAN", "Tidak ditemukan.", "Not found."), status=404
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja's own errors carry English text (a body that is not JSON: "Cannot parse request
    # body"); the answer keeps it in message_en and gives the Indonesian message of its status.
    if exc.status_code == 400:
        code, message, message_en = (
            "PERMINTAAN_TIDAK_VALID",
            "Isi permintaan tidak dapat dibaca (harus JSON yang valid).",
            str(exc),
        )
    else:
        code, message, _en = error_for_status(exc.status_code)
        message_en = str(exc)
    audit_refusal(request, exc.status_code, code)
    return api.create_response(request, error_body(code, message, message_en), status=exc.status_code)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with its traceback for the operators; the answer never carries the exception's text.
    log.exception("unhandled error in provider API %s %s", request.method, request.path)
    try:
        audit_refusal(request, 500, "KESALAHAN_SISTEM")
    except Exception:  # noqa: BLE001 - the database may be what failed; the answer still goes out
        log.exception("audit row of a failed API call not written")
    code, message, message_en = error_for_status(500)
    return api.create_response(request, error_body(code, message, message_en), status=500)


# ---------------------------------------------------------------------------------------------
# Schemas


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str
    rows: list[dict[str, Any]] = []


class BatchOut(Schema):
    id: str
    provider: str
    created_at: datetime
    rows: int
    sha256: str
    size: int
    state: str
    answered: int
    unanswered: int
    aktif: int
    residu: int
    contradictions: int
    file_url: str
    manifest_url: str


class JobOut(Schema):
    job_id: str
    state: str
    batch_id: str
    counts: dict[str, Any]
    error_code: str = ""
    error_message: str = ""
    error_message_en: str = ""
    issues_total: int
    issues: list[IssueOut]
    issues_url: str


def _batch_out(batch: DumpBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "provider": batch.provider,
        "created_at": batch.created_at,
        "rows": batch.rows,
        "sha256": batch.sha256,
        "size": batch.size,
        "state": batch.state,
        "answered": batch.answered,
        "unanswered": batch.unanswered,
        "aktif": batch.aktif,
        "residu": batch.residu,
        "contradictions": batch.contradictions,
        "file_url": f"/api/v1/batches/{batch.id}/file",
        "manifest_url": f"/api/v1/batches/{batch.id}/manifest",
    }


def _job_out(job: Job) -> dict[str, Any]:
    issues = list(job.issues.order_by("line", "id")[:ISSUES_IN_RESPONSE])
    return {
        "job_id": str(job.pk),
        "state": job.state,
        "batch_id": job.params.get("batch_id", ""),
        "counts": job.counts or {},
        "error_code": job.error_code,
        "error_message": job.error_message,
        "error_message_en": job.error_message_en,
        "issues_total": job.issues.count(),
        "issues": [
            {
                "line": i.line,
                "column": i.column,
                "code": i.code,
                "message": i.message,
                "message_en": i.message_en,
                "value": i.value,
            }
            for i in issues
        ],
        "issues_url": f"/api/v1/jobs/{job.pk}/issues",
    }


def _own_batch(request: HttpRequest, batch_id: str) -> DumpBatch:
    batch = DumpBatch.objects.filter(pk=batch_id, provider=provider_of(request)).first()
    if batch is None:
        raise not_found()
    return batch


def _own_job(request: HttpRequest, job_id: str) -> Job:
    try:
        job = Job.objects.filter(pk=job_id, provider=provider_of(request), kind="ingest_results").first()
    except (ValueError, Exception):  # noqa: BLE001 - a malformed id is simply not found
        job = None
    if job is None:
        raise not_found()
    return job


# ---------------------------------------------------------------------------------------------
# Dump batches and match results

router = Router(auth=provider_auth, tags=["dump"])


@router.get("/batches", response=list[BatchOut], summary="List this provider's dump batches")
def list_batches(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    """Newest first. `state`: OPEN (no answer yet), INCOMPLETE (some rows unanswered), COMPLETE."""
    qs = DumpBatch.objects.filter(provider=provider_of(request))
    if state:
        qs = qs.filter(state=state.upper())
    out = [_batch_out(b) for b in qs[:1000]]
    audit_call(request, "api_list_batches", "dump_batch", "", count=len(out))
    return out


@router.get("/batches/{batch_id}", response={200: BatchOut, 404: ErrorOut}, summary="One batch")
def get_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    batch = _own_batch(request, batch_id)
    audit_call(request, "api_get_batch", "dump_batch", batch.id)
    return _batch_out(batch)


@router.get(
    "/batches/{batch_id}/manifest",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="A batch's manifest",
)
def get_manifest(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """batch_id, provider, rows, sha256 (of the .csv.gz), size, columns, created_at."""
    batch = _own_batch(request, batch_id)
    audit_call(request, "api_get_manifest", "dump_batch", batch.id)
    return manifest_of(batch)


@router.api_operation(
    ["HEAD"],
    "/batches/{batch_id}/file",
    response={200: None, 206: None, 304: None, 404: ErrorOut, 416: ErrorOut},
    summary="Headers of a batch download, without the file",
    operation_id="verval_exchange_api_download_batch_head",
)
@router.get(
    "/batches/{batch_id}/file",
    response={200: None, 206: None, 304: None, 404: ErrorOut, 416: ErrorOut},
    summary="Download a batch (gzip CSV)",
    openapi_extra={
        "responses": {
            200: {  # the int key ninja uses, so that this merges into its entry
                "description": "gzip CSV `pd_id,tingkat_pendidikan,npsn,no_ponsel`; headers ETag and X-Content-SHA256",
                "content": {"application/gzip": {}},
            }
        }
    },
)
def download_batch(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Supports `Range: bytes=N-` to resume (206 + Content-Range), `If-None-Match` (304) and HEAD."""
    batch = _own_batch(request, batch_id)
    path = files.absolute(batch.file_path)
    try:
        response = file_response(request, path, sha256=batch.sha256, filename=f"{batch.id}.csv.gz")
    except RangeNotSatisfiable:
        response = range_not_satisfiable(path)
    audit_call(
        request,
        "download_dump",
        "dump_batch",
        batch.id,
        status=response.status_code,
        method=request.method,
        range=request.headers.get("Range", "")[:100],
    )
    return response  # type: ignore[return-value]  # streaming or 304


@router.post(
    "/batches/{batch_id}/results",
    response={200: JobOut, 202: JobOut, 404: ErrorOut, 411: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Upload the match results of a batch",
    openapi_extra={
        "requestBody": {
            "description": "CSV `pd_id,no_ponsel,status[,keterangan]` (plain or gzip) as the raw body, or multipart with field `file`.",
            "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/gzip": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            },
        }
    },
)
def upload_results(request: HttpRequest, batch_id: str) -> Any:
    """Small files are applied at once (200 with counts and the first refused rows); large ones
    become a job (202; poll GET /jobs/{job_id}). A file refused whole answers 422 and changes nothing.
    The body needs a Content-Length (411) no larger than the batch can need (413; docs/api.md)."""
    batch = _own_batch(request, batch_id)
    check_upload_size(request, rows=batch.rows)
    if (request.content_type or "").startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError(
                "PERMINTAAN_TIDAK_VALID", "Bagian 'file' tidak ada.", "Multipart field 'file' is missing."
            )
        name = upload.name or "hasil.csv"
    else:
        upload, name = request, f"{batch.id}-hasil.csv"  # type: ignore[assignment]  # the raw body is read like a file
    job = actions.create_ingest_job(
        actor=None, batch=batch, upload=upload, name=name, provider=provider_of(request)
    )
    size = files.absolute(job.input_path).stat().st_size
    audit_call(
        request,
        "api_upload_results",
        "dump_batch",
        batch.id,
        job=str(job.pk),
        size=size,
        sha256=job.input_sha256,
    )
    if size > SYNC_INGEST_MAX_BYTES:
        from django.db import transaction

        with transaction.atomic():
            jobs.enqueue(job)
        return Status(202, _job_out(job))
    job = jobs.run(job.pk)
    out = _job_out(job)
    if job.state == Job.State.REFUSED:
        raise ApiError(
            job.error_code,
            job.error_message,
            job.error_message_en,
            status=422,
            rows=out["issues"],
            extra={
                "job_id": out["job_id"],
                "counts": out["counts"],
                "issues_total": out["issues_total"],
                "issues_url": out["issues_url"],
            },
        )
    if job.state == Job.State.FAILED:
        raise ApiError(
            job.error_code,
            job.error_message,
            job.error_message_en,
            status=500,
            extra={"job_id": out["job_id"]},
        )
    return Status(200, out)


@router.get(
    "/jobs/{job_id}", response={200: JobOut, 404: ErrorOut}, summary="State and counts of an ingest job"
)
def get_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    job = _own_job(request, job_id)
    audit_call(request, "api_get_job", "job", job.pk)
    out = _job_out(job)
    if not job.is_finished:
        done, total = jobs.read_progress(job)
        out["counts"] = {**out["counts"], "progress_done": done, "progress_total": total}
    return out


@router.get(
    "/jobs/{job_id}/issues", response={200: None, 404: ErrorOut}, summary="All refused rows of a job (CSV)"
)
def get_job_issues(request: HttpRequest, job_id: str) -> StreamingHttpResponse:
    """CSV `baris,kolom,kode,pesan,message,nilai`, every refused row."""
    job = _own_job(request, job_id)
    audit_call(request, "download_job_report", "job", job.pk)
    response = StreamingHttpResponse(jobs.issues_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="laporan-{job.pk}.csv"'
    return response


api.add_router("/", router)

# ---------------------------------------------------------------------------------------------
# Other routers on the same API (same token auth: verval.exchange.apiauth.provider_auth).
# SPTJM/disbursement adds its own line here:
#   from verval.sptjm.api import router as sptjm_router
#   api.add_router("/", sptjm_router)
from verval.sptjm.api import router as sptjm_router  # noqa: E402

api.add_router("/", sptjm_router)
