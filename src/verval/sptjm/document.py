"""The SPTJM document: canonical content hash, QR payload, PDF rendering and QR reading of scans.

Pure functions over plain data (no database), so the document can be tested and rendered alone.
The QR on page p of N carries `VERVAL-SPTJM|2|<document number>|<p>|<N>|<SHA-256 of the canonical
list, upper case>` (decision 0084); a document printed before that carries
`VERVAL-SPTJM|1|<document number>|<sha256>` on every page, and is read as it always was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, cast

QR_PREFIX = "VERVAL-SPTJM"
QR_VERSION = "1"  # of the canonical list (content_hash) and of the QR without a page number
QR_PAGED_VERSION = "2"  # the QR that names its page (decision 0084)
FONT_DIR = Path(__file__).resolve().parent / "fonts"
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
OPERATOR_NAMES = {
    "telkomsel": "Telkomsel",
    "indosat": "Indosat Ooredoo",
    "xl": "XL Axiata",
    "axis": "AXIS",
    "tri": "Tri (3)",
    "smartfren": "Smartfren",
}
CATEGORY_NAMES = {"PAUD": "PAUD", "DIKDASMEN": "SD/SMP/SMA/SMK/SLB/Kesetaraan", "PTK": "Pendidik (PTK)"}


@dataclass(frozen=True, slots=True)
class Line:
    recipient_id: str
    name: str
    ident: str  # NISN for PD, masked NIK or '-' for PTK
    klass: str  # "Kelas 4", "PAUD", "PTK"
    phone_e164: str
    phone_national: str
    operator: str
    category: str
    package_gb: Decimal


@dataclass
class DocumentData:
    number: str
    period_code: str
    period_name: str
    npsn: str
    school_name: str
    region_name: str
    printed_at: datetime
    lines: Sequence[Line]
    print_deadline: str = ""
    upload_deadline: str = ""
    totals_operator: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    totals_category: dict[str, tuple[int, Decimal]] = field(default_factory=dict)


def gb(value: Decimal | int | str) -> str:
    """Decimal GB as written in files and hashed: '35', '7.5'. For people see gb_id."""
    d = Decimal(value).normalize()
    text = format(d, "f")
    return text


def gb_id(value: Decimal | int | str) -> str:
    """GB as an Indonesian reader writes it (the printed statement): '14.203', '7,5'."""
    whole, _, fraction = gb(value).partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{fraction}" if fraction else grouped


def canonical_bytes(number: str, period_code: str, npsn: str, lines: Iterable[Line]) -> bytes:
    """The canonical list the content hash is taken over (one line per listed recipient)."""
    out = [f"{QR_PREFIX}|{QR_VERSION}|{number}|{period_code}|{npsn}"]
    for i, line in enumerate(lines, start=1):
        out.append(f"{i}|{line.recipient_id}|{line.phone_e164}|{line.category}|{gb(line.package_gb)}")
    return ("\n".join(out) + "\n").encode("utf-8")


def content_hash(number: str, period_code: str, npsn: str, lines: Iterable[Line]) -> str:
    return hashlib.sha256(canonical_bytes(number, period_code, npsn, lines)).hexdigest()


class QrPayload(NamedTuple):
    """What one QR code of a document says: its number and content hash, and, on a document
    printed since decision 0084, which page of how many it is on (None on an older print)."""

    number: str
    sha256: str
    page: int | None = None
    pages: int | None = None


def qr_payload(number: str, sha256: str, page: int | None = None, pages: int | None = None) -> str:
    """The QR text of page `page` of `pages`; without them, that of a print before decision 0084.

    The hash comes last and in upper case: the QR encodes it in alphanumeric mode (5.5 bits a
    character instead of 8), so the page number costs no QR version: a code of the same module size
    as before, read as well from a small phone photo (decision 0084)."""
    if page is None or pages is None:
        return f"{QR_PREFIX}|{QR_VERSION}|{number}|{sha256}"
    return f"{QR_PREFIX}|{QR_PAGED_VERSION}|{number}|{page}|{pages}|{sha256.upper()}"


def parse_qr_payload(text: str) -> QrPayload | None:
    """The payload of a QR text of ours (either version), or None for any other text."""
    parts = text.strip().split("|")
    if len(parts) == 4 and parts[0] == QR_PREFIX:
        return QrPayload(parts[2], parts[3])
    if len(parts) == 6 and parts[0] == QR_PREFIX and parts[1] == QR_PAGED_VERSION:
        page, pages = parts[3], parts[4]
        if page.isdigit() and pages.isdigit() and 1 <= int(page) <= int(pages):
            return QrPayload(parts[2], parts[5].lower(), int(page), int(pages))
    return None


def totals(lines: Iterable[Line]) -> tuple[dict[str, tuple[int, Decimal]], dict[str, tuple[int, Decimal]]]:
    by_op: dict[str, tuple[int, Decimal]] = {}
    by_cat: dict[str, tuple[int, Decimal]] = {}
    for line in lines:
        n, g = by_op.get(line.operator, (0, Decimal(0)))
        by_op[line.operator] = (n + 1, g + line.package_gb)
        n, g = by_cat.get(line.category, (0, Decimal(0)))
        by_cat[line.category] = (n + 1, g + line.package_gb)
    return dict(sorted(by_op.items())), dict(sorted(by_cat.items()))


def count_id(value: int) -> str:
    """A count as an Indonesian reader writes it, grouped like the GB beside it: '2.150'."""
    return f"{value:,}".replace(",", ".")


def date_id(value: date) -> str:
    return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"


def _qr_code(payload: str, mask: int | None = None):  # type: ignore[no-untyped-def]
    """The QR of a payload (segno), error correction M. A paged payload's upper-case hash is a
    segment of its own in alphanumeric mode. `mask` None: segno picks the best of eight."""
    import segno

    head, _, tail = payload.rpartition("|")
    content: str | list[str] = [f"{head}|", tail] if tail.isupper() and tail.isalnum() else payload
    return segno.make(content, error="m", micro=False, mask=mask)  # type: ignore[arg-type]  # segments: a list


def _qr_image(code):  # type: ignore[no-untyped-def]
    """The QR as a black-and-white image, 8 pixels a module and the 4-module quiet zone (as
    segno's PNG of scale 8, without writing and reading a PNG for each page)."""
    from PIL import Image

    size = code.symbol_size(scale=1, border=4)[0]
    pixels = bytearray()
    for row in code.matrix_iter(scale=1, border=4):
        pixels.extend(0 if dark else 255 for dark in row)
    image = Image.frombytes("L", (size, size), bytes(pixels))
    return image.resize((size * 8, size * 8), Image.Resampling.NEAREST).convert("1")


def render_pdf(data: DocumentData) -> bytes:
    """The printable SPTJM (A4): statement and signature block with meterai box on one page, then
    the lampiran: totals and the list."""
    from fpdf import FPDF

    sha = content_hash(data.number, data.period_code, data.npsn, data.lines)
    by_op, by_cat = totals(data.lines)

    class Doc(FPDF):
        def header(self) -> None:  # every page: number and, drawn at the end (_page_qr_codes), the QR
            self.set_font("dejavu", "", 8)
            self.set_xy(15, 8)
            self.cell(140, 4, f"Nomor: {data.number}")
            self.set_xy(15, 12)
            self.cell(140, 4, f"NPSN {data.npsn} · {data.period_name}")
            self.set_y(36)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("dejavu", "", 7)
            self.cell(0, 5, f"SHA-256 {sha} · Halaman {self.page_no()}/{{nb}}", align="C")

    pdf = Doc(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(data.printed_at)
    pdf.set_title(data.number)
    pdf.set_author("Verval Ponsel")
    pdf.add_font("dejavu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 12)
    pdf.add_page()

    pdf.set_font("dejavu", "B", 13)
    pdf.multi_cell(0, 7, "SURAT PERNYATAAN TANGGUNG JAWAB MUTLAK", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    pdf.multi_cell(
        0, 5, f"Bantuan Kuota Data Internet — {data.period_name}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.multi_cell(0, 5, f"Nomor: {data.number}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.multi_cell(0, 5, "Yang bertanda tangan di bawah ini:", new_x="LMARGIN", new_y="NEXT")
    for label, value in (
        ("Nama", "...................................................."),
        ("NIP/NUPTK", "...................................................."),
        ("Jabatan", "Kepala Sekolah"),
        ("Satuan pendidikan", data.school_name),
        ("NPSN", data.npsn),
        ("Wilayah", data.region_name),
    ):
        pdf.cell(45, 5.5, label)
        pdf.multi_cell(0, 5.5, f": {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    statement = (
        "dengan ini menyatakan dengan sesungguhnya bahwa:\n"
        f"1. Data {count_id(len(data.lines))} nomor ponsel peserta didik dan pendidik yang tercantum dalam lampiran surat "
        "pernyataan ini telah kami verifikasi dan adalah benar nomor yang digunakan oleh peserta didik/pendidik "
        "yang bersangkutan.\n"
        "2. Bantuan kuota data internet yang diterima akan digunakan sesuai dengan peruntukannya untuk "
        "mendukung kegiatan pembelajaran.\n"
        "3. Apabila di kemudian hari ditemukan ketidaksesuaian data atau penyalahgunaan bantuan, saya "
        "bertanggung jawab penuh dan bersedia menerima sanksi sesuai ketentuan peraturan perundang-undangan.\n"
        "Demikian surat pernyataan ini saya buat dengan sebenar-benarnya, dalam keadaan sadar dan tanpa "
        "paksaan dari pihak mana pun."
    )
    # The head of school signs what is written just above the signature: the statement and the
    # signature block stay on one page (a block alone on the next page could be stapled to any
    # text). When both do not fit, both move to a new page. The recap goes to the lampiran.
    note = _signature_note(data)
    # output="HEIGHT" returns the height alone (fpdf2's annotation is the union of every output).
    statement_height = cast(float, pdf.multi_cell(0, 5, statement, dry_run=True, output="HEIGHT"))
    pdf.set_font("dejavu", "", 8)
    note_height = cast(float, pdf.multi_cell(0, 4, note, dry_run=True, output="HEIGHT"))
    pdf.set_font("dejavu", "", 10)
    if pdf.will_page_break(statement_height + STATEMENT_GAP + SIGNATURE_HEIGHT + note_height):
        pdf.add_page()
    pdf.multi_cell(0, 5, statement, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(STATEMENT_GAP)
    _signature_block(pdf, data, note)

    # The lampiran: the recap, then the list.
    pdf.add_page()
    pdf.set_font("dejavu", "B", 10)
    pdf.cell(0, 6, f"Lampiran SPTJM {data.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("dejavu", "B", 9)
    pdf.cell(0, 5, "Rekapitulasi", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    _table(
        pdf,
        ["Operator", "Penerima", "Kuota (GB)"],
        [70, 30, 30],
        [[OPERATOR_NAMES.get(k, k or "-"), count_id(n), gb_id(g)] for k, (n, g) in by_op.items()],
        align=("L", "R", "R"),
    )
    pdf.ln(2)
    _table(
        pdf,
        ["Kategori", "Penerima", "Kuota (GB)"],
        [70, 30, 30],
        [[CATEGORY_NAMES.get(k, k), count_id(n), gb_id(g)] for k, (n, g) in by_cat.items()]
        + [
            [
                "Jumlah",
                count_id(len(data.lines)),
                gb_id(sum((li.package_gb for li in data.lines), Decimal(0))),
            ]
        ],
        align=("L", "R", "R"),
    )
    pdf.ln(4)
    pdf.set_font("dejavu", "B", 9)
    pdf.cell(0, 5, "Daftar penerima", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 8)
    # Widths (mm, 183 in all) fit the widest value of each fixed-form column at 8 pt ("Indosat
    # Ooredoo", "0812-3456-78901", "3201********0001"); the name takes the rest and wraps.
    _table(
        pdf,
        ["No.", "Nama", "NISN / NIK", "Kelas", "Nomor ponsel", "Operator", "Paket GB"],
        [10, 59, 28, 15, 28, 26, 17],
        (
            [
                str(i),
                line.name,
                line.ident or "-",
                line.klass,
                line.phone_national,
                OPERATOR_NAMES.get(line.operator, line.operator or "-"),
                gb_id(line.package_gb),
            ]
            for i, line in enumerate(data.lines, start=1)
        ),
        align=("R", "L", "L", "L", "L", "L", "R"),
    )
    _page_qr_codes(pdf, data.number, sha)
    return bytes(pdf.output())


def _page_qr_codes(pdf, number: str, sha: str) -> None:  # type: ignore[no-untyped-def]
    """The QR of every page, naming its page and the page count (so any scanned page identifies
    the document and where it belongs). Drawn once every page is laid out: the count is known
    only then, and fpdf2 writes to an earlier page when `page` is set back to it."""
    last = pdf.page
    pages = pdf.pages_count
    # The mask segno picks for page 1 serves every page: the payloads differ by a few digits, and
    # choosing among the eight took 8 of the 10 ms a page costs (a 160-page document: 1.3 s).
    mask = None
    for page in range(1, pages + 1):
        code = _qr_code(qr_payload(number, sha, page, pages), mask)
        mask = code.mask
        pdf.page = page
        pdf.image(_qr_image(code), x=170, y=6, w=28, h=28)
    pdf.page = last


# Space between the statement and the signature block, and the block's own height up to its
# note (place/date, stamp circle, meterai box, name and NIP lines): see _signature_block.
STATEMENT_GAP = 6
SIGNATURE_HEIGHT = 56


def _signature_note(data: DocumentData) -> str:
    deadlines = []
    if data.upload_deadline:
        # A date-only deadline ends at 23.59 WIB for every school (decision 0037): said on the paper.
        deadlines.append(
            f"Unggah pindaian yang sudah ditandatangani paling lambat {data.upload_deadline} pukul 23.59 WIB."
        )
    return " ".join(
        [
            "Tanda tangan kepala sekolah di atas meterai Rp10.000 dan cap satuan pendidikan.",
            *deadlines,
            "Jangan mengubah isi dokumen; kode QR memeriksa keaslian dokumen.",
        ]
    )


def _signature_block(pdf, data: DocumentData, note: str) -> None:  # type: ignore[no-untyped-def]
    """Place/date, meterai box, stamp area, name line, then the note: SIGNATURE_HEIGHT + the note."""
    y = pdf.get_y()
    pdf.set_font("dejavu", "", 10)
    pdf.set_xy(15, y)
    pdf.multi_cell(70, 5, "Mengetahui,\nCap satuan pendidikan:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.ellipse(20, y + 12, 38, 38)  # stamp area
    pdf.set_font("dejavu", "", 7)
    pdf.set_xy(20, y + 29)
    pdf.cell(38, 4, "CAP SEKOLAH", align="C")
    pdf.set_font("dejavu", "", 10)
    pdf.set_xy(115, y)
    pdf.multi_cell(
        80, 5, f"................., {date_id(data.printed_at)}\nKepala Sekolah,", new_x="LEFT", new_y="NEXT"
    )
    pdf.rect(118, y + 13, 30, 22)  # meterai box
    pdf.set_dash_pattern()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_font("dejavu", "", 7)
    pdf.set_xy(118, y + 19)
    pdf.multi_cell(30, 3.5, "Meterai\nRp10.000", align="C")
    pdf.set_font("dejavu", "", 10)
    pdf.set_xy(115, y + 42)
    pdf.cell(80, 5, "(.................................................)", new_x="LEFT", new_y="NEXT")
    pdf.cell(80, 5, "NIP/NUPTK ......................................")
    pdf.set_y(y + SIGNATURE_HEIGHT)
    pdf.set_font("dejavu", "", 8)
    pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")


def _table(  # type: ignore[no-untyped-def]
    pdf, head: list[str], widths: list[float], rows: Iterable[list[str]], align: tuple[str, ...]
) -> None:
    """A bordered table in the current font whose cells wrap: a signed list must show every
    character of every name, so nothing is cut. The heading repeats on every page and a row
    never splits across pages.

    Drawn by hand rather than with fpdf2's table(): that lays out every cell of every row twice
    and made a 3,000-row school's document take 18 s to print instead of 3.5 s.
    """
    size = pdf.font_size_pt
    line_height = pdf.font_size * 1.25
    pad = 0.8  # above and below the text of a row

    def cell_lines(text: str, width: float) -> list[str]:
        if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
            return [text]  # the common case, without multi_cell's line breaking
        # Word wrap; a word wider than the cell is broken between characters, never dropped.
        return pdf.multi_cell(width, line_height, text, dry_run=True, output="LINES")  # type: ignore[no-any-return]

    def draw(cells: list[str], style: str) -> None:
        pdf.set_font("dejavu", style, size)
        wrapped = [cell_lines(text, w) for text, w in zip(cells, widths, strict=True)]
        height = max(len(lines) for lines in wrapped) * line_height + 2 * pad
        if style == "" and pdf.will_page_break(height):
            pdf.add_page()
            draw(head, "B")
            pdf.set_font("dejavu", style, size)
        x, y = pdf.l_margin, pdf.get_y()
        for lines, w, a in zip(wrapped, widths, align, strict=True):
            pdf.rect(x, y, w, height)
            for k, text in enumerate(lines):
                pdf.set_xy(x, y + pad + k * line_height)
                pdf.cell(w, line_height, text, align=a)
            x += w
        pdf.set_xy(pdf.l_margin, y + height)

    if pdf.will_page_break(2 * (line_height + 2 * pad)):
        pdf.add_page()  # never a heading alone at the foot of a page
    draw(head, "B")
    for row in rows:
        draw(row, "")
    pdf.set_font("dejavu", "", size)


# ---------------------------------------------------------------- scans

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def sniff(head: bytes) -> str | None:
    """The scan type from its first bytes ('pdf', 'png', 'jpg') or None; never from the file name."""
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(PNG_MAGIC):
        return "png"
    if head.startswith(JPEG_MAGIC):
        return "jpg"
    return None


def _decode_image(img) -> list[str]:  # type: ignore[no-untyped-def]
    import zxingcpp

    def read(image) -> list[str]:  # type: ignore[no-untyped-def]
        # stubs want BarcodeFormats; one format is accepted
        return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]  # type: ignore[arg-type]

    found = read(img)
    if not found and max(img.size) > 2400:
        # Phone photos: a smaller copy often decodes where the full one does not.
        small = img.copy()
        small.thumbnail((2000, 2000))
        found = read(small)
    if not found and max(img.size) < 1200:
        # A small, noisy phone photo: the QR's modules are a few pixels each, and a copy twice
        # the size (smoothed) decodes where the original does not (review: 800 px, with noise).
        # Which enlargement lands the modules on the sampling grid depends on the code's own
        # pattern: of 100 documents photographed as in tests/sptjm/test_phone_photo.py, the 2x
        # bicubic copy alone missed 6 QR codes (the CI's flaky failure); with the two later tries
        # none was missed.
        from PIL import Image

        for factor, method in (
            (2, Image.Resampling.BICUBIC),
            (3, Image.Resampling.BICUBIC),
            (2, Image.Resampling.LANCZOS),
        ):
            found = read(img.resize((img.size[0] * factor, img.size[1] * factor), method))
            if found:
                break
    return found


class TooManyPages(ValueError):
    """A scan with more pages than the document it should be: every page would have to be read
    (another school's document hidden after page 12 passed the check when only 12 were)."""


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def read_qr_codes(path: Path, kind: str, dpi: int = 170, max_pages: int = 12) -> Iterable[str]:
    """Texts of the QR codes found in a scan (lazily, page by page for PDFs), every page of it;
    TooManyPages when a PDF has more than max_pages."""
    for texts in read_qr_pages(path, kind, dpi, max_pages):
        yield from texts


def read_qr_pages(path: Path, kind: str, dpi: int = 170, max_pages: int = 12) -> Iterable[list[str]]:
    """The texts of the QR codes of each page of a scan, one list a page (an image is one page),
    lazily: one page is in memory at a time, whatever the length of the scan (a school of 7,300
    recipients prints 160 pages). TooManyPages when a PDF has more than max_pages."""
    from PIL import Image

    if kind == "pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        try:
            if len(doc) > max_pages:
                raise TooManyPages(len(doc))
            for index in range(len(doc)):
                page = doc[index]
                try:
                    img = page.render(scale=dpi / 72).to_pil().convert("L")
                finally:
                    page.close()
                yield _decode_image(img)
        finally:
            doc.close()
        return
    Image.MAX_IMAGE_PIXELS = 80_000_000
    with Image.open(path) as img:
        img.load()
        yield _decode_image(img.convert("L"))
