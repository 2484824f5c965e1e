"""How far the cells of an .xlsx reach, read before a reader builds its grid.

python-calamine (Rust) holds a sheet as one dense grid from A1 to the farthest cell: a single
value typed in XFD1048576 makes it ask for 17 billion cells, and the allocation failure aborts
the whole process (not an exception Python can catch). The worksheet XML is streamed from the
zip here, its cell references scanned, and a file whose grid would be too large is refused before
any reader sees it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_REF = re.compile(rb'<(?:c|row)\b[^>]*?\br="([A-Z]{0,3})([0-9]+)"')
_CHUNK = 1 << 20
_OVERLAP = 256  # longer than any <c ...r="XFD1048576"> opening, so a split one is seen whole


@dataclass(frozen=True)
class Extent:
    rows: int  # the highest row number of any sheet
    columns: int  # the highest column number of any sheet (A = 1)
    xml_bytes: int  # the worksheets' unpacked size


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def extent(source: str | Path | IO[bytes], *, max_xml_bytes: int) -> Extent | None:
    """The farthest row and column any worksheet uses, or None when the worksheets unpack to more
    than max_xml_bytes (a zip bomb as much as a file too large). Raises zipfile.BadZipFile or
    KeyError for a file that is not a workbook; the caller's reader refuses those anyway."""
    rows = columns = total = 0
    with zipfile.ZipFile(source) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            tail = b""
            with zf.open(info) as part:
                while block := part.read(_CHUNK):
                    total += len(block)
                    if total > max_xml_bytes:
                        return None
                    data = tail + block
                    for m in _REF.finditer(data):
                        rows = max(rows, int(m.group(2)))
                        if m.group(1):
                            columns = max(columns, _column(m.group(1)))
                    tail = data[-_OVERLAP:]
    return Extent(rows=rows, columns=columns, xml_bytes=total)
