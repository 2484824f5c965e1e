"""The provider API's errors: every error is JSON {"code", "message", "message_en", "rows"}.

- `ERRORS`: the codes of the API's own errors with their status and messages;
  `error_for_status` gives one for a bare HTTP status (ninja's, Django's).
- `ApiError`: raised by an endpoint or a building block, rendered by verval.exchange.api as the
  JSON error (and audited as `api_refused` when the endpoint had not written its row).
- `error_body`, `ErrorOut` (its OpenAPI schema), `not_found()`.
- `IssueOut`, `issue_out`: a refused row of an upload as the API gives it back (value masked).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema

from verval.exchange.resultfile import masked_text

ERRORS: dict[str, tuple[int, str, str]] = {
    "TIDAK_TERAUTENTIKASI": (401, "Token tidak ada atau tidak berlaku.", "Missing or invalid token."),
    "TIDAK_DITEMUKAN": (404, "Tidak ditemukan.", "Not found."),
    "PERMINTAAN_TIDAK_VALID": (400, "Permintaan tidak valid.", "Invalid request."),
    "RENTANG_TIDAK_VALID": (
        416,
        "Rentang (Range) di luar ukuran berkas.",
        "The requested range starts past the end of the file.",
    ),
    # A batch file the retention rules deleted (decision 0038): gone for good, not "not found".
    "BERKAS_SUDAH_DIHAPUS": (
        410,
        "Berkas sudah dihapus menurut aturan penyimpanan.",
        "The file was deleted under the retention rules.",
    ),
    "BERKAS_TERLALU_BESAR": (413, "Berkas terlalu besar.", "File too large."),
    "CONTENT_LENGTH_DIPERLUKAN": (
        411,
        "Header Content-Length wajib ada; kirim berkas dengan panjangnya, bukan secara chunked.",
        "The Content-Length header is required; send the file with its length, not chunked.",
    ),
    "METODE_TIDAK_DIIZINKAN": (405, "Metode HTTP ini tidak diizinkan di alamat ini.", "Method not allowed."),
    "JENIS_ISI_TIDAK_DIDUKUNG": (
        415,
        "Jenis isi (Content-Type) tidak didukung. Kirim berkas sebagai text/csv, application/gzip "
        "atau multipart/form-data (bagian 'file').",
        "Unsupported Content-Type. Send the file as text/csv, application/gzip or "
        "multipart/form-data (field 'file').",
    ),
    "TERLALU_BANYAK_PERMINTAAN": (
        429,
        "Terlalu banyak permintaan; coba lagi sebentar lagi.",
        "Too many requests; try again shortly.",
    ),
    "ISI_GZIP_TERLALU_BESAR": (
        413,
        "Isi berkas gzip terlalu besar setelah dibuka.",
        "The gzip file unpacks to more than this upload may hold.",
    ),
    "KESALAHAN_SISTEM": (
        500,
        "Terjadi kesalahan sistem; data tidak diubah. Hubungi Pusdatin.",
        "System error; no data was changed. Contact Pusdatin.",
    ),
}


def error_for_status(status: int) -> tuple[str, str, str]:
    """(code, message, message_en) of a bare HTTP status, for errors that carry no code of ours."""
    for code, (s, msg, msg_en) in ERRORS.items():
        if s == status:
            return code, msg, msg_en
    if status >= 500:
        return "KESALAHAN_SISTEM", *ERRORS["KESALAHAN_SISTEM"][1:]
    return "KESALAHAN_HTTP", f"Permintaan tidak dapat diproses (HTTP {status}).", f"HTTP {status}."


class IssueOut(Schema):
    """A refused row, as every upload answers it (dump results, injection results, usage)."""

    line: int
    column: str
    code: str
    message: str
    message_en: str
    value: str


class ErrorOut(Schema):
    """Every error answer. The optional fields come with the errors that have them: the size
    limit (413), a file refused whole (422: job_id, counts, issues_total, issues_url), a job
    that failed (500: job_id), a query value outside its choices (400: allowed), a rate limit
    (429: retry_after, limit_per_minute)."""

    code: str
    message: str
    message_en: str
    rows: list[dict[str, Any]] = []
    size_bytes: int | None = None
    limit_bytes: int | None = None
    job_id: str | None = None
    counts: dict[str, Any] | None = None
    issues_total: int | None = None
    issues_url: str | None = None
    allowed: list[str] | None = None
    retry_after: int | None = None
    limit_per_minute: int | None = None


class ApiError(Exception):
    def __init__(
        self,
        code: str,
        message: str = "",
        message_en: str = "",
        status: int | None = None,
        rows: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        default_status, default_msg, default_en = ERRORS.get(code, (400, "", ""))
        self.code = code
        self.status = status or default_status
        self.message = message or default_msg
        self.message_en = message_en or default_en
        self.rows = rows or []
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(f"{code}: {self.message_en}")


def error_body(
    code: str, message: str, message_en: str, rows: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"code": code, "message": message, "message_en": message_en, "rows": rows or [], **extra}


def not_found() -> ApiError:
    return ApiError("TIDAK_DITEMUKAN")


def issue_out(issue: Any) -> dict[str, Any]:
    """A stored refused row (JobIssue) as answered. Its value is masked again here: rows stored
    before values were masked when they were made, and by readers that do not mask them
    themselves, must not give a number back in full either."""
    return {
        "line": issue.line,
        "column": issue.column,
        "code": issue.code,
        "message": issue.message,
        "message_en": issue.message_en,
        "value": masked_text(issue.value),
    }
