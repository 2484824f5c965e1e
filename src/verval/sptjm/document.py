"""The SPTJM document: canonical content hash, QR payload, PDF rendering and QR reading of scans.

Pure functions over plain data (no database), so the document can be tested and rendered alone.
The QR on every page carries `VERVAL-SPTJM|1|<document number>|<sha256 of the canonical list>`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

QR_PREFIX = "VERVAL-SPTJM"
QR_VERSION = "1"
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


def qr_payload(number: str, sha256: str) -> str:
    return f"{QR_PREFIX}|{QR_VERSION}|{number}|{sha256}"


def parse_qr_payload(text: str) -> tuple[str, str] | None:
    parts = text.strip().split("|")
    if len(parts) == 4 and parts[0] == QR_PREFIX:
        return parts[2], parts[3]
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


def date_id(value: date) -> str:
    return f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"


def _qr_png(payload: str) -> io.BytesIO:
    import segno

    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="png", scale=8, border=4)
    buf.seek(0)
    return buf


def render_pdf(data: DocumentData) -> bytes:
    """The printable SPTJM (A4): statement, totals, signature block with meterai box, then the list."""
    from fpdf import FPDF

    sha = content_hash(data.number, data.period_code, data.npsn, data.lines)
    qr = _qr_png(qr_payload(data.number, sha)).getvalue()
    by_op, by_cat = totals(data.lines)

    class Doc(FPDF):
        def header(self) -> None:  # every page: number, QR (so any scanned page identifies the document)
            self.set_font("dejavu", "", 8)
            self.set_xy(15, 8)
            self.cell(140, 4, f"Nomor: {data.number}")
            self.set_xy(15, 12)
            self.cell(140, 4, f"NPSN {data.npsn} · {data.period_name}")
            self.image(io.BytesIO(qr), x=170, y=6, w=28, h=28)
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
        f"1. Data {len(data.lines)} nomor ponsel peserta didik dan pendidik yang tercantum dalam lampiran surat "
        "pernyataan ini telah kami verifikasi dan adalah benar nomor yang digunakan oleh peserta didik/pendidik "
        "yang bersangkutan.\n"
        "2. Bantuan kuota data internet yang diterima akan digunakan sesuai dengan peruntukannya untuk "
        "mendukung kegiatan pembelajaran.\n"
        "3. Apabila di kemudian hari ditemukan ketidaksesuaian data atau penyalahgunaan bantuan, saya "
        "bertanggung jawab penuh dan bersedia menerima sanksi sesuai ketentuan peraturan perundang-undangan.\n"
        "Demikian surat pernyataan ini saya buat dengan sebenar-benarnya, dalam keadaan sadar dan tanpa "
        "paksaan dari pihak mana pun."
    )
    pdf.multi_cell(0, 5, statement, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    pdf.set_font("dejavu", "B", 9)
    pdf.cell(0, 5, "Rekapitulasi", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    _table(
        pdf,
        ["Operator", "Penerima", "Kuota (GB)"],
        [70, 30, 30],
        [[OPERATOR_NAMES.get(k, k or "-"), str(n), gb_id(g)] for k, (n, g) in by_op.items()],
    )
    pdf.ln(2)
    _table(
        pdf,
        ["Kategori", "Penerima", "Kuota (GB)"],
        [70, 30, 30],
        [[CATEGORY_NAMES.get(k, k), str(n), gb_id(g)] for k, (n, g) in by_cat.items()]
        + [["Jumlah", str(len(data.lines)), gb_id(sum((li.package_gb for li in data.lines), Decimal(0)))]],
    )
    pdf.ln(4)

    # Signature block: place/date, meterai box, stamp area, name line.
    if pdf.get_y() > 210:
        pdf.add_page()
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
    pdf.set_y(y + 56)
    pdf.set_font("dejavu", "", 8)
    deadlines = []
    if data.upload_deadline:
        deadlines.append(f"Unggah pindaian yang sudah ditandatangani paling lambat {data.upload_deadline}.")
    pdf.multi_cell(
        0,
        4,
        " ".join(
            [
                "Tanda tangan kepala sekolah di atas meterai Rp10.000 dan cap satuan pendidikan.",
                *deadlines,
                "Jangan mengubah isi dokumen; kode QR memeriksa keaslian dokumen.",
            ]
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )

    # The list (lampiran).
    pdf.add_page()
    pdf.set_font("dejavu", "B", 10)
    pdf.cell(0, 6, f"Lampiran SPTJM {data.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 8)
    widths: list[float] = [9, 55, 26, 16, 30, 24, 18]
    head = ["No.", "Nama", "NISN / NIK", "Kelas", "Nomor ponsel", "Operator", "Paket GB"]
    _table(
        pdf,
        head,
        widths,
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
        repeat_head=True,
    )
    return bytes(pdf.output())


def _table(
    pdf, head: list[str], widths: list[float], rows: Iterable[list[str]], repeat_head: bool = False
) -> None:  # type: ignore[no-untyped-def]
    def header_row() -> None:
        pdf.set_font("dejavu", "B", pdf.font_size_pt)
        for text, w in zip(head, widths, strict=True):
            pdf.cell(w, 5.5, text, border=1)
        pdf.ln()
        pdf.set_font("dejavu", "", pdf.font_size_pt)

    header_row()
    for row in rows:
        if repeat_head and pdf.will_page_break(5.5):
            pdf.add_page()
            header_row()
        for text, w in zip(row, widths, strict=True):
            # Truncate to the cell rather than wrap: one line per recipient keeps the list scannable.
            while text and pdf.get_string_width(text) > w - 2:
                text = text[:-1]
            pdf.cell(w, 5.5, text, border=1)
        pdf.ln()


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

    found = [r.text for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)]  # type: ignore[arg-type]  # stubs want BarcodeFormats; one format is accepted
    if not found and max(img.size) > 2400:
        # Phone photos: a smaller copy often decodes where the full one does not.
        small = img.copy()
        small.thumbnail((2000, 2000))
        found = [r.text for r in zxingcpp.read_barcodes(small, formats=zxingcpp.BarcodeFormat.QRCode)]  # type: ignore[arg-type]
    return found


def read_qr_codes(path: Path, kind: str, dpi: int = 170, max_pages: int = 12) -> Iterable[str]:
    """Texts of the QR codes found in a scan (lazily, page by page for PDFs)."""
    from PIL import Image

    if kind == "pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        try:
            for index in range(min(len(doc), max_pages)):
                page = doc[index]
                try:
                    img = page.render(scale=dpi / 72).to_pil().convert("L")
                finally:
                    page.close()
                yield from _decode_image(img)
        finally:
            doc.close()
        return
    Image.MAX_IMAGE_PIXELS = 80_000_000
    with Image.open(path) as img:
        img.load()
        yield from _decode_image(img.convert("L"))
