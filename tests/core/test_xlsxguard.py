"""core.xlsxguard finds every cell python-calamine would place, in whatever form the sheet XML
writes it, before calamine builds its grid (one far cell aborts the process)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.parsers import expat

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from tests.imports.helpers import many
from verval.core import xlsxguard
from verval.core.jobs import JobRefused
from verval.core.models import Job
from verval.imports.actions import import_file
from verval.registry.bulk import read_xlsx

NS = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def crafted(path: Path, sheet_data: str, *, part: str | None = None) -> Path:
    """An openpyxl workbook whose first sheet's <sheetData> is `sheet_data`; with `part`, the
    sheet is stored under that name and the workbook's relationship points there."""
    book = Workbook()
    book.active.append(["id", "nomor_koreksi", "versi"])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            name = info.filename
            if name == "xl/worksheets/sheet1.xml":
                text = data.decode().replace("<worksheet ", f"<worksheet {NS} ", 1)
                text = re.sub(r"<dimension[^>]*/>", "", text)
                text = re.sub(
                    r"<sheetData>.*</sheetData>|<sheetData\s*/>",
                    f"<sheetData>{sheet_data}</sheetData>",
                    text,
                    flags=re.S,
                )
                data, name = text.encode(), part or name
            elif name == "xl/_rels/workbook.xml.rels" and part:
                data = data.replace(b"/xl/worksheets/sheet1.xml", ("/" + part).encode())
            out.writestr(name, data)
    plain.unlink()
    return path


def calamine_reach(path: Path) -> tuple[int, int]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert sheet.end is not None
    return sheet.end[0] + 1, sheet.end[1] + 1


FORMS = [
    # sheet data, (rows, columns) calamine places it in
    ('<row r="3"><c r="D3"><v>1</v></c></row>', (3, 4)),
    ('<row r="2" spans="1:3" x14ac:dyDescent="0.25"><c r="C2" s="1" t="n"><v>1</v></c></row>', (2, 3)),
    ("<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>", (2, 2)),
    ("<row/><row/><row><c/><c/><c/><c><v>3</v></c></row>", (3, 4)),
    ('<row r="5"><c r="C5"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>', (6, 4)),
    ('<x:row r="30"><x:c r="ZZ30"><x:v>1</x:v></x:c></x:row>', (30, 702)),
    ("<row><c r='F7'><v>1</v></c></row>", (7, 6)),
    ('<row><c r = "E9"><v>1</v></c></row>', (9, 5)),
    ('<row><c\n r="H4"><v>1</v></c></row>', (4, 8)),
    ('<row><c r="b12"><v>1</v></c></row>', (12, 2)),
    ('<row><c r="AAA1"><v>1</v></c></row>', (1, 703)),
    ('<row><c t="n" r="G9"><v>1</v></c></row>', (9, 7)),
    ('<row><c r="C0002"><v>1</v></c></row>', (2, 3)),
]


@pytest.mark.parametrize(("sheet_data", "reach"), FORMS)
def test_every_form_of_cell_calamine_reads_is_placed_where_calamine_places_it(tmp_path, sheet_data, reach):  # type: ignore[no-untyped-def]
    path = crafted(tmp_path / "a.xlsx", sheet_data)
    assert calamine_reach(path) == reach
    found = xlsxguard.extent(path, max_xml_bytes=1 << 20)
    assert found is not None
    assert (found.rows, found.columns) == reach


@pytest.mark.parametrize(
    "part", ["xl/worksheets/data.bin", "xl/other/sheet.xml", "xl/s.dat", "xl/worksheets/sub/s.xml"]
)
def test_a_sheet_stored_under_any_name_its_relationship_gives_is_read(tmp_path, part):  # type: ignore[no-untyped-def]
    path = crafted(tmp_path / "a.xlsx", '<row r="40"><c r="Z40"><v>1</v></c></row>', part=part)
    assert calamine_reach(path) == (40, 26)
    found = xlsxguard.extent(path, max_xml_bytes=1 << 20)
    assert found is not None
    assert (found.rows, found.columns) == (40, 26)


def test_a_cell_with_two_r_attributes_makes_the_file_unreadable(tmp_path):  # type: ignore[no-untyped-def]
    # calamine takes the last one (Z9 here); the guard does not guess which.
    path = crafted(tmp_path / "a.xlsx", '<row r="2"><c r="A2" r="Z9"><v>1</v></c></row>')
    with pytest.raises(expat.ExpatError):
        xlsxguard.extent(path, max_xml_bytes=1 << 20)


FAR = [
    '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
    "<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>",
    '<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
    '<row r="1048576">' + "<c/>" * 16383 + "<c><v>1</v></c></row>",
]


@pytest.mark.django_db
@pytest.mark.parametrize("sheet_data", FAR, ids=["prefix", "single-quotes", "lower-case", "without-r"])
def test_a_far_cell_in_any_form_is_refused_by_both_excel_readers_before_the_grid_is_built(
    tmp_path, sheet_data
):  # type: ignore[no-untyped-def]
    path = crafted(tmp_path / "a.xlsx", sheet_data)
    found = xlsxguard.extent(path, max_xml_bytes=1 << 24)
    assert found is not None
    assert (found.rows, found.columns) == (1_048_576, 16_384)
    with pytest.raises(JobRefused) as err:
        read_xlsx(path)
    assert err.value.code == "SEL_DI_LUAR_DATA"
    job = import_file(path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, "SEL_DI_LUAR_DATA")


def test_an_ordinary_workbook_reads_in_the_common_form(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """openpyxl's output never needs the slower parser."""
    from tests.imports.helpers import write_xlsx

    def refuse(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("read by the parser")

    monkeypatch.setattr(xlsxguard, "_exact", refuse)
    found = xlsxguard.extent(write_xlsx(tmp_path / "a.xlsx", many(30)), max_xml_bytes=1 << 20)
    assert found is not None
    assert (found.rows, found.columns) == (31, 12)
