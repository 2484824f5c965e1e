"""Every cell of an Excel report as a spreadsheet program reads it back (decision 0059): texts are
text cells in the '@' format, numbers numbers, empty stays empty. The writer refills one text cell
per column from row to row (decision 0074); a value must never leak into the next row's cell."""

from __future__ import annotations

import gc

import pytest
from openpyxl import load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from python_calamine import CalamineWorkbook

from verval.core.spreadsheet import xlsx_report

ROWS = [
    [3, "020500", '=HYPERLINK("http://x","y")', 1.5, "José Ñandú"],
    # The same columns now hold a number, nothing, an empty text and a text: no text cell's
    # value or format may stay behind from the row above.
    [12, 7, None, "", "#N/A"],
    [0, "00012345", "-1", 2, " spasi di depan"],
    [4, "x"],
]


def _report(rows):  # type: ignore[no-untyped-def]
    return xlsx_report(
        sheet="laporan", columns=["baris", "kode", "nilai", "angka", "nama"], rows=rows, widths=[8] * 5
    )


def test_every_cell_of_a_report_reads_back_with_its_value_type_and_format() -> None:
    ws = load_workbook(_report(ROWS)).worksheets[0]

    cells = [[(c.value, c.data_type, c.number_format) for c in row] for row in ws.iter_rows()]
    assert cells == [
        [(name, "s", "General") for name in ["baris", "kode", "nilai", "angka", "nama"]],
        [(3, "n", "General"), ("020500", "s", "@"), ('=HYPERLINK("http://x","y")', "s", "@"),
         (1.5, "n", "General"), ("José Ñandú", "s", "@")],
        [(12, "n", "General"), (7, "n", "General"), (None, "n", "General"),
         (None, "inlineStr", "General"), ("#N/A", "s", "@")],  # an empty text: an empty inline string
        [(0, "n", "General"), ("00012345", "s", "@"), ("-1", "s", "@"), (2, "n", "General"),
         (" spasi di depan", "s", "@")],
        [(4, "n", "General"), ("x", "s", "@"), (None, "n", "General"), (None, "n", "General"),
         (None, "n", "General")],
    ]  # fmt: skip
    assert [c.font.b for c in ws[1]] == [True] * 5
    assert [c.font.b for c in ws[2]] == [False] * 5
    assert ws.freeze_panes == "A2"


def test_a_report_reads_back_in_calamine_with_texts_kept_as_texts() -> None:
    report = _report(ROWS)
    sheet = CalamineWorkbook.from_filelike(report).get_sheet_by_index(0)

    assert sheet.to_python()[1:] == [
        [3.0, "020500", '=HYPERLINK("http://x","y")', 1.5, "José Ñandú"],
        [12.0, 7.0, "", "", "#N/A"],
        [0.0, "00012345", "-1", 2.0, " spasi di depan"],
        [4.0, "x", "", "", ""],
    ]


# The abandoned workbook's sheet generators complain when collected: collected here, not in a
# later test that the warning would then be charged to.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_control_character_in_a_later_row_is_refused_as_in_the_first() -> None:
    with pytest.raises(IllegalCharacterError) as refused:
        _report([[1, "020500"], [2, "02\x0100"]])
    del refused
    gc.collect()


def test_openpyxl_writes_the_reports_through_lxml() -> None:
    """The reason lxml is a dependency (decision 0074): without it openpyxl falls back, silently, to
    its pure-Python XML writer, which takes a third more CPU time for every report."""
    import openpyxl.xml

    assert openpyxl.xml.LXML is True, "lxml is not importable here: pip install -e '.[dev]' again"
