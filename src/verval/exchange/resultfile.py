"""Reading a CSV result file that a provider sends (match results, injection results...).

Generic and reusable: give it the column names, get (line, values) tuples for well-formed rows.
Structural problems refuse the file whole (JobRefused); a row with the wrong number of columns is
a RowIssue. A row may leave off optional columns at the end of the header (they read as empty).
Accepts plain or gzip-compressed UTF-8 (with or without BOM). A file that does not end with a line
break is cut off (BERKAS_TERPOTONG), whatever its last row looks like.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from isal import igzip, isal_zlib

from verval.core.jobs import JobRefused, RowIssue
from verval.core.logging import masked_value as masked_text
from verval.exchange.reasons import REFUSALS
from verval.phones import mask


@dataclass(frozen=True)
class FileSpec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


MATCH_RESULTS = FileSpec(required=("pd_id", "no_ponsel", "status"), optional=("keterangan",))

# A file refused whole keeps this many of its refused rows in its report (the first, by line);
# its counts still give the total and the number per code. Decision 0010: a junk upload once
# stored 1.47 M report rows; an accepted file keeps every one (at most the refusal share).
REFUSED_FILE_ISSUES_KEPT = 10_000


def refused(code: str, *, texts: tuple[str, str] | None = None, **counts: object) -> JobRefused:
    """The whole file refused with `code`; `texts` words it more precisely than the code's own."""
    msg, msg_en = texts or REFUSALS[code]
    return JobRefused(code=code, message=msg, message_en=msg_en, counts=dict(counts))


# A file that does not end with a line break was cut off on its way (an interrupted upload or
# copy): its last row may look complete (`…,TIDAK_AK` is one more refused status, a shortened
# `keterangan` passes), so the whole file is refused, whatever that row holds (decision
# 0016; docs/api.md). The kit, polars and Python's csv end the last row with a line break.
NO_LINE_END = (
    "Berkas terpotong: baris terakhir tidak diakhiri ganti baris. "
    "Berkas yang lengkap harus diakhiri ganti baris (line break).",
    "The file is cut off: its last line has no line end. A complete file must end with a line break.",
)
LINE_ENDS = (b"\n", b"\r")
# What igzip raises for a broken deflate stream (isal's type stubs declare its error class as an
# instance, hence the cast).
_ISAL_ERROR = cast("type[Exception]", isal_zlib.error)


# A gzip stream that ends early or holds a broken block: the code's own text ("last row
# incomplete") sent providers to look for a short row in a file whose rows were all whole.
BROKEN_GZIP = (
    "Berkas gzip terpotong atau rusak: isinya tidak dapat dibuka sampai akhir. Kirim ulang berkas yang utuh.",
    "The gzip file is cut off or damaged: it cannot be unpacked to its end. Send the complete file again.",
)


def refused_no_line_end() -> JobRefused:
    return JobRefused(code="BERKAS_TERPOTONG", message=NO_LINE_END[0], message_en=NO_LINE_END[1])


# A body without a single line break reads as one header holding every row. That is what `curl
# -d @hasil.csv` sends (it drops the line breaks); named as such rather than as a header of
# hundreds of unknown columns, which sends the provider to fix a header that is right.
ONE_LINE = (
    "Berkas terpotong: berkas tidak memuat satu pun ganti baris, sehingga seluruh isinya terbaca "
    "sebagai satu baris judul. Jika dikirim dengan curl -d, kirim ulang dengan --data-binary "
    "@berkas.csv (curl -d membuang ganti baris).",
    "The file is cut off: it holds no line break at all, so all of it reads as one header line. "
    "Sent with curl -d? Send it again with --data-binary @file.csv (curl -d drops the line breaks).",
)


def refused_one_line() -> JobRefused:
    return JobRefused(code="BERKAS_TERPOTONG", message=ONE_LINE[0], message_en=ONE_LINE[1])


def issue(line: int, column: str, code: str, value: str = "") -> RowIssue:
    """A refused row. Its value is stored, answered and put in the report, so a number in it is
    masked whatever the column (a provider that puts its numbers in the wrong column, as pd_id or
    status, say); called per refused row only, never per row read."""
    msg, msg_en = REFUSALS[code]
    return RowIssue(
        line=line, column=column, code=code, message=msg, message_en=msg_en, value=masked_text(value)
    )


