"""Bulk correction through an Excel file (SPEC §3.2).

The school downloads its list (school_xlsx), fills `nomor_koreksi` for the numbers to correct,
and uploads the file back. read_xlsx parses it (python-calamine), plan() says what would change
and which rows are refused (the preview), and the job runner applies the plan in one transaction
through verval.registry.actions.bulk_correct.

Rules:
- Structure errors (not an .xlsx, no `id` / `nomor_koreksi` / `versi` column, no data row) refuse
  the file whole.
- A row is refused with its line, column, code and message: unknown id, id of another school,
  id twice in the file, number that breaks a phone rule, record locked by a printed SPTJM, or
  record changed since the download (its `versi` differs) - unless the number is already the one
  asked for: then the row is "unchanged", which makes applying the same file twice change nothing.
- More than settings.VERVAL["REFUSE_FILE_ABOVE_SHARE"] of the rows refused: the file is refused.
"""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet

from verval.core import xlsxguard
from verval.core.jobs import JobRefused, RowIssue
from verval.core.logging import masked_value
from verval.core.spreadsheet import phone_number_cell, titles_shown, xlsx_cell, xlsx_sheet_with_header
from verval.phones import REASONS, mask, national_display
from verval.registry.models import Kind, NumberStatus, Recipient, history_mask

