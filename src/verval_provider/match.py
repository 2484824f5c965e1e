"""Match a dump against the provider's subscriber export (file to file, polars).

Dump: CSV or CSV.gz `pd_id,tingkat_pendidikan,npsn,no_ponsel` (no_ponsel like 6281234567890,
+6281234567890 or 081234567890: the provider's format; results give it back as the dump has it).
Subscribers: CSV (or .gz) `msisdn,status`, status active | grace | inactive | not_subscriber;
a number absent from the export is TIDAK_TERDAFTAR. Results: CSV `pd_id,no_ponsel,status`
(gzip when the name ends in .gz), one row per dump row, in the dump's order.

How, and why this way (docs/decisions/0007-kit-matcher.md):
- numbers are joined as 64-bit integers, not strings: hashing strings was half the time;
- the dump is decompressed (ISA-L when the `isal` wheel is there, else zlib) in a thread while
  the main thread parses the pieces already out, so parsing costs no extra wall time; a dump of
  a few MB is unpacked and parsed in one go, which is cheaper than the hand-over;
- the subscriber export, which may be the provider's whole base (tens of millions of rows), is
  scanned with polars' streaming engine through one hash join built on the dump's numbers; a
  number listed more than once keeps its best state (one sort of row * 8 + rank).

A dump or export that does not end with a line break is cut off and refused (the server ends
every dump with one). Messages never quote a phone number: what comes from the files (a status,
polars' own text) is masked, and a file the kit cannot parse is named with its bad line.
"""

from __future__ import annotations

import csv
import queue
import re
import threading
import time
import zlib
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

STATUS_MAP = {
    "active": "AKTIF",
    "grace": "MASA_TENGGANG",
    "inactive": "TIDAK_AKTIF",
    "not_subscriber": "BUKAN_PELANGGAN",
}
ABSENT = "TIDAK_TERDAFTAR"
# When a number appears more than once in the export, the best state wins (lowest rank).
_RANK = {"active": 1, "grace": 2, "inactive": 3, "not_subscriber": 4}
_NAMES = [ABSENT, *(STATUS_MAP[k] for k in sorted(_RANK, key=_RANK.__getitem__))]
_STATUS_RANKS = {form: r for k, r in _RANK.items() for form in (k, k.upper(), k.title())}
# Compressed bytes read at a time. A dump larger than _WHOLE_UP_TO is unpacked in a thread while
# the pieces already out are parsed; 1 MB pieces start that overlap sooner than 4 MB ones (six
# provider dumps of 1 M rows together: 0.165 s instead of 0.22 s).
_CHUNK = 1 << 20
_WHOLE_UP_TO = 4 << 20
# A dump this large of which fewer than this share of the numbers are in the export is refused
# (see match()). In 2020 57 % of the valid numbers were active, so a right export finds most:
# even if only half of a batch were in it, 20 rows with at most one found would happen about
# twice in 100,000 batches, while a later batch of a few dozen changed numbers is the usual
# case once the first dump is answered (100 rows let a wrong export answer those unnoticed).
LOW_MATCH_MIN_ROWS = 20
LOW_MATCH_SHARE = 0.10


class MatchError(ValueError):
    """A dump or subscriber file the matcher cannot read (message says which and why)."""


# A run of 7 or more digits, alone or with single spaces, dots or dashes between them: every
# phone number however written (and also an NPSN or a pd_id's digits, which costs nothing).
_PHONE_LIKE = re.compile(r"\+?\d(?:[ .\-]?\d){6,}")


