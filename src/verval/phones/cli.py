"""Stream numbers -> CSV verdicts in constant memory (backs `verval phones check`).

Input (bytes or text stream):
* one number a line (no header), or
* a CSV with a header row: the column named by `column`, or when `column` is None and the first
  line is a CSV header holding one of HEADER_NAMES (case-insensitive), that column. The
  delimiter of a CSV is taken from the header line: ';' or tab when present, else ','.

Output: CSV `input,e164,national,valid,reason,operator` with a header; `valid` is true/false;
empty fields for None. One output row per input line (per CSV record), in order.

Work is done in chunks of about CHUNK_LINES lines through the polars bulk path.
Nothing is logged; errors name columns, never numbers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import polars as pl

from .bulk import OUTPUT_COLUMNS, check_series

__all__ = ["iter_check_csv", "main", "HEADER_NAMES", "CHUNK_LINES", "BROKEN_PIPE"]

BROKEN_PIPE = 141  # the exit status of a process killed by SIGPIPE (128 + 13), as `head` expects

CHUNK_LINES = 1_000_000
# Read size (~300k numbers); a chunk is cut at the last newline of the block. Larger blocks
# spread the fixed cost of each check_series call: 4 MB measured ~10-15 % faster than 2 MB,
# at ~310 MB peak with the writer's chunk in flight (8 MB: no faster, 430 MB).
_BLOCK_BYTES = 4 << 20
HEADER_NAMES = (
    "nomor_telepon_seluler",
    "no_ponsel",
    "phone",
    "nomor_ponsel",
    "no_hp",
    "nomor_hp",
    "msisdn",
)
_BOM = b"\xef\xbb\xbf"


class ColumnNotFound(ValueError):
    pass


def _blocks(stream: IO[Any]) -> Any:
    """Yield byte blocks of about _BLOCK_BYTES that end on a line boundary."""
    src = getattr(stream, "buffer", stream)
    rest = b""
    while True:
        data = src.read(_BLOCK_BYTES)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data:
            if rest:
                yield rest
            return
        buf = rest + data
        cut = buf.rfind(b"\n")
        if cut < 0:
            rest = buf
            continue
        yield buf[: cut + 1]
        rest = buf[cut + 1 :]


def _split_lines(block: bytes, limit: int) -> list[bytes]:
    """Split a block into sub-blocks of at most `limit` lines (cut on newlines)."""
    if block.count(b"\n") <= limit:
        return [block]
    out = []
    start = 0
    n = len(block)
    while start < n:
        pos = start
        for _ in range(limit):
            pos = block.find(b"\n", pos)
            if pos < 0:
                pos = n
                break
            pos += 1
        out.append(block[start:pos])
        start = pos
    return out


def _sniff_header(line: str) -> tuple[str, list[str]]:
    sep = ";" if ";" in line and "," not in line else ("\t" if "\t" in line else ",")
    fields = next(csv.reader([line], delimiter=sep), [])
    return sep, [f.strip().strip("\ufeff").strip() for f in fields]


class _Writer:
    def __init__(self, out: IO[Any]) -> None:
        if hasattr(out, "buffer"):
            out.flush()
            self._target = out.buffer
            self._text = False
        else:
            self._target = out
            self._text = isinstance(out, io.TextIOBase)
        self._header = True

    def write(self, df: pl.DataFrame) -> None:
        buf = io.BytesIO()
        df.write_csv(buf, include_header=self._header)
        self._header = False
        data = buf.getvalue()
        if self._text:
            self._target.write(data.decode("utf-8"))
        else:
            self._target.write(data)

    def finish(self) -> None:
        if self._header:  # no input at all: still print the header
            self.write(pl.DataFrame(schema={c: pl.String for c in OUTPUT_COLUMNS}))
        self._target.flush()


def iter_check_csv(
    in_stream: IO[Any], out_stream: IO[Any], column: str | None = None, *, chunk_lines: int = CHUNK_LINES
) -> dict[str, Any]:
    """Check every number of in_stream, write CSV verdicts to out_stream. Returns counts:
    {'rows', 'valid', 'invalid', 'reasons': {code: n}, 'operators': {code: n}, 'mode', 'column'}.
    Raises ColumnNotFound (a ValueError) when `column` is not in the header."""
    writer = _Writer(out_stream)
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    operators: Counter[str] = Counter()

    def output(df: pl.DataFrame) -> None:
        writer.write(df)
        counts["rows"] += df.height
        nvalid = int(df.get_column("valid").sum())
        counts["valid"] += nvalid
        counts["invalid"] += df.height - nvalid
        for code, n in df.get_column("reason").drop_nulls().value_counts().iter_rows():
            reasons[code] += n
        for code, n in df.get_column("operator").drop_nulls().value_counts().iter_rows():
            operators[code] += n

    # One writer thread: the CSV of a chunk is written (polars releases the GIL) while the next
    # chunk is checked. At most one chunk waits, so memory stays bounded; order is kept.
    pool = ThreadPoolExecutor(max_workers=1)
    in_flight: list[Future[None]] = []

    def emit(values: pl.Series) -> None:
        df = check_series(values)
        while in_flight:
            in_flight.pop().result()  # re-raises a write error (a closed pipe, a full disk)
        in_flight.append(pool.submit(output, df))

    state = _ReadState()
    try:
        _read_all(in_stream, column, emit, chunk_lines, state)
        while in_flight:
            in_flight.pop().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    writer.finish()
    return {
        "rows": counts["rows"],
        "valid": counts["valid"],
        "invalid": counts["invalid"],
        "reasons": dict(sorted(reasons.items())),
        "operators": dict(sorted(operators.items())),
        "mode": state.mode,
        "column": state.chosen if state.mode == "csv" else None,
    }


@dataclass
class _ReadState:
    """What the reader found in the header: lines or CSV, and the column it chose."""

    mode: str = "lines"
    chosen: str | None = None


def _read_all(
    in_stream: IO[Any],
    column: str | None,
    emit: Callable[[pl.Series], None],
    chunk_lines: int,
    state: _ReadState,
) -> None:
    """Parse in_stream into Series of numbers, in order, handing each to emit."""
    mode = "lines"
    col_index = -1
    sep = ","
    chosen = column
    first = True
    pending = b""  # CSV mode: a record cut inside a quoted field waits for the next block

    for block in _blocks(in_stream):
        if first:
            first = False
            if block.startswith(_BOM):
                block = block[len(_BOM) :]
            nl = block.find(b"\n")
            head = (block if nl < 0 else block[:nl]).decode("utf-8", errors="replace").rstrip("\r")
            sep, fields = _sniff_header(head)
            lowered = [f.lower() for f in fields]
            if column is not None:
                if column.lower() not in lowered:
                    raise ColumnNotFound(f"kolom {column!r} tidak ada di baris judul / column not in header")
                col_index = lowered.index(column.lower())
                mode = "csv"
            else:
                for name in HEADER_NAMES:
                    if name in lowered:
                        col_index = lowered.index(name)
                        chosen = fields[col_index]
                        mode = "csv"
                        break
            state.mode, state.chosen = mode, chosen
            if mode == "csv":
                block = b"" if nl < 0 else block[nl + 1 :]
        if mode == "lines":
            for part in _split_lines(block, chunk_lines):
                if b"\x1f" not in part and part.count(b"\r") == part.count(b"\r\n"):
                    # polars splits lines natively: each line whole (no quoting), CRLF ok,
                    # an empty line becomes null -> '' (KOSONG), as in the Python path below.
                    df = pl.read_csv(
                        part,
                        has_header=False,
                        separator="\x1f",
                        quote_char=None,
                        infer_schema=False,
                        encoding="utf8-lossy",
                        new_columns=["input"],
                        raise_if_empty=False,
                    )
                    if df.width:
                        emit(df.to_series(0).alias("input"))
                    continue
                text = part.decode("utf-8", errors="replace")
                if "\r" in text:
                    text = text.replace("\r\n", "\n")
                lines = text.split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                emit(pl.Series("input", lines, dtype=pl.String))
        else:
            block = pending + block
            if block.count(b'"') % 2 and len(block) <= _MAX_QUOTED:
                pending = block  # cut inside a quoted field: keep for the next block
                continue
            pending = b""
            for part in _split_lines(block, chunk_lines) if b'"' not in block else [block]:
                if part.strip():
                    emit(_csv_column(part, sep, col_index))
    if pending.strip():  # unbalanced quote at end of input: parse what is there
        emit(_csv_column(pending, sep, col_index))


# A quoted field is a cell of a spreadsheet: past this size an open quote is a stray one
# (`"0812...` typed into a cell), and the block is read line by line instead of being held.
_MAX_QUOTED = 1 << 20


def _csv_column(part: bytes, sep: str, col_index: int) -> pl.Series:
    """The numbers column of a block of CSV records. Quotes that do not make CSV (a stray `"`
    before a number, a spreadsheet's leftover) make polars refuse the block, and its error
    message quotes the data: such a block is read line by line, quotes dropped, instead."""
    try:
        df = pl.read_csv(
            part,
            has_header=False,
            separator=sep,
            columns=[col_index],
            infer_schema=False,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        df = None
    if df is not None:
        return df.to_series(0).alias("input") if df.width else pl.Series("input", [], dtype=pl.String)
    values = []
    for line in part.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        fields = line.split(sep)
        values.append(fields[col_index].strip().strip('"') if col_index < len(fields) else "")
    return pl.Series("input", values, dtype=pl.String)


def main(argv: list[str] | None = None) -> int:
    """`python -m verval.phones.cli [--column NAME] [--json] < in > out`"""
    parser = argparse.ArgumentParser(
        prog="verval phones check",
        description="Nomor di stdin (satu per baris, atau CSV dengan --column) -> CSV di stdout: "
        "input,e164,national,valid,reason,operator",
    )
    parser.add_argument("--column", default=None, help="nama kolom nomor pada CSV berjudul")
    parser.add_argument("--json", action="store_true", help="ringkasan JSON ke stderr (baris terakhir)")
    args = parser.parse_args(argv)
    try:
        summary = iter_check_csv(sys.stdin, sys.stdout, args.column)
    except ColumnNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`verval phones check < f | head`): stop quietly, as Unix tools
        # do, and point stdout at /dev/null so that the interpreter's last flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - an error's text may quote the input: numbers
        print(
            f"verval phones check: masukan tidak dapat dibaca / input could not be read ({type(exc).__name__}); "
            "isi berkas tidak ditampilkan / the input is not shown",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(summary, sort_keys=True), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