DATA_SHEET = "Data"
INFO_SHEET = "Petunjuk"
COLUMNS = [
    "id",
    "jenis",
    "nama",
    "nisn",
    "kelas",
    "nomor_saat_ini",
    "status",
    "alasan",
    "nomor_koreksi",
    "versi",
]
REQUIRED = ("id", "nomor_koreksi", "versi")
TEXT_COLUMNS = {"id", "nisn", "nomor_saat_ini", "nomor_koreksi"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# The download has 10 columns; a sheet reaching past these holds something far outside the table.
MAX_COLUMNS = 64
# The worksheets unpacked: 20 000 rows of the download are ~5 MB of XML.
MAX_SHEET_XML_BYTES = 200 * 1024 * 1024

# code -> (Indonesian, English). Texts never carry a number or a name.
MESSAGES: dict[str, tuple[str, str]] = {
    "FILE_TIDAK_TERBACA": (
        "Berkas tidak dapat dibaca sebagai berkas Excel (.xlsx). Unggah berkas yang diunduh dari halaman sekolah.",
        "The file cannot be read as an Excel workbook (.xlsx). Upload the file downloaded from the school page.",
    ),
    # An OLE2 compound file: Excel 97-2003 (.xls), or an .xlsx saved with a password (Excel
    # encrypts the workbook into such a container); the bytes cannot tell which without parsing
    # the container, and the remedy is the same.
    "FILE_XLS_ATAU_BERSANDI": (
        "Berkas ini berkas Excel lama (.xls) atau berkas Excel yang dilindungi kata sandi, dan tidak dapat "
        "dibaca. Buka di Excel, hapus kata sandinya bila ada, simpan sebagai .xlsx, lalu unggah lagi.",
        "This is an old Excel file (.xls) or a password-protected Excel file, and cannot be read. Open it in "
        "Excel, remove the password if there is one, save it as .xlsx, and upload it again.",
    ),
    "FILE_TERLALU_BESAR": (
        "Berkas terlalu besar untuk satu sekolah.",
        "The file is too large for one school.",
    ),
    "KOLOM_TIDAK_SESUAI": (
        "Kolom tidak sesuai: baris pertama lembar Data harus memuat kolom id, nomor_koreksi dan versi.",
        "Wrong columns: the first row of the Data sheet must hold the columns id, nomor_koreksi and versi.",
    ),
    # The read-only list a Dinas (or Pusdatin) downloads, with masked numbers and without the
    # correction columns: told apart from a file with wrong columns (read_xlsx).
    "DAFTAR_BERMASKER": (
        "Ini daftar bermasker (dari Dinas/sekolah lain); unduh daftar sekolah Anda sendiri dari halaman ini.",
        "This is a masked list (from Dinas or another school); download your own school's list from this page.",
    ),
    "FILE_KOSONG": ("Berkas tidak berisi baris data.", "The file holds no data rows."),
    "SEL_DI_LUAR_DATA": (
        "Ada isian jauh di bawah atau di kanan data (misalnya di baris terakhir lembar kerja). Hapus "
        "baris dan kolom kosong di luar tabel, simpan, lalu unggah lagi.",
        "Something is filled in far below or to the right of the data (e.g. in the sheet's last row). "
        "Delete the rows and columns outside the table, save, and upload again.",
    ),
    "ID_TIDAK_DIKENAL": (
        "ID tidak dikenal: tidak ada peserta didik/PTK aktif dengan ID ini.",
        "Unknown id: no active student/teacher has this id.",
    ),
    "ID_SEKOLAH_LAIN": (
        "ID ini milik sekolah lain; baris tidak diproses.",
        "This id belongs to another school; the row was not processed.",
    ),
    "BARIS_TIDAK_COCOK": (
        "ID di baris ini milik orang lain (NISN atau nama tidak cocok); mungkin lembar diurutkan "
        "tanpa kolom id. Unduh berkas baru dan jangan mengurutkan sebagian kolom.",
        "The id on this row belongs to someone else (the NISN or name does not match); the sheet "
        "was perhaps sorted without its id column. Download a new file and do not sort part of the "
        "columns.",
    ),
    "ID_GANDA": (
        "ID ini muncul lebih dari sekali dalam berkas; bila nomornya berbeda, tidak ada yang diterapkan.",
        "This id appears more than once in the file; when the numbers differ, none of them is applied.",
    ),
    "TERKUNCI_SPTJM": (
        "Data terkunci karena tercantum pada SPTJM yang sudah dicetak.",
        "The record is locked: it is listed on a printed SPTJM.",
    ),
    # Excel turns a typed entry into a date (a number with slashes or dashes, a paste): the
    # number engine read "2020-01-02" as a landline and said so, which sent the school after a
    # fixed-line number nobody typed.
    "NOMOR_BERUPA_TANGGAL": (
        "Sel nomor_koreksi berisi tanggal, bukan nomor: Excel mengubah isiannya menjadi tanggal. Ubah "
        "format sel menjadi Teks, ketik ulang nomornya (diawali 08), lalu unggah lagi.",
        "The nomor_koreksi cell holds a date, not a number: Excel turned the entry into a date. Format "
        "the cell as Text, type the number again (starting with 08), and upload again.",
    ),
    "VERSI_BERUBAH": (
        "Data sudah diubah sejak berkas diunduh. Unduh ulang berkas dan isi kembali koreksinya.",
        "The record changed after the file was downloaded. Download the file again and re-enter the correction.",
    ),
    "VERSI_TIDAK_SAH": (
        "Kolom versi harus berisi angka dari berkas unduhan; jangan diubah.",
        "The versi column must hold the number from the downloaded file; do not change it.",
    ),
    # Every row's id is of another school: the whole file is another school's list, said once
    # instead of as hundreds of refused rows (decision 0054).
    "DAFTAR_SEKOLAH_LAIN": (
        "Berkas ini daftar sekolah lain: tidak ada satu pun baris milik sekolah Anda. Tidak ada data "
        "yang diubah. Unduh daftar sekolah Anda sendiri dari halaman ini.",
        "This file is another school's list: not one row belongs to your school. No data was changed. "
        "Download your own school's list from this page.",
    ),
    "TERLALU_BANYAK_DITOLAK": (
        "Terlalu banyak baris ditolak; kemungkinan berkasnya salah. Tidak ada data yang diubah.",
        "Too many rows were refused; this is probably the wrong file. No data was changed.",
    ),
    "TIDAK_BERWENANG": (
        "Anda tidak lagi berwenang mengubah data sekolah ini. Tidak ada data yang diubah.",
        "You are no longer allowed to change this school's data. No data was changed.",
    ),
}


def issue(line: int, column: str, code: str, value: str = "") -> RowIssue:
    if code in MESSAGES:
        msg_id, msg_en = MESSAGES[code]
    elif code in REASONS:
        r = REASONS[code]
        msg_id, msg_en = f"{r.message_id} {r.action_id}", f"{r.message_en} {r.action_en}"
    else:
        msg_id = msg_en = code
    # A number typed in the wrong column (the id, the version) is masked as every refused value.
    return RowIssue(
        line=line, column=column, code=code, message=msg_id, message_en=msg_en, value=masked_value(value)
    )


def refuse(
    code: str, issues: list[RowIssue] | None = None, counts: dict[str, Any] | None = None
) -> JobRefused:
    msg_id, msg_en = MESSAGES[code]
    return JobRefused(code=code, message=msg_id, message_en=msg_en, issues=issues or [], counts=counts or {})


# ---------------------------------------------------------------------------------------------
# Download


READ_ONLY_INSTRUCTIONS = [
    (
        "Daftar nomor ponsel sekolah (Verval Ponsel), hanya untuk dibaca",
        "School phone number list (Verval Ponsel), read only",
    ),
    ("", ""),
    (
        "Nomor disamarkan. Koreksi nomor dilakukan oleh operator sekolah di halaman sekolahnya.",
        "Numbers are masked. Numbers are corrected by the school's operator on the school's page.",
    ),
]
INSTRUCTIONS = [
    ("Petunjuk koreksi nomor ponsel (Verval Ponsel)", "How to correct phone numbers (Verval Ponsel)"),
    ("", ""),
    (
        "1. Buka lembar 'Data'. Setiap baris adalah satu peserta didik (PD) atau PTK sekolah Anda.",
        "1. Open the 'Data' sheet. Each row is one student (PD) or teacher (PTK) of your school.",
    ),
    (
        "2. Untuk nomor yang salah, ketik nomor yang benar di kolom nomor_koreksi: nomor lengkap diawali 08 (10-13 angka).",
        "2. For a wrong number, type the right one in the nomor_koreksi column: the whole number, starting with 08 (10-13 digits).",
    ),
    (
        "3. Biarkan nomor_koreksi kosong jika nomor saat ini sudah benar.",
        "3. Leave nomor_koreksi empty when the current number is right.",
    ),
    (
        "4. Kolom nomor_koreksi berformat Teks agar angka 0 di depan tidak hilang. Jangan ubah formatnya; "
        "jika menempel dari tempat lain, gunakan 'Tempel sebagai nilai'.",
        "4. The nomor_koreksi column is formatted as Text so the leading 0 is kept. Do not change the "
        "format; when pasting, use 'Paste values'.",
    ),
    (
        "5. Jangan ubah kolom id dan versi, jangan menambah atau menghapus kolom. Baris boleh dihapus.",
        "5. Do not change the id and versi columns and do not add or remove columns. Rows may be deleted.",
    ),
    (
        "6. Simpan sebagai .xlsx lalu unggah di halaman sekolah (Koreksi massal). Anda akan melihat "
        "pratinjau perubahan dan daftar baris yang ditolak sebelum menerapkannya.",
        "6. Save as .xlsx and upload it on the school page (Bulk correction). You will see a preview of "
        "the changes and a list of refused rows before applying them.",
    ),
    (
        "7. Jika data diubah orang lain setelah berkas diunduh (versi berbeda), baris itu ditolak: "
        "unduh ulang berkas.",
        "7. When a record was changed by someone else after the download (different versi), that row "
        "is refused: download the file again.",
    ),
    (
        "8. Data yang tercantum pada SPTJM yang sudah dicetak tidak dapat diubah.",
        "8. Records listed on a printed SPTJM cannot be changed.",
    ),
    ("", ""),
    (
        "Berkas ini berisi data pribadi (UU 27/2022 tentang Pelindungan Data Pribadi). Simpan dengan aman "
        "dan hapus setelah selesai.",
        "This file holds personal data (Law 27/2022 on Personal Data Protection). Keep it safe and delete "
        "it when done.",
    ),
]


def school_xlsx(
    school: Any, recipients: QuerySet[Recipient] | Iterable[Recipient], *, full_numbers: bool
) -> bytes:
    """The school's list as an .xlsx: instructions, then the data with text-formatted number cells.
    Without full_numbers (a reader: Dinas, Pusdatin) the numbers are masked and the sheet is a
    read-only list: no correction columns and no correction instructions, which a reader can
    never upload."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from verval.registry.selectors import reason_text

    wb = Workbook(write_only=True)
    info = wb.create_sheet(INFO_SHEET)
    info.column_dimensions["A"].width = 100
    bold = Font(bold=True)
    head = WriteOnlyCell(info, value=f"{school.npsn} {school.name}")
    head.font = bold
    info.append([head])
    instructions = INSTRUCTIONS if full_numbers else READ_ONLY_INSTRUCTIONS
    columns = COLUMNS if full_numbers else COLUMNS[: COLUMNS.index("nomor_koreksi")]
    for text_id, _ in instructions:
        info.append([text_id])
    info.append([""])
    for _, text_en in instructions:
        info.append([text_en])

    ws = xlsx_sheet_with_header(wb, DATA_SHEET, columns, [38, 6, 32, 12, 6, 16, 20, 40, 18, 6])
    statuses = dict(NumberStatus.choices)

    def text(value: Any) -> WriteOnlyCell:
        c = xlsx_cell(ws, value if value not in (None, "") else None)
        c.number_format = "@"
        return c

    for r in recipients:
        number = national_display(r.phone_e164) if r.phone_e164 else r.phone_raw
        if not full_numbers:
            number = mask(r.phone_e164 or r.phone_raw)
        why = reason_text(r.status, r.reason)
        ws.append(
            [
                text(str(r.pk)),
                r.kind,
                xlsx_cell(ws, r.name),
                text(r.nisn),
                "PTK" if r.kind == Kind.PTK else ("" if r.grade is None else r.grade),
                text(number),
                str(statuses.get(r.status, r.status)),
                why.message if why else "",
                *([text(None), r.version] if full_numbers else []),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Upload


@dataclass(frozen=True, slots=True)
class UploadRow:
    line: int
    id: str
    correction: str
    version: str
    # As the row shows them (the download writes them beside the id): a row whose id no longer
    # belongs to its name (a sheet sorted without its id column) is caught by these.
    nisn: str = ""
    name: str = ""
    # The nomor_koreksi cell is a date or time cell (NOMOR_BERUPA_TANGGAL).
    correction_is_date: bool = False


def _is_date(value: Any) -> bool:
    return isinstance(value, (datetime.date, datetime.time, datetime.timedelta))


def _typed_number(value: Any, text: str) -> str:
    """The nomor_koreksi cell as the operator typed it, its 0 back if Excel stored it as a number
    (decision 0126): a refused number is then shown back as typed."""
    typed = phone_number_cell(value)
    return text if typed is None else typed


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _is_masked_list(rows: list[list[Any]]) -> bool:
    """A sheet of the masked (read-only) list: the download's `id` and `nomor_saat_ini` columns,
    and either the read-only layout (no correction columns) with no data, or every number it
    shows masked (`0812****7890`). The school's own download shows its numbers in full."""
    if not rows:
        return False
    header = [_cell_text(v).lower() for v in rows[0]]
    if "id" not in header or "nomor_saat_ini" not in header:
        return False
    at = header.index("nomor_saat_ini")
    numbers = [_cell_text(r[at]) for r in rows[1:] if at < len(r) and _cell_text(r[at])]
    if numbers:
        return all("*" in n for n in numbers)
    return "nomor_koreksi" not in header and "versi" not in header


def _head(source: str | Path | IO[bytes]) -> bytes:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            return fh.read(len(xlsxguard.OLE2_MAGIC))
    source.seek(0)
    head = source.read(len(xlsxguard.OLE2_MAGIC))
    source.seek(0)
    return head


def _wrong_columns(headers: list[tuple[str, list[str], bool]]) -> JobRefused:
    """KOLOM_TIDAK_SESUAI naming what is wrong with row 1 of the sheet that holds the most of the
    download's titles (on a tie the Data sheet, then a sheet that is not empty): the required
    columns missing and the titles not of the download (a renamed column; an untitled one, a
    merged or blank header cell, by its column letter), capped and masked as the cutoff's
    (decision 0124). A row 1 without one known title is a data row or a sheet title: never
    quoted. That sheet empty (an emptied Data sheet): FILE_KOSONG."""
    known = set(COLUMNS)
    best = max(headers, key=lambda h: (len(known & set(h[1])), h[0] == DATA_SHEET, not h[2]), default=None)
    if best is None or best[2]:
        return refuse("FILE_KOSONG")
    name, header, _ = best
    while header and not header[-1]:
        header = header[:-1]
    sheet = masked_value(name)[:31]
    required = ", ".join(REQUIRED)
    if not known & set(header):
        msg_id = (
            f'Baris 1 lembar "{sheet}" tidak memuat satu pun judul kolom berkas unduhan: baris judulnya '
            "terhapus, atau ada baris lain di atasnya. Baris 1 harus memuat judul kolom berkas unduhan, "
            f"setidaknya {required}. Unduh berkas baru bila perlu."
        )
        msg_en = (
            f'Row 1 of the sheet "{sheet}" holds none of the download\'s column titles: its header row was '
            "deleted, or another row sits above it. Row 1 must hold the download's column titles, at least "
            f"{required}. Download a new file if needed."
        )
    else:
        missing = ", ".join(c for c in REQUIRED if c not in header)
        unknown = [(i, t) for i, t in enumerate(header, start=1) if t not in known]
        msg_id = f'Kolom wajib tidak ada di baris 1 lembar "{sheet}": {missing}.'
        msg_en = f'Required columns are missing from row 1 of the sheet "{sheet}": {missing}.'
        if unknown:
            msg_id += (
                " Kolom tidak dikenal (mungkin salah nama): "
                + titles_shown(unknown, "id", letters=True)
                + "."
            )
            msg_en += " Unknown columns (renamed?): " + titles_shown(unknown, "en", letters=True) + "."
        msg_id += " Jangan mengubah, menggabung, atau menghapus judul kolom; unduh berkas baru bila perlu."
        msg_en += " Do not rename, merge or delete the column titles; download a new file if needed."
    return JobRefused(code="KOLOM_TIDAK_SESUAI", message=msg_id, message_en=msg_en)


def read_xlsx(source: str | Path | IO[bytes]) -> list[UploadRow]:
    """The data rows of an uploaded file; JobRefused (whole file) on a structure error."""
    from python_calamine import CalamineWorkbook

    if _head(source).startswith(xlsxguard.OLE2_MAGIC):
        raise refuse("FILE_XLS_ATAU_BERSANDI")
    try:
        if isinstance(source, (str, Path)) and Path(source).stat().st_size > MAX_UPLOAD_BYTES:
            raise refuse("FILE_TERLALU_BESAR")
        # Before the reader builds its grid (core.xlsxguard: one far cell aborts the process).
        reach = xlsxguard.extent(source, max_xml_bytes=MAX_SHEET_XML_BYTES)
        if reach is None:
            raise refuse("FILE_TERLALU_BESAR")
        if reach.rows > MAX_ROWS + 1000 or reach.columns > MAX_COLUMNS:
            raise refuse("SEL_DI_LUAR_DATA")
        if isinstance(source, (str, Path)):
            wb = CalamineWorkbook.from_path(str(source))
        else:
            source.seek(0)
            wb = CalamineWorkbook.from_filelike(source)
        names = list(wb.sheet_names)
        candidates = [DATA_SHEET] + [n for n in names if n != DATA_SHEET] if DATA_SHEET in names else names
        table: list[list[Any]] | None = None
        masked = False
        headers: list[tuple[str, list[str], bool]] = []  # each sheet's row 1 and emptiness
        for name in candidates:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if rows and {"id", "nomor_koreksi", "versi"} <= {_cell_text(v).lower() for v in rows[0]}:
                table = rows
                break
            masked = masked or _is_masked_list(rows)
            empty = not any(_cell_text(v) for row in rows for v in row)
            headers.append((name, [] if empty else [_cell_text(v).lower() for v in rows[0]], empty))
    except JobRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error means "not a readable workbook"
        raise refuse("FILE_TIDAK_TERBACA") from exc
    if table is None:
        if masked:
            raise refuse("DAFTAR_BERMASKER")
        raise _wrong_columns(headers)
    if _is_masked_list(table):  # the correction columns added to a masked list by hand
        raise refuse("DAFTAR_BERMASKER")
    header = [_cell_text(v).lower() for v in table[0]]
    pos = {name: header.index(name) for name in (*REQUIRED, "nisn", "nama") if name in header}
    out: list[UploadRow] = []
    for index, raw in enumerate(table[1:], start=2):
        cells = [_cell_text(v) for v in raw]
        if not any(cells):
            continue

        def get(name: str, cells: list[str] = cells) -> str:
            i = pos[name]
            return cells[i] if i < len(cells) else ""

        out.append(
            UploadRow(
                line=index,
                id=get("id"),
                correction=_typed_number(
                    raw[pos["nomor_koreksi"]] if pos["nomor_koreksi"] < len(raw) else None,
                    get("nomor_koreksi"),
                ),
                version=get("versi"),
                nisn=get("nisn") if "nisn" in pos else "",
                name=get("nama") if "nama" in pos else "",
                correction_is_date=_is_date(
                    raw[pos["nomor_koreksi"]] if pos["nomor_koreksi"] < len(raw) else None
                ),
            )
        )
        if len(out) > MAX_ROWS:
            raise refuse("FILE_TERLALU_BESAR")
    if not out:
        raise refuse("FILE_KOSONG")
    return out


@dataclass
class Change:
    line: int
    recipient: Recipient
    new: Any  # actions.NewNumber
    expected_version: int

    @property
    def old_masked(self) -> str:
        return history_mask(self.recipient.phone_e164 or self.recipient.phone_raw)

    @property
    def old_national(self) -> str:
        """In full, for the preview: only the school's own operator sees it (views.preview), as on
        the school page. History and audit rows take old_masked."""
        r = self.recipient
        return national_display(r.phone_e164) if r.phone_e164 else r.phone_raw

    @property
    def new_national(self) -> str:
        return national_display(self.new.e164) if self.new.e164 else self.new.raw

    @property
    def new_masked(self) -> str:
        return history_mask(self.new.e164 or self.new.raw)


@dataclass
class Plan:
    rows: int = 0
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0  # a correction equal to the current number
    without_correction: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    # line -> nomor_koreksi exactly as typed, for the rows refused for their number. The issue
    # itself keeps the value masked: it is saved as the job's report (JobIssue), which Pusdatin
    # also opens and downloads as CSV (access.jobs_for), and Pusdatin sees numbers masked. Only the
    # preview, shown to the school's own operator before applying, puts this back in, so that the
    # operator sees the very character to fix (a letter O for a zero, a stray space...).
    typed: dict[int, str] = field(default_factory=dict)
    # line -> name of the school's own recipient whose id the row holds, for the preview's refused
    # rows (an id says nothing to the operator). Never in the job's report, never another school's.
    names: dict[int, str] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return len({i.line for i in self.issues})

    @property
    def too_many_refused(self) -> bool:
        """SPEC §9's "most likely the wrong file". Rows locked by a printed SPTJM or edited since
        the download are not signs of a wrong file: a file downloaded before the print would
        otherwise be refused whole, its good corrections with it, blaming the file."""
        share: float = settings.VERVAL["REFUSE_FILE_ABOVE_SHARE"]  # type: ignore[assignment]
        wrong = len({i.line for i in self.issues if i.code not in NOT_A_WRONG_FILE})
        return self.rows > 0 and wrong > share * self.rows

    def counts(self, changed: int | None = None) -> dict[str, int]:
        return {
            "rows": self.rows,
            "changed": len(self.changes) if changed is None else changed,
            "unchanged": self.unchanged,
            "without_correction": self.without_correction,
            "refused": self.refused,
        }


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError):
        return None


