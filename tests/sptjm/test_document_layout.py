"""The printed SPTJM's layout: nothing cut from a cell, the statement signed on its own page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests.factories import RecipientFactory
from verval.core import files
from verval.phones import national_display
from verval.sptjm import actions, document

LONG_NAME = "Raden Ayu Siti Nurhaliza Kusumawardhani Putri Wicaksono Adil"


def _pages_text(pdf: bytes) -> list[str]:
    """The text of each page, whitespace collapsed: a wrapped cell reads as one line."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]
    finally:
        doc.close()


def test_pdf_prints_a_long_name_and_the_provider_name_whole(operator, school, period):
    assert len(LONG_NAME) == 60
    recipient = RecipientFactory(
        school=school,
        status="AKTIF",
        needs_validation=False,
        name=LONG_NAME,
        operator="indosat",
        phone_raw="085712345678",
        phone_e164="+6285712345678",
    )
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    pages = _pages_text(files.absolute(sptjm.pdf_path).read_bytes())

    row = f"1 {LONG_NAME} {recipient.nisn} Kelas 4 {national_display('+6285712345678')} Indosat Ooredoo 35"
    assert row in pages[1]
    assert "Indosat Ooredoo 1 35" in pages[1]  # the recap row


def test_a_name_without_spaces_wider_than_its_cell_breaks_between_characters_and_keeps_them_all():
    data = _data([_line("Z" * 70)])

    list_page = _pages_text(document.render_pdf(data))[1]

    assert list_page.count("Z") == 70
    assert "1 " + "Z" * 70 + " 0012345678" in list_page.replace("Z Z", "ZZ")


def test_statement_and_signature_block_are_on_the_first_page_and_the_list_follows(operator, school, period):
    RecipientFactory(school=school, status="AKTIF", needs_validation=False)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    pages = _pages_text(files.absolute(sptjm.pdf_path).read_bytes())

    assert len(pages) == 2
    assert "Demikian surat pernyataan ini saya buat" in pages[0]
    assert "Kepala Sekolah, Meterai Rp10.000" in pages[0]
    assert "NIP/NUPTK ......................................" in pages[0]
    assert pages[1].index(f"Lampiran SPTJM {sptjm.number} Rekapitulasi Operator Penerima Kuota (GB)") > 0
    assert "Daftar penerima No. Nama NISN / NIK Kelas Nomor ponsel Operator Paket GB 1 " in pages[1]


def test_statement_moves_with_the_signature_block_when_both_do_not_fit():
    # A region name of many lines leaves too little of the first page for statement and signature.
    data = _data([_line("Siti Aminah")], region_name=" ".join(["Kabupaten Contoh Panjang"] * 120))

    pages = _pages_text(document.render_pdf(data))

    assert "dengan ini menyatakan" not in pages[0]
    assert pages[1].index("dengan ini menyatakan") < pages[1].index("Meterai Rp10.000")
    assert pages[2].startswith(f"Nomor: {data.number}")
    assert "Lampiran SPTJM" in pages[2]


def test_layout_leaves_the_content_hash_and_qr_payload_as_they_were():
    data = _data([_line(LONG_NAME)])
    # The hash is over the canonical list only (docs/sptjm.md): names and layout are not in it.
    expected = document.content_hash(data.number, data.period_code, data.npsn, data.lines)
    assert document.canonical_bytes(data.number, data.period_code, data.npsn, data.lines) == (
        b"VERVAL-SPTJM|1|SPTJM/2020-09A/20100001/1|2020-09A|20100001\n1|r-1|+6285712345678|DIKDASMEN|35\n"
    )
    assert f"SHA-256 {expected}" in _pages_text(document.render_pdf(data))[0]


def _line(name: str) -> document.Line:
    return document.Line(
        recipient_id="r-1",
        name=name,
        ident="0012345678",
        klass="Kelas 4",
        phone_e164="+6285712345678",
        phone_national="0857-1234-5678",
        operator="indosat",
        category="DIKDASMEN",
        package_gb=Decimal("35"),
    )


def _data(lines: list[document.Line], region_name: str = "Kec. Contoh") -> document.DocumentData:
    return document.DocumentData(
        number="SPTJM/2020-09A/20100001/1",
        period_code="2020-09A",
        period_name="Tahap 2020-09A",
        npsn="20100001",
        school_name="SD Negeri 1 Contoh",
        region_name=region_name,
        printed_at=datetime(2020, 9, 3, 10, 0),
        lines=lines,
    )