def _mask(text: str) -> str:
    """Text from a file, fit for a message: each phone-like run keeps its first and last four
    digits (two for 7-9 digits), as the server's mask does. The kit must run without the
    server's code (docs/provider-kit.md, install B), so it cannot import verval.phones.mask."""

    def hide(found: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", found.group())
        keep = 4 if len(digits) >= 10 else 2
        return digits[:keep] + "*" * (len(digits) - 2 * keep) + digits[-keep:]

    return _PHONE_LIKE.sub(hide, text)


# A dump cut inside its last number would be matched as a shorter number and answered
# TIDAK_TERDAFTAR; an export cut inside its last row would give that number a shortened status
# (`ac`), or none. The server ends every dump with a line break, polars every export it writes.
_DUMP_CUT_OFF = (
    "cut off: its last line has no line end (the server ends every dump with a line break); download it again"
)
_EXPORT_CUT_OFF = (
    "cut off: its last line has no line end (a complete export ends with a line break); "
    "export it again, or add the line break if nothing is missing"
)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


_NOT_GZIP = "not a gzip file, though its name ends in .gz"


def _decompressor() -> Any:
    try:
        from isal import isal_zlib

        return isal_zlib.decompressobj(wbits=31)
    except ImportError:  # the kit also runs with the standard library's zlib, slower
        return zlib.decompressobj(wbits=31)


def _gunzip(fh: Any) -> Iterator[bytes]:
    """Decompressed blocks of a gzip file, every member of it (`cat a.gz b.gz` is one valid gzip
    file; a single decompressor stops after the first member and would drop the rest). A file
    cut off inside a member raises MatchError instead of passing for complete."""
    dec = _decompressor()
    started = False
    while block := fh.read(_CHUNK):
        while block:
            started = True
            out = dec.decompress(block)
            if out:
                yield out
            if not dec.eof:
                break
            block, dec, started = dec.unused_data, _decompressor(), False
    tail = dec.flush()
    if tail:
        yield tail
    if started and not dec.eof:
        raise MatchError("gzip file ends in the middle of its data (cut off?)")


def _blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            fh.seek(0)
            yield from _gunzip(fh)
            return
        fh.seek(0)
        while block := fh.read(_CHUNK):
            yield block


def _pieces(path: Path, out: queue.Queue[bytes | BaseException | None], stop: threading.Event) -> None:
    """Producer: whole lines of the (decompressed) dump, in order, then None. Stops early when
    the consumer gives up (a bad header, say) and sets `stop`."""
    try:
        rest = b""
        for block in _blocks(path):
            if stop.is_set():
                return
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if cut:
                out.put(data[:cut])
            rest = data[cut:]
        if rest:
            raise MatchError(_DUMP_CUT_OFF)
        out.put(None)
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
        out.put(exc)


def _dump_pieces(path: Path) -> Generator[bytes, None, None]:
    """Whole lines of the dump, in order. A small file is unpacked in one go: for it the
    thread and the piecewise parse cost more than they overlap (a 40 k-row dump: 12 ms in
    pieces, 8 ms whole)."""
    if path.stat().st_size <= _WHOLE_UP_TO:
        data = b"".join(_blocks(path))
        if data and not data.endswith(b"\n"):
            raise MatchError(_DUMP_CUT_OFF)
        if data:
            yield data
        return
    pieces: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)
    stop = threading.Event()
    producer = threading.Thread(target=_pieces, args=(path, pieces, stop), name="dump-gunzip", daemon=True)
    producer.start()
    try:
        while (piece := pieces.get()) is not None:
            if isinstance(piece, BaseException):
                raise piece
            yield piece
    finally:
        # Also when the reader stops early: free a put() the thread may wait in, so that it sees
        # `stop` and ends instead of holding the file and its buffers for the life of a `sync`.
        stop.set()
        while producer.is_alive():
            try:
                pieces.get_nowait()
            except queue.Empty:
                producer.join(0.01)


