"""Provider API v1 (django-ninja). OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Every endpoint authenticates with a provider's Bearer token (verval.exchange.apiauth), sees only
that provider's data (another provider's object answers 404), writes an audit row
(verval.exchange.apiaudit), and answers errors as JSON {"code", "message", "message_en", "rows"}
(verval.exchange.apierrors). docs/api.md describes the flow.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from verval.core import files, jobs
from verval.core.models import Job
from verval.exchange import actions
from verval.exchange.apiaudit import audit_call, audit_refusal
from verval.exchange.apiauth import own_rows, provider_auth, provider_of, unauthenticated_error
from verval.exchange.apierrors import (
    ERRORS,
    ApiError,
    ErrorOut,
    IssueOut,
    error_body,
    error_for_status,
    issue_out,
    not_found,
)
from verval.exchange.apiroutes import get_with_head, state_filter, state_parameter
from verval.exchange.apiupload import (
    UPLOAD_RESPONSES,
    check_upload,
    open_upload,
    run_or_queue,
    upload_openapi,
)
from verval.exchange.models import DumpBatch
from verval.exchange.reasons import REFUSALS
from verval.exchange.resultfile import masked_text
from verval.exchange.services import manifest_of
from verval.exchange.streaming import (
    DOWNLOAD_OPENAPI,
    RangeNotSatisfiable,
    file_response,
    range_not_satisfiable,
)

log = logging.getLogger(__name__)

__all__ = ["ErrorOut", "api", "router"]


class ProviderApi(NinjaAPI):
    """The v1 API, with what ninja leaves out of its OpenAPI document added (see
    `_document_common_answers`) and the value of a refused request field kept (masked)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_common_answers(schema)
        return schema

    def validation_error_from_error_contexts(self, error_contexts: Any) -> NinjaValidationError:
        error = super().validation_error_from_error_contexts(error_contexts)
        # ninja drops what was sent; the answer gives it back (masked, shortened) as `value`.
        inputs = [
            e.get("input")
            for context in error_contexts
            for e in context.pydantic_validation_error.errors(include_url=False)
        ]
        for e, sent in zip(error.errors, inputs, strict=False):
            e["value"] = masked_text(str(sent))[:40] if isinstance(sent, str | int | float) else ""
        return error


api = ProviderApi(
    title="Verval Ponsel Provider API",
    version="1.0.0",
    description=(
        "Dump batches out, match and injection results back. One Bearer token per provider "
        "(`Authorization: Bearer vp_...`). Errors: JSON `{code, message, message_en, rows}`. Each endpoint below "
        "says what it takes and answers; the schema alone: /api/v1/openapi.json. Any endpoint may answer 500 "
        "(KESALAHAN_SISTEM: nothing was changed; try again later or tell Pusdatin). A method a path does not "
        "take answers 405 (METODE_TIDAK_DIIZINKAN, with `Allow` listing the methods it takes; "
        "`components.responses.MetodeTidakDiizinkan`): no operation below answers it, since each is a method "
        "its path takes."
    ),
    urls_namespace="api-v1",
)

# Results files up to this size (unpacked) are applied while the request waits; larger ones run
# as a job (poll GET /jobs/{id}).
SYNC_INGEST_MAX_BYTES = int(os.environ.get("VERVAL_API_SYNC_INGEST_BYTES", str(64 * 1024 * 1024)))
ISSUES_IN_RESPONSE = 100


def _error_response(schema_ref: str = "#/components/schemas/ErrorOut") -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": schema_ref}}}


def _example(code: str, message: str, message_en: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "message_en": message_en, "rows": [], **extra}


