"""Reading a Dapodik cutoff (CSV or XLSX) safely: structure first, then rows in batches.

open_cutoff(path) checks everything that makes a file unreadable as a whole (empty, encoding,
delimiter, columns, cut off, quote left open) and raises FileRefused with a code and a message
naming the problem. Its .batches() then yields polars DataFrames of strings (the cutoff columns,
'' for empty) with a `line` column, in constant memory.

Encoding rules (docs/decisions/0002-cutoff-encoding.md): UTF-8 with or without BOM; UTF-16 only
with a BOM; otherwise Windows-1252 when the file is not valid UTF-8 but is valid Windows-1252,
holds no control characters and no valid UTF-8 multibyte sequence (a file mixing both is
refused); anything else is refused. A CSV must end with a line break: one that does not is taken
as cut off (docs/import.md).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import polars as pl

from verval.core import xlsxguard
from verval.core.spreadsheet import column_letters, phone_number_cell, titles_shown
from verval.imports.rules import NIK_NUMBER_MARK

if TYPE_CHECKING:
    from python_calamine import SheetMetadata

# The cutoff's columns in SPEC §7's order, with the optional trailing status_sekolah (the order
# `verval synth` writes; a file may hold them in any order).
COLUMNS = [
    "jenis",
    "id",
    "nama",
    "nisn",
    "nik",
    "tingkat_pendidikan",
    "bentuk_pendidikan",
    "npsn",
    "nama_sekolah",
    "kode_wilayah",
    "nomor_telepon_seluler",
    "status_sekolah",
]
# A missing optional column reads as empty on every row: no NIK (SPEC §7 "nik (16 digits,
# optional)"), and no school status (the school keeps its own).
OPTIONAL = ["nik", "status_sekolah"]
REQUIRED = [c for c in COLUMNS if c not in OPTIONAL]

BLOCK = 8 << 20  # bytes of CSV parsed at a time (~55 k rows)
XLSX_BATCH = 50_000
# How far an XLSX may reach, checked (core.xlsxguard) before python-calamine builds its grid of
# the first sheet, which holds every cell from the top left to the farthest one at 32 bytes a
# cell (measured: 12 columns x 1 048 576 rows = 400 MB; one value in XFD1048576 asks for 17
# billion cells and aborts the process). Excel's own last row; the cutoff's 12 columns and room
# for extra ones; a full sheet of 16 columns (540 MB). The worksheets unpacked: a full sheet of
# the cutoff written by `verval synth` is ~760 MB of XML (725 bytes a row).
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 64
XLSX_MAX_CELLS = 16 * XLSX_MAX_ROWS
XLSX_MAX_SHEET_XML_BYTES = 2 << 30
# Control characters other than tab, line feed and carriage return: a text file holds none.
_CONTROL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NOT_CONTROL = bytes(sorted(set(range(256)) - set(_CONTROL)))


def _has_control(chunk: bytes) -> bool:
    # Deleting every other byte leaves the control characters: 8x faster than a regex search
    # (a 1.4 GB cutoff: 0.8 s against 6.7 s).
    return bool(chunk.translate(None, _NOT_CONTROL))


@dataclass
class FileRefused(Exception):
    code: str
    message: str
    message_en: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


@dataclass
class Cutoff:
    path: Path
    kind: str  # "csv" | "xlsx"
    columns: list[str]  # normalised header, in file order
    estimate: int  # data rows (exact for XLSX, newline count for CSV)
    encoding: str = "utf-8"
    _offset: int = 0  # where the data starts (after the header line)
    _cleanup: list[Path] = field(default_factory=list)

    def batches(self) -> Iterator[pl.DataFrame]:
        if self.kind == "xlsx":
            yield from _xlsx_batches(self)
        else:
            yield from _csv_batches(self)

    def close(self) -> None:
        for p in self._cleanup:
            try:
                p.unlink()
            except OSError:
                pass


# --------------------------------------------------------------------------- opening


def open_cutoff(path: str | Path) -> Cutoff:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if size == 0 or not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRefused("BERKAS_KOSONG", "Berkas kosong.", "The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    if head.startswith(xlsxguard.OLE2_MAGIC):
        raise FileRefused(
            "FORMAT_TIDAK_DIDUKUNG",
            # An .xlsx saved with a password is such a container too (Excel encrypts the
            # workbook into it): the message names both, the remedy being the same.
            "Berkas ini berkas Excel lama (.xls) atau berkas Excel yang dilindungi kata sandi; keduanya "
            "tidak didukung. Hapus kata sandinya bila ada, lalu simpan sebagai .xlsx atau CSV UTF-8.",
            "This is an old Excel file (.xls) or a password-protected Excel file; neither is supported. "
            "Remove the password if there is one, then save it as .xlsx or UTF-8 CSV.",
        )
    cleanup: list[Path] = []
    offset = 0
    encoding = "utf-8"
    # A UTF-16 file cut inside a character (an odd byte count, half a surrogate pair) is cut
    # off, not in an unknown encoding: the transcoded part is checked like any other file.
    cut_in_char = False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        path, cut_in_char = _transcode(path, "utf-16", cleanup)
        encoding = "utf-16"
    elif head.startswith(b"\xef\xbb\xbf"):
        offset = 3
        encoding = "utf-8-sig"
    if b"\x00" in head and encoding != "utf-16":
        raise FileRefused(
            "ENCODING_TIDAK_DIKENAL",
            "Encoding berkas tidak dapat dipastikan (mungkin UTF-16 tanpa BOM atau bukan berkas teks). "
            "Simpan ulang sebagai CSV UTF-8.",
            "The file's encoding cannot be determined (perhaps UTF-16 without a BOM, or not a text file). "
            "Save it again as UTF-8 CSV.",
        )
    scan = _scan_utf8(path, offset)
    if scan.newlines is None:
        verdict = _cp1252_verdict(path)
        if verdict == "mixed":
            line = scan.bad_line
            raise FileRefused(
                "ENCODING_TIDAK_DIKENAL",
                "Berkas mencampur dua encoding: sebagian teksnya UTF-8, tetapi baris "
                f"{line} berisi byte yang bukan UTF-8 (mungkin Windows-1252), sehingga nama tidak dapat "
                "dibaca dengan pasti. Simpan ulang seluruh berkas sebagai CSV UTF-8.",
                "The file mixes two encodings: part of its text is UTF-8, but line "
                f"{line} holds a byte that is not UTF-8 (perhaps Windows-1252), so names cannot be read "
                "with certainty. Save the whole file again as UTF-8 CSV.",
                line,
            )
        if verdict == "invalid":
            raise FileRefused(
                "ENCODING_TIDAK_DIKENAL",
                "Berkas bukan UTF-8 maupun Windows-1252 yang sah; isinya tidak dapat dibaca dengan pasti. "
                "Simpan ulang sebagai CSV UTF-8.",
                "The file is neither valid UTF-8 nor valid Windows-1252; it cannot be read with certainty. "
                "Save it again as UTF-8 CSV.",
            )
        path, _ = _transcode(path, "cp1252", cleanup)
        encoding = "windows-1252"
        offset = 0
        scan = _scan_utf8(path, 0)
    newlines, quotes, last = scan.newlines, scan.quotes, scan.last
    assert newlines is not None
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            header_bytes = fh.readline()
        # "replace": a one-line file cut inside a character reaches here as UTF-8 (refused as
        # cut off below); the column names themselves are ASCII.
        header_line = header_bytes.decode("utf-8", "replace").rstrip("\r\n")
        columns = _check_header(header_line)
        data_start = offset + len(header_bytes)
        if data_start >= path.stat().st_size or not _has_data(path, data_start):
            raise FileRefused(
                "BERKAS_KOSONG",
                "Berkas hanya berisi baris judul, tanpa data.",
                "The file holds only the header row, no data.",
            )
        if quotes % 2:
            line = _open_quote_line(path, data_start)
            raise FileRefused(
                "KUTIP_TIDAK_DITUTUP",
                f'Tanda kutip (") dibuka di baris {line} tetapi tidak pernah ditutup; berkas rusak atau terpotong.',
                f'A quote (") opened on line {line} is never closed; the file is damaged or cut off.',
                line,
            )
        # Every complete export ends with a line break. Without one, a file cut inside its
        # last field (a phone number losing its last digits) still has the right number of
        # fields and would replace stored data: such a file is refused (decision 0016,
        # docs/import.md). "\r\n" ends with "\n"; UTF-16 and Windows-1252 files were
        # transcoded to UTF-8 above, so their line break is this one byte too.
        if last != b"\n" or cut_in_char:
            _check_last_line(path, len(columns), newlines + 1)
            raise _no_final_line_break(newlines + 1)
    except FileRefused:
        for p in cleanup:
            p.unlink(missing_ok=True)
        raise
    return Cutoff(
        path=path,
        kind="csv",
        columns=columns,
        estimate=max(0, newlines - 1),
        encoding=encoding,
        _offset=data_start,
        _cleanup=cleanup,
    )


class _Scan(NamedTuple):
    newlines: int | None  # None: not UTF-8
    quotes: int
    last: bytes  # the last byte of the file
    bad_line: int  # not UTF-8: the first line holding a byte that is not UTF-8


def _scan_utf8(path: Path, offset: int) -> _Scan:
    """Count newlines and quotes while checking UTF-8 (newlines None when not UTF-8)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    newlines = quotes = 0
    last = b""
    with open(path, "rb") as fh:
        fh.seek(offset)
        while True:
            chunk = fh.read(BLOCK)
            if not chunk:
                break
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.start counts the bytes the decoder kept from the previous chunk (no
                # newline among them: they are the start of a multibyte sequence).
                at = max(0, exc.start - pending)
                return _Scan(None, 0, b"", newlines + chunk.count(b"\n", 0, at) + 1)
            if _has_control(chunk):
                raise FileRefused(
                    "ENCODING_TIDAK_DIKENAL",
                    "Berkas berisi karakter kendali (bukan teks biasa); tidak dapat dibaca dengan pasti.",
                    "The file holds control characters (not plain text); it cannot be read with certainty.",
                )
            newlines += chunk.count(b"\n")
            quotes += chunk.count(b'"')
            last = chunk[-1:]
    # A multibyte sequence left open by the end of the file is not another encoding: the file
    # was cut inside a character. Its last byte is not a line break, so the caller refuses it as
    # cut off.
    return _Scan(newlines, quotes, last, 0)


# Windows-1252 bytes that are also a valid UTF-8 multibyte sequence ("JosÃ©" saved back) are
# practically never meant as Windows-1252: such a file mixes the two encodings.
def _cp1252_verdict(path: Path) -> str:
    """'ok' (read it as Windows-1252), 'invalid' (not valid Windows-1252, or control characters)
    or 'mixed' (also holds a valid UTF-8 multibyte sequence: written partly in each)."""
    cp1252 = codecs.getincrementaldecoder("cp1252")("strict")
    # Decoded with surrogateescape, every byte that is not UTF-8 becomes one character and so
    # does every ASCII byte: fewer characters than bytes means a multibyte sequence was valid.
    # One C decode per block within the pass this check already makes (no Python loop per
    # byte; a regex for the UTF-8 sequences ran 25x slower).
    utf8 = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    read = chars = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK):
            if _has_control(chunk):
                return "invalid"
            try:
                cp1252.decode(chunk)
            except UnicodeDecodeError:
                return "invalid"
            read += len(chunk)
            chars += len(utf8.decode(chunk))
            if chars + len(utf8.getstate()[0]) < read:
                return "mixed"
    return "ok"