def _read_dump(path: Path) -> tuple[Any, bool]:
    """pd_id, no_ponsel (strings) and k (no_ponsel as an integer, null when not digits); and
    whether the unpacked dump holds no quote mark and no carriage return, so that no field read
    from it can hold a comma, a quote mark or a line break (see _write)."""
    import polars as pl

    if path.name.endswith(".gz") and not _is_gzip(path):
        # Read as text, a compressed file of another kind (zip, say) or a saved error page
        # would be refused for its header, or for its last line, which says nothing useful.
        raise MatchError(
            f"dump {path.name}: {_NOT_GZIP} (the server sends every dump gzip-compressed: download it again)"
        )
    frames = []
    header: list[str] | None = None
    wanted: list[int] = []
    plain = True
    # closing(): the unpacking thread stops as soon as this loop leaves, error or not.
    with closing(_dump_pieces(path)) as pieces:
        while True:
            try:
                piece = next(pieces, None)
            except MatchError as exc:
                raise MatchError(f"dump {path.name}: {exc}") from exc
            except Exception as exc:
                raise MatchError(f"dump {path.name}: cannot read ({type(exc).__name__})") from exc
            if piece is None:
                break
            # memchr over bytes already in memory: ~0.05 s for a 5.5 M-row dump.
            plain = plain and b'"' not in piece and b"\r" not in piece
            if header is None:
                nl = piece.find(b"\n")
                try:
                    text = piece[:nl].decode("utf-8")
                except UnicodeDecodeError:
                    raise MatchError(f"dump {path.name}: line 1 is not UTF-8 text") from None
                header = [h.strip().lstrip("\ufeff") for h in text.rstrip("\r").split(",")]
                missing = {"pd_id", "no_ponsel"} - set(header)
                if missing:
                    # The usual cause is the two files swapped, or another CSV given as the dump:
                    # the message says which file --dump takes (decision 0100).
                    shown = _mask(",".join(header))[:120]
                    raise MatchError(
                        f"dump {path.name}: header lacks {', '.join(sorted(missing))} (header is {shown!r}): "
                        "--dump takes the dump batch file the server sends (DMP-....csv.gz, "
                        "pd_id,tingkat_pendidikan,npsn,no_ponsel); your export goes to --subscribers"
                    )
                wanted = [header.index("pd_id"), header.index("no_ponsel")]
                piece = piece[nl + 1 :]
            if piece.strip():
                frames.append(
                    pl.read_csv(
                        piece,
                        has_header=False,
                        new_columns=header,
                        columns=wanted,
                        infer_schema=False,
                        quote_char='"',
                    )
                )
    if header is None:
        raise MatchError(f"dump {path.name}: empty file")
    dump = pl.concat(frames) if frames else pl.DataFrame(schema={"pd_id": pl.String, "no_ponsel": pl.String})
    # The server writes the number in the provider's format (decision 0027): 6281234567890,
    # +6281234567890 (the integer cast takes the +) or 081234567890; no_ponsel stays as written.
    # Anything else cannot match and comes back TIDAK_TERDAFTAR.
    k = pl.col("no_ponsel").cast(pl.Int64, strict=False)
    if dump.get_column("no_ponsel").str.starts_with("0").any():  # ~4 ms a million rows
        # The cast read 081234567890 as 81234567890: 62 goes in front, by the number's length.
        # (_international's ranges cost ~0.1 s a million rows, this ~0.02 s; lengths past 15 are
        # no number and only kept from overflowing.)
        digits = (pl.col("no_ponsel").str.len_bytes().cast(pl.Int64) - 1).clip(0, 15)
        k = (
            pl.when(pl.col("no_ponsel").str.starts_with("0"))
            .then(k + 62 * pl.lit(10, dtype=pl.Int64).pow(digits))
            .otherwise(k)
        )
    return dump.with_columns(k.alias("k")), plain


def _subscriber_ranks(path: Path, keys: Any, scratch: Path) -> tuple[Any, dict[str, Any]]:
    """The best rank (Int8; 0 = not in the export) of each dump row, in the dump's order, and the
    export's msisdn values the kit cannot read (count, first lines, by kind).
    keys: the dump's numbers as integers (null when not digits)."""
    if not _is_gzip(path):
        if path.name.endswith(".gz"):
            raise MatchError(f"subscribers {path.name}: {_NOT_GZIP} (compress it with gzip, or name it .csv)")
        return _plain_subscriber_ranks(path, keys, path.name)
    # polars' scanner reads plain files; unpack once next to the output, streamed. Gzip is told
    # by its first bytes, not the name: an export job's `.csv` is often compressed on the way
    # (the dump is read the same way), and read as text it would pass for UTF-16.
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    plain = scratch / (_scratch_name(name) + ".unpacked")
    try:
        try:
            with open(plain, "wb") as dst:
                for block in _blocks(path):
                    dst.write(block)
        except MatchError as exc:
            raise MatchError(f"subscribers {path.name}: {exc}") from exc
        return _plain_subscriber_ranks(plain, keys, path.name)
    finally:
        plain.unlink(missing_ok=True)


