"""How far the cells of an .xlsx reach, read before a reader builds its grid.

python-calamine (Rust) holds a sheet as one dense grid from A1 to the farthest cell: a single
value typed in XFD1048576 makes it ask for 17 billion cells, and the allocation failure aborts
the whole process (not an exception Python can catch). The worksheet XML is streamed from the
zip here, the position of every cell found, and a file whose grid would be too large is refused
before any reader sees it.

The positions are found as python-calamine finds them, not only in the form Excel writes
(`<c r="B7">`): calamine also reads a cell without `r` (placed after the previous one, on the row
after the previous row), an element with a namespace prefix (`<x:c>`), `r` in single quotes or
with spaces around `=`, lower-case or more than three column letters, and of two `r` the last.
The parts read are the ones calamine reads as sheets: the targets the workbook's relationships
give its `<sheet>` elements, whatever their folder or name, and everything in the sheet folders;
the shared strings too, whose size counts against the limit. The common form is read with two
regular expressions; a part holding any cell or row element in another form is read again with
an XML parser that follows calamine's placement.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.parsers import expat

# The signature of an OLE2 compound file: Excel 97-2003 (.xls), or an .xlsx saved with a password
# (Excel encrypts the workbook into such a container). Neither reader can read it; both say so.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# The folders python-calamine takes a sheet from (the second part of its path must be one of
# these, or it refuses the workbook).
_SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")
# The form every writer we know uses (Excel, LibreOffice, openpyxl, verval synth), matched as a
# whole tag: element without prefix, `r` first in double quotes with upper-case letters, then
# only other attributes in double quotes (calamine takes the last of two `r`, so a second one,
# or a value holding ">", is not this form).
_REF = re.compile(rb'<(?:c|row) r="([A-Z]{0,3})([0-9]{1,7})"(?: (?!r=)[\w:.-]+="[^"<>]*")*\s*/?>')
# The start of every c or row element, whatever its form (prefix, attributes, none).
_TAG = re.compile(rb"<(?:[^\s<>/!?:=\"']+:)?(?:c|row)[\s/>]")
_CHUNK = 1 << 20
# A tag still open after this many bytes is read by the parser instead of being carried along.
_MAX_CARRY = 4 * _CHUNK
_CELL_REF = re.compile(r"([A-Za-z]*)([0-9]*)")
# The workbook and its relationships are small; a larger one is not a workbook to read.
_MAX_WORKBOOK_BYTES = 32 * _CHUNK


@dataclass(frozen=True)
class Extent:
    rows: int  # the highest row number of any sheet
    columns: int  # the highest column number of any sheet (A = 1)
    xml_bytes: int  # the sheets' (and shared strings') unpacked size


class _TooLarge(Exception):
    pass


class _Irregular(Exception):
    """A part holds a cell or row element in a form the expressions do not read."""


def _column(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters:
        n = n * 26 + ((ch if isinstance(ch, int) else ord(ch)) - 64)
    return n


def _elements(zf: zipfile.ZipFile, name: str, local: str) -> list[dict[str, str]]:
    """The attributes of every element named `local` (any prefix) in a small XML part."""
    found: list[dict[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == local:
            found.append(attrs)

    def doctype(*_: object) -> None:
        raise ValueError("a workbook part with a document type declaration")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    with zf.open(name) as part:
        data = part.read(_MAX_WORKBOOK_BYTES + 1)
    if len(data) > _MAX_WORKBOOK_BYTES:
        raise ValueError(f"{name} is too large")
    parser.Parse(data, True)
    return found


def _scanned(zf: zipfile.ZipFile) -> set[str]:
    """The names of the parts calamine may read as a sheet, and of the shared strings."""
    # Any attribute of a <sheet> (calamine takes r:id, or relationships:id) names its part.
    ids = {v for attrs in _elements(zf, "xl/workbook.xml", "sheet") for v in attrs.values()}
    wanted: set[str] = set()
    for rel in _elements(zf, "xl/_rels/workbook.xml.rels", "Relationship"):
        target = rel.get("Target", "")
        if rel.get("Id") in ids and target:
            # calamine: "/xl/x" and "xl/x" as they are, anything else under xl/.
            bare = target.lstrip("/")
            wanted |= {bare, "xl/" + target, posixpath.normpath(bare), posixpath.normpath("xl/" + target)}
    return {
        info.filename
        for info in zf.infolist()
        if not info.is_dir()
        and (
            info.filename in wanted
            or info.filename.startswith(_SHEET_FOLDERS)
            or info.filename.lower().endswith("sharedstrings.xml")
        )
    }


def extent(source: str | Path | IO[bytes], *, max_xml_bytes: int) -> Extent | None:
    """The farthest row and column any sheet uses, or None when the sheets unpack to more than
    max_xml_bytes (a zip bomb as much as a file too large). Raises zipfile.BadZipFile, KeyError,
    ValueError or expat.ExpatError for a file that is not a readable workbook; the caller's
    reader refuses those anyway."""
    rows = columns = total = 0
    with zipfile.ZipFile(source) as zf:
        scanned = _scanned(zf)
        for info in zf.infolist():
            if info.filename not in scanned:
                continue
            try:
                try:
                    r, c, n = _fast(zf, info, max_xml_bytes - total)
                except _Irregular:
                    r, c, n = _exact(zf, info, max_xml_bytes - total)
            except _TooLarge:
                return None
            rows, columns, total = max(rows, r), max(columns, c), total + n
    return Extent(rows=rows, columns=columns, xml_bytes=total)


def _fast(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> tuple[int, int, int]:
    """Every cell and row element in the common form: their highest row and column."""
    rows = columns = total = 0
    tail = b""

    def window(data: bytes) -> None:
        nonlocal rows, columns
        refs = _REF.findall(data)
        # Every match of _REF is one of _TAG: as many means every element is in the common form.
        # findall and sets, not a Python step per match: a 200 000-row cutoff (145 MB of XML,
        # 2.6 M references) took 10.5 s with finditer and int() per match, 5 s like this.
        if len(refs) != len(_TAG.findall(data)):
            raise _Irregular
        if refs:
            rows = max(rows, max(map(int, {r for _, r in refs})))
            columns = max(columns, max(map(_column, {c for c, _ in refs})))

    with zf.open(info) as part:
        while block := part.read(_CHUNK):
            total += len(block)
            if total > budget:
                raise _TooLarge
            data = tail + block
            # Cut before the last "<": every tag of the window is whole, the last one goes on.
            cut = data.rfind(b"<")
            if cut < 0:
                tail = b""
                window(data)
                continue
            if cut == 0 and len(data) > _MAX_CARRY:
                raise _Irregular
            window(data[:cut])
            tail = data[cut:]
    window(tail)
    return rows, columns, total


def _exact(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> tuple[int, int, int]:
    """Every cell placed as python-calamine places it: `r` when present, otherwise after the
    previous cell of the row; a row without `r` follows the previous row."""
    rows = columns = total = 0
    row = col = 0  # 0-based: the current row, the next cell's column

    def ref(value: str) -> tuple[int, int]:
        m = _CELL_REF.fullmatch(value)
        if not m or not (m.group(1) or m.group(2)):
            raise ValueError("unreadable cell reference")
        return (int(m.group(2)) if m.group(2) else 0), _column(m.group(1))

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal rows, columns, row, col
        local = name.rpartition(":")[2]
        if local == "row":
            if "r" in attrs:
                r, _ = ref(attrs["r"])
                row = max(r - 1, 0)
            rows = max(rows, row + 1)
        elif local == "c":
            if "r" in attrs:
                r, c = ref(attrs["r"])
                col = c
            else:
                r, col = row + 1, col + 1
            rows, columns = max(rows, r), max(columns, col)

    def end(name: str) -> None:
        nonlocal row, col
        if name.rpartition(":")[2] == "row":
            row, col = row + 1, 0

    def doctype(*_: object) -> None:
        raise ValueError("a sheet with a document type declaration")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    with zf.open(info) as part:
        while block := part.read(_CHUNK):
            total += len(block)
            if total > budget:
                raise _TooLarge
            parser.Parse(block, False)
    parser.Parse(b"", True)
    return rows, columns, total