def _transcode(path: Path, encoding: str, cleanup: list[Path]) -> tuple[Path, bool]:
    """The file in UTF-8 (a temporary file), and whether it ended inside a character."""
    fd, tmp = tempfile.mkstemp(prefix="verval-cutoff-", suffix=".csv")
    os.close(fd)
    out = Path(tmp)
    cleanup.append(out)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    cut_in_char = False
    try:
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            first = True
            while chunk := src.read(BLOCK):
                text = decoder.decode(chunk)
                if first and text:
                    text = text.lstrip("\ufeff")
                    first = False
                dst.write(text)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                cut_in_char = True
    except UnicodeError as exc:
        out.unlink(missing_ok=True)
        raise FileRefused(
            "ENCODING_TIDAK_DIKENAL",
            "Berkas tidak dapat dibaca dengan encoding yang ditandai BOM-nya.",
            "The file cannot be read in the encoding its BOM announces.",
        ) from exc
    return out, cut_in_char


def _has_data(path: Path, start: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(start)
        while chunk := fh.read(1 << 20):
            if chunk.strip(b" ,;\t\r\n"):
                return True
    return False


def _check_header(line: str) -> list[str]:
    fields = next(csv.reader([line]), [])
    columns = [c.strip().strip("\ufeff").lower() for c in fields]
    known = set(COLUMNS)
    if not (set(REQUIRED) <= set(columns)):
        for sep, name_id, name_en in ((";", "titik koma (;)", "semicolons (;)"), ("\t", "tab", "tabs")):
            alt = [c.strip().strip('"').lower() for c in line.split(sep)]
            if len(alt) > 1 and len(set(alt) & known) >= 3:
                raise FileRefused(
                    "PEMISAH_SALAH",
                    f"Kolom dipisahkan dengan {name_id}, bukan koma. Simpan ulang sebagai CSV dengan pemisah koma (,).",
                    f"Columns are separated by {name_en}, not commas. Save the file again as CSV with comma (,) separators.",
                    1,
                )
        if not known & set(columns):
            raise _no_header_row()
        missing = [c for c in REQUIRED if c not in columns]
        unknown = [(i, c) for i, c in enumerate(columns, start=1) if c not in known]
        msg_id = "Kolom wajib tidak ada: " + ", ".join(missing) + "."
        msg_en = "Required columns are missing: " + ", ".join(missing) + "."
        if unknown:
            msg_id += " Kolom tidak dikenal (mungkin salah nama): " + titles_shown(unknown, "id") + "."
            msg_en += " Unknown columns (renamed?): " + titles_shown(unknown, "en") + "."
        raise FileRefused("KOLOM_TIDAK_LENGKAP", msg_id, msg_en, 1)
    dup = sorted({c for c in columns if columns.count(c) > 1 and c in known})
    if dup:
        raise FileRefused(
            "KOLOM_GANDA",
            "Kolom muncul lebih dari sekali: " + ", ".join(dup) + ".",
            "Columns appear more than once: " + ", ".join(dup) + ".",
            1,
        )
    return columns


def _no_header_row() -> FileRefused:
    """Line 1 holds not one known title: a file without its header row, whose first row of data
    would otherwise be quoted back as "unknown columns" (a name, a NIK and a phone number in the
    job's message and on its page), or a sheet with a title row above the header (Excel's merged
    "DATA CUTOFF" cell)."""
    expected = ",".join(REQUIRED)
    return FileRefused(
        "KOLOM_TIDAK_LENGKAP",
        "Baris 1 tidak memuat satu pun judul kolom yang dikenal: berkasnya tanpa baris judul, atau ada "
        "baris lain (judul lembar, sel yang digabung) di atasnya. Baris 1 harus berisi judul kolom: "
        f"{expected}.",
        "Line 1 holds none of the known column titles: the file has no header row, or another row (a "
        "sheet title, merged cells) sits above it. Line 1 must hold the column titles: "
        f"{expected}.",
        1,
    )


def _cut_off(line: int) -> FileRefused:
    return FileRefused(
        "BERKAS_TERPOTONG",
        f"Berkas terpotong: baris terakhir ({line}) tidak lengkap. Unggah ulang berkas yang utuh.",
        f"The file is cut off: the last line ({line}) is incomplete. Upload the complete file again.",
        line,
    )


def _no_final_line_break(line: int) -> FileRefused:
    return FileRefused(
        "BERKAS_TERPOTONG",
        f"Berkas tidak diakhiri ganti baris, jadi dianggap terpotong: baris terakhir ({line}) mungkin "
        "tidak lengkap. Unggah ulang berkas yang utuh. Bila berkas sudah lengkap, tambahkan ganti baris "
        f"(Enter) di akhir baris {line}.",
        f"The file does not end with a line break, so it is taken as cut off: the last line ({line}) may "
        "be incomplete. Upload the complete file again. If the file is complete, add a line break (Enter) "
        f"at the end of line {line}.",
        line,
    )


def _check_last_line(path: Path, ncols: int, line: int) -> None:
    """The last line of a file without a final line break: certainly incomplete (wrong number
    of fields, a quote left open) gets the plainer message."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - (1 << 16)))
        tail = fh.read()
    last = tail[tail.rfind(b"\n") + 1 :].decode("utf-8", "replace")
    if last.count('"') % 2:
        raise _cut_off(line)
    fields = next(csv.reader([last]), [])
    if len(fields) != ncols:
        raise _cut_off(line)


def _open_quote_line(path: Path, start: int) -> int:
    """The line on which the quote that is never closed was opened."""
    parity = 0
    opened = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        for n, raw in enumerate(fh, start=2):
            q = raw.count(b'"') % 2
            if q:
                if not parity:
                    opened = n
                parity ^= 1
    return opened


# --------------------------------------------------------------------------- CSV batches


def _structure_error(line: int, found: int, expected: int) -> FileRefused:
    return FileRefused(
        "STRUKTUR_RUSAK",
        f"Baris {line} berisi {found} kolom, seharusnya {expected}. Periksa tanda koma dan tanda kutip pada baris itu.",
        f"Line {line} has {found} fields, expected {expected}. Check the commas and quotes on that line.",
        line,
    )


def _check_fields(block: bytes, ncols: int, first_line: int, expected_rows: int) -> None:
    """Every record of the block has exactly ncols fields (polars would pad short rows)."""
    lines = pl.read_csv(
        block,
        has_header=False,
        separator="\x01",
        quote_char=None,
        new_columns=["l"],
        schema={"l": pl.String},
        empty_string_is_null=False,
        raise_if_empty=False,
    ).get_column("l")
    if lines.len() == expected_rows and not (lines.str.count_matches('"', literal=True) % 2 == 1).any():
        counts = lines.str.replace_all(r'"[^"]*"', "").str.count_matches(",", literal=True) + 1
        blank = lines.str.strip_chars(" \r") == ""
        bad = (counts != ncols) & ~blank
        if bad.any():
            i = int(bad.arg_true()[0])
            raise _structure_error(first_line + i, int(counts[i]), ncols)
        return
    # Records spanning lines (a quoted line break): count with the csv module.
    text = block.decode("utf-8")
    for i, rec in enumerate(csv.reader(io.StringIO(text, newline=""))):
        if rec and any(x.strip() for x in rec) and len(rec) != ncols:
            raise _structure_error(first_line + i, len(rec), ncols)


def _csv_batches(cut: Cutoff) -> Iterator[pl.DataFrame]:
    ncols = len(cut.columns)
    names = [f"c{i}" for i in range(ncols)]
    schema = dict.fromkeys(names, pl.String)
    record = 0  # data records before this block
    with open(cut.path, "rb") as fh:
        fh.seek(cut._offset)
        rest = b""
        while True:
            data = fh.read(BLOCK)
            block = rest + data
            if not block:
                break
            if data:
                cut_at = block.rfind(b"\n")
                while cut_at >= 0 and block.count(b'"', 0, cut_at) % 2:
                    cut_at = block.rfind(b"\n", 0, cut_at)
                if cut_at < 0:
                    rest = block
                    continue
                block, rest = block[: cut_at + 1], block[cut_at + 1 :]
            else:
                rest = b""
            try:
                df = pl.read_csv(
                    block,
                    has_header=False,
                    new_columns=names,
                    schema=schema,
                    quote_char='"',
                    empty_string_is_null=False,
                    raise_if_empty=False,
                    truncate_ragged_lines=False,
                )
            except pl.exceptions.ComputeError:
                _check_fields(block, ncols, record + 2, -1)
                raise FileRefused(
                    "STRUKTUR_RUSAK",
                    "Struktur CSV rusak (kolom atau tanda kutip tidak sesuai).",
                    "The CSV structure is damaged (fields or quotes do not match).",
                ) from None
            _check_fields(block, ncols, record + 2, df.height)
            df = df.with_row_index("line", offset=record + 2).with_columns(pl.col("line").cast(pl.Int64))
            record += df.height
            yield _select(df, cut.columns, names)
            if not data:
                break


def _select(df: pl.DataFrame, columns: list[str], names: list[str]) -> pl.DataFrame:
    """Rename to cutoff columns, add missing optional ones, strip, drop all-empty rows."""
    exprs = [pl.col("line")]
    for col in COLUMNS:
        if col in columns:
            exprs.append(pl.col(names[columns.index(col)]).fill_null("").str.strip_chars().alias(col))
        else:
            exprs.append(pl.lit("").alias(col))
    out = df.select(exprs)
    empty = pl.all_horizontal([pl.col(c) == "" for c in COLUMNS])
    return out.filter(~empty)


# --------------------------------------------------------------------------- XLSX


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (datetime.date, datetime.time, datetime.timedelta)):
        return _date_cell(v)
    return str(v)


def _date_cell(v: datetime.date | datetime.time | datetime.timedelta) -> str:
    """A date or time cell (Excel turned what was typed into a date) as ISO text: 2024-01-05,
    2024-01-05 10:30:00, 10:30:00, a duration as 30:00:00. In the phone column the number engine
    names it (NOMOR_BERUPA_TANGGAL, phones.core.DATE_PATTERN) instead of reading its digits as
    a landline; elsewhere the column's rule refuses it."""
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() else v.isoformat(sep=" ")
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    seconds = int(v.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# Codes of a fixed number of digits that Excel turns into numbers when a cell is not formatted as
# Text, dropping their leading zeros: a NISN 0033992019 (the NISN of every child born since 2000
# starts with 0) arrives as 33992019, a Jakarta kecamatan 010108 (as every code of Dapodik's
# provinces 01-09) as 10108. A number cell cannot hold the zeros, so padding it back is no guess;
# a text cell is read as typed (decision 0055).
XLSX_NUMERIC_WIDTH = {"nisn": 10, "kode_wilayah": 6}


def _code_cell(v: object, width: int) -> str:
    """A fixed-width code column's cell: a whole non-negative number shorter than the code gets
    its leading zeros back; anything else is read as `_cell` reads it (and checked by the rules)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 and float(v).is_integer():
        return str(int(v)).zfill(width)
    return _cell(v)


# A phone number typed into a cell not formatted as Text is stored as a number without its
# leading 0; the text kept "as typed" (phone_raw, what the school page shows beside the reason)
# gets that 0 back, as the same cutoff saved as CSV holds it (decision 0126). A text cell is read
# as typed.
def _phone_cell(v: object) -> str:
    typed = phone_number_cell(v)
    return _cell(v) if typed is None else typed


# A NIK has 16 digits, and Excel keeps only 15 significant digits of a number: a NIK typed into
# a cell not formatted as Text is stored with its last digit turned into 0, and no reader can
# tell the digit back. Such a cell is marked so that the rules refuse its row (NIK_ANGKA_EXCEL)
# instead of storing another person's NIK (decision 0055, follow-up).
def _nik_cell(v: object) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return NIK_NUMBER_MARK + _cell(v)
    return _cell(v)


def _damaged_xlsx() -> FileRefused:
    return FileRefused(
        "BERKAS_RUSAK",
        "Berkas Excel rusak atau terpotong dan tidak dapat dibaca.",
        "The Excel file is damaged or cut off and cannot be read.",
    )


def _check_reach(path: Path) -> None:
    """Refuse an XLSX whose grid would be too large before any reader builds it (the guard of
    the bulk correction's Excel path, registry.bulk.read_xlsx)."""
    try:
        reach = xlsxguard.extent(path, max_xml_bytes=XLSX_MAX_SHEET_XML_BYTES)
    except Exception as exc:  # noqa: BLE001 - not a workbook (bad zip, missing part, bad deflate)
        raise _damaged_xlsx() from exc
    if reach is None:
        gib = XLSX_MAX_SHEET_XML_BYTES >> 30
        raise FileRefused(
            "BERKAS_TERLALU_BESAR",
            f"Lembar kerja berkas Excel ini terlalu besar untuk dibaca (lebih dari {gib} GB setelah dibuka). "
            "Simpan data sebagai CSV UTF-8, lalu unggah lagi.",
            f"The Excel file's sheets are too large to read (more than {gib} GB unpacked). "
            "Save the data as UTF-8 CSV and upload again.",
        )
    rows, columns = reach.rows, reach.columns
    if rows > XLSX_MAX_ROWS or columns > XLSX_MAX_COLUMNS or rows * columns > XLSX_MAX_CELLS:
        # Names the farthest row and column (of any sheet), so that the stray cell can be found.
        # The numbers come from the file's cell references, never from a cell's content.
        where = f"baris {rows} dan kolom {column_letters(columns)}"
        where_en = f"row {rows} and column {column_letters(columns)}"
        raise FileRefused(
            "SEL_DI_LUAR_DATA",
            f"Berkas Excel terisi sampai {where}: ada isian jauh di bawah atau di kanan data (misalnya di "
            "baris terakhir lembar kerja), atau lembarnya terlalu lebar untuk dibaca. Hapus baris dan kolom "
            "di luar tabel (dan kolom yang tidak diperlukan), simpan, lalu unggah lagi; atau simpan sebagai "
            "CSV UTF-8.",
            f"The Excel file is filled in up to {where_en}: something is filled in far below or to the "
            "right of the data (e.g. in the sheet's last row), or the sheet is too wide to read. Delete the "
            "rows and columns outside the table (and the columns not needed), save, and upload again; or "
            "save it as UTF-8 CSV.",
        )


def _open_xlsx(path: Path) -> Cutoff:
    _check_reach(path)
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = next(rows, None)
        meta = wb.sheets_metadata
    except Exception as exc:  # noqa: BLE001 - any reader error means the file is unreadable
        raise _damaged_xlsx() from exc
    titles = [_cell(c) for c in header] if header else []
    if not any(t.strip() for t in titles):
        raise _first_sheet_empty(meta)
    # The header's columns end at its last title: the grid is as wide as the sheet's widest row,
    # so a value typed to the right of the table pads the header with empty titles. Cells under
    # no title are refused row by row (_xlsx_batches), as a CSV line with extra fields is.
    while not titles[-1].strip():
        titles.pop()
    line = ",".join('"' + t.replace('"', '""') + '"' for t in titles)
    columns = _check_header(line)
    height = sheet.height
    if height <= 1:
        raise FileRefused(
            "BERKAS_KOSONG",
            "Berkas hanya berisi baris judul, tanpa data.",
            "The file holds only the header row, no data.",
        )
    return Cutoff(path=path, kind="xlsx", columns=columns, estimate=height - 1, encoding="xlsx")


def _first_sheet_empty(meta: list[SheetMetadata]) -> FileRefused:
    """Only the first sheet is read (docs/import.md): when it is empty the data is usually on
    another one, or the first is a hidden sheet the user never sees, so the message names it."""
    from python_calamine import SheetVisibleEnum

    first = meta[0]
    hidden = first.visible != SheetVisibleEnum.Visible
    others = len(meta) > 1
    return FileRefused(
        "BERKAS_KOSONG",
        f'Lembar pertama ("{first.name}"){" yang tersembunyi" if hidden else ""} kosong. Data harus ada '
        f"di lembar pertama berkas Excel{'; lembar lain tidak dibaca' if others else ''}.",
        f'The first sheet ("{first.name}"){", a hidden one," if hidden else ""} is empty. The data must be '
        f"on the first sheet of the Excel file{'; other sheets are not read' if others else ''}.",
    )


def _xlsx_structure_error(line: int, found: int, expected: int, first: int) -> FileRefused:
    """A row with a value to the right of the header's last column: STRUKTUR_RUSAK, as a CSV
    line with more fields than the header. `first` is the sheet column (A = 1) of the header's
    first cell; the message names the cell, never its content."""
    cell = f"{column_letters(first + found - 1)}{line}"
    titled = f"{column_letters(first)}-{column_letters(first + expected - 1)}"
    return FileRefused(
        "STRUKTUR_RUSAK",
        f"Baris {line} berisi {found} kolom, seharusnya {expected}: sel {cell} terisi di luar kolom yang "
        f"berjudul ({titled}). Hapus isian itu atau beri kolomnya judul di baris 1, simpan, lalu unggah lagi.",
        f"Line {line} has {found} fields, expected {expected}: cell {cell} is filled in outside the titled "
        f"columns ({titled}). Delete it or give its column a title in row 1, save, and upload again.",
        line,
    )


def _xlsx_batches(cut: Cutoff) -> Iterator[pl.DataFrame]:
    from python_calamine import CalamineWorkbook

    ncols = len(cut.columns)
    names = [f"c{i}" for i in range(ncols)]
    widths = [XLSX_NUMERIC_WIDTH.get(c, 0) for c in cut.columns]  # 0: read as typed
    nik = cut.columns.index("nik") if "nik" in cut.columns else -1
    phone = cut.columns.index("nomor_telepon_seluler")
    wb = CalamineWorkbook.from_path(str(cut.path))
    sheet = wb.get_sheet_by_index(0)
    # iter_rows starts at the sheet's first used column (and at row 1): letters for the message.
    first = (sheet.start[1] if sheet.start else 0) + 1
    rows = sheet.iter_rows()
    next(rows, None)
    cols: list[list[str]] = [[] for _ in range(ncols)]
    lines: list[int] = []
    line = 1
    for row in rows:
        line += 1
        if len(row) > ncols:
            found = max((i + 1 for i in range(ncols, len(row)) if _cell(row[i]).strip()), default=0)
            if found:
                raise _xlsx_structure_error(line, found, ncols, first)
        cells = [_code_cell(c, w) if w else _cell(c) for c, w in zip(row[:ncols], widths, strict=False)]
        if 0 <= nik < len(cells):
            cells[nik] = _nik_cell(row[nik])
        if 0 <= phone < len(cells):
            cells[phone] = _phone_cell(row[phone])
        if len(cells) < ncols:
            cells += [""] * (ncols - len(cells))
        for i, v in enumerate(cells):
            cols[i].append(v)
        lines.append(line)
        if len(lines) >= XLSX_BATCH:
            yield _select(_frame(lines, cols, names), cut.columns, names)
            cols = [[] for _ in range(ncols)]
            lines = []
    if lines:
        yield _select(_frame(lines, cols, names), cut.columns, names)


def _frame(lines: list[int], cols: list[list[str]], names: list[str]) -> pl.DataFrame:
    data: dict[str, pl.Series] = {"line": pl.Series("line", lines, dtype=pl.Int64)}
    for n, c in zip(names, cols, strict=True):
        data[n] = pl.Series(n, c, dtype=pl.String)
    return pl.DataFrame(data)