# What an error status of the API means, for the statuses ninja describes only with their HTTP
# reason ("Not Found", "Unprocessable Entity"): the codes it carries, what to do, and an example
# answer. A provider's engineer reads the docs page to know which codes a script must handle.
_ERROR_ANSWERS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "PERMINTAAN_TIDAK_VALID: a query or body value this endpoint does not take (`rows` names the "
        "field and the value sent, masked; `allowed` lists a choice's values), an unreadable "
        "multipart body or an invalid Content-Length",
        _example(
            "PERMINTAAN_TIDAK_VALID",
            "Nilai state tidak dikenal. Pilihan: OPEN, INCOMPLETE, COMPLETE.",
            "Unknown state. Allowed: OPEN, INCOMPLETE, COMPLETE.",
            allowed=["OPEN", "INCOMPLETE", "COMPLETE"],
        ),
    ),
    "404": (
        "TIDAK_DITEMUKAN: no batch, job or period of yours with this id (another provider's id "
        "answers the same); take the id from the listing",
        _example("TIDAK_DITEMUKAN", "Tidak ditemukan.", "Not found."),
    ),
    "410": (
        "BERKAS_SUDAH_DIHAPUS: the file was deleted under the retention rules; ask Pusdatin",
        _example("BERKAS_SUDAH_DIHAPUS", *ERRORS["BERKAS_SUDAH_DIHAPUS"][1:]),
    ),
    "411": (
        "CONTENT_LENGTH_DIPERLUKAN: a chunked body; send the file with its Content-Length "
        "(`curl --data-binary @file` does)",
        _example("CONTENT_LENGTH_DIPERLUKAN", *ERRORS["CONTENT_LENGTH_DIPERLUKAN"][1:]),
    ),
    "422": (
        "The file is refused whole and nothing is changed: its structure (BERKAS_KOSONG, "
        "ENCODING_SALAH, PEMISAH_SALAH, KOLOM_SALAH, BERKAS_TERPOTONG: cut off, or sent with "
        "`curl -d`, which drops the line breaks) or more than 5 % of its rows refused "
        "(TERLALU_BANYAK_DITOLAK; `rows` holds the first refused rows, `issues_url` every one, "
        "`counts.by_code` the number per code). Fix the file, or check that file and batch belong "
        "together, and send it again. When every refused row contradicts an earlier answer "
        "(BERTENTANGAN), the message says so instead: the first answers stay, Pusdatin sees the "
        "contradictions and will contact you; remove those rows to apply the others",
        _example(
            "TERLALU_BANYAK_DITOLAK",
            *REFUSALS["TERLALU_BANYAK_DITOLAK"],
            rows=[
                {
                    "line": 2,
                    "column": "no_ponsel",
                    "code": "NOMOR_TIDAK_SESUAI",
                    "message": REFUSALS["NOMOR_TIDAK_SESUAI"][0],
                    "message_en": REFUSALS["NOMOR_TIDAK_SESUAI"][1],
                    "value": "0812****0350",
                }
            ],
            job_id="6acf8b22-5d0e-4b8f-9a51-0d2f8e7b6c40",
            counts={"rows": 40, "refused": 40, "by_code": {"NOMOR_TIDAK_SESUAI": 40}},
            issues_total=40,
            issues_url="/api/v1/jobs/6acf8b22-5d0e-4b8f-9a51-0d2f8e7b6c40/issues",
        ),
    ),
}
# The recap's 400 is the figure refused, not a malformed request.
_RECAP_400 = (
    "A figure of the recap refused: REKAP_TIDAK_VALID (not a number, or out of range) or "
    "REKAP_TIDAK_KONSISTEN (injected + failed above sent, or GB without an injection); `rows` "
    "names the figure. PERMINTAAN_TIDAK_VALID for a body that is not the recap's JSON",
    _example(
        "REKAP_TIDAK_KONSISTEN",
        "Rekap tidak konsisten: injected (2600) + failed (75) melebihi sent (2596); setiap baris yang "
        "dikirim hanya berhasil atau gagal.",
        "Inconsistent recap: injected (2600) + failed (75) exceeds sent (2596); each row sent is "
        "either injected or failed.",
        rows=[
            {
                "line": 0,
                "column": "sent",
                "code": "REKAP_TIDAK_KONSISTEN",
                "message": "Rekap tidak konsisten: injected (2600) + failed (75) melebihi sent (2596); "
                "setiap baris yang dikirim hanya berhasil atau gagal.",
                "message_en": "Inconsistent recap: injected (2600) + failed (75) exceeds sent (2596); "
                "each row sent is either injected or failed.",
                "value": "2596",
            }
        ],
    ),
)
# ninja's descriptions of the statuses above: only these are replaced, never one an endpoint wrote.
_BARE_REASONS = {"Bad Request", "Not Found", "Gone", "Length Required", "Unprocessable Entity"}
# An example answer for the error statuses an endpoint (or the token check in front of every
# endpoint) describes in words but without one: the docs page showed the 401, 413, 415, 416 and
# 429 answers as an empty schema, so a script's author could not see the body to handle
# (decision 0100). The messages are the server's own (ERRORS; the 413 as an upload of 3 MB to a
# batch of 40 rows words it).
_ERROR_EXAMPLES: dict[str, dict[str, Any]] = {
    "401": _example("TIDAK_TERAUTENTIKASI", *ERRORS["TIDAK_TERAUTENTIKASI"][1:]),
    "413": _example(
        "BERKAS_TERLALU_BESAR",
        "Berkas terlalu besar: 3.000.000 byte. Untuk 40 baris batch ini berkas paling besar 1.069.056 byte.",
        "File too large: 3,000,000 bytes. For this batch's 40 rows the limit is 1,069,056 bytes.",
        size_bytes=3000000,
        limit_bytes=1069056,
    ),
    "415": _example(
        "JENIS_ISI_TIDAK_DIDUKUNG",
        *ERRORS["JENIS_ISI_TIDAK_DIDUKUNG"][1:],
        allowed=["text/csv", "application/gzip", "application/x-gzip", "multipart/form-data"],
    ),
    "416": _example("RENTANG_TIDAK_VALID", *ERRORS["RENTANG_TIDAK_VALID"][1:]),
    "429": _example("TERLALU_BANYAK_PERMINTAAN", *ERRORS["TERLALU_BANYAK_PERMINTAAN"][1:]),
}