def _export_header(path: Path, name: str) -> list[str]:
    """The export's column names as polars reads them; a MatchError that says what is wrong with
    the file when its first line is not a UTF-8 header with msisdn and status."""
    with path.open("rb") as fh:
        first = fh.readline()
    wrong = f"subscribers {name}: "
    try:
        names = first.decode("utf-8").rstrip("\r\n").lstrip("\ufeff").split(",")
    except UnicodeDecodeError:
        names = []
    if not {"msisdn", "status"} <= {_unquoted(h).strip().lower() for h in names}:
        if first.startswith(b"PK\x03\x04"):  # .xlsx, .ods and .zip are all ZIP archives
            raise MatchError(
                wrong + "a spreadsheet or ZIP archive, not a CSV: save it as CSV (comma-separated, UTF-8)"
            )
        if first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
            raise MatchError(wrong + "not UTF-8 text (it looks like UTF-16): save it as a UTF-8 CSV")
        if not names:
            raise MatchError(wrong + "line 1 is not UTF-8 text: save the file as a UTF-8 CSV")
        expected = "expected a header with msisdn,status"
        if len(names) == 1 and re.search(r"[;\t|]", names[0]):
            # A spreadsheet saved with its locale's separator: the columns are all there, joined.
            raise MatchError(wrong + f"not comma-separated ({expected}): save it as a comma-separated CSV")
        shown = _mask(",".join(h.strip() for h in names))[:120]
        raise MatchError(wrong + f"header is {shown!r}, {expected} (the first line names the columns)")
    return names


def _unquoted(name: str) -> str:
    """A header name as polars reads it: a tool that quotes every field writes `"msisdn"`."""
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name


def _scan_export(path: Path, names: list[str], *, lines: bool = False, raw: bool = False) -> Any:
    """The export as a lazy frame of k (the msisdn as an international integer, null when it is
    not one), status and no_msisdn (true where polars read no msisdn at all: a blank line, or an
    empty field); with `lines` its line numbers (a quoted field that spans lines would shift them:
    asked for only to name a bad line), with `raw` the msisdn as written (only to say what kind
    of value a bad line holds, never to show it)."""
    import polars as pl

    scan = pl.scan_csv(path, infer_schema=False, row_index_name="line" if lines else None, row_index_offset=2)
    # Digits with an optional leading + (polars' integer cast takes exactly that). A number typed
    # with spaces or dashes (`0812 3456 7890`, `+62 812-3456-7890`, a space around the value) is
    # read without them: left null it would come back TIDAK_TERDAFTAR, a wrong answer that a later
    # correction cannot undo (refused as contradicting it). Only the values the cast refuses are
    # cleaned, so a clean export costs what it did (10 M rows: the same CPU seconds, decision
    # 0100). A float that is exactly an integer (`6281234567890.0`, `.00`: a spreadsheet's or
    # pandas' float column) is read as that integer when its integer part has at most 15 digits
    # (E.164's longest number): such a float holds it exactly (below 2^53) and prints its digits
    # unchanged, so nothing is guessed (decision 0106). Scientific notation (`6.28123E+12`) has
    # lost digits and any other decimal is not a number: both stay null, and are counted.
    digits = pl.col("msisdn").cast(pl.Int64, strict=False)
    cleaned = (
        pl.col("msisdn")
        .str.replace_all(r"[\s\-]", "")
        .str.replace(r"^(\+?\d{1,15})\.0+$", "${1}")
        .cast(pl.Int64, strict=False)
    )
    # Read first, then made international in a second step: inside _international's dozen
    # comparisons the read was evaluated once per comparison (10 M rows: +0.2 CPU seconds).
    return (
        scan.rename({_unquoted(h): _unquoted(h).strip().lower() for h in names})
        .select(
            *(["line"] if lines else []),
            *(["msisdn"] if raw else []),
            pl.when(digits.is_null()).then(cleaned).otherwise(digits).alias("k"),
            pl.col("status"),
            pl.col("msisdn").is_null().alias("no_msisdn"),
        )
        .with_columns(_international(pl.col("k")).alias("k"))
    )