# Column names shown in a KOLOM_SALAH message: at most this many, each cut to this length (a
# file without its header row gives its first data row as names: ids, a number, free text).
HEADER_NAMES_SHOWN = 10
HEADER_NAME_CHARS = 40


def expected_header(spec: FileSpec) -> str:
    """The header as the format reads: `pd_id,no_ponsel,status[,keterangan]`."""
    head = ",".join(spec.required)
    return head + (f"[,{','.join(spec.optional)}]" if spec.optional else "")


def _names_shown(names: list[str]) -> str:
    shown = [masked_text(n)[:HEADER_NAME_CHARS] if n else '""' for n in names[:HEADER_NAMES_SHOWN]]
    more = len(names) - HEADER_NAMES_SHOWN
    return ", ".join(shown) + (f", … (+{more})" if more > 0 else "")


def first_line_not_utf8(path: Path) -> tuple[int, bool]:
    """(the first line that is not UTF-8, whether the file starts with a UTF-16 byte order mark),
    or (0, …) when every line reads. Read again only once a file has been refused: the text layer
    decodes in blocks, so the line it was on when it failed is not the line that failed."""
    with gzip.open(path, "rb") if is_gzip(path) else open(path, "rb") as fh:  # noqa: SIM115
        first = True
        for number, raw in enumerate(fh, start=1):
            if first and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                return number, True
            first = False
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number, False
    return 0, False


