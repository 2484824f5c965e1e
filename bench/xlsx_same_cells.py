"""Does a change to the Excel writer keep every cell (decision 0074)? Writes the same rows (both
benches' synthetic rows and a row of edge cases) with `core.spreadsheet.xlsx_report` of an older
checkout and of this one, reads both back with openpyxl (value, type, number format, bold) and
python-calamine, and says whether they are identical. Run it with and without lxml
(`OPENPYXL_LXML=False`) to compare openpyxl's two XML writers too.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/xlsx_same_cells.py --old /tmp/old/src --rows 3000
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")

EDGES = [
    1, "020500", '=HYPERLINK("x")', "", None, 2.5, "#N/A", " lead", "José", "-1", "@a", "+62", 0, "\tx",
]  # fmt: skip


def rows(n: int) -> Iterator[list[Any]]:
    import bench_behind_export
    import bench_xlsx_report

    yield EDGES
    yield from bench_behind_export.rows(n)
    yield from bench_xlsx_report.rows(n)


def cells(module: Any, n: int) -> Any:
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    report = module.xlsx_report(
        sheet="s", columns=[f"c{i}" for i in range(17)], rows=rows(n), widths=[10] * 17
    )
    data = report.read()
    report.close()
    wb = load_workbook(io.BytesIO(data))
    typed = [
        [(c.value, c.data_type, c.number_format, bool(c.font.b)) for c in row]
        for ws in wb.worksheets
        for row in ws.iter_rows()
    ]
    return typed, CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True, help="the src directory of the older checkout")
    parser.add_argument("--rows", type=int, default=3000, help="rows of each bench")
    args = parser.parse_args()
    import django

    django.setup()
    import openpyxl.xml

    from verval.core import spreadsheet

    spec = importlib.util.spec_from_file_location(
        "old_spreadsheet", Path(args.old) / "verval/core/spreadsheet.py"
    )
    assert spec and spec.loader
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    before, after = cells(old, args.rows), cells(spreadsheet, args.rows)
    digest = hashlib.sha256(json.dumps(after, default=str).encode()).hexdigest()[:16]
    verdict = "identical" if before == after else "DIFFERENT"
    print(f"lxml {openpyxl.xml.LXML}: {len(after[0])} rows {verdict}, cells digest {digest}")
    sys.exit(0 if before == after else 1)


if __name__ == "__main__":
    main()