def _version(value: str) -> int | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 1 else None


NOT_A_WRONG_FILE = frozenset({"TERKUNCI_SPTJM", "VERSI_BERUBAH"})


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same_person(row: UploadRow, rec: Recipient) -> bool:
    """The row's NISN (or, without one, its name) is the recipient's whose id it carries. Sorting
    the sheet's other columns and not the id (Excel's "continue with the current selection")
    would otherwise send each correction to someone else. A column left empty is not a
    mismatch: the operator may have deleted it."""
    if row.nisn and rec.nisn:
        # Excel may have made the NISN a number and dropped its leading zeros.
        return row.nisn.strip().lstrip("'").lstrip("0") == rec.nisn.lstrip("0")
    if row.name and rec.name:
        return _folded(row.name) == _folded(rec.name)
    return True


def plan(school_npsn: str, rows: list[UploadRow]) -> Plan:
    """What applying these rows to this school would do. Reads only (2-3 queries per 500 ids)."""
    from verval.registry.actions import parse_number, same_number

    result = Plan(rows=len(rows))
    ids = [u for u in (_uuid(r.id) for r in rows) if u]
    own: dict[str, Recipient] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for rec in Recipient.objects.filter(pk__in=chunk, school_id=school_npsn, active=True):
            own[str(rec.pk)] = rec
    missing = [i for i in ids if i not in own]
    elsewhere: set[str] = set()
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        # Existence only: the school learns that the id is not its own, nothing else.
        qs = Recipient.objects.filter(pk__in=chunk, active=True).exclude(school_id=school_npsn)
        elsewhere.update(str(pk) for pk in qs.values_list("pk", flat=True))
    # An id on several rows with different corrections: which number was meant is unknown (an id
    # cell copied over another row's, a half-sorted sheet), so none of them applies.
    typed: dict[str, set[str]] = {}
    parsed: dict[int, Any] = {}  # row's position -> its correction's verdict, made once
    for at, row in enumerate(rows):
        if (rid := _uuid(row.id)) is not None and row.correction:
            new = parsed[at] = parse_number(row.correction)
            typed.setdefault(rid, set()).add(new.e164 if new.valid else row.correction)  # 0813-… = +62813…
    ambiguous = {rid for rid, corrections in typed.items() if len(corrections) > 1}
    seen: set[str] = set()
    for at, row in enumerate(rows):
        rid = _uuid(row.id)
        if rid is None or (rid not in own and rid not in elsewhere):
            result.issues.append(issue(row.line, "id", "ID_TIDAK_DIKENAL", row.id[:40]))
            continue
        if rid in elsewhere:
            result.issues.append(issue(row.line, "id", "ID_SEKOLAH_LAIN", rid))
            continue
        if rid in seen or rid in ambiguous:
            result.issues.append(issue(row.line, "id", "ID_GANDA", rid))
            continue
        seen.add(rid)
        result.names[row.line] = own[rid].name
        if not row.correction:
            result.without_correction += 1
            continue
        rec = own[rid]
        if not _same_person(row, rec):
            result.issues.append(issue(row.line, "id", "BARIS_TIDAK_COCOK", rid))
            continue
        if row.correction_is_date:
            result.issues.append(
                issue(row.line, "nomor_koreksi", "NOMOR_BERUPA_TANGGAL", row.correction[:20])
            )
            continue
        new = parsed[at]
        if not new.valid:
            # In a spreadsheet a broken number is most often Excel's doing (scientific notation,
            # lost zero...): refuse the row and say why rather than store it.
            result.issues.append(issue(row.line, "nomor_koreksi", new.reason, mask(row.correction)))
            result.typed[row.line] = row.correction
            continue
        if same_number(rec, new):
            result.unchanged += 1
            continue
        if rec.locked:
            result.issues.append(issue(row.line, "id", "TERKUNCI_SPTJM", rid))
            continue
        version = _version(row.version)
        if version is None:
            result.issues.append(issue(row.line, "versi", "VERSI_TIDAK_SAH", row.version[:20]))
            continue
        if version != rec.version:
            result.issues.append(issue(row.line, "versi", "VERSI_BERUBAH", row.version[:20]))
            continue
        result.changes.append(Change(line=row.line, recipient=rec, new=new, expected_version=version))
    return result