# How many first lines of the export's unreadable values a message and the JSON name.
UNREADABLE_LINES = 5
# An unreadable msisdn, by kind: what the engineer does about it differs. Scientific notation is
# what a spreadsheet shows (and saves) for a long number in a General cell: its digits are lost.
_SCIENTIFIC = r"^[+]?(\d+[.,]?\d*|[.,]\d+)[eE][+]?\d+$"
UNREADABLE_KINDS = ("scientific_notation", "empty", "other")


def _unreadable(scan: Any) -> Any:
    """The rows of a scan of _scan_export whose msisdn the kit cannot read as a number: k null,
    except a line polars read as neither msisdn nor status (a blank line, which holds no value)."""
    import polars as pl

    return scan.filter(pl.col("k").is_null()).filter(~(pl.col("no_msisdn") & pl.col("status").is_null()))


def _no_unreadable() -> dict[str, Any]:
    return {"count": 0, "first_lines": [], "by_kind": dict.fromkeys(UNREADABLE_KINDS, 0)}


def _unreadable_lines(path: Path, names: list[str]) -> dict[str, Any]:
    """How many msisdn values of the export the kit cannot read, by kind, and the first lines that
    hold one (the export is scanned again with line numbers: only when the match found some).
    Never the values: they are phone numbers, or were meant to be."""
    import polars as pl

    value = pl.col("msisdn").str.replace_all(r"[\s\-]", "")
    kind = (
        pl.when(pl.col("msisdn").is_null() | (value == ""))
        .then(pl.lit("empty"))
        .when(value.str.contains(_SCIENTIFIC))
        .then(pl.lit("scientific_notation"))
        .otherwise(pl.lit("other"))
    )
    bad = (
        _unreadable(_scan_export(path, names, lines=True, raw=True))
        .select("line", kind.alias("kind"))
        .collect(engine="streaming")
    )
    found = dict(bad.get_column("kind").value_counts().iter_rows())
    return {
        "count": bad.height,
        "first_lines": bad.get_column("line").sort().head(UNREADABLE_LINES).to_list(),
        "by_kind": {k: found.get(k, 0) for k in UNREADABLE_KINDS},
    }


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def _line_list(unreadable: dict[str, Any], sep: str) -> str:
    lines = ", ".join(_grouped(n, sep) for n in unreadable["first_lines"])
    return lines + (", …" if unreadable["count"] > len(unreadable["first_lines"]) else "")


def unreadable_summary(unreadable: dict[str, Any]) -> str:
    """One short English clause for a summary line: `3 msisdn values of the export unreadable
    (lines 5, 9, 12)`; empty when there are none."""
    n = unreadable["count"]
    if not n:
        return ""
    return f"{_grouped(n, ',')} msisdn value{'s' if n != 1 else ''} of the export unreadable (line{'s' if n != 1 else ''} {_line_list(unreadable, ',')})"


