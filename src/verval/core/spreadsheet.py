"""Cells of the CSV and Excel files people open in a spreadsheet program.

Names and school names come from Dapodik, typed by school staff; a value such as
`=HYPERLINK("http://…","x")` written as it is becomes a live formula in Excel or LibreOffice when
a Dinas or Pusdatin officer opens the download (OWASP "CSV injection"). Machine files (dumps,
disbursement batches, results) are not written through here: their consumers are programs that
must get the value exactly.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from verval.phones.core import with_lost_zero

# What a spreadsheet program reads as the start of a formula (tab and CR: some strip them first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text that would start a formula gets a leading apostrophe, which spreadsheets show as
    text and hide; numbers and other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_cell(ws: Any, value: Any) -> Any:
    """A write-only cell holding `value`; a text is stored as text (openpyxl makes any string
    starting with '=' a formula), so nothing in it is evaluated when the file opens."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    return [v if not isinstance(v, str) else xlsx_cell(ws, v) for v in values]


# A UTF-8 byte order mark: Excel reads a CSV without one in the Windows code page, and names
# with accents come out garbled. The web downloads meant for people start with it; machine files
# (provider API, dumps, results) never do, their byte layout is fixed.
BOM = "\ufeff"


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """A download for people as CSV lines, streamed: the header (after the byte order mark), then
    each row through `csv_row`. One line in memory at a time, whatever the number of rows: the
    Dinas school list, the schools behind schedule and the audit log are written with it."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    yield (BOM if bom else "") + buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow(csv_row(row))
        yield buf.getvalue()


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_text(ws: Any, value: Any) -> Any:
    """A text cell that stays text when someone edits it too ('@' format): an NPSN, NISN or
    number typed again into it keeps its leading zero and every digit."""
    cell = xlsx_cell(ws, value)
    cell.number_format = "@"
    return cell


# Data rows of one sheet: Excel opens at most 1,048,576 rows, the header being one of them.
SHEET_ROWS = 1_048_575


def xlsx_sheet_with_header(wb: Any, title: str, columns: Sequence[str], widths: Sequence[float]) -> Any:
    """A new write-only sheet with the given column widths (in characters) and a bold header row
    frozen above the data, as every report and workbook for people has it."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    return ws


class _TextCells:
    """One `xlsx_text` cell per column, refilled for each row. A write-only sheet serialises a row
    inside `append`, before the next row exists, so a cell can carry the next row's value; making a
    new styled cell for every text took 8–15 % of the CPU time of a report (decision 0074)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.cells: dict[int, Any] = {}

    def cell(self, column: int, value: str) -> Any:
        cell = self.cells.get(column)
        if cell is None:
            cell = self.cells[column] = xlsx_text(self.ws, value)
            return cell
        cell.value = value  # checks length and illegal characters as a new cell does
        cell.data_type = "s"
        return cell


def xlsx_report(
    *, sheet: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float]
) -> IO[bytes]:
    """A report for people: a bold, frozen header row, the given column widths (in characters),
    every text as a text cell and numbers as numbers. Written in write-only mode (openpyxl 3.1
    writes texts inline, no shared-string table) into a temporary file, so a report of a million
    rows takes the same memory as one of ten. Rows beyond what Excel opens in one sheet go on
    into `<sheet>-2`, `<sheet>-3`…, each with the header. The caller streams the returned file,
    positioned at its start, and the response closes it."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)

    def new_sheet(number: int) -> Any:
        return xlsx_sheet_with_header(wb, sheet if number == 1 else f"{sheet}-{number}", columns, widths)

    sheets, written = 1, 0
    ws = new_sheet(sheets)
    text = _TextCells(ws)
    for row in rows:
        if written == SHEET_ROWS:
            sheets, written = sheets + 1, 0
            ws = new_sheet(sheets)
            text = _TextCells(ws)
        ws.append([text.cell(i, v) if isinstance(v, str) and v else v for i, v in enumerate(row)])
        written += 1
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    wb.save(out)
    out.seek(0)
    return out


def xlsx_response(report: IO[bytes], filename: str) -> Any:
    """The download of an `xlsx_report`, streamed from its file, kept out of every cache."""
    from django.http import FileResponse
    from django.utils.cache import patch_cache_control

    response = FileResponse(report, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    patch_cache_control(response, private=True, no_store=True)
    return response


# Unknown column titles named in a refusal (the cutoff's KOLOM_TIDAK_LENGKAP, the correction
# file's KOLOM_TIDAK_SESUAI): at most this many, each cut to this length (decision 0124).
TITLES_SHOWN = 10
TITLE_CHARS = 40


def column_letters(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def titles_shown(unknown: Sequence[tuple[int, str]], lang: str, *, letters: bool = False) -> str:
    """Unknown titles (position from 1, title) as a person can find them: an empty one (a merged
    or blank header cell) by its position (its column letter with `letters`, for an Excel sheet),
    the others cut short with any number in them masked; at most TITLES_SHOWN."""
    from verval.core.logging import masked_value

    shown = []
    for position, title in unknown[:TITLES_SHOWN]:
        if not title:
            if letters:
                where = column_letters(position)
                shown.append(
                    f"(kolom {where} tanpa judul)" if lang == "id" else f"(column {where}, untitled)"
                )
            else:
                shown.append(
                    f"(kolom ke-{position} tanpa judul)" if lang == "id" else f"(column {position}, untitled)"
                )
        else:
            shown.append(masked_value(title)[:TITLE_CHARS])
    if len(unknown) > TITLES_SHOWN:
        shown.append(f"… (+{len(unknown) - TITLES_SHOWN})")
    return ", ".join(shown)


def phone_number_cell(value: object) -> str | None:
    """A phone typed into a cell not formatted as Text, as it was typed: Excel stores
    081234567890 as the number 81234567890, and the 0 comes back where the engine reads the digits
    as a number that lost it (`phones.core.with_lost_zero`; decision 0126). None for any other
    cell, which its reader reads as text."""
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value > 0
        and float(value).is_integer()
    ):
        return with_lost_zero(str(int(value)))
    return None