# The two answers of any address that no operation declares (decision 0103). The 500 is shared
# by every operation through one reference (a row on each operation's docs, one definition in the
# document); the 405 is never an operation's answer (an operation is a method its path takes), so
# it is defined once beside the 500 and the API's description points to it instead of adding a
# row to the twenty operations that cannot give it.
_COMMON_RESPONSES: dict[str, dict[str, Any]] = {
    "KesalahanSistem": {
        "description": "System error (KESALAHAN_SISTEM): nothing was changed; try again later or tell "
        "Pusdatin. An upload whose job failed adds its `job_id`. The answer never carries the "
        "error's text, which is only logged",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorOut"},
                "example": _example("KESALAHAN_SISTEM", *ERRORS["KESALAHAN_SISTEM"][1:]),
            }
        },
    },
    "MetodeTidakDiizinkan": {
        "description": "A method the path does not take (METODE_TIDAK_DIIZINKAN); `Allow` lists the "
        "methods it takes",
        "headers": {"Allow": {"schema": {"type": "string"}, "description": "e.g. GET, HEAD"}},
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorOut"},
                "example": _example("METODE_TIDAK_DIIZINKAN", *ERRORS["METODE_TIDAK_DIIZINKAN"][1:]),
            }
        },
    },
}


def _document_common_answers(schema: Any) -> None:
    """Every operation that takes the token can answer 401 (no valid token) and 429 (rate
    limit); ninja documents only the statuses an endpoint declares, and these come from the
    authentication in front of every endpoint. An error status an endpoint declares without
    saying more gets the codes it carries and an example (`_ERROR_ANSWERS`). Every operation
    refers to the shared 500 (`_COMMON_RESPONSES`)."""
    schema.setdefault("components", {}).setdefault("responses", {}).update(_COMMON_RESPONSES)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue
            responses = operation.setdefault("responses", {})
            for status, answer in responses.items():
                code = str(status)  # ninja keys its statuses as integers
                known = _RECAP_400 if (method, code) == ("put", "400") else _ERROR_ANSWERS.get(code)
                if known and answer.get("description") in _BARE_REASONS:
                    answer["description"] = known[0]
                    content = answer.get("content", {}).get("application/json")
                    if content is not None:
                        content["example"] = known[1]
            responses.setdefault(
                "401",
                {
                    "description": "Missing, unknown, revoked or rotated token (TIDAK_TERAUTENTIKASI)",
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
                    "content": _error_response(),
                },
            )
            responses.setdefault(
                "429",
                {
                    "description": "Too many calls for this token, or too many calls without a valid "
                    "token from this address, in the current minute (TERLALU_BANYAK_PERMINTAAN)",
                    "headers": {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "seconds until the current minute ends",
                        }
                    },
                    "content": _error_response(),
                },
            )
            responses.setdefault("500", {"$ref": "#/components/responses/KesalahanSistem"})
            for status, answer in responses.items():
                content = answer.get("content", {}).get("application/json")
                if content is not None and "example" not in content and str(status) in _ERROR_EXAMPLES:
                    content["example"] = _ERROR_EXAMPLES[str(status)]


