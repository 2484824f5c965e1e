"""Small cutoff files written row by row for the import tests."""

from __future__ import annotations

import uuid
from pathlib import Path

HEADER = [
    "jenis", "id", "nama", "nisn", "nik", "tingkat_pendidikan", "bentuk_pendidikan", "npsn",
    "nama_sekolah", "kode_wilayah", "nomor_telepon_seluler", "status_sekolah",
]  # fmt: skip

NPSN = "20212345"
NPSN2 = "20298765"


def uid(n: int, prefix: str = "a") -> str:
    return str(uuid.UUID(int=n + (0xA << 120 if prefix == "a" else 0xB << 120)))


def student(n: int, **kw: str) -> dict[str, str]:
    row = {
        "jenis": "PD",
        "id": uid(n),
        "nama": f"Siswa {n}",
        "nisn": f"{30000000 + n:010d}",
        "nik": "",
        "tingkat_pendidikan": str(1 + n % 6),
        "bentuk_pendidikan": "SD",
        "npsn": NPSN,
        "nama_sekolah": "SD NEGERI 1 NANGGUNG",
        "kode_wilayah": "020501",
        "nomor_telepon_seluler": f"0812{10000000 + n:08d}",
        "status_sekolah": "N",
    }
    row.update(kw)
    return row


def teacher(n: int, **kw: str) -> dict[str, str]:
    row = {
        "jenis": "PTK",
        "nisn": "",
        "tingkat_pendidikan": "",
        "id": uid(n, "b"),
        "nama": f"Guru {n}, S.Pd.",
    }
    row.update(kw)
    return student(n, **row)


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None, sep: str = ",") -> str:
    header = header or HEADER
    out = [sep.join(header)]
    for r in rows:
        cells = []
        for h in header:
            v = r.get(h, "")
            cells.append(f'"{v}"' if ("," in v or '"' in v or "\n" in v) else v)
        out.append(sep.join(cells))
    return "\n".join(out) + "\n"


def write(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8", **kw) -> Path:  # type: ignore[no-untyped-def]
    path.write_bytes(csv_text(rows, **kw).encode(encoding))
    return path


def many(n: int, start: int = 0, **kw: str) -> list[dict[str, str]]:
    return [student(i, **kw) for i in range(start, start + n)]


def write_xlsx(path: Path, rows: list[dict[str, str]], header: list[str] | None = None, **cells: str) -> Path:
    """An XLSX cutoff (header in row 1, one row per dict); `cells` sets single cells, A1 style."""
    from openpyxl import Workbook

    header = header or HEADER
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h, "") for h in header])
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return path
