"""Differential comparison of check() with the reference implementation, libphonenumber
(the `phonenumbers` package): parse(text, "ID"), is_valid_number, number_type MOBILE,
carrier.name_for_number.

Every disagreement is put in a named category whose condition is checked explicitly here;
anything else is UNEXPLAINED. The categories are documented in docs/phone-rules.md
("Differences from libphonenumber"). Used by tests/phones/test_differential.py and
bench/bench_phones.py. phonenumbers is imported lazily: the engine itself does not need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .core import PLACEHOLDER_NATIONAL, SUBSCRIBER_RUNS, WHOLE_RUNS, Verdict, check
from .prefixes import PREFIX_TABLE, PREFIXES

__all__ = ["Reference", "reference", "compare", "CATEGORIES", "CARRIER_TO_OPERATORS"]

# libphonenumber carrier names (old and new data) -> our brand-level operator codes.
CARRIER_TO_OPERATORS: dict[str, frozenset[str]] = {
    "Telkomsel": frozenset({"telkomsel"}),
    "Indosat Ooredoo Hutchison": frozenset({"indosat", "tri"}),
    "IM3": frozenset({"indosat"}),
    "3": frozenset({"tri"}),
    "Hutchison": frozenset({"tri"}),
    "XL": frozenset({"xl"}),
    "AXIS": frozenset({"axis"}),
    "Smartfren": frozenset({"smartfren"}),
}

CATEGORIES: dict[str, str] = {
    "PREFIX_NOT_ALLOCATED": "libphonenumber accepts every 8[1-35-9]x block as mobile; we refuse blocks no "
    "operator of the programme uses (0810, 0820, 0824-0830, 0834-0837, 0839, 0850, 0854, 086x, "
    "0870-0876, 0880, 0890-0894, 0828) with PREFIKS_TIDAK_DIKENAL",
    "PLACEHOLDER": "libphonenumber accepts placeholder numbers (081234567890, repeated/sequential digits); "
    "we refuse them with NOMOR_CONTOH",
    "CARRIER_MISSING_UPSTREAM": "same number, libphonenumber has no carrier for the prefix (0884-0886) "
    "that our table adds",
    "IDD_0062": "0062... : libphonenumber (region ID) knows only 00[89] as international prefix and "
    "refuses it; we read 00 62 as the country code",
    "COUNTRY_CODE_NO_PLUS": "62 + a 9-digit mobile number without +: libphonenumber keeps the 11 digits "
    "as a national number (they fit the national pattern) and refuses it; we read 62 as the country code",
    "PLUS_ZERO": "+08...: libphonenumber cannot parse a + followed by 0; we ignore the stray +",
    "SPREADSHEET_DECIMAL": "...890.0: libphonenumber reads the trailing .0 as a digit; we drop it",
    "TEXT_AROUND_NUMBER": "libphonenumber skips text around a number and maps letters to digits "
    "(vanity numbers); we refuse any letter or symbol with KARAKTER_TIDAK_SAH",
    "UNEXPLAINED": "a disagreement that no rule above explains (must be zero)",
}

_LETTER_RE = re.compile(r"[^\W\d_]")
_SOURCE = {row.prefix[1:]: row.source for row in PREFIX_TABLE}


@dataclass(frozen=True, slots=True)
class Reference:
    valid: bool  # valid Indonesian MOBILE (or FIXED_LINE_OR_MOBILE) number
    e164: str | None
    carrier: str | None
    national_number: str | None  # NSN as parsed, valid or not


def reference(text: str) -> Reference:
    import phonenumbers
    from phonenumbers import carrier

    try:
        n = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return Reference(False, None, None, None)
    nsn = str(n.national_number) if n.country_code == 62 else None
    if n.country_code != 62 or not phonenumbers.is_valid_number(n):
        return Reference(False, None, None, nsn)
    t = phonenumbers.number_type(n)
    if t not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return Reference(False, None, None, nsn)
    e164 = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
    return Reference(True, e164, carrier.name_for_number(n, "en"), nsn)


def _agree(ours: Verdict, ref: Reference) -> bool:
    if ours.valid != ref.valid:
        return False
    if not ours.valid:
        return True
    if ours.e164 != ref.e164:
        return False
    return ours.operator in CARRIER_TO_OPERATORS.get(ref.carrier or "", frozenset())


def compare(text: str, ours: Verdict | None = None, ref: Reference | None = None) -> str | None:
    """None when check() and libphonenumber agree, else the disagreement category."""
    if ours is None:
        ours = check(text)
    if ref is None:
        ref = reference(text)
    if _agree(ours, ref):
        return None
    digits = "".join(c for c in text if c.isdigit())
    if ours.valid and ref.valid and ours.e164 is not None and ours.e164 == ref.e164:
        if not ref.carrier and _SOURCE.get(ours.e164[3:6]) == "verval":
            return "CARRIER_MISSING_UPSTREAM"
        return "UNEXPLAINED"
    if ref.valid and not ours.valid:
        nsn = (ref.e164 or "")[3:]
        if ours.reason == "PREFIKS_TIDAK_DIKENAL" and nsn[:3] not in PREFIXES:
            return "PREFIX_NOT_ALLOCATED"
        if ours.reason == "NOMOR_CONTOH" and (
            "0" + nsn in PLACEHOLDER_NATIONAL or nsn[3:] in SUBSCRIBER_RUNS or digits in WHOLE_RUNS
        ):
            return "PLACEHOLDER"
        if re.search(r"[.,]0{1,2}\s*$", text) and ours.reason in (
            "TERLALU_PENDEK",
            "PREFIKS_TIDAK_DIKENAL",
            "NOMOR_CONTOH",
        ):
            # libphonenumber kept the spreadsheet's ".0" as a digit; without it the number is
            # what we judged (e.g. one digit short).
            return "SPREADSHEET_DECIMAL"
        if ours.reason == "KARAKTER_TIDAK_SAH" and (
            _LETTER_RE.search(text) or re.search(r"[^\d\s+\-.()/,_]", text)
        ):
            return "TEXT_AROUND_NUMBER"
    if ours.valid and ours.warning == "DESIMAL_SPREADSHEET" and re.search(r"[.,]0{1,2}\s*$", text):
        return "SPREADSHEET_DECIMAL"
    if ours.valid and not ref.valid:
        if digits.startswith("0062"):
            return "IDD_0062"
        if re.match(r"\s*\+\s*0", text):
            return "PLUS_ZERO"
        if "+" not in text and digits.startswith("62") and len(ours.e164 or "") == 12:
            return "COUNTRY_CODE_NO_PLUS"
    return "UNEXPLAINED"


def compare_many(texts: list[str]) -> dict[str, Any]:
    """Counts per category over texts (distinct texts are compared once)."""
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    memo: dict[str, str | None] = {}
    for t in texts:
        if t in memo:
            cat = memo[t]
        else:
            cat = memo[t] = compare(t)
        key = cat or "AGREE"
        counts[key] = counts.get(key, 0) + 1
        if cat and cat not in examples:
            examples[cat] = t
    return {"counts": counts, "examples": examples}
