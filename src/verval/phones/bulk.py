"""Vectorised polars path: millions of numbers per second, same verdicts as check().

Three tiers, each deciding what it can and passing the rest on:

1. Numeric fast path (polars, integer arithmetic): rows of plain ASCII digits (up to 18; most
   rows) are cast straight to Int64; rows made of digits, spaces and ( ) - . with an optional
   leading + and at most 15 digits have their separators removed first. Leading zeros, the
   country code, the prefix and the subscriber part are found with integer division,
   placeholders with integer keys. It mirrors core._classify step by step.
2. Cheap vectorised verdicts on the remainder: other scripts' digits folded, spreadsheet
   decimals, common blank words (KOSONG), dates (NOMOR_BERUPA_TANGGAL), scientific notation,
   printable-ASCII text with letters or odd symbols (KARAKTER_TIDAK_SAH) and two numbers in one
   field (DUA_NOMOR) when no earlier rule can apply.
3. check() for what is left (two numbers that pair up in more than one way, very long digit
   runs of allowed characters, ...): well under one percent of a real file.

Every tier yields integer verdicts (reason, national significant number, its length, operator,
warning); the strings (E.164, display form, names) are made once at the end, and only the
columns asked for.

tests/phones/test_bulk.py asserts verdicts identical to check() on large generated samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from .core import (
    ALLOWED_PATTERN,
    BLANK_PATTERN,
    DATE_PATTERN,
    DECIMAL_MIN_DIGITS,
    MOBILE_LIKE_PATTERN,
    MULTI_SPLIT_PATTERN,
    PLACEHOLDER_NATIONAL,
    SCI_PATTERN,
    SUBSCRIBER_RUNS,
    WHOLE_RUNS,
    Verdict,
    _normalize,
    check,
)
from .prefixes import PREFIXES

__all__ = ["check_series", "check_frame", "verdicts_from_frame", "OUTPUT_COLUMNS", "REASON_CODES"]

ALL_COLUMNS = ("input", "e164", "national", "valid", "reason", "operator", "warning")
OUTPUT_COLUMNS = ALL_COLUMNS[:-1]  # what check_series gives by default and the CLI writes

# Integer reason codes used inside the vectorised path (0 = valid, -1 = not decided here).
REASON_CODES = (
    None,
    "KOSONG",
    "KARAKTER_TIDAK_SAH",
    "NOTASI_ILMIAH",
    "DUA_NOMOR",
    "TERLALU_PENDEK",
    "TERLALU_PANJANG",
    "BUKAN_INDONESIA",
    "TELEPON_RUMAH",
    "NOMOR_LAYANAN",
    "PREFIKS_TIDAK_DIKENAL",
    "NOMOR_CONTOH",
    "NOMOR_BERUPA_TANGGAL",
)
_R = {code: i for i, code in enumerate(REASON_CODES) if code}
_REASON_NAMES = pl.Series("reason", list(REASON_CODES), dtype=pl.String)

_OPERATOR_NAMES = sorted(set(PREFIXES.values()))
_OPERATOR_SERIES = pl.Series("operator", [None, *_OPERATOR_NAMES], dtype=pl.String)
# prefix 800..899 -> index into _OPERATOR_SERIES (0 = not allocated)
_OP_LOOKUP = pl.Series(
    "op",
    [(_OPERATOR_NAMES.index(PREFIXES[str(p)]) + 1) if str(p) in PREFIXES else 0 for p in range(800, 900)],
    dtype=pl.Int64,
)
_P10 = pl.Series("p10", [10**k for k in range(19)], dtype=pl.Int64)
# Rows with separators: two numbers in one field need >= 16 digits (check() splits them), so
# the vectorised path takes at most 15. A row of plain digits is never two numbers, so it may
# have up to 18 (the most an Int64 holds for every value).
_MAX_DIGITS = 15
_MAX_PURE_DIGITS = 18


def _key(digits: str) -> int:
    """Integer key of a digit string that keeps its length (leading zeros matter). 18 digits
    times 16 overflows Int64, so keys are UInt64."""
    return int(digits) * 16 + len(digits)


def _key_expr(value: pl.Expr, length: pl.Expr) -> pl.Expr:
    # A negative length (a branch that does not apply to the row) matches no key: keys have >= 5.
    return value.clip(0).cast(pl.UInt64) * 16 + length.clip(0).cast(pl.UInt64)


def _keys(runs: Iterable[str]) -> pl.Series:
    return pl.Series(sorted(_key(r) for r in runs), dtype=pl.UInt64).implode()


_WHOLE_KEYS = _keys(r for r in WHOLE_RUNS if len(r) <= _MAX_PURE_DIGITS)
_SUB_KEYS = _keys(SUBSCRIBER_RUNS)
_PLACEHOLDER_KEYS = _keys(p[1:] for p in PLACEHOLDER_NATIONAL)

_SEPARATORS = [" ", "(", ")", "+", ".", "-"]
_PLUS_OK_RE = r"^[ (]*\+[0-9 ()\-.]*$"
_DECIMAL_TAIL_RE = r"\.0{1,2} *$"
# Tier 2 patterns (ASCII text, spaces as the only whitespace, like check() sees it).
_ASCII_ALLOWED_RE = r"^[( ]*\+?[0-9 \-.()/,_]*$"
# core.DECIMAL_PATTERN with spaces as the only white space (other white space goes to check()).
_DECIMAL_FULL_RE = r"^ *([( ]*\+?[0-9 \-.()/,_]*[0-9])[.,]0{1,2} *$"
# Printable ASCII without the quotes/backtick that check() strips from the ends.
_PRINTABLE_RE = r"^[ !#-&(-_a-~]*$"
_SCI_FULL_RE = r"^ *(?:" + SCI_PATTERN + r") *$"
_BLANK_FULL_RE = r"^(?:" + BLANK_PATTERN + r")$"
# A date or a time (core.DATE_PATTERN) with spaces around it, as check() strips them.
_DATE_FULL_RE = r"^ *(?:" + DATE_PATTERN + r") *$"
# Characters check() folds to ASCII (NFKC + its own table); asserted below.
_FOLD = {
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    "\uff0b": "+", "\uff0d": "-", "\uff08": "(", "\uff09": ")", "\uff0e": ".", "\u3000": " ", "\u00a0": " ",
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
}  # fmt: skip
for _k, _v in _FOLD.items():
    assert _normalize("0" + _k + "1") == ("0" + _v + "1").strip(), hex(ord(_k))  # noqa: S101
_FOLD_KEYS = list(_FOLD)
_FOLD_VALUES = [_FOLD[k] for k in _FOLD_KEYS]


def _p10(e: pl.Expr) -> pl.Expr:
    return pl.lit(_P10).gather(e.clip(0, 18))


_INT_COLUMNS = ("code", "nsn", "n", "op", "warn")


def _digits(lf: pl.LazyFrame) -> pl.LazyFrame:
    """From the digit string d (may hold junk): its length nd, its value v, and whether it is
    all digits (castable)."""
    d = pl.col("d")
    lf = lf.with_columns(
        d.str.len_bytes().cast(pl.Int64).alias("nd"), d.cast(pl.Int64, strict=False).alias("v0")
    )
    return lf.with_columns(
        ((pl.col("nd") == 0) | pl.col("v0").is_not_null()).alias("castable"),
        pl.col("v0").fill_null(0).alias("v"),
    )


def _numeric(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Columns in: v (the digit string as an integer), nd (its length), plus, dec.
    Columns out: code (index into REASON_CODES, 0 = valid), nsn, n, op, warn (integers).

    "d starts with 62" is f2 == 62 where f4 is the first four digits (leading zeros kept by the
    width: "0812..." gives 812) and f2 = f4 // 100, f1 = f4 // 1000. Integer division by a
    column costs several times a division by a constant, so each step divides by a column at
    most once. Mirrors core._classify step by step."""
    v, nd, plus = pl.col("v"), pl.col("nd"), pl.col("plus")
    # Strings shorter than four digits are padded on the right: their first digits stay put.
    lf = lf.with_columns(
        pl.when(nd >= 4).then(v // _p10(nd - 4)).otherwise(v * _p10(4 - nd)).alias("f4"),
    )
    f4 = pl.col("f4")
    lf = lf.with_columns(
        (f4 // 1000).alias("f1"),
        pl.when(nd >= 2).then(f4 // 100).otherwise(-1).alias("f2"),
        pl.when(nd >= 4).then(f4).otherwise(-1).alias("f4"),
    )
    f1, f2, f4 = pl.col("f1"), pl.col("f2"), pl.col("f4")
    # Country/trunk handling -> route: 1 = strip a country code (then one zero), 2 = strip one
    # trunk zero, 3 = no trunk zero (spreadsheet lost it), negative = -reason.
    route = (
        pl.when(plus & (f2 == 62))
        .then(1)
        .when(plus & (f1 == 0))
        .then(2)
        .when(plus)
        .then(-_R["BUKAN_INDONESIA"])
        .when((f2 == 0) & (f4 == 62))
        .then(1)
        .when(f2 == 0)
        .then(-_R["BUKAN_INDONESIA"])
        .when(f1 == 0)
        .then(2)
        .when(f2 == 62)
        .then(1)
        .when((f1 == 1) & (nd <= 7))
        .then(-_R["NOMOR_LAYANAN"])
        .otherwise(3)
    )
    # What is cut off the front: "0062" or "62" (value 62), "0" (value 0) or nothing.
    country = ~plus & (f2 == 0) & (f4 == 62)
    rest_len = (
        pl.when(country).then(nd - 4).when(f2 == 62).then(nd - 2).when(f1 == 0).then(nd - 1).otherwise(nd)
    )
    cut = pl.when(country | (f2 == 62)).then(62).otherwise(0)
    lf = lf.with_columns(route.alias("route"), rest_len.alias("rest_len"), cut.alias("cut"))
    route, rest_len = pl.col("route"), pl.col("rest_len")
    lf = lf.with_columns((v - pl.col("cut") * _p10(rest_len)).alias("nsn"))
    nsn = pl.col("nsn")
    one_zero = (route == 1) & (rest_len >= 1) & (nsn < _p10(rest_len - 1))
    lf = lf.with_columns(pl.when(one_zero).then(rest_len - 1).otherwise(rest_len).alias("n"))
    n = pl.col("n")
    lf = lf.with_columns(_p10(n - 3).alias("p"))
    lf = lf.with_columns((nsn // pl.col("p")).alias("p3"))
    p3 = pl.col("p3")
    # c1 (the first digit of the national number, 0 when it starts with 0) and the subscriber
    # part are only read below for n >= 5, where p3 is the first three digits.
    c1 = p3 // 100
    subscriber = nsn - p3 * pl.col("p")
    op = pl.lit(_OP_LOOKUP).gather((p3 - 800).clip(0, 99))
    lf = lf.with_columns(c1.alias("c1"), op.alias("op"), subscriber.alias("sub"))
    c1, op = pl.col("c1"), pl.col("op")
    mobile = c1 == 8
    code = (
        pl.when(v == 0)
        .then(_R["KOSONG"])
        .when(_key_expr(v, nd).is_in(_WHOLE_KEYS))
        .then(_R["NOMOR_CONTOH"])
        .when(route < 0)
        .then(-route)
        .when(_key_expr(nsn, n).is_in(_PLACEHOLDER_KEYS))
        .then(_R["NOMOR_CONTOH"])
        .when(n < 5)
        .then(_R["TERLALU_PENDEK"])
        .when(n > 12)
        .then(_R["TERLALU_PANJANG"])
        .when(mobile & (p3 < 810))
        .then(_R["NOMOR_LAYANAN"])
        .when(mobile & (op == 0))
        .then(_R["PREFIKS_TIDAK_DIKENAL"])
        .when(mobile & (n < 9))
        .then(_R["TERLALU_PENDEK"])
        .when(mobile & _key_expr(pl.col("sub"), n - 3).is_in(_SUB_KEYS))
        .then(_R["NOMOR_CONTOH"])
        .when(mobile)
        .then(0)
        .when(c1 <= 1)
        .then(_R["PREFIKS_TIDAK_DIKENAL"])
        .otherwise(_R["TELEPON_RUMAH"])
    )
    # warning index into _WARNING_NAMES (0 = none)
    warn = pl.when(pl.col("dec")).then(1).when(route == 3).then(2).otherwise(0)
    return lf.select(
        code.cast(pl.Int64).alias("code"),
        nsn,
        n,
        op.cast(pl.Int64),
        warn.cast(pl.Int64).alias("warn"),
    )


_WARNING_NAMES = pl.Series("warning", [None, "DESIMAL_SPREADSHEET", "NOL_DEPAN_HILANG"], dtype=pl.String)
_WARNING_INDEX = {w: i for i, w in enumerate(_WARNING_NAMES.to_list())}
_OPERATOR_INDEX = {o: i for i, o in enumerate(_OPERATOR_SERIES.to_list())}
_REASON_INDEX = {r: i for i, r in enumerate(REASON_CODES)}


def _finish(lf: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    """Integer verdicts (input, code, nsn, n, op, warn) -> the asked output columns. Invalid rows
    get a null nsn first so that the string columns come out null without a pass."""
    valid = pl.col("code") == 0
    s = pl.col("_s")
    exprs = {
        "input": pl.col("input"),
        "e164": pl.lit("+62") + s,
        # pl.format measured twice as fast as concat_str with literal pieces (polars 2.1).
        "national": pl.format("0{}-{}-{}", s.str.head(3), s.str.slice(3, pl.col("_k")), s.str.slice(pl.col("_k") + 3)),
        "valid": valid,
        "reason": pl.lit(_REASON_NAMES).gather(pl.col("code")),
        "operator": pl.lit(_OPERATOR_SERIES).gather(pl.when(valid).then(pl.col("op")).otherwise(0)),
        "warning": pl.lit(_WARNING_NAMES).gather(pl.when(valid).then(pl.col("warn")).otherwise(0)),
    }  # fmt: skip
    if "e164" in columns or "national" in columns:
        lf = lf.with_columns(pl.when(valid).then(pl.col("nsn")).cast(pl.String).alias("_s"))
    if "national" in columns:
        lf = lf.with_columns(pl.when(pl.col("n") <= 9).then(3).otherwise(4).alias("_k"))
    return lf.select([exprs[c].alias(c) for c in columns])


def _scalar(df: pl.DataFrame) -> pl.DataFrame:
    """Tier 3: check() row by row, as integer verdicts."""
    rows = []
    for x in df.get_column("input").to_list():
        v = check(x)
        nsn = v.e164[3:] if v.e164 else ""
        rows.append(
            (
                _REASON_INDEX[v.reason] if v.reason else 0,
                int(nsn) if nsn else 0,
                len(nsn),
                _OPERATOR_INDEX[v.operator],
                _WARNING_INDEX[v.warning],
            )
        )
    ints = pl.DataFrame(rows, schema=dict.fromkeys(_INT_COLUMNS, pl.Int64), orient="row")
    return pl.concat([df.select("input"), ints], how="horizontal")


def _const(df: pl.DataFrame, code: pl.Expr) -> pl.DataFrame:
    zero = pl.lit(0, dtype=pl.Int64)
    return df.select(
        pl.col("input"), code.cast(pl.Int64).alias("code"), zero.alias("nsn"), zero.alias("n"), zero.alias("op"),
        zero.alias("warn"),
    )  # fmt: skip


def _check_chunk(inputs: pl.Series, columns: Sequence[str]) -> pl.DataFrame:
    raw = pl.col("input")
    base = pl.DataFrame({"input": inputs})
    # Tier 1a: a row of plain ASCII digits (most rows) casts straight to an integer; only the
    # others pay for removing separators.
    first = base.select(
        raw.cast(pl.Int64, strict=False).alias("v0"),
        raw.str.len_bytes().cast(pl.Int64).alias("nd"),
        (raw.str.starts_with("+") | raw.str.starts_with("-")).alias("signed"),
    )
    v0 = first.get_column("v0")
    nd = first.get_column("nd")
    # scatter() below changes ok in place: it starts as "plain digits" and ends as "decided here".
    ok = (v0.is_not_null() & ~first.get_column("signed") & (nd <= _MAX_PURE_DIGITS)).alias("ok")
    v = v0.fill_null(0).alias("v")
    plus = pl.repeat(False, base.height, dtype=pl.Boolean, eager=True).alias("plus")
    if not ok.all():
        # Tier 1b: digits with ( ) - . and spaces, at most one + at the start, no spreadsheet
        # decimal at the end, at most 15 digits, not a date (2024-01-05, 05.01.2024: tier 2 names it).
        idx = ok.not_().arg_true()
        sub = (
            base.filter(~ok)
            .lazy()
            .with_columns(
                raw.str.replace_many(_SEPARATORS, [""] * len(_SEPARATORS)).alias("d"),
                raw.str.contains("+", literal=True).alias("plus"),
            )
        )
        sub_ints = _digits(sub).select(
            "v", "nd", "plus",
            (pl.col("castable") & (pl.col("nd") <= _MAX_DIGITS)
             & (~pl.col("plus") | raw.str.contains(_PLUS_OK_RE))
             & ~(raw.str.contains(".", literal=True) & raw.str.contains(_DECIMAL_TAIL_RE))).alias("ok"),
        ).collect()  # fmt: skip
        # A date (2024-01-05, 5-1-2024) has 6 to 8 digits: only those rows pay for the pattern.
        n_digits = sub_ints.get_column("nd")
        few = (sub_ints.get_column("ok") & (n_digits >= 6) & (n_digits <= 8)).arg_true()
        if few.len():
            dates = base.get_column("input").gather(idx.gather(few)).str.contains(_DATE_FULL_RE)
            if dates.any():
                sub_ints = sub_ints.with_columns(sub_ints.get_column("ok").scatter(few.filter(dates), False))
        v = v.scatter(idx, sub_ints.get_column("v"))
        nd = nd.scatter(idx, sub_ints.get_column("nd"))
        plus = plus.scatter(idx, sub_ints.get_column("plus"))
        ok = ok.scatter(idx, sub_ints.get_column("ok"))
    ints = _numeric(pl.DataFrame([v, nd, plus]).lazy().with_columns(dec=pl.lit(False))).collect()
    if not ok.all():
        # Tiers 2/3 on the distinct remaining texts (blank notes repeat a lot), then put back.
        idx = ok.not_().arg_true()
        rest = base.filter(~ok)
        uniq = rest.unique("input", keep="first", maintain_order=False)
        decided = pl.concat(_tier2(uniq), how="vertical")
        fixed = rest.join(decided, on="input", how="left", maintain_order="left")
        ints = pl.DataFrame([ints.get_column(c).scatter(idx, fixed.get_column(c)) for c in _INT_COLUMNS])
    lf = pl.concat([base, ints], how="horizontal").lazy()
    return _finish(lf, columns).collect()


def _tier2(rest: pl.DataFrame) -> list[pl.DataFrame]:
    """Rows tier 1 left: fold other scripts' digits, spreadsheet decimals, commas/slashes as
    separators, blank notes, scientific notation, letters; the remainder goes to check()."""
    raw = pl.col("input")
    s = pl.col("s")
    t = rest.with_columns(raw.str.replace_many(_FOLD_KEYS, _FOLD_VALUES).alias("s"))
    ext = s.str.extract(_DECIMAL_FULL_RE, 1)
    digits = s.str.replace_all(r"[^0-9]", "")
    ext_digits = ext.str.replace_all(r"[^0-9]", "")
    t = t.with_columns(
        ext.alias("ext"),
        ext_digits.alias("ext_d"),
        digits.alias("d"),
        digits.str.len_bytes().alias("nd"),
    )
    ext, d, nd = pl.col("ext"), pl.col("d"), pl.col("nd")
    ext_nd = pl.col("ext_d").str.len_bytes()
    # A decimal tail check() drops: at least DECIMAL_MIN_DIGITS digits before it (else it stays).
    ext = pl.when(ext_nd >= DECIMAL_MIN_DIGITS).then(ext)
    is_ascii_allowed = s.str.contains(_ASCII_ALLOWED_RE)
    printable = raw.str.contains(_PRINTABLE_RE)
    not_allowed = ~raw.str.contains("^" + ALLOWED_PATTERN + "$")
    kind = (
        pl.when(s.str.contains(_DATE_FULL_RE))
        .then(7)  # a date or a time (NOMOR_BERUPA_TANGGAL), before it reads as digits
        .when(ext.is_not_null() & (ext_nd <= _MAX_DIGITS))
        .then(1)  # number + spreadsheet decimal
        .when(is_ascii_allowed & (nd >= 1) & (nd <= _MAX_DIGITS))
        .then(2)  # number with separators (after folding)
        .when(printable & (nd == 0))
        .then(3)  # no digit: blank note, separators only, or text
        .when(printable & raw.str.contains(_SCI_FULL_RE))
        .then(4)
        .when(printable & (nd < 16) & not_allowed)
        .then(5)  # letters or symbols next to digits
        .when(printable & ext.is_null() & (nd >= 16))
        .then(6)  # perhaps two numbers: decided below
        .otherwise(0)
    )
    t = t.with_columns(kind.alias("_k"))
    k = pl.col("_k")
    out: list[pl.DataFrame] = []
    num = t.filter((k == 1) | (k == 2))
    if num.height:
        lf = num.lazy().select(
            raw,
            pl.when(k == 1).then(pl.col("ext_d")).otherwise(d).alias("d"),
            pl.when(k == 1)
            .then(ext.str.contains("+", literal=True))
            .otherwise(s.str.contains("+", literal=True))
            .alias("plus"),
            (k == 1).alias("dec"),
        )
        lf = _digits(lf)
        out.append(pl.concat([num.select("input"), _numeric(lf).collect()], how="horizontal"))
    blank = t.filter(k == 3)
    if blank.height:
        stripped = raw.str.strip_chars(" ")
        code = (
            pl.when(
                stripped.str.to_lowercase().str.contains(_BLANK_FULL_RE)
                | stripped.str.contains("^" + ALLOWED_PATTERN + "$")
            )
            .then(_R["KOSONG"])
            .otherwise(_R["KARAKTER_TIDAK_SAH"])
        )
        out.append(_const(blank, code))
    dates = t.filter(k == 7)
    if dates.height:
        out.append(_const(dates, pl.lit(_R["NOMOR_BERUPA_TANGGAL"])))
    sci = t.filter(k == 4)
    if sci.height:
        out.append(_const(sci, pl.lit(_R["NOTASI_ILMIAH"])))
    junk = t.filter(k == 5)
    if junk.height:
        out.append(_const(junk, pl.lit(_R["KARAKTER_TIDAK_SAH"])))
    slow = t.filter(k == 0)
    long = t.filter(k == 6)
    if long.height:
        # Two numbers in one field (core._two_numbers) on printable text with >= 16 digits:
        # two parts of >= 8 digits between separators, or (>= 18 digits) exactly two digit
        # groups that are both mobile-like. More groups may pair up in other ways, and a long
        # number of allowed characters is classified: check() decides those.
        parts = s.str.replace_all("(?i)" + MULTI_SPLIT_PATTERN, "\x00").str.split("\x00")
        long_parts = parts.list.eval(pl.element().str.count_matches("[0-9]") >= 8).list.sum()
        groups = s.str.extract_all(r"\+?[0-9]+")
        mobile_like = "^" + MOBILE_LIKE_PATTERN + "$"
        two_mobiles = (
            (groups.list.len() == 2)
            & groups.list.first().str.contains(mobile_like)
            & groups.list.last().str.contains(mobile_like)
        )
        verdict = (
            pl.when((long_parts >= 2) | ((nd >= 18) & two_mobiles))
            .then(_R["DUA_NOMOR"])
            .when(((nd < 18) | (groups.list.len() <= 2)) & not_allowed)
            .then(_R["KARAKTER_TIDAK_SAH"])
            .otherwise(0)
        )
        long = long.with_columns(verdict.alias("_v"))
        decided = long.filter(pl.col("_v") > 0)
        if decided.height:
            out.append(_const(decided, pl.col("_v")))
        slow = pl.concat([slow, long.filter(pl.col("_v") == 0).drop("_v")])
    if slow.height:
        out.append(_scalar(slow))
    return out


def check_series(
    series: pl.Series | Sequence[str | None],
    *,
    with_warning: bool = False,
    columns: Sequence[str] | None = None,
    parallel: int = 2,
) -> pl.DataFrame:
    """Vectorised check(): a DataFrame with columns input, e164, national, valid, reason,
    operator (and warning when asked), one row per input, in order, same verdicts as check().
    `columns` picks a subset of ALL_COLUMNS (import and validation need no display form, the
    costliest column). Null inputs become '' (as check(None)). `parallel` is ignored (polars
    parallelises each expression itself)."""
    if not isinstance(series, pl.Series):
        series = pl.Series("input", list(series), dtype=pl.String)
    if series.dtype != pl.String:
        series = series.cast(pl.String)
    series = series.fill_null("").alias("input")
    del parallel
    if columns is None:
        columns = ALL_COLUMNS if with_warning else OUTPUT_COLUMNS
    unknown = set(columns) - set(ALL_COLUMNS)
    if unknown:
        raise ValueError(f"unknown columns: {sorted(unknown)}")
    return _check_chunk(series, columns)


def check_frame(df: pl.DataFrame, column: str = "input", *, with_warning: bool = False) -> pl.DataFrame:
    """check_series over df[column]."""
    return check_series(df.get_column(column), with_warning=with_warning)


def verdicts_from_frame(df: pl.DataFrame) -> list[Verdict]:
    """Rows of a check_series(..., with_warning=True) frame as Verdict objects."""
    cols = [df.get_column(c).to_list() for c in ("input", "e164", "national", "valid", "reason", "operator")]
    warn = df.get_column("warning").to_list() if "warning" in df.columns else [None] * df.height
    return [Verdict(*row) for row in zip(*cols, warn, strict=True)]
