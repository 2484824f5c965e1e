"""check(): one typed phone number -> Verdict. Pure Python, no Django.

The rules are documented in docs/phone-rules.md; the order of the steps below is part of the
contract (the polars bulk path in bulk.py mirrors it and is tested to give identical verdicts).

Privacy: nothing in this module logs, and no exception message carries a number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .prefixes import PREFIXES

__all__ = [
    "Verdict",
    "check",
    "check_many",
    "mask",
    "national_display",
    "with_lost_zero",
    "PLACEHOLDER_NATIONAL",
    "SUBSCRIBER_RUNS",
    "WHOLE_RUNS",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    input: str
    e164: str | None
    national: str | None
    valid: bool
    reason: str | None
    operator: str | None
    warning: str | None = None


# ---------------------------------------------------------------------------------------------
# Placeholder tables (NOMOR_CONTOH)

_ASC = "0123456789" * 3
_DESC = "9876543210" * 3


def _runs(lengths: range) -> frozenset[str]:
    out: set[str] = set()
    for length in lengths:
        for d in "0123456789":
            out.add(d * length)
        for start in range(10):
            out.add(_ASC[start : start + length])
            out.add(_DESC[start : start + length])
    return frozenset(out)


# Whole digit string (before any country-code handling): one repeated digit (>= 5 digits) or an
# ascending/descending run (>= 6 digits). All-zero strings are KOSONG, decided before.
WHOLE_RUNS: frozenset[str] = frozenset(
    {d * length for length in range(5, 21) for d in "123456789"}
    | {r for r in _runs(range(6, 21)) if r.strip("0")}
)
# Subscriber part of a mobile number (after the 3-digit 8xx prefix; 6-9 digits).
SUBSCRIBER_RUNS: frozenset[str] = _runs(range(6, 10))
# Exact placeholders in national form.
PLACEHOLDER_NATIONAL: frozenset[str] = frozenset(
    {
        "0800000000",
        "08000000000",
        "080000000000",
        "0800000000000",
        "0812345678",
        "08123456789",
        "081234567890",
        "0812345678901",
    }
)

# ---------------------------------------------------------------------------------------------
# Normalisation

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63"), "-")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_TRANSLATE = {**_DASHES, **_INVISIBLE}

# Notes meaning "no number" (matched on the lower-cased text when it holds no digit). Written
# without verbose mode so that the polars (Rust regex) path can use the very same pattern.
BLANK_PATTERN = (
    r"(?:tidak|tdk|tak|gak|ga|gk|nggak|ngga|enggak|belum|blm|blum|bkn|bukan)\.?\s*"
    r"(?:ada|punya|memiliki|mempunyai|tahu|tau|diketahui|diisi|aktif)\b.*"
    r"|kosong\b.*|tanpa\b.*|none|null|nil|nan|n\s*/\s*a|#\s*n\s*/\s*a|na"
    r"|tidak|tdk|belum|blm|no|-|x+|\?+|[-._/\s]*"
)
_BLANK_RE = re.compile(BLANK_PATTERN)
SCI_PATTERN = r"[+-]?\d+(?:[.,]\d*)?\s*[eE]\s*[+-]?\s*\d+"
_SCI_RE = re.compile(SCI_PATTERN)
# A date or a time as the readers of Excel files write a date cell (ISO: 2024-01-05,
# 2024-01-05 10:30:00, 10:30:00; imports.reader._cell), and as a sheet saved as CSV may write
# one: Excel turned what was typed into a date. Such a text has at most 8 digits, or a colon, so
# it is refused by the other rules too; this one says why (NOMOR_BERUPA_TANGGAL).
# A day and a month in either order (05/01/2024 is 5 January or 1 May by the locale: a date
# either way), one separator throughout, a four-digit year: what a sheet saved as CSV writes for
# a date cell (decision 0134). At most 8 digits, so never a mobile number. The separator is
# spelt out three times: the Rust regex engine of the bulk path has no back-references.
_D = r"(?:0?[1-9]|[12][0-9]|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
DATE_PATTERN = (
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?"
    r"|[0-9]{1,4}:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    + "".join(rf"|(?:{_M}{sep}{_D}|{_D}{sep}{_M}){sep}(?:19|20)[0-9]{{2}}" for sep in ("/", "-", r"\."))
)
_DATE_RE = re.compile(DATE_PATTERN)
# A spreadsheet decimal ".0"/".00" (or ",0") at the very end, also after a number written with
# separators ("0812-7364-2910.0"): the text before it is a number of the allowed characters that
# ends in a digit. Dropped before the separators are (with >= 6 digits before it); read as a digit
# it made a silently different, still valid number.
DECIMAL_PATTERN = r"([(\s]*\+?[0-9\s\-.()/,_]*[0-9])[.,]0{1,2}"
DECIMAL_MIN_DIGITS = 6
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
ALLOWED_PATTERN = r"[(\s]*\+?[0-9\s\-.()/,_]*"
_ALLOWED_RE = re.compile(ALLOWED_PATTERN)
# Where a field holding two numbers splits (case-insensitive); shared with the polars path.
MULTI_SPLIT_PATTERN = r"[/,;|&\\\n]|\s\+|\b(?:atau|dan|or|and)\b|\s{2,}"
_MULTI_SPLIT_RE = re.compile(MULTI_SPLIT_PATTERN, re.I)
_NUMBER_GROUP_RE = re.compile(r"\+?\d+")
MOBILE_LIKE_PATTERN = r"\+?(?:62|0)?8[1-35-9]\d{7,10}"
_MOBILE_LIKE_RE = re.compile(MOBILE_LIKE_PATTERN)
_NON_DIGIT_RE = re.compile(r"[^0-9]")


def _normalize(s: str) -> str:
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s).translate(_TRANSLATE)
        if not s.isascii():
            s = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in s)
    s = s.strip()
    # Spreadsheet text markers and quotes around the value: '0812..., "0812...".
    if s[:1] in ("'", '"', "`") or s[-1:] in ("'", '"', "`"):
        s = s.strip("'\"`").strip()
    return s


def _two_numbers(s: str, n_digits: int) -> bool:
    if n_digits < 16:
        return False
    parts = _MULTI_SPLIT_RE.split(s)
    if sum(1 for p in parts if p and len(_NON_DIGIT_RE.sub("", p)) >= 8) >= 2:
        return True
    if n_digits < 18:
        return False
    groups = _NUMBER_GROUP_RE.findall(s)
    for k in range(1, len(groups)):
        left = "".join(groups[:k])
        right = "".join(groups[k:])
        if _MOBILE_LIKE_RE.fullmatch(left) and _MOBILE_LIKE_RE.fullmatch(right):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Verdicts


def _invalid(inp: str, reason: str) -> Verdict:
    return Verdict(inp, None, None, False, reason, None, None)


def format_national(nsn: str) -> str:
    """'81234567890' -> '0812-3456-7890' (grouping as libphonenumber: 4-3-3, 4-4-3, 4-4-4, 4-4-5)."""
    nat = "0" + nsn
    if len(nat) <= 10:
        return f"{nat[:4]}-{nat[4:7]}-{nat[7:]}"
    return f"{nat[:4]}-{nat[4:8]}-{nat[8:]}"


def _classify(inp: str, d: str, has_plus: bool, warning: str | None) -> Verdict:
    """Steps 6-11 of the rules, on the digit string d."""
    if not d or not d.strip("0"):
        return _invalid(inp, "KOSONG")
    if d in WHOLE_RUNS:
        return _invalid(inp, "NOMOR_CONTOH")
    if has_plus:
        if d.startswith("62"):
            nsn = d[2:]
            if nsn[:1] == "0":
                nsn = nsn[1:]
        elif d[0] == "0":
            nsn = d[1:]
        else:
            return _invalid(inp, "BUKAN_INDONESIA")
    elif d[0] == "0":
        if d[1:2] == "0":
            if not d.startswith("0062"):
                return _invalid(inp, "BUKAN_INDONESIA")
            nsn = d[4:]
            if nsn[:1] == "0":
                nsn = nsn[1:]
        else:
            nsn = d[1:]
    elif d.startswith("62"):
        nsn = d[2:]
        if nsn[:1] == "0":
            nsn = nsn[1:]
    elif d[0] == "1" and len(d) <= 7:
        return _invalid(inp, "NOMOR_LAYANAN")
    else:
        nsn = d
        if warning is None:
            warning = "NOL_DEPAN_HILANG"

    if "0" + nsn in PLACEHOLDER_NATIONAL:
        return _invalid(inp, "NOMOR_CONTOH")
    n = len(nsn)
    if n < 5:
        return _invalid(inp, "TERLALU_PENDEK")
    if n > 12:
        return _invalid(inp, "TERLALU_PANJANG")
    c = nsn[0]
    if c == "8":
        if nsn[1] == "0":
            return _invalid(inp, "NOMOR_LAYANAN")
        op = PREFIXES.get(nsn[:3])
        if op is None:
            return _invalid(inp, "PREFIKS_TIDAK_DIKENAL")
        if n < 9:
            return _invalid(inp, "TERLALU_PENDEK")
        if nsn[3:] in SUBSCRIBER_RUNS:
            return _invalid(inp, "NOMOR_CONTOH")
        return Verdict(inp, "+62" + nsn, format_national(nsn), True, None, op, warning)
    if c == "0" or c == "1":
        return _invalid(inp, "PREFIKS_TIDAK_DIKENAL")
    return _invalid(inp, "TELEPON_RUMAH")


def check(raw: str | None) -> Verdict:
    """Check one number as typed. Never raises for any str (or None) input."""
    if raw is None:
        inp = ""
    elif isinstance(raw, str):
        inp = raw
    else:
        inp = str(raw)
    if inp.isdigit() and inp.isascii():
        return _classify(inp, inp, False, None)

    s = _normalize(inp)
    if not s:
        return _invalid(inp, "KOSONG")
    d = _NON_DIGIT_RE.sub("", s)
    if not d and _BLANK_RE.fullmatch(s.lower()):
        return _invalid(inp, "KOSONG")
    if _DATE_RE.fullmatch(s):
        return _invalid(inp, "NOMOR_BERUPA_TANGGAL")
    if _SCI_RE.fullmatch(s):
        return _invalid(inp, "NOTASI_ILMIAH")
    warning = None
    m = _DECIMAL_RE.fullmatch(s)
    if m:
        kept = _NON_DIGIT_RE.sub("", m.group(1))
        if len(kept) >= DECIMAL_MIN_DIGITS:
            s, d = m.group(1), kept
            warning = "DESIMAL_SPREADSHEET"
    if _two_numbers(s, len(d)):
        return _invalid(inp, "DUA_NOMOR")
    if not _ALLOWED_RE.fullmatch(s):
        return _invalid(inp, "KARAKTER_TIDAK_SAH")
    return _classify(inp, d, "+" in s, warning)


def with_lost_zero(digits: str) -> str:
    """The digits of a spreadsheet's number cell as they were typed: with the leading 0 that a
    number cannot hold (0812... typed into a General cell is stored as 812...) when check()
    reads the digits as a national number that lost it (the route of NOL_DEPAN_HILANG), so that
    the 0 changes nothing in the verdict: 2112345678 -> 02112345678 (TELEPON_RUMAH either way).
    Digits check() reads otherwise are returned unchanged: a country code (62...), a service
    number (1 and at most 7 digits), a run of one digit or a sequence (NOMOR_CONTOH as a whole),
    all zeros, anything that is not plain ASCII digits."""
    if (
        not (digits.isascii() and digits.isdigit())
        or digits[0] == "0"
        or digits.startswith("62")
        or (digits[0] == "1" and len(digits) <= 7)
        or digits in WHOLE_RUNS
    ):
        return digits
    return "0" + digits


def check_many(values: Iterable[str | None]) -> list[Verdict]:
    """check() over many values; repeated inputs share one (immutable) Verdict."""
    memo: dict[str | None, Verdict] = {}
    out: list[Verdict] = []
    append = out.append
    get = memo.get
    for v in values:
        r = get(v)
        if r is None:
            r = memo[v] = check(v)
        append(r)
    return out


# ---------------------------------------------------------------------------------------------
# Display helpers

_E164_MOBILE_RE = re.compile(r"\+628\d{8,11}")
_MASKED_RE = re.compile(r"\d{4}\*+\d{4}")


def national_display(value: str | None) -> str:
    """'+6281234567890' -> '0812-3456-7890'. Any other input is checked first; when it is not a
    valid mobile number it is returned unchanged ('' for None)."""
    if not value:
        return ""
    if _E164_MOBILE_RE.fullmatch(value):
        return format_national(value[3:])
    v = check(value)
    return v.national if v.national is not None else value


def mask(value: str | None) -> str:
    """'+6281234567890' -> '0812****7890'. Safe on any string: the result holds only digits and
    '*', and never more than the first 4 and last 4 digits (2 and 2 for 6-9 digits; nothing for
    shorter strings)."""
    if not value:
        return ""
    if _MASKED_RE.fullmatch(value):
        return value
    digits = _NON_DIGIT_RE.sub("", _normalize(value))
    # Show the national form when the value carries the +62 / 0062 / 62 country code.
    if digits.startswith("0062"):
        digits = digits[2:]
    if digits.startswith("62") and len(digits) >= 11:
        digits = "0" + digits[2:].removeprefix("0")
    elif digits[:1] == "8" and 9 <= len(digits) <= 12:
        digits = "0" + digits
    n = len(digits)
    if n >= 10:
        return digits[:4] + "*" * (n - 8) + digits[-4:]
    if n >= 6:
        return digits[:2] + "*" * (n - 4) + digits[-2:]
    return "*" * n