def preview_from_file(school_npsn: str, path: Path) -> tuple[Plan | None, JobRefused | None]:
    try:
        rows = read_xlsx(path)
    except JobRefused as refused:
        return None, refused
    return plan(school_npsn, rows), None


def preview_refusal(plan: Plan | None, refused: JobRefused | None) -> JobRefused | None:
    """The refusal of a whole file that its preview shows (a structure error, or more refused rows
    than SPEC §9 allows), as the job's runner would raise it; None when the file can be applied."""
    if refused is not None:
        return refused
    if plan is not None and plan.rows and all(i.code == "ID_SEKOLAH_LAIN" for i in plan.issues):
        if len({i.line for i in plan.issues}) == plan.rows:
            return refuse("DAFTAR_SEKOLAH_LAIN", issues=plan.issues, counts=plan.counts(changed=0))
    if plan is not None and plan.too_many_refused:
        return refuse("TERLALU_BANYAK_DITOLAK", issues=plan.issues, counts=plan.counts(changed=0))
    return None


# ---------------------------------------------------------------------------------------------
# Job


def batch_rows() -> int:
    """Corrections applied between two progress reports (and cancel checkpoints) of an apply."""
    return max(1, int(settings.VERVAL.get("BULK_CORRECTION_BATCH_ROWS", 200)))