def unreadable_warning(unreadable: dict[str, Any], export: str, *, sent: bool) -> list[str]:
    """The warning about an export's unreadable msisdn values, in Indonesian then English (one
    line each, as the kit's other two-language lines): how many, of which kind, the first lines,
    what it did to the answers and what to do. No value is quoted. Empty when there are none.
    `sent`: the answers have been uploaded (sync), not only written (match)."""
    n = unreadable["count"]
    if not n:
        return []
    kinds = unreadable["by_kind"]
    id_kinds, en_kinds = [], []
    if kinds.get("scientific_notation"):
        k = kinds["scientific_notation"]
        id_kinds.append(
            f"{_grouped(k, '.')} dalam notasi ilmiah (seperti 6,28E+12: digitnya sudah hilang; format kolom "
            "sebagai angka tanpa desimal atau sebagai teks, lalu ekspor ulang)"
        )
        en_kinds.append(
            f"{_grouped(k, ',')} in scientific notation (like 6.28E+12: its digits are lost; format the column "
            "as a number without decimals or as text, and export again)"
        )
    if kinds.get("empty"):
        id_kinds.append(f"{_grouped(kinds['empty'], '.')} kosong")
        en_kinds.append(f"{_grouped(kinds['empty'], ',')} empty")
    if kinds.get("other"):
        id_kinds.append(f"{_grouped(kinds['other'], '.')} lainnya (huruf, tanda kurung, desimal selain .0)")
        en_kinds.append(
            f"{_grouped(kinds['other'], ',')} other (a letter, brackets, a decimal other than .0)"
        )
    plural = n != 1
    if sent:
        id_after = (
            "Nomor dump yang tertulis demikian sudah dijawab TIDAK_TERDAFTAR dan dikirim; server menolak "
            "jawaban lain untuknya (BERTENTANGAN): perbaiki baris-baris ini sebelum batch berikutnya."
        )
        en_after = (
            "A dump number written so was answered TIDAK_TERDAFTAR and sent; the server refuses a different "
            "answer for it (BERTENTANGAN): correct these lines before the next batch."
        )
    else:
        id_after = (
            "Nomor dump yang tertulis demikian dijawab TIDAK_TERDAFTAR, dan setelah dikirim server menolak "
            "jawaban lain untuknya (BERTENTANGAN): perbaiki baris-baris ini dan cocokkan ulang sebelum mengunggah."
        )
        en_after = (
            "A dump number written so is answered TIDAK_TERDAFTAR, and once sent the server refuses a "
            "different answer for it (BERTENTANGAN): correct these lines and match again before you upload."
        )
    return [
        f"{export}: {_grouped(n, '.')} nilai msisdn tidak terbaca sebagai nomor dan tidak cocok dengan nomor "
        f"mana pun (baris {_line_list(unreadable, '.')}): {'; '.join(id_kinds)}. {id_after}",
        f"{export}: {_grouped(n, ',')} msisdn value{'s' if plural else ''} cannot be read as a number and "
        f"match{'' if plural else 'es'} nothing (line{'s' if plural else ''} {_line_list(unreadable, ',')}): "
        f"{'; '.join(en_kinds)}. {en_after}",
    ]


