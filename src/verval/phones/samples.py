"""Realistic typed phone numbers, for benchmarks, differential tests and synthetic data.

generate(n, seed) -> list of (category, text). The mix follows what Dapodik fields look like:
mostly clean national numbers, then formatted, +62/62 forms, spreadsheet damage, blanks and
notes, landlines, typos, placeholders, two numbers in one field, other scripts.
"""

from __future__ import annotations

import random

from .prefixes import PREFIXES

__all__ = ["CATEGORIES", "generate", "random_mobile_nsn"]

# Market-share-like weights per operator for generated mobile numbers.
_OP_WEIGHT = {"telkomsel": 50, "indosat": 17, "xl": 12, "axis": 7, "tri": 9, "smartfren": 5}
_PREFIX_LIST = sorted(PREFIXES)
_PREFIX_W = [
    _OP_WEIGHT[PREFIXES[p]] / sum(1 for q in PREFIXES.values() if q == PREFIXES[p]) for p in _PREFIX_LIST
]
_UNKNOWN_MOBILE = [f"8{a}{b}" for a in "0123456789" for b in "0123456789" if f"8{a}{b}" not in PREFIXES]
_LANDLINE_AREAS = ["21", "22", "24", "31", "61", "274", "411", "361", "711", "751", "341", "911", "967"]
_BLANKS = [
    "",
    " ",
    "-",
    "0",
    "tidak ada",
    "Tidak Ada",
    "belum punya",
    "tdk ada",
    "-",
    "00",
    "kosong",
    "N/A",
    "--",
]
_WORDS = ["HP 0812", "wa", "nomor ortu", "0812-xxxx-xxxx", "08I2345678", "ada", "?", "0813 a/n Budi"]
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# (category, weight per 1000). Dapodik fields are mostly clean numbers; blanks and notes are
# the largest problem group, then lost zeros, landlines and typos; the exotic forms are rare.
CATEGORIES: list[tuple[str, int]] = [
    ("clean", 560),
    ("formatted", 100),
    ("intl", 60),
    ("lost_zero", 60),
    ("decimal", 10),
    ("scientific", 3),
    ("landline", 30),
    ("blank", 90),
    ("short_long", 30),
    ("unknown_prefix", 15),
    ("placeholder", 15),
    ("two_numbers", 3),
    ("junk", 12),
    ("other_script", 2),
    ("service", 5),
    ("foreign", 5),
]


def random_mobile_nsn(rng: random.Random, prefix: str | None = None, length: int | None = None) -> str:
    """A national significant number such as '81217263845' (9-12 digits)."""
    if prefix is None:
        prefix = rng.choices(_PREFIX_LIST, _PREFIX_W)[0]
    if length is None:
        length = rng.choices((9, 10, 11, 12), (5, 25, 55, 15))[0]
    return prefix + "".join(rng.choices("0123456789", k=length - 3))


def _fmt(rng: random.Random, national: str) -> str:
    style = rng.randrange(6)
    a, b, c = national[:4], national[4:8], national[8:]
    if style == 0:
        return f"{a}-{b}-{c}"
    if style == 1:
        return f"{a} {b} {c}"
    if style == 2:
        return f"({a}) {b}.{c}"
    if style == 3:
        return f"{a}.{b}.{c}"
    if style == 4:
        return f" {national} "
    return f"{a}-{national[4:]}"


def _one(rng: random.Random, cat: str) -> str:
    nsn = random_mobile_nsn(rng)
    if cat == "clean":
        return "0" + nsn
    if cat == "formatted":
        return _fmt(rng, "0" + nsn)
    if cat == "intl":
        style = rng.randrange(6)
        return [
            f"+62{nsn}",
            f"62{nsn}",
            f"+62 {nsn[:3]}-{nsn[3:7]}-{nsn[7:]}",
            f"+62 (0) {nsn[:3]} {nsn[3:]}",
            f"62-{nsn[:3]}-{nsn[3:]}",
            f"0062{nsn}",
        ][style]
    if cat == "lost_zero":
        return nsn
    if cat == "decimal":
        return nsn + rng.choice((".0", ".0", ",0", ".00"))
    if cat == "scientific":
        return f"{nsn[0]}.{nsn[1:5]}E+{len(nsn) - 1}"
    if cat == "landline":
        area = rng.choice(_LANDLINE_AREAS)
        local = "".join(rng.choices("0123456789", k=rng.choice((6, 7, 8)) if len(area) == 2 else 6))
        local = str(rng.randrange(2, 10)) + local[1:]
        return rng.choice((f"0{area}-{local}", f"0{area}{local}", f"(0{area}) {local}", f"+62{area}{local}"))
    if cat == "blank":
        return rng.choice(_BLANKS)
    if cat == "short_long":
        national = "0" + nsn
        if rng.random() < 0.5:
            return national[: rng.randrange(4, 10)]
        return national + "".join(rng.choices("0123456789", k=rng.randrange(1, 4)))
    if cat == "unknown_prefix":
        return "0" + random_mobile_nsn(rng, prefix=rng.choice(_UNKNOWN_MOBILE))
    if cat == "placeholder":
        return rng.choice(
            ("0800000000", "081234567890", "08123456789", "081111111111", "0888888888888", "085200000000")
        )
    if cat == "two_numbers":
        other = "0" + random_mobile_nsn(rng)
        return rng.choice((f"0{nsn} / {other}", f"0{nsn},{other}", f"0{nsn} atau {other}", f"0{nsn} {other}"))
    if cat == "junk":
        return rng.choice(_WORDS) if rng.random() < 0.5 else f"HP: 0{nsn}"
    if cat == "other_script":
        return ("0" + nsn).translate(_FULLWIDTH if rng.random() < 0.5 else _ARABIC)
    if cat == "service":
        return rng.choice(("112", "110", "14045", "1500123", "0800-1-234567", "08071234567", "021-500-600"))
    if cat == "foreign":
        return rng.choice(("+60 12-345 6789", "+1 415 555 0100", "+65 9123 4567", "0060123456789"))
    raise ValueError("unknown category")


def generate(n: int, seed: int = 20201) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    names = [c for c, _ in CATEGORIES]
    weights = [w for _, w in CATEGORIES]
    cats = rng.choices(names, weights, k=n)
    return [(c, _one(rng, c)) for c in cats]
