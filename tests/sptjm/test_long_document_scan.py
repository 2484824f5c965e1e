"""The scan of a document printed on many pages (the biggest schools, decisions 0079 and 0084):
the QR of each page names its page of the printed count, so the check names the pages missing
from the scan, scanned twice or out of order; a document printed before that (the same QR on
every page) is checked as it always was."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.sptjm.conftest import aktif
from verval.core import files
from verval.core.models import AuditEvent
from verval.sptjm import actions, document, selectors
from verval.sptjm.reasons import ActionRefused


def _old_qr(number: str, sha256: str, page: int | None = None, pages: int | None = None) -> str:
    """The QR text of a print before decision 0084: no page number."""
    return f"VERVAL-SPTJM|1|{number}|{sha256}"


@pytest.fixture
def four_pages(operator, school, period):  # type: ignore[no-untyped-def]
    """120 recipients: the statement page and three pages of lampiran."""
    aktif(school, 120)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert selectors.printed_pages(sptjm) == 4
    return sptjm


@pytest.fixture
def six_pages(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 200)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert selectors.printed_pages(sptjm) == 6
    return sptjm


@pytest.fixture
def old_four_pages(operator, school, period, monkeypatch):  # type: ignore[no-untyped-def]
    """Four pages printed with the QR of before decision 0084 (the same on every page)."""
    monkeypatch.setattr(document, "qr_payload", _old_qr)
    aktif(school, 120)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    monkeypatch.undo()
    codes = list(document.read_qr_codes(files.absolute(sptjm.pdf_path), "pdf"))
    assert codes == [f"VERVAL-SPTJM|1|{sptjm.number}|{sptjm.content_sha256}"] * 4
    return sptjm


def _scan(*parts) -> SimpleUploadedFile:  # type: ignore[no-untyped-def]
    """Pages of printed documents, as (document, pages in the order given), in one PDF (a
    scanner's multi-page file)."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    for sptjm, pages in parts:
        src = pdfium.PdfDocument(files.absolute(sptjm.pdf_path).read_bytes())
        out.import_pages(src, pages=pages)
    buf = io.BytesIO()
    out.save(buf)
    return SimpleUploadedFile("scan.pdf", buf.getvalue())


def _upload(operator, sptjm, *pages: int) -> actions.UploadResult:  # type: ignore[no-untyped-def]
    """The scan of `sptjm`'s printed pages (1 the first) in the order given."""
    scan = _scan((sptjm, [p - 1 for p in pages]))
    return actions.upload_scan(actor=operator, sptjm_id=sptjm.pk, upload=scan)


def _audit() -> dict:  # type: ignore[type-arg]
    return AuditEvent.objects.get(action="upload_sptjm_scan").after  # type: ignore[no-any-return]


def test_every_printed_page_carries_its_page_number_and_the_page_count(four_pages):  # type: ignore[no-untyped-def]
    pages = list(document.read_qr_pages(files.absolute(four_pages.pdf_path), "pdf"))

    assert [[document.parse_qr_payload(t) for t in texts] for texts in pages] == [
        [document.QrPayload(four_pages.number, four_pages.content_sha256, page, 4)] for page in (1, 2, 3, 4)
    ]


def test_scan_missing_pages_two_and_five_of_six_names_them(operator, six_pages):  # type: ignore[no-untyped-def]
    result = _upload(operator, six_pages, 1, 3, 4, 6)

    assert (result.verdict, result.sptjm.status) == ("QR_COCOK", "DIUNGGAH")
    assert result.warnings == [("QR_HALAMAN_KURANG", {"found": 4, "pages": 6, "missing": "2, 5"})]
    assert actions.warning_text(*result.warnings[0]) == (
        "Halaman 2, 5 tidak terbaca pada pindaian: kode QR dokumen ini terbaca pada 4 dari 6 halaman "
        "yang dicetak. Pindaian tetap diterima, tetapi periksa apakah halaman itu terlewat atau kurang "
        "jelas, lalu unggah ulang bila perlu."
    )
    after = _audit()
    assert {k: after[k] for k in ("printed_pages", "pages_with_qr", "missing_pages", "warnings")} == {
        "printed_pages": 6,
        "pages_with_qr": 4,
        "missing_pages": [2, 5],
        "warnings": ["QR_HALAMAN_KURANG"],
    }
    assert (after["repeated_pages"], after["pages_out_of_order"]) == ([], [])
    assert result.sptjm.scan_pages["missing_pages"] == [2, 5]


def test_complete_scan_of_a_long_document_is_accepted_without_warning(operator, four_pages):  # type: ignore[no-untyped-def]
    result = _upload(operator, four_pages, 1, 2, 3, 4)

    assert (result.verdict, result.warnings, result.warning, result.warning_params) == (
        "QR_COCOK",
        [],
        "",
        {},
    )
    after = _audit()
    assert (after["printed_pages"], after["pages_with_qr"], after["missing_pages"], after["warnings"]) == (
        4,
        4,
        [],
        [],
    )


def test_scan_with_a_page_twice_is_accepted_with_a_warning_naming_it(operator, four_pages):  # type: ignore[no-untyped-def]
    result = _upload(operator, four_pages, 1, 2, 3, 3, 4)

    assert (result.verdict, result.warnings) == ("QR_COCOK", [("QR_HALAMAN_GANDA", {"repeated": "3"})])
    assert actions.warning_text(*result.warnings[0], "en") == (
        "Scanned more than once: page 3. The scan is accepted; remove the extra copies and upload again if you wish."
    )
    after = _audit()
    assert (after["pages_with_qr"], after["repeated_pages"], after["pages_out_of_order"]) == (4, [3], [])


def test_a_page_twice_in_place_of_a_missing_one_is_no_longer_counted_as_complete(operator, four_pages):  # type: ignore[no-untyped-def]
    # Four scanned pages of a four-page document: before decision 0084, "4 of 4".
    result = _upload(operator, four_pages, 1, 2, 2, 4)

    assert result.warnings == [
        ("QR_HALAMAN_KURANG", {"found": 3, "pages": 4, "missing": "3"}),
        ("QR_HALAMAN_GANDA", {"repeated": "2"}),
    ]


def test_scan_with_pages_out_of_order_is_accepted_with_a_warning_naming_them(operator, four_pages):  # type: ignore[no-untyped-def]
    result = _upload(operator, four_pages, 1, 3, 2, 4)

    assert (result.verdict, result.warnings) == (
        "QR_COCOK",
        [("QR_HALAMAN_TIDAK_URUT", {"out_of_order": "2"})],
    )
    assert actions.warning_text(*result.warnings[0]).startswith(
        "Halaman 2 terpindai sesudah halaman bernomor lebih besar:"
    )
    assert _audit()["pages_out_of_order"] == [2]


def test_a_scan_in_reverse_order_names_every_page_after_the_first_read(operator, four_pages):  # type: ignore[no-untyped-def]
    result = _upload(operator, four_pages, 4, 3, 2, 1)

    assert result.warnings == [("QR_HALAMAN_TIDAK_URUT", {"out_of_order": "1–3"})]


def test_a_page_of_an_older_print_of_the_same_school_is_refused_naming_its_place(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 2)
    older, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    actions.void_sptjm(actor=operator, sptjm_id=older.pk)
    aktif(school, 1)
    newer, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    with pytest.raises(ActionRefused) as exc:
        actions.upload_scan(
            actor=operator, sptjm_id=newer.pk, upload=_scan((newer, [0]), (older, [1]), (newer, [1]))
        )

    assert exc.value.code == "QR_DOKUMEN_LAIN"
    assert exc.value.message == (
        f"Halaman ke-2 pindaian berasal dari cetakan SPTJM lain sekolah ini ({older.number}), bukan dari "
        "dokumen ini. Unggah pindaian yang hanya berisi halaman dokumen ini."
    )
    newer.refresh_from_db()
    assert (newer.status, newer.scan_path) == ("DICETAK", "")


def test_old_print_with_a_page_missing_is_checked_as_before(operator, old_four_pages):  # type: ignore[no-untyped-def]
    result = _upload(operator, old_four_pages, 1, 2, 4)

    assert (result.verdict, result.sptjm.status) == ("QR_COCOK", "DIUNGGAH")
    assert result.warnings == [("QR_HALAMAN_KURANG", {"found": 3, "pages": 4})]
    assert actions.warning_text(*result.warnings[0]).startswith(
        "Kode QR dokumen ini terbaca pada 3 dari 4 halaman yang dicetak."
    )
    after = _audit()
    assert (after["printed_pages"], after["pages_with_qr"], "missing_pages" in after) == (4, 3, False)


def test_old_print_with_pages_swapped_or_twice_is_accepted_as_before(operator, old_four_pages):  # type: ignore[no-untyped-def]
    # The same QR on every page: neither the order nor a repeat can be read from it.
    result = _upload(operator, old_four_pages, 1, 3, 2, 2, 4)

    assert (result.verdict, result.warnings) == ("QR_COCOK", [])
    assert _audit()["pages_with_qr"] == 5


def test_photo_of_one_page_of_a_long_document_is_accepted_without_the_pages_warning(operator, four_pages):  # type: ignore[no-untyped-def]
    from tests.sptjm.conftest import rasterise

    photo = rasterise(files.absolute(four_pages.pdf_path).read_bytes(), page=0)
    result = actions.upload_scan(
        actor=operator, sptjm_id=four_pages.pk, upload=SimpleUploadedFile("foto.png", photo)
    )

    assert (result.verdict, result.warning, result.sptjm.scan_type) == ("QR_COCOK", "", "png")
    after = _audit()
    assert (after["printed_pages"], after["pages_with_qr"], "missing_pages" in after) == (4, 1, False)


def test_school_is_told_on_the_page_which_printed_pages_were_not_read(
    client, operator, four_pages, send_scan
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = send_scan(client, four_pages, _scan((four_pages, [0, 2, 3])), four_pages.version)

    html = response.content.decode()
    assert "Halaman 2 tidak terbaca pada pindaian: kode QR dokumen ini terbaca pada 3 dari 4 halaman" in html
    four_pages.refresh_from_db()
    assert four_pages.status == "DIUNGGAH"


def test_pusdatin_review_page_names_the_pages_missing_repeated_and_out_of_order(  # type: ignore[no-untyped-def]
    client, operator, pusdatin, six_pages
):
    _upload(operator, six_pages, 1, 4, 3, 3, 6)
    client.force_login(pusdatin)

    html = client.get(f"/pusdatin/sptjm/{six_pages.pk}/").content.decode()

    assert "Kode QR dokumen ini terbaca pada 4 dari 6 halaman yang dicetak." in html
    assert "Halaman tidak terbaca: 2, 5" in html
    assert "Halaman terpindai lebih dari sekali: 3" in html
    assert "Halaman tidak urut (terpindai sesudah halaman bernomor lebih besar): 3" in html


def test_the_same_scan_sent_twice_is_told_the_same_warnings(operator, four_pages):  # type: ignore[no-untyped-def]
    scan = _scan((four_pages, [0, 2, 3]))
    first = actions.upload_scan(
        actor=operator, sptjm_id=four_pages.pk, upload=scan, version=four_pages.version
    )
    scan.seek(0)

    again = actions.upload_scan(
        actor=operator, sptjm_id=four_pages.pk, upload=scan, version=four_pages.version
    )

    assert (
        again.warnings == first.warnings == [("QR_HALAMAN_KURANG", {"found": 3, "pages": 4, "missing": "2"})]
    )
    assert AuditEvent.objects.filter(action="upload_sptjm_scan").count() == 1


def test_missing_pages_are_counted_against_the_stored_pdf_not_the_count_a_qr_says(  # type: ignore[no-untyped-def]
    operator, school, period, monkeypatch
):
    # The hash is printed in every footer, so anyone can make a QR for this document that says it
    # has 2 pages: a scan of pages 1 and 2 must still be told that pages 3 and 4 are missing.
    real = document.qr_payload
    monkeypatch.setattr(
        document, "qr_payload", lambda number, sha, page=None, pages=None: real(number, sha, page, 2)
    )
    aktif(school, 120)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    monkeypatch.undo()
    pages = list(document.read_qr_pages(files.absolute(sptjm.pdf_path), "pdf"))
    assert [document.parse_qr_payload(texts[0]) for texts in pages[:2]] == [
        document.QrPayload(sptjm.number, sptjm.content_sha256, page, 2) for page in (1, 2)
    ]

    result = _upload(operator, sptjm, 1, 2)

    assert result.warnings == [("QR_HALAMAN_KURANG", {"found": 2, "pages": 4, "missing": "3, 4"})]
    assert (_audit()["printed_pages"], _audit()["missing_pages"]) == (4, [3, 4])


def test_the_card_names_the_pages_to_check_before_saying_what_the_qr_matched(  # type: ignore[no-untyped-def]
    client, operator, four_pages
):
    _upload(operator, four_pages, 1, 3, 4)
    client.force_login(operator)

    html = client.get(f"/sekolah/{four_pages.school_id}/sptjm/").content.decode()

    card = html[html.index('<div class="card doc">') :]
    notes = card.index("Halaman yang perlu diperiksa pada pindaian terakhir:")
    matched = card.index(
        "Kode QR pindaian terakhir cocok dengan nomor dan isi dokumen ini, terbaca pada 3 dari 4 halaman "
        "yang dicetak."
    )
    assert notes < matched
    assert "QR cocok dengan dokumen" not in card  # the bare label read as "all is well"
