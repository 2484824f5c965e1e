from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.sptjm.conftest import aktif, rasterise
from verval.core import files
from verval.core.models import AuditEvent
from verval.registry.models import Recipient
from verval.sptjm import actions, selectors
from verval.sptjm.models import SptjmItem
from verval.sptjm.reasons import ActionRefused


@pytest.fixture
def printed(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 3)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    return sptjm


def _pdf(sptjm) -> bytes:  # type: ignore[no-untyped-def]
    return files.absolute(sptjm.pdf_path).read_bytes()


def test_png_scan_of_the_document_matches_its_qr(operator, printed):
    scan = SimpleUploadedFile("scan.pdf", rasterise(_pdf(printed)), content_type="application/pdf")

    result = actions.upload_scan(actor=operator, sptjm_id=printed.pk, upload=scan)

    assert result.verdict == "QR_COCOK"
    assert result.warning == ""
    assert result.sptjm.status == "DIUNGGAH"
    assert result.sptjm.scan_type == "png"  # from the magic bytes, not the name
    assert files.absolute(result.sptjm.scan_path).exists()


def test_pdf_scan_is_rendered_and_matches(operator, printed):
    result = actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("x.png", _pdf(printed))
    )
    assert (result.verdict, result.sptjm.scan_type) == ("QR_COCOK", "pdf")


def test_jpeg_scan_without_qr_is_accepted_with_a_warning(operator, printed):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, format="JPEG")
    result = actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.jpg", buf.getvalue())
    )

    assert result.verdict == "QR_TIDAK_DITEMUKAN"
    assert result.warning == "QR_TIDAK_DITEMUKAN"
    assert result.sptjm.status == "DIUNGGAH"


def test_scan_of_another_document_is_refused(operator, other_operator, other_school, printed, period):
    aktif(other_school, 1)
    foreign, _ = actions.print_sptjm(actor=other_operator, npsn=other_school.npsn, period_code=period.code)

    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.png", rasterise(_pdf(foreign)))
        )

    assert exc.value.code == "QR_DOKUMEN_LAIN"
    printed.refresh_from_db()
    assert printed.status == "DICETAK"
    assert printed.scan_path == ""
    assert list((files.root() / "sptjm-scans").iterdir()) == []


def test_scan_type_is_checked_from_content(operator, printed):
    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("scan.pdf", b"GIF89a not a pdf")
        )
    assert exc.value.code == "JENIS_BERKAS_SALAH"


def test_scan_size_is_limited(operator, printed, settings):
    settings.VERVAL = {**settings.VERVAL, "SCAN_MAX_BYTES": 1000, "SCAN_MAX_BYTES_PER_PAGE": 100}
    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", b"%PDF-" + b"0" * 1000)
        )
    assert exc.value.code == "BERKAS_TERLALU_BESAR"


def test_scan_limit_grows_with_the_pages_of_the_printed_document(operator, printed, settings):
    # The document of three recipients prints on two pages (statement, lampiran): 2 x 600 bytes.
    settings.VERVAL = {**settings.VERVAL, "SCAN_MAX_BYTES": 1000, "SCAN_MAX_BYTES_PER_PAGE": 600}
    assert selectors.printed_pages(printed) == 2
    assert selectors.scan_max_bytes(printed) == 1200

    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", b"%PDF-" + b"0" * 1196)
        )
    assert exc.value.code == "BERKAS_TERLALU_BESAR"
    # 1,100 bytes: over SCAN_MAX_BYTES, within the document's own limit, so it is read (and this
    # one is no PDF a renderer can open).
    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", b"%PDF-" + b"0" * 1095)
        )
    assert exc.value.code == "BERKAS_RUSAK"


def test_scan_of_a_long_document_larger_than_the_fixed_limit_is_accepted(operator, school, period, settings):
    # 120 recipients print on 4 pages: a scan of 3 MB passes a fixed limit of 2 MB at 1 MB a page.
    aktif(school, 120)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    settings.VERVAL = {
        **settings.VERVAL,
        "SCAN_MAX_BYTES": 2 * 1024 * 1024,
        "SCAN_MAX_BYTES_PER_PAGE": 1024 * 1024,
    }
    scan = _pdf(sptjm)
    padded = scan + b"\n%" + b"x" * (3 * 1024 * 1024 - len(scan)) + b"\n"

    result = actions.upload_scan(
        actor=operator, sptjm_id=sptjm.pk, upload=SimpleUploadedFile("s.pdf", padded)
    )

    assert selectors.printed_pages(sptjm) == 4
    assert (result.verdict, result.sptjm.status, result.sptjm.scan_size) == (
        "QR_COCOK",
        "DIUNGGAH",
        len(padded),
    )


def test_scan_form_carries_its_size_limit_for_the_browser_to_check_before_uploading(
    client, operator, printed, settings
):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "SCAN_MAX_BYTES": 3 * 1024 * 1024}
    client.force_login(operator)
    html = client.get(f"/sekolah/{printed.school_id}/sptjm/").content.decode()
    assert 'data-max-bytes="3145728"' in html
    assert 'data-too-big="Berkas ini lebih besar dari 3 MB.' in html


