"""The late-schools download (`/progres/tertinggal/`): its rows, its CSV lines and its Excel file,
written the same way by the direct download and by the background job that a list too long for
a web request gets (decision 0068)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.conf import settings

from verval.core import spreadsheet
from verval.core.spreadsheet import xlsx_report
from verval.dashboard import selectors

KIND = "export_behind"
FOLDER = "reports"  # the file store's folder of the job's files (core.retention.KINDS)

EXPORT_COLUMNS = [
    "npsn", "nama_sekolah", "kode_kabkota", "jenjang", "diimpor", "belum_verval", "format_salah", "aktif", "residu",
    "sptjm_dicetak", "sptjm_diunggah", "sptjm_disetujui", "sptjm_dikembalikan", "injeksi_berhasil", "injeksi_gagal",
    "skor", "alasan",
    # Appended last (as decision 0067 did for the Dinas list): a program reading the columns above
    # by position keeps working; a person reads the kabupaten/kota's name, not only its code.
    "kabupaten_kota",
]  # fmt: skip
WIDTHS = [11, 40, 13, 9, *[12] * 11, 8, 40, 28]


def job_rows() -> int:
    """Above this many schools the Excel file is written by the worker, not the web request."""
    return max(0, int(settings.VERVAL.get("EXPORT_JOB_ROWS", 25_000)))


def export_rows(qs: Any) -> Iterator[list[Any]]:
    deadlines = selectors.period_deadlines()
    # The names of the ~500 kabupaten/kota read once: a join per row costs a model per school.
    regencies = selectors.regency_names()
    for s in qs.iterator(chunk_size=2000):
        yield [
            s.school_id, s.school.name, s.regency, s.level, s.imported, s.belum, s.format_salah, s.aktif, s.residu,
            s.sptjm_printed, s.sptjm_uploaded, s.sptjm_approved, s.sptjm_returned, s.berhasil, s.gagal, s.score,
            " ".join(selectors.behind_reasons(s, deadlines)), regencies.get(s.regency, ""),
        ]  # fmt: skip


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    return spreadsheet.csv_lines(EXPORT_COLUMNS, rows)


def xlsx_file(rows: Iterable[Sequence[Any]]) -> IO[bytes]:
    return xlsx_report(sheet="sekolah_tertinggal", columns=EXPORT_COLUMNS, rows=rows, widths=WIDTHS)


def scope_key(user: Any) -> list[str]:
    """What the list a user may export depends on: a file written for a Dinas of one region is not
    handed over once the account serves another (or another role)."""
    return [str(getattr(user, "role", "") or ""), str(getattr(user, "region_id", "") or "")]


# --- the background job (decision 0068) ------------------------------------------------------------

SCOPE_CHANGED = (
    "CAKUPAN_BERUBAH",
    "Wilayah atau peran akun ini berubah sejak ekspor diminta; berkas tidak dibuat. Minta ekspor lagi.",
    "This account's region or role changed since the export was asked for; no file was written. "
    "Ask for the export again.",
)


def scope_still_holds(user: Any, params: dict[str, Any]) -> bool:
    """The account that asked is still active, in the role and region it asked from, and the
    kabupaten/kota it chose is still in its scope."""
    from verval.accounts import access
    from verval.reference.models import Region

    if user is None or not user.is_active or scope_key(user) != params.get("scope"):
        return False
    regency = str(params.get("regency", ""))
    return not regency or access.regions_for(user).filter(code=regency, level=Region.Level.REGENCY).exists()


def run_behind_export_job(job: Any) -> dict[str, Any]:
    """Write the list the user would have downloaded, with their scope as it is now, into the
    file store; the job page then offers it (audited at download)."""
    from verval.core import files, jobs

    params = dict(job.params or {})
    user = job.created_by
    if not scope_still_holds(user, params):
        code, message, message_en = SCOPE_CHANGED
        raise jobs.JobRefused(code=code, message=message, message_en=message_en)
    qs = selectors.behind_schools(user, regency=str(params.get("regency", "")))
    progress = jobs.Progress(job, qs.count())
    written = 0

    def counted() -> Iterator[list[Any]]:
        nonlocal written
        for row in export_rows(qs):
            yield row
            written += 1
            if written % 1000 == 0:
                progress.update(written)  # also the checkpoint of a cancel request

    report = xlsx_file(counted())
    progress.update(written, force=True)
    try:
        relative, sha256, size = files.save_stream(FOLDER, ".xlsx", iter(lambda: report.read(1 << 20), b""))
    finally:
        report.close()
    params.update(file_path=relative, file_sha256=sha256, file_size=size)
    # Not among the fields `jobs.run` records: written here, before the outcome is, and waiting
    # like the outcome for an import's SQLite transaction (decision 0071).
    jobs.when_database_free(
        lambda: type(job).objects.filter(pk=job.pk).update(params=params), job=job, owner=job.lease_owner
    )
    job.params = params
    return {"rows": written}