def refused_encoding(path: Path) -> JobRefused:
    """ENCODING_SALAH naming the first line that is not UTF-8 (a provider with a million rows
    could not find one accented `keterangan` written as Windows-1252) or saying the file is
    UTF-16, and how to save it again."""
    msg, msg_en = REFUSALS["ENCODING_SALAH"]
    try:
        line, utf16 = first_line_not_utf8(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        line, utf16 = 0, False
    if utf16:
        msg += ' Berkas ini UTF-16 (Excel: "Teks Unicode").'
        msg_en += ' This file is UTF-16 (Excel: "Unicode Text").'
    elif line:
        msg += f" Baris {line} memuat karakter yang tidak sah dalam UTF-8 (misalnya disimpan sebagai Windows-1252/ANSI)."
        msg_en += f" Line {line} holds characters that are not valid UTF-8 (saved as Windows-1252/ANSI, say)."
    msg += " Simpan ulang berkas sebagai CSV UTF-8."
    msg_en += " Save the file again as CSV UTF-8."
    return JobRefused(code="ENCODING_SALAH", message=msg, message_en=msg_en)


def refused_header(names: list[str], spec: FileSpec) -> JobRefused:
    """KOLOM_SALAH naming what is wrong with the header: the columns the format does not know,
    the required ones it lacks, the ones it holds twice, and the header expected (Indonesian and
    English). The names are shown as sent, cut short and with any number in them masked."""
    unexpected = [n for n in dict.fromkeys(names) if n not in spec.columns]
    missing = [c for c in spec.required if c not in names]
    twice = [n for n in dict.fromkeys(names) if n in spec.columns and names.count(n) > 1]
    msg, msg_en = REFUSALS["KOLOM_SALAH"]
    parts, parts_en = [msg], [msg_en]
    if unexpected:
        parts.append(f"Kolom tidak dikenal: {_names_shown(unexpected)}.")
        parts_en.append(f"Unexpected column(s): {_names_shown(unexpected)}.")
    if missing:
        parts.append(f"Kolom wajib yang tidak ada: {', '.join(missing)}.")
        parts_en.append(f"Missing column(s): {', '.join(missing)}.")
    if twice:
        parts.append(f"Kolom ganda: {', '.join(twice)}.")
        parts_en.append(f"Duplicate column(s): {', '.join(twice)}.")
    parts.append(f"Judul yang diharapkan: {expected_header(spec)}")
    parts_en.append(f"Expected header: {expected_header(spec)}")
    return JobRefused(code="KOLOM_SALAH", message=" ".join(parts), message_en=" ".join(parts_en))


def masked_value(phone: str) -> str:
    """The value of a number column in a report: masked like every number shown, and never
    empty for a non-empty value ('abc' has no digit to show: one '*' per character)."""
    shown = mask(phone)
    return shown or "*" * min(len(phone.strip()), 40)


def header_fits(names: list[str], spec: FileSpec) -> bool:
    """The (stripped, lower-cased) header names are the spec's columns: each required one, no
    unknown one, none twice."""
    return (
        all(n in spec.columns for n in names)
        and all(r in names for r in spec.required)
        and len(set(names)) == len(names)
    )


def read_whole(path: Path, limit: int) -> bytes | None:
    """The whole file as bytes (gunzipped, every member, without a BOM), or None when it holds
    more than `limit` bytes or is not a readable gzip stream: callers then read it row by row."""
    try:
        with igzip.open(path, "rb") if is_gzip(path) else open(path, "rb") as fh:  # noqa: SIM115
            data = fh.read(limit + 1)
    except (OSError, EOFError, zlib.error, _ISAL_ERROR):
        # isal's error for a broken deflate stream is not a zlib.error: uncaught, a corrupt gzip
        # body failed the ingest (500) instead of being refused (BERKAS_TERPOTONG).
        return None
    return None if len(data) > limit else data.removeprefix(b"\xef\xbb\xbf")


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


class LastByte(io.BufferedIOBase):
    """A binary stream passed through unchanged that remembers the last byte read. Whether a
    file ends with a line break is then known once it has been read: no second pass (which a
    gzip file would have to unpack again) and no work per row, as the text layer above reads in
    blocks."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self.last = b""

    @property
    def name(self) -> str:
        return str(getattr(self._raw, "name", ""))

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._seen(self._raw.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        return self._seen(self._raw.read1(size))  # type: ignore[attr-defined]

    def _seen(self, data: bytes) -> bytes:
        if data:
            self.last = data[-1:]
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_text(path: Path) -> tuple[io.TextIOBase, LastByte]:
    """The file as text, and the stream under it that tells its last byte once it is read."""
    raw = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")  # noqa: SIM115
    tail = LastByte(raw)  # type: ignore[arg-type]
    return io.TextIOWrapper(tail, encoding="utf-8-sig", newline=""), tail


def iter_rows(path: Path, spec: FileSpec, issues: list[RowIssue]) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, [values in spec.columns order]) for each well-formed data row.

    A row may stop before optional columns that close the header (SPEC §7 `[,keterangan]`);
    they read as empty. Rows with more fields, or fewer than the required ones, are appended to
    `issues` (JUMLAH_KOLOM), except the last row of the file, which then means the file was cut
    off (refused whole), as does a file that does not end with a line break.
    """
    try:
        text, tail = open_text(path)
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise refused("BERKAS_KOSONG") from None
        names = [h.strip().lower() for h in header]
        if len(names) == 1 and re.search(r"[;\t|]", header[0]):
            raise refused("PEMISAH_SALAH")
        if not header_fits(names, spec):
            one_line = next(reader, None) is None and tail.last not in LINE_ENDS
            if one_line and len(names) > len(spec.columns):  # rows glued on, not a short header
                raise refused_one_line()
            raise refused_header(names, spec)
        width = len(names)
        least = max(names.index(c) for c in spec.required) + 1
        order = [names.index(c) if c in names else -1 for c in spec.columns]
        identity = order[:width] == list(range(width)) and all(o == -1 for o in order[width:])
        pad = [""] * (len(spec.columns) - width)

        def shape(values: list[str]) -> list[str]:
            if len(values) < width:
                values = values + [""] * (width - len(values))
            if identity:
                return values + pad if pad else values
            return [values[i] if i >= 0 else "" for i in order]

        pending: tuple[int, list[str]] | None = None
        data_rows = 0
        for row in reader:
            if pending is not None:
                line, prev = pending
                if least <= len(prev) <= width:
                    yield line, shape(prev)
                elif prev != []:
                    issues.append(issue(line, "", "JUMLAH_KOLOM", str(len(prev))))
            if not row:
                pending = None
                continue
            data_rows += 1
            pending = (reader.line_num, row)
        if data_rows and tail.last not in LINE_ENDS:
            raise refused_no_line_end()
        if pending is not None:
            line, prev = pending
            if not least <= len(prev) <= width:
                raise refused("BERKAS_TERPOTONG")
            yield line, shape(prev)
        if data_rows == 0:
            raise refused("BERKAS_KOSONG")
    except UnicodeDecodeError:
        raise refused_encoding(path) from None
    except (EOFError, zlib.error, gzip.BadGzipFile):
        raise refused("BERKAS_TERPOTONG", texts=BROKEN_GZIP) from None
    except csv.Error:
        raise refused("BERKAS_TERPOTONG") from None