# ---------------------------------------------------------------------------------------------
# Errors as JSON


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    audit_refusal(request, exc.status, exc.code)
    response = api.create_response(
        request, error_body(exc.code, exc.message, exc.message_en, exc.rows, **exc.extra), status=exc.status
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    err = unauthenticated_error(request)  # 401, or 429 for an address over its limit; audited
    response = api.create_response(
        request, error_body(err.code, err.message, err.message_en, **err.extra), status=err.status
    )
    for name, value in err.headers.items():
        response[name] = value
    return response


# What a field of a request body or query refused by its schema was expected to be, in
# Indonesian (message_en keeps pydantic's own English text).
_EXPECTED = {
    "missing": "Wajib diisi.",
    "int_parsing": "Harus bilangan bulat.",
    "int_type": "Harus bilangan bulat.",
    "int_from_float": "Harus bilangan bulat.",
    "float_parsing": "Harus angka.",
    "float_type": "Harus angka.",
    "decimal_parsing": "Harus angka.",
    "decimal_type": "Harus angka.",
    "string_type": "Harus teks.",
    "bool_parsing": "Harus true atau false.",
    "bool_type": "Harus true atau false.",
    "model_attributes_type": "Harus objek JSON.",
    "dict_type": "Harus objek JSON.",
    "list_type": "Harus daftar (array JSON).",
    "json_invalid": "Bukan JSON yang valid.",
}
_SOURCES = ("body", "query", "path", "header", "cookie", "form", "file")


def _field_of(loc: Any) -> str:
    """The field a refused value belongs to, as the client named it: ninja reports a body field
    as ("body", <argument>, "sent"), a query one as ("query", "state")."""
    parts = [str(x) for x in loc]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body" and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    rows = [
        {
            "line": 0,
            "column": _field_of(e.get("loc", [])),
            "code": "WAJIB_DIISI" if e.get("type") == "missing" else "NILAI_TIDAK_VALID",
            "message": _EXPECTED.get(str(e.get("type", "")), "Nilai tidak valid."),
            "message_en": str(e.get("msg", "")),
            "value": e.get("value", ""),
        }
        for e in exc.errors
    ]
    audit_refusal(request, 400, "PERMINTAAN_TIDAK_VALID")
    return api.create_response(
        request,
        error_body(
            "PERMINTAAN_TIDAK_VALID",
            "Permintaan tidak valid: periksa isian pada `rows`.",
            "Invalid request: see the fields in `rows`.",
            rows,
        ),
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


class BatchOut(Schema):
    id: str
    provider: str
    created_at: datetime
    rows: int
    sha256: str
    size: int
    state: str
    number_format: str = Field(
        description="How the file writes no_ponsel: msisdn (628…), e164 (+628…) "
        "or national (08…). Results may give the number in any of these forms."
    )
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
    job_url: str


def _batch_out(batch: DumpBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "provider": batch.provider,
        "created_at": batch.created_at,
        "rows": batch.rows,
        "sha256": batch.sha256,
        "size": batch.size,
        "state": batch.state,
        "number_format": batch.number_format,
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
        "issues": [issue_out(i) for i in issues],
        "issues_url": f"/api/v1/jobs/{job.pk}/issues",
        "job_url": f"/api/v1/jobs/{job.pk}",
    }


def _own_batch(request: HttpRequest, batch_id: str) -> DumpBatch:
    batch = own_rows(request, DumpBatch.objects.all()).filter(pk=batch_id).first()
    if batch is None:
        raise not_found()
    return batch


def _own_job(request: HttpRequest, job_id: str) -> Job:
    try:
        job_uuid = uuid.UUID(job_id)
    except ValueError:  # a malformed id is simply not found; a database error stays a 500
        raise not_found() from None
    job = own_rows(request, Job.objects.all()).filter(pk=job_uuid, kind="ingest_results").first()
    if job is None:
        raise not_found()
    return job


# ---------------------------------------------------------------------------------------------
# Dump batches and match results

router = Router(auth=provider_auth, tags=["dump"])

BATCH_STATES = tuple(DumpBatch.State.values)


@get_with_head(
    router,
    "/batches",
    response={200: list[BatchOut], 400: ErrorOut},
    summary="List this provider's dump batches",
    openapi_extra={
        "parameters": [
            state_parameter(BATCH_STATES, "OPEN (no answer yet), INCOMPLETE (some rows unanswered), COMPLETE")
        ]
    },
)
def list_batches(request: HttpRequest) -> list[dict[str, Any]]:
    """Newest first. `state`: OPEN (no answer yet), INCOMPLETE (some rows unanswered), COMPLETE;
    another value answers 400 with the allowed ones."""
    state = state_filter(request.GET.get("state"), BATCH_STATES)
    qs = own_rows(request, DumpBatch.objects.all())
    if state:
        qs = qs.filter(state=state)
    out = [_batch_out(b) for b in qs[:1000]]
    audit_call(request, "api_list_batches", "dump_batch", "", count=len(out))
    return out


@get_with_head(router, "/batches/{batch_id}", response={200: BatchOut, 404: ErrorOut}, summary="One batch")
def get_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """The batch as the list gives it: `rows`, the `sha256` and `size` of its file, `state` (OPEN:
    no answer yet, INCOMPLETE: some rows unanswered, COMPLETE), `answered` / `unanswered` rows,
    `aktif` / `residu` (rows answered active / not), `contradictions` (rows of applied files that
    contradicted an earlier answer, BERTENTANGAN), and `file_url` / `manifest_url`. The id is
    written as the list gives it, e.g. `DMP-20200915-telkomsel-0001`: case matters (`DMP` in
    capitals, the provider in lower case). Errors: 404 TIDAK_DITEMUKAN (no batch of yours with
    this id; another provider's answers the same), 401 TIDAK_TERAUTENTIKASI, 429
    TERLALU_BANYAK_PERMINTAAN. HEAD answers the headers only."""
    batch = _own_batch(request, batch_id)
    audit_call(request, "api_get_batch", "dump_batch", batch.id)
    return _batch_out(batch)


@get_with_head(
    router,
    "/batches/{batch_id}/manifest",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="A batch's manifest",
)
def get_manifest(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    """batch_id, provider, rows, sha256 (of the .csv.gz), size, columns, number_format, created_at."""
    batch = _own_batch(request, batch_id)
    audit_call(request, "api_get_manifest", "dump_batch", batch.id)
    return manifest_of(batch)


_DOWNLOAD_RESPONSES = {200: None, 206: None, 304: None, 404: ErrorOut, 410: ErrorOut, 416: ErrorOut}


@router.api_operation(
    ["HEAD"],
    "/batches/{batch_id}/file",
    response=_DOWNLOAD_RESPONSES,
    summary="Headers of a batch download, without the file",
    operation_id="verval_exchange_api_download_batch_head",
    openapi_extra=DOWNLOAD_OPENAPI(None),
)
@router.get(
    "/batches/{batch_id}/file",
    response=_DOWNLOAD_RESPONSES,
    summary="Download a batch (gzip CSV)",
    openapi_extra=DOWNLOAD_OPENAPI(
        "gzip CSV `pd_id,tingkat_pendidikan,npsn,no_ponsel`; headers ETag and X-Content-SHA256"
    ),
)
def download_batch(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Supports `Range: bytes=N-` to resume (206 + Content-Range), `If-None-Match` (304) and HEAD."""
    batch = _own_batch(request, batch_id)
    path = files.absolute(batch.file_path)
    if not path.is_file():  # deleted by the retention rules (decision 0038)
        audit_call(request, "download_dump", "dump_batch", batch.id, status=410, method=request.method)
        raise ApiError("BERKAS_SUDAH_DIHAPUS")
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
    response={200: JobOut, 202: JobOut, **UPLOAD_RESPONSES},
    summary="Upload the match results of a batch",
    openapi_extra=upload_openapi(
        "CSV `pd_id,no_ponsel,status[,keterangan]` (plain or gzip) as the raw body, or multipart with field `file`."
    ),
)
def upload_results(request: HttpRequest, batch_id: str, response: HttpResponse) -> Any:
    """Small files are applied at once (200 with counts and the first refused rows); large ones
    become a job (202 with `Location`; poll GET /jobs/{job_id}). A file refused whole answers 422
    and changes nothing. The body needs a Content-Length (411) no larger than the batch can need
    (413), a CSV type (415), and a gzip body may unpack to no more than the batch can need
    either (413)."""
    batch = _own_batch(request, batch_id)
    check_upload(request, rows=batch.rows)
    upload = open_upload(request, rows=batch.rows, name=f"{batch.id}-hasil.csv")
    try:
        job = actions.create_ingest_job(
            actor=None, batch=batch, upload=upload.file, name=upload.name, provider=provider_of(request)
        )
    finally:
        upload.close()
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
    return run_or_queue(
        job,
        unpacked=size if upload.unpacked is None else upload.unpacked,
        sync_max=SYNC_INGEST_MAX_BYTES,
        response=response,
        out_of=_job_out,
        job_url=f"/api/v1/jobs/{job.pk}",
    )


@get_with_head(
    router,
    "/jobs/{job_id}",
    response={200: JobOut, 404: ErrorOut},
    summary="State and counts of an ingest job",
)
def get_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """A results upload that was queued (the 202 of POST /batches/{batch_id}/results, whose
    `Location` names this URL). `state`: PENDING or RUNNING (poll again; `counts` then holds
    `progress_done` / `progress_total` rows), SUCCEEDED (`counts` as in the 200 of the upload),
    REFUSED (the file was refused whole, nothing changed: `error_code`, `error_message_en`), or
    FAILED (nothing changed: `error_code`, e.g. KESALAHAN_SISTEM, PEKERJAAN_TERHENTI; send the file
    again). `issues` holds the first 100 refused rows, `issues_total` their number, `issues_url`
    every one as CSV. Errors: 404 TIDAK_DITEMUKAN (no ingest job of yours with this id), 401
    TIDAK_TERAUTENTIKASI, 429 TERLALU_BANYAK_PERMINTAAN. HEAD answers the headers only."""
    job = _own_job(request, job_id)
    audit_call(request, "api_get_job", "job", job.pk)
    out = _job_out(job)
    if not job.is_finished:
        done, total = jobs.read_progress(job)
        out["counts"] = {**out["counts"], "progress_done": done, "progress_total": total}
    return out


ISSUES_CSV_OPENAPI: dict[str, Any] = {
    "responses": {
        200: {
            "description": "CSV `baris,kolom,kode,pesan,message,nilai`, one line per refused row (numbers masked)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


@get_with_head(
    router,
    "/jobs/{job_id}/issues",
    response={200: None, 404: ErrorOut},
    summary="All refused rows of a job (CSV)",
    openapi_extra=ISSUES_CSV_OPENAPI,
)
def get_job_issues(request: HttpRequest, job_id: str) -> StreamingHttpResponse:
    """CSV `baris,kolom,kode,pesan,message,nilai`, every refused row. HEAD answers the same
    headers without reading the report."""
    job = _own_job(request, job_id)
    audit_call(request, "download_job_report", "job", job.pk, method=request.method)
    response = StreamingHttpResponse(jobs.issues_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="laporan-{job.pk}.csv"'
    return response


# ---------------------------------------------------------------------------------------------
# The provider's own audit rows (decision 0135)

AUDIT_LIMIT_MAX = 1000


class AuditOut(Schema):
    id: int = Field(description="Pass it as `before` to read the rows older than this one.")
    at: datetime
    action: str = Field(description="e.g. api_list_batches, download_dump, api_upload_results, api_refused")
    object_type: str
    object_id: str
    by: str = Field(
        description="token: a call with one of your tokens (its prefix in `note`); account: a signed-in "
        "account of yours (`user`); staff: a Verval Ponsel officer (e.g. Pusdatin issuing a token); "
        "system: a scheduled or command-line run"
    )
    user: str = Field(description="The user name of your own account (by = account); empty otherwise.")
    via: str = Field(
        description="Where the row came from: api (a call with a token), web (a signed-in account's "
        "page), job (a background job), cli (Verval Ponsel's command line on its server), system (an "
        "automatic run); empty for rows written before it was kept. Of your own rows (token, account) "
        "as recorded, e.g. job:web for a job one of your accounts queued; of the others the kind only."
    )
    before: Any = None
    after: Any = None
    note: str
    ip: str | None = Field(
        None, description="The client address of your own calls (token, account); null otherwise."
    )


def _audit_out(e: Any, provider: str) -> dict[str, Any]:
    actor = e.actor
    if actor is None:
        by = "token" if e.note.startswith("token ") else "system"
    elif getattr(actor, "role", "") == "PROVIDER" and actor.provider == provider:
        by = "account"
    else:
        by = "staff"
    return {
        "id": e.pk,
        "at": e.at,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "by": by,
        "user": actor.username if by == "account" else "",
        # Never the server's OS login of a Verval Ponsel officer (cli:<login>): its kind only.
        "via": e.via if by in ("token", "account") else e.via.split(":", 1)[0],
        "before": e.before,
        "after": e.after,
        "note": e.note,
        # Never another party's address: a Verval Ponsel officer's is not the provider's to read.
        "ip": e.ip if by in ("token", "account") else None,
    }


def _bad_parameter(column: str, message: str, message_en: str, value: Any) -> ApiError:
    return ApiError(
        "PERMINTAAN_TIDAK_VALID",
        f"Parameter {column} tidak valid.",
        f"Invalid parameter {column}.",
        rows=[
            {
                "line": 0,
                "column": column,
                "code": "NILAI_TIDAK_VALID",
                "message": message,
                "message_en": message_en,
                "value": masked_text(str(value))[:40],
            }
        ],
    )


@get_with_head(
    router,
    "/audit",
    response={200: list[AuditOut], 400: ErrorOut},
    summary="This provider's audit rows",
    tags=["audit"],
)
def list_audit(
    request: HttpRequest,
    limit: int = 100,
    before: int | None = None,
    action: str | None = None,
    since: date | None = None,
) -> list[dict[str, Any]]:
    """The audit rows of your provider, newest first: every call of your tokens (the refused ones
    too), your downloads and uploads, and what Verval Ponsel did for you (a token issued or
    revoked, a dump published, the number format set). `limit`: 1 to 1000 rows (default 100);
    `before`: the `id` of the last row you read, for the next (older) page; a page shorter than
    `limit` is the last. `action`: one action code; `since`: a day (YYYY-MM-DD, WIB), rows from
    its start. Numbers are masked as stored; `ip` only of your own calls. This call is audited
    too (`api_list_audit`), after it is answered: the next read lists it. Errors: 400
    PERMINTAAN_TIDAK_VALID (a limit out of range, an action that is not a code), 401
    TIDAK_TERAUTENTIKASI, 429 TERLALU_BANYAK_PERMINTAAN. HEAD answers the headers only."""
    from verval.core import selectors as core_selectors
    from verval.core.models import AuditEvent

    if not 1 <= limit <= AUDIT_LIMIT_MAX:
        raise _bad_parameter("limit", "Harus 1 sampai 1000.", "Must be 1 to 1000.", limit)
    if action and not core_selectors.ACTION_CODE.fullmatch(action):
        raise _bad_parameter(
            "action",
            "Kode aksi: huruf kecil, angka dan _.",
            "An action code: lower case, digits and _.",
            action,
        )
    filters = core_selectors.AuditFilters(action=action or "", since=since, before=before)
    qs = core_selectors.filter_audit(own_rows(request, AuditEvent.objects.all()), filters)
    provider = provider_of(request)
    out = [_audit_out(e, provider) for e in qs.select_related("actor")[:limit]]
    audit_call(
        request,
        "api_list_audit",
        "audit",
        "",
        count=len(out),
        # The filters asked for (`action` is audit_call's own argument: `of_action`).
        **{
            k: v
            for k, v in (("of_action", action), ("since", since and since.isoformat()), ("before", before))
            if v
        },
    )
    return out


api.add_router("/", router)

# ---------------------------------------------------------------------------------------------
# Other routers on the same API (same token auth: verval.exchange.apiauth.provider_auth).
# SPTJM/disbursement adds its own line here:
#   from verval.sptjm.api import router as sptjm_router
#   api.add_router("/", sptjm_router)
from verval.sptjm.api import router as sptjm_router  # noqa: E402

api.add_router("/", sptjm_router)
