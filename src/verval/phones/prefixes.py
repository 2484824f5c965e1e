"""Indonesian mobile prefixes -> operator. A versioned data table.

Sources
-------
* libphonenumber carrier data for +62 (resources/carrier/en/62.txt), repository
  github.com/google/libphonenumber, commit 0120cca60caa17853d60c1de655fbe5dffc6ad3a,
  Apache License 2.0, "Copyright (C) 2013 The Libphonenumber Authors". Copied into this project
  from /work/shared/data/prefiks-seluler-indonesia/ (prefiks_seluler_libphonenumber.csv, 37 rows);
  nothing reads that folder at run time.
* Additions by the Verval Ponsel team (source "verval"), for ranges that commit lacks, reviewed
  2026-11-28 against the project specification (SPEC section 5) and the newer phonenumbers
  release 9.0.43 (which has 0851 -> Telkomsel):
    - 0851 Telkomsel (allocated to Telkomsel; present in phonenumbers >= 9, absent at 0120cca).
    - 0884, 0885, 0886 Smartfren (Smartfren block 0881-0889; absent upstream).
* Deliberately NOT added: 0828 (formerly Ceria / Sampoerna Telekomunikasi CDMA-450, later
  Net1; none of the six providers in this programme) -> PREFIKS_TIDAK_DIKENAL.

Brand-level operators: upstream "IM3" -> indosat, "3"/"Hutchison" -> tri, "AXIS" -> axis,
"XL" -> xl (the providers inject quota by brand, so Tri and Axis stay separate even though they
now belong to the Indosat Ooredoo Hutchison and XL Axiata groups).

Indonesia has no mobile number portability, so prefix -> operator holds.

Change the table only together with PREFIX_TABLE_VERSION (date of review, then a serial).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "OPERATORS",
    "PREFIX_TABLE",
    "PREFIX_TABLE_VERSION",
    "PREFIX_TABLE_REVIEWED",
    "PREFIX_SOURCES",
    "PREFIXES",
    "PrefixRow",
]

PREFIX_TABLE_VERSION = "2026-11-28.1"
PREFIX_TABLE_REVIEWED = "2026-11-28"

PREFIX_SOURCES: dict[str, str] = {
    "libphonenumber": (
        "github.com/google/libphonenumber resources/carrier/en/62.txt @ "
        "0120cca60caa17853d60c1de655fbe5dffc6ad3a (Apache-2.0)"
    ),
    "verval": "Verval Ponsel review 2026-11-28 (SPEC section 5; phonenumbers 9.0.43 for 0851)",
}

OPERATORS: dict[str, str] = {
    "telkomsel": "Telkomsel",
    "indosat": "Indosat Ooredoo",
    "xl": "XL Axiata",
    "axis": "AXIS",
    "tri": "Tri (3)",
    "smartfren": "Smartfren",
}


class PrefixRow(NamedTuple):
    prefix: str  # national form, '0811'
    operator: str  # key of OPERATORS
    source: str  # key of PREFIX_SOURCES
    upstream_name: str  # carrier name in the source ('' for additions)


def _lib(prefixes: str, operator: str, upstream: str) -> list[PrefixRow]:
    return [PrefixRow(p, operator, "libphonenumber", upstream) for p in prefixes.split()]


PREFIX_TABLE: tuple[PrefixRow, ...] = tuple(
    sorted(
        _lib("0811 0812 0813 0821 0822 0823 0852 0853", "telkomsel", "Telkomsel")
        + _lib("0814 0815 0816 0855 0856 0857 0858", "indosat", "IM3")
        + _lib("0817 0818 0819 0859 0877 0878 0879", "xl", "XL")
        + _lib("0831 0832 0833 0838", "axis", "AXIS")
        + _lib("0881 0882 0883 0887 0888 0889", "smartfren", "Smartfren")
        + _lib("0895", "tri", "Hutchison")
        + _lib("0896 0897 0898 0899", "tri", "3")
        + [
            PrefixRow("0851", "telkomsel", "verval", ""),
            PrefixRow("0884", "smartfren", "verval", ""),
            PrefixRow("0885", "smartfren", "verval", ""),
            PrefixRow("0886", "smartfren", "verval", ""),
        ]
    )
)

# National significant prefix (without the trunk 0), '811' -> 'telkomsel'.
PREFIXES: dict[str, str] = {row.prefix[1:]: row.operator for row in PREFIX_TABLE}
