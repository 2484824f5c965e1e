"""The scan of a document printed on many pages (the biggest schools, decision 0079): a page
missing from the scan is said to the school, pages out of order are not seen by the QR."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.sptjm.conftest import aktif
from verval.core import files
from verval.core.models import AuditEvent
from verval.sptjm import actions, selectors


@pytest.fixture
def four_pages(operator, school, period):  # type: ignore[no-untyped-def]
    """120 recipients: the statement page and three pages of lampiran."""
    aktif(school, 120)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert selectors.printed_pages(sptjm) == 4
    return sptjm


def _scan(sptjm, pages: list[int]) -> SimpleUploadedFile:  # type: ignore[no-untyped-def]
    """The printed pages in the order given, as one PDF (a scanner's multi-page file)."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(files.absolute(sptjm.pdf_path).read_bytes())
    out = pdfium.PdfDocument.new()
    out.import_pages(src, pages=pages)
    buf = io.BytesIO()
    out.save(buf)
    return SimpleUploadedFile("scan.pdf", buf.getvalue())


def test_scan_with_a_printed_page_missing_is_accepted_with_a_warning_naming_the_pages(operator, four_pages):
    result = actions.upload_scan(actor=operator, sptjm_id=four_pages.pk, upload=_scan(four_pages, [0, 1, 3]))

    assert (result.verdict, result.sptjm.status) == ("QR_COCOK", "DIUNGGAH")
    assert result.warning == "QR_HALAMAN_KURANG"
    assert result.warning_params == {"found": 3, "pages": 4}
    audit = AuditEvent.objects.get(action="upload_sptjm_scan")
    assert (audit.after["printed_pages"], audit.after["pages_with_qr"]) == (4, 3)


def test_complete_scan_of_a_long_document_is_accepted_without_warning(operator, four_pages):
    result = actions.upload_scan(
        actor=operator, sptjm_id=four_pages.pk, upload=_scan(four_pages, [0, 1, 2, 3])
    )

    assert (result.verdict, result.warning, result.warning_params) == ("QR_COCOK", "", {})
    audit = AuditEvent.objects.get(action="upload_sptjm_scan")
    assert (audit.after["printed_pages"], audit.after["pages_with_qr"]) == (4, 4)


def test_scan_with_two_pages_swapped_is_accepted_as_complete(operator, four_pages):
    # Every page carries the same QR (number and content hash, no page number): the order of
    # the pages is not machine-read; Pusdatin sees "Halaman n/N" in each footer.
    result = actions.upload_scan(
        actor=operator, sptjm_id=four_pages.pk, upload=_scan(four_pages, [0, 2, 1, 3])
    )

    assert (result.verdict, result.warning) == ("QR_COCOK", "")


def test_photo_of_one_page_of_a_long_document_is_accepted_without_the_pages_warning(operator, four_pages):  # type: ignore[no-untyped-def]
    from tests.sptjm.conftest import rasterise

    photo = rasterise(files.absolute(four_pages.pdf_path).read_bytes(), page=0)
    result = actions.upload_scan(
        actor=operator, sptjm_id=four_pages.pk, upload=SimpleUploadedFile("foto.png", photo)
    )

    assert (result.verdict, result.warning, result.sptjm.scan_type) == ("QR_COCOK", "", "png")
    audit = AuditEvent.objects.get(action="upload_sptjm_scan")
    assert (audit.after["printed_pages"], audit.after["pages_with_qr"]) == (4, 1)


def test_school_is_told_on_the_page_how_many_printed_pages_carried_the_qr(client, operator, four_pages):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(
        f"/sptjm/{four_pages.pk}/unggah/",
        {"pindaian": _scan(four_pages, [0, 2, 3]), "version": four_pages.version},
        follow=True,
    )

    html = response.content.decode()
    assert "Kode QR dokumen ini terbaca pada 3 dari 4 halaman yang dicetak." in html
    four_pages.refresh_from_db()
    assert four_pages.status == "DIUNGGAH"