def _plain_subscriber_ranks(path: Path, keys: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """_subscriber_ranks of an unpacked export; `name` is the file's name for messages."""
    import polars as pl

    names = _export_header(path, name)
    with path.open("rb") as fh:
        fh.seek(-1, 2)  # the header line is there, so the file is not empty
        if fh.read(1) not in (b"\n", b"\r"):
            raise MatchError(f"subscribers {name}: {_EXPORT_CUT_OFF}")
    scan = _scan_export(path, names)
    # One hash join, built on the dump's numbers with the export streamed through it, gives
    # every (dump row, state) pair; a number listed more than once gives a row several pairs.
    # The earlier semi-join, group_by and left join hashed the numbers three times: this is
    # ~30 % faster with an export the size of the dump and uses less memory with a 10x larger
    # one (docs/decisions/0007-kit-matcher.md). States become ranks after the join, on the
    # dump's numbers only.
    rows = pl.DataFrame({"k": keys}).with_row_index("i").filter(pl.col("k").is_not_null())
    # A status is read without the spaces around it (`active `, `, active`): after the join,
    # so only the dump's rows pay for it.
    joined = scan.join(rows.lazy(), on="k", how="inner", build_side="force_right").select(
        "i",
        pl.col("status"),
        _status(pl.col("status"))
        .replace_strict(_STATUS_RANKS, default=None, return_dtype=pl.Int8)
        .alias("r"),
    )
    # The export's unreadable values are counted in the same pass: polars runs both queries over
    # one scan (collect_all shares it), so a clean export costs what it did (decision 0106).
    pairs, unreadable = pl.collect_all(
        [joined.select("i", "r"), _unreadable(scan).select(pl.len())], engine="streaming"
    )
    if pairs.get_column("r").null_count():
        raise MatchError(f"subscribers {name}: {_bad_statuses(path, names, rows)}")
    # A row with several pairs keeps its best (lowest) rank: one sort of a combined integer key
    # (row * 8 + rank) puts each row's pairs together, best first; the first of each row stays.
    key = (pl.col("i").cast(pl.UInt64) * 8 + pl.col("r").cast(pl.UInt64)).sort()
    best = pairs.select(key.alias("key")).select(
        (pl.col("key") // 8).alias("i"), (pl.col("key") % 8).alias("r")
    )
    previous = pl.col("i").shift(1)
    best = best.filter(previous.is_null() | (pl.col("i") != previous))
    ranks = pl.zeros(len(keys), dtype=pl.Int8, eager=True).scatter(
        best.get_column("i"), best.get_column("r").cast(pl.Int8)
    )
    # Which lines and of which kind: a second scan, only for an export that holds such values.
    return ranks, (_unreadable_lines(path, names) if unreadable.item() else _no_unreadable())


def _status(status: Any) -> Any:
    """An export's status as the kit reads it: without white space around it."""
    return status.str.strip_chars()


def _bad_statuses(path: Path, names: list[str], rows: Any) -> str:
    """What is wrong with the states of the dump's numbers, and on which line (the export is
    scanned again with line numbers: only when it is refused)."""
    import polars as pl

    bad = (
        _scan_export(path, names, lines=True)
        .join(rows.lazy(), on="k", how="inner", build_side="force_right")
        .select("line", "status")
        .filter(pl.col("status").is_null() | ~_status(pl.col("status")).is_in(list(_STATUS_RANKS)))
        .collect(engine="streaming")
    )
    blank = pl.col("status").is_null() | (pl.col("status").str.strip_chars() == "")
    empty, unknown = bad.filter(blank), bad.filter(~blank)
    expected = f"expected {', '.join(_RANK)}"
    if unknown.height:
        values = unknown.get_column("status").unique().sort().head(5).to_list()
        first = unknown.get_column("line").min()
        return _mask(f"status not understood: {', '.join(repr(v) for v in values)} ") + (
            f"({expected}; first on line {first})"
        )
    return (
        f"empty status on {empty.height} row{'s' if empty.height != 1 else ''} "
        f"(first on line {empty.get_column('line').min()}; {expected})"
    )


def _international(k: Any) -> Any:
    """An export number in national form (`081234567890`, which the integer cast reads as
    81234567890) becomes its international form (6281234567890), the dump's. Integer ranges, not
    string work, so the scan of a large export stays as fast: an international number starts with
    62, a national one (its leading 0 gone) with 8, and no other number is touched."""
    import polars as pl

    # A negative value (`-6281234567890`: the cast reads a leading minus) is no phone number:
    # null, so that it is counted as unreadable rather than matched as nothing, silently.
    expr: Any = pl.when(k < 0).then(pl.lit(None, dtype=pl.Int64))
    for digits in range(8, 14):  # 8xx numbers of 8 to 13 digits without their 0
        low = 8 * 10 ** (digits - 1)
        expr = expr.when((k >= low) & (k < low + 10 ** (digits - 1))).then(k + 62 * 10**digits)
    return expr.otherwise(k)


@contextmanager
def _readable(what: str, path: Path) -> Iterator[None]:
    """A file polars cannot parse (a line with more fields than the header, bytes that are not
    UTF-8, a stray quote mark, ...) becomes a MatchError that names the file and, when the kit
    finds it, the line; not a traceback. Polars' own text quotes the rows it could not parse, so
    it is used only when no line is found: its first line, masked."""
    import polars as pl

    try:
        yield
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        reason = _bad_line(path)
        if reason is None:
            text = str(exc).strip()
            reason = _mask(text.splitlines()[0]) if text else type(exc).__name__
        raise MatchError(f"{what} {path.name}: not a CSV the kit can read ({reason})") from exc


class _NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _text_lines(path: Path) -> Iterator[str]:
    """The (unpacked) file's lines as text, line ends kept; _NotUtf8 at a line that is not."""
    line, rest = 0, b""
    for block in _blocks(path):
        *whole, rest = (rest + block).split(b"\n")
        for raw in whole:
            line += 1
            try:
                yield (raw + b"\n").decode("utf-8")
            except UnicodeDecodeError:
                raise _NotUtf8(line) from None
    if rest:
        try:
            yield rest.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8(line + 1) from None


def _bad_line(path: Path) -> str | None:
    """Which line of a file polars refused is bad, and why. None when this reader finds nothing
    wrong. The file is read again with Python's csv up to that line, slowly (a 10 M-row export in
    seconds), but only when it is refused."""
    reader = csv.reader(_text_lines(path), strict=True)
    start = 1  # the line the record being read starts on
    try:
        width = len(next(reader, []))
        start = reader.line_num + 1
        for row in reader:
            # Polars reads a line with fewer fields (the rest are empty), not one with more.
            if len(row) > width:
                return f"line {start} has {len(row)} fields, the header {width}"
            start = reader.line_num + 1
    except _NotUtf8 as exc:
        return f"line {exc.line} is not UTF-8 text: save the file as a UTF-8 CSV"
    except csv.Error as exc:
        if "end of data" in str(exc) or "field limit" in str(exc):
            return f'line {start}: a field that opens with a quote mark (") is never closed'
        return f'line {start}: a quote mark (") inside a field'
    except (MatchError, OSError):  # gone, or its gzip cut off: polars' reason it is
        return None
    return None


def _scratch_name(name: str) -> str:
    return ".verval-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _write(frame: Any, out: Path, *, plain: bool = False) -> None:
    """`plain`: no value can need quoting (the dump had no quote mark or carriage return, and the
    statuses are ours), so polars skips the per-field check: 0.40 s instead of 0.72 s for a
    5.5 M-row results file. Otherwise every field is checked and quoted when it must be."""
    quote_style = "never" if plain else "necessary"
    tmp = out.with_name(out.name + ".part")
    if out.name.endswith(".gz"):
        try:
            from isal import igzip as gzip_mod
        except ImportError:
            import gzip as gzip_mod  # type: ignore[no-redef]
        with gzip_mod.open(tmp, "wb", compresslevel=1) as fh:
            frame.write_csv(fh, quote_style=quote_style)
    else:
        frame.write_csv(tmp, quote_style=quote_style)
    tmp.replace(out)


def match(
    dump: str | Path,
    subscribers: str | Path,
    out: str | Path,
    *,
    count: bool = True,
    accept_low_match: bool = False,
) -> dict[str, Any]:
    """Write the results file; returns rows, counts by status, seconds, the output path and
    `unreadable`: the export's msisdn values the kit cannot read as a number (`count`, the
    `first_lines` that hold one, `by_kind`: scientific_notation, empty, other), which match
    nothing (unreadable_warning says so).
    Threads: polars sizes its pool once per process from POLARS_MAX_THREADS (the command line's
    --threads sets it before polars is imported).

    Unless accept_low_match, a dump of at least LOW_MATCH_MIN_ROWS rows of which fewer than
    LOW_MATCH_SHARE are in the export stops with a MatchError and no results file: that is a
    wrong or badly formatted export, and its answers (all TIDAK_TERDAFTAR) would turn the
    schools' good numbers into residue, which a later, right file cannot undo (a second answer
    that contradicts the first is refused)."""
    import polars as pl

    started = time.perf_counter()
    dump, subscribers, out = Path(dump), Path(subscribers), Path(out)
    with _readable("dump", dump):
        rows, plain = _read_dump(dump)
    with _readable("subscribers", subscribers):
        rank, unreadable = _subscriber_ranks(subscribers, rows.get_column("k"), out.parent)
    if not accept_low_match and rows.height >= LOW_MATCH_MIN_ROWS:
        found = int((rank > 0).sum())
        if found < LOW_MATCH_SHARE * rows.height:
            unread = unreadable_summary(unreadable)
            raise MatchError(
                f"subscribers {subscribers.name}: only {found} of the dump's {rows.height} numbers are in "
                f"the export (under {LOW_MATCH_SHARE:.0%}); no results written. Is it the right file, "
                "with msisdn in a form the guide lists (628…, 08…, +628…)? "
                + (f"It holds {unread}. " if unread else "")
                + "If the answer really is that few, run again with --accept-low-match."
            )  # the shape, not an example: this line lands in cron mail and logs (decision 0098)
    _write(
        pl.DataFrame(
            [
                rows.get_column("pd_id"),
                rows.get_column("no_ponsel"),
                pl.Series("status", _NAMES).gather(rank),
            ]
        ),
        out,
        plain=plain,
    )
    by_status = {}
    if count:
        # Counting the small integer ranks is ten times cheaper than counting the status strings.
        by_status = dict(sorted((_NAMES[r], n) for r, n in rank.value_counts().iter_rows()))
    return {
        "rows": rows.height,
        "by_status": by_status,
        "seconds": round(time.perf_counter() - started, 3),
        "out": str(out),
        "unreadable": unreadable,
    }
