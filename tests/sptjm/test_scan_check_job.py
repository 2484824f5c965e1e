"""The scan check runs as a job (decision 0095): the school's page says at once that the scan was
received, the job reads the QR of every page with the same checks as before, and the page then
says what it found: accepted, accepted with warnings, or refused with the reason, the document
left exactly as it was."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.sptjm.conftest import aktif, own_pdf
from verval.core import files, jobs, queues
from verval.core.models import AuditEvent, Job
from verval.sptjm import actions
from verval.sptjm.models import Sptjm

# The columns of a document an upload may change, compared whole before and after a refusal.
UPLOAD_FIELDS = (
    "status",
    "version",
    "scan_path",
    "scan_type",
    "scan_sha256",
    "scan_size",
    "uploaded_by_id",
    "uploaded_at",
    "upload_count",
    "qr_verdict",
    "scan_pages",
    "upload_deadline",
    "upload_late_days",
)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _state(sptjm: Sptjm) -> dict:  # type: ignore[type-arg]
    return Sptjm.objects.filter(pk=sptjm.pk).values(*UPLOAD_FIELDS).get()


def _stored_scans() -> list[str]:
    folder = files.root() / "sptjm-scans"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_the_page_says_at_once_that_the_scan_was_received_and_the_job_then_accepts_it(  # type: ignore[no-untyped-def]
    operator, school, period, printed
):
    web = _login(operator)
    before = _state(printed)
    body = files.absolute(printed.pdf_path).read_bytes()

    response = web.post(
        f"/sptjm/{printed.pk}/unggah/", {"pindaian": own_pdf(printed), "version": printed.version}
    )

    # Received: a job waits to read it; the document is untouched until the job has read it.
    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.kind, job.state, job.school_id, job.created_by_id, job.input_name) == (
        "sptjm_scan",
        "PENDING",
        school.npsn,
        operator.pk,
        printed.number,
    )
    assert job.input_sha256 == hashlib.sha256(body).hexdigest()
    assert job.params == {
        "sptjm": str(printed.pk),
        "version": printed.version,
        "type": "pdf",
        "size": len(body),
    }
    assert queues.for_kind(job.kind) == queues.INTERACTIVE
    assert _state(printed) == before
    assert not AuditEvent.objects.filter(action="upload_sptjm_scan").exists()
    html = web.get(response["Location"]).content.decode()
    assert (
        "Pindaian diterima untuk diperiksa. Hasil pemeriksaan kode QR tampil pada dokumen di bawah." in html
    )
    assert "sedang diperiksa.</strong> Kode QR setiap halaman sedang dibaca;" in html
    assert f'<a href="/pekerjaan/{job.pk}/">Lihat kemajuan pemeriksaan</a>' in html
    assert f'<a href="/sekolah/{school.npsn}/sptjm/?periode={period.code}">Muat ulang halaman ini' in html

    done = jobs.run(job.pk)

    assert (done.state, done.counts) == ("SUCCEEDED", {"printed_pages": 2, "pages_with_qr": 2, "warnings": 0})
    printed.refresh_from_db()
    assert (printed.status, printed.qr_verdict, printed.version, printed.upload_count) == (
        "DIUNGGAH",
        "QR_COCOK",
        before["version"] + 1,
        1,
    )
    after = AuditEvent.objects.get(action="upload_sptjm_scan")
    assert (after.actor_id, after.after["qr"], after.after["warnings"]) == (operator.pk, "QR_COCOK", [])
    html = web.get(response["Location"]).content.decode()
    assert "sedang diperiksa" not in html
    assert (
        '<p class="okay">Pindaian diterima; kode QR cocok dengan dokumen. Menunggu pemeriksaan Pusdatin.</p>'
        in html
    )
    assert (
        "Kode QR pindaian terakhir cocok dengan nomor dan isi dokumen ini, terbaca pada 2 dari 2 halaman "
        "yang dicetak." in html
    )


def test_a_scan_of_another_document_is_refused_by_its_check_and_leaves_the_sptjm_as_it_was(  # type: ignore[no-untyped-def]
    operator, other_operator, other_school, period, printed, send_scan
):
    web = _login(operator)
    send_scan(web, printed, own_pdf(printed), printed.version)
    accepted = _state(printed)
    assert accepted["status"] == "DIUNGGAH"
    aktif(other_school, 1)
    theirs, _ = actions.print_sptjm(actor=other_operator, npsn=other_school.npsn, period_code=period.code)
    kept = _stored_scans()

    html = send_scan(web, printed, own_pdf(theirs), accepted["version"]).content.decode()

    job = Job.objects.filter(kind="sptjm_scan").order_by("-created_at").first()
    assert (job.state, job.error_code) == ("REFUSED", "QR_DOKUMEN_LAIN")
    assert _state(printed) == accepted
    assert _stored_scans() == kept  # the refused file is not kept
    assert AuditEvent.objects.filter(action="upload_sptjm_scan").count() == 1
    assert (
        "ditolak:</strong> Halaman ke-1 pindaian memuat kode QR dokumen SPTJM lain. " in html
        and "SPTJM tidak berubah. " in html
        and '<a href="/bantuan/sekolah/#unggah-QR_DOKUMEN_LAIN">Apa artinya?</a>' in html
    )
    # The accepted scan before it is still the document's and still said as accepted elsewhere.
    assert "Kode QR pindaian terakhir cocok dengan nomor dan isi dokumen ini" in html


def test_a_scan_that_cannot_be_read_is_refused_with_the_reason_and_changes_nothing(  # type: ignore[no-untyped-def]
    operator, printed, send_scan
):
    before = _state(printed)

    html = send_scan(
        _login(operator), printed, SimpleUploadedFile("rusak.pdf", b"%PDF-1.4\nnot a pdf"), printed.version
    ).content.decode()

    job = Job.objects.get(kind="sptjm_scan")
    assert (job.state, job.error_code, job.error_message) == (
        "REFUSED",
        "BERKAS_RUSAK",
        "Berkas pindaian tidak dapat dibaca.",
    )
    assert _state(printed) == before
    assert _stored_scans() == []
    assert not AuditEvent.objects.filter(action="upload_sptjm_scan").exists()
    assert "ditolak:</strong> Berkas pindaian tidak dapat dibaca. SPTJM tidak berubah." in html


def test_the_scan_checks_own_page_leads_back_to_the_sptjm_page(operator, school, printed, send_scan):  # type: ignore[no-untyped-def]
    web = _login(operator)
    send_scan(web, printed, own_pdf(printed), printed.version)
    job = Job.objects.get(kind="sptjm_scan")

    html = web.get(f"/pekerjaan/{job.pk}/").content.decode()

    assert f'<a href="/sekolah/{school.npsn}/sptjm/">« Kembali ke SPTJM sekolah</a>' in html
    assert "<h1>Pemeriksaan pindaian SPTJM</h1>" in html
    assert "Halaman dengan kode QR dokumen ini" in html


def test_pusdatin_home_keeps_the_schools_scan_checks_out_of_its_recent_jobs(  # type: ignore[no-untyped-def]
    operator, pusdatin, printed, send_scan
):
    send_scan(_login(operator), printed, own_pdf(printed), printed.version)
    job = Job.objects.get(kind="sptjm_scan")

    html = _login(pusdatin).get("/pusdatin/").content.decode()

    assert f"/pekerjaan/{job.pk}/" not in html
    assert "Pemeriksaan pindaian SPTJM" not in html
