"""Cells of the CSV and Excel files people open in a spreadsheet program.

Names and school names come from Dapodik, typed by school staff; a value such as
`=HYPERLINK("http://…","x")` written as it is becomes a live formula in Excel or LibreOffice when
a Dinas or Pusdatin officer opens the download (OWASP "CSV injection"). Machine files (dumps,
disbursement batches, results) are not written through here: their consumers are programs that
must get the value exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