def run_bulk_correction_job(job: Any) -> dict[str, Any]:
    """Runner of Job(kind="bulk_correction"): parse the stored upload and apply it.

    One transaction holds the corrections, their history, the audit row and the job's report, so
    that a cancel request seen at a checkpoint (decision 0029) leaves nothing of the file applied
    (decision 0039). The last checkpoint is the "commit" step: after it only the commit is left,
    which no request can interrupt, and the job page says so."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from verval.core import files, jobs
    from verval.registry.actions import bulk_correct

    progress = jobs.Progress(job)
    progress.step("read")
    rows = read_xlsx(files.absolute(job.input_path))
    progress.update(0, len(rows), force=True)
    try:
        with transaction.atomic():
            outcome = bulk_correct(
                actor=job.created_by, school_npsn=job.school_id, rows=rows, job=job, progress=progress
            )
            jobs.save_issues(job, outcome.issues)
            progress.done = len(rows)
            progress.step("commit")
    except PermissionDenied as exc:
        raise refuse("TIDAK_BERWENANG") from exc
    job.progress_done = job.progress_total = len(rows)
    return outcome.counts


__all__ = [
    "COLUMNS",
    "Change",
    "Plan",
    "UploadRow",
    "batch_rows",
    "plan",
    "preview_from_file",
    "preview_refusal",
    "read_xlsx",
    "run_bulk_correction_job",
    "school_xlsx",
]