def test_scan_form_of_a_long_document_says_its_own_larger_limit(client, operator, printed, settings):  # type: ignore[no-untyped-def]
    # Two printed pages at 2 MB a page: 4 MB, more than the fixed 3 MB.
    settings.VERVAL = {
        **settings.VERVAL,
        "SCAN_MAX_BYTES": 3 * 1024 * 1024,
        "SCAN_MAX_BYTES_PER_PAGE": 2 * 1024 * 1024,
    }
    client.force_login(operator)
    html = client.get(f"/sekolah/{printed.school_id}/sptjm/").content.decode()
    assert 'data-max-bytes="4194304"' in html
    assert 'data-too-big="Berkas ini lebih besar dari 4 MB.' in html
    assert "PDF, JPG atau PNG, paling besar 4 MB." in html


def test_broken_pdf_is_refused(operator, printed):
    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", b"%PDF-1.4 broken")
        )
    assert exc.value.code == "BERKAS_RUSAK"


def test_other_operator_cannot_upload(other_operator, printed):
    with pytest.raises(PermissionDenied):
        actions.upload_scan(
            actor=other_operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", _pdf(printed))
        )


def test_approval_unlocks_and_marks_items_covered(operator, pusdatin, printed):
    actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", _pdf(printed))
    )

    approved = actions.approve_sptjm(actor=pusdatin, sptjm_id=printed.pk)

    assert approved.status == "DISETUJUI"
    assert Recipient.objects.filter(locked=True).count() == 0
    assert SptjmItem.objects.filter(sptjm=printed, approved=True).count() == 3
    assert AuditEvent.objects.filter(action="approve_sptjm").count() == 1
    with pytest.raises(ActionRefused):
        actions.void_sptjm(actor=operator, sptjm_id=printed.pk)


def test_return_keeps_records_locked_and_school_uploads_again(operator, pusdatin, printed):
    actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", _pdf(printed))
    )

    returned = actions.return_sptjm(actor=pusdatin, sptjm_id=printed.pk, reason="Meterai belum ditempel")

    assert returned.status == "DIKEMBALIKAN"
    assert returned.return_reason == "Meterai belum ditempel"
    assert Recipient.objects.filter(locked=True).count() == 3
    again = actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", _pdf(printed))
    )
    assert again.sptjm.status == "DIUNGGAH"
    assert again.sptjm.upload_count == 2


def test_return_needs_a_reason(operator, pusdatin, printed):
    actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", _pdf(printed))
    )
    with pytest.raises(ActionRefused) as exc:
        actions.return_sptjm(actor=pusdatin, sptjm_id=printed.pk, reason="  ")
    assert exc.value.code == "ALASAN_WAJIB"


def test_only_pusdatin_reviews_and_only_uploaded_documents(operator, dinas_kab, pusdatin, printed):
    with pytest.raises(ActionRefused):
        actions.approve_sptjm(actor=pusdatin, sptjm_id=printed.pk)  # not uploaded yet
    actions.upload_scan(
        actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", _pdf(printed))
    )
    for who in (operator, dinas_kab):
        with pytest.raises(PermissionDenied):
            actions.approve_sptjm(actor=who, sptjm_id=printed.pk)


def test_printing_an_sptjm_logs_nothing_about_font_subsetting(operator, school, period, caplog):
    aktif(school, 2)
    with caplog.at_level("DEBUG", logger="verval"):
        actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert [r.name for r in caplog.records if r.name.startswith("fontTools")] == []


def _joined(*pdfs: bytes, blanks: int = 0) -> bytes:
    import io

    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    for data in pdfs:
        src = pdfium.PdfDocument(data)
        out.import_pages(src)
    for _ in range(blanks):
        out.new_page(595, 842)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def test_another_schools_document_after_the_right_pages_is_found_and_refused(
    operator, other_operator, other_school, printed, period
):  # type: ignore[no-untyped-def]
    aktif(other_school, 1)
    foreign, _ = actions.print_sptjm(actor=other_operator, npsn=other_school.npsn, period_code=period.code)
    scan = _joined(_pdf(printed), _pdf(foreign))

    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", scan))

    assert exc.value.code == "QR_DOKUMEN_LAIN"
    assert list((files.root() / "sptjm-scans").iterdir()) == []


def test_a_scan_with_far_more_pages_than_the_document_is_refused_unread(operator, printed):  # type: ignore[no-untyped-def]
    scan = _joined(_pdf(printed), blanks=12)

    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(actor=operator, sptjm_id=printed.pk, upload=SimpleUploadedFile("s.pdf", scan))

    assert exc.value.code == "HALAMAN_TERLALU_BANYAK"
    assert exc.value.message.startswith("Pindaian memuat lebih banyak halaman")
    printed.refresh_from_db()
    assert (printed.status, printed.scan_path) == ("DICETAK", "")
