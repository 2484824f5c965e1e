"""Small builders for the registry tests."""

from __future__ import annotations

import io
import uuid
from typing import Any

from verval.registry.models import Recipient


def make_recipients(school: Any, n: int, *, start: int = 0, **fields: Any) -> list[Recipient]:
    """n active recipients with valid Telkomsel numbers 0812-2000-0000 + i (fast: bulk_create)."""
    rows = []
    for i in range(start, start + n):
        raw = f"08122{i:07d}"
        values = {
            "id": uuid.uuid4(),
            "kind": "PD",
            "category": "DIKDASMEN",
            "name": f"Siswa {i:05d}",
            "nisn": f"{40000000 + i:010d}",
            "grade": 1 + i % 6,
            "school": school,
            "phone_raw": raw,
            "phone_e164": "+62" + raw[1:],
            "operator": "telkomsel",
        }
        values.update(fields)
        rows.append(Recipient(**values))
    return Recipient.objects.bulk_create(rows)


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None, sheet: str = "Data") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if header is not None:
        ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
