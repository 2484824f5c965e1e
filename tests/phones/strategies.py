"""Hypothesis strategies: Indonesian numbers in the forms people and spreadsheets type."""

from __future__ import annotations

from hypothesis import strategies as st

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# Every 8xy block (allocated or not), plus landline area starts and odd leading digits.
PREFIXES_3 = [f"8{a}{b}" for a in "0123456789" for b in "0123456789"]
OTHER_STARTS = ["21", "22", "24", "31", "61", "274", "411", "911", "1", "0", "6", "9"]


@st.composite
def nsn(draw: st.DrawFn) -> str:
    """A national significant number candidate (no trunk zero), 4-14 digits."""
    if draw(st.integers(0, 9)) < 8:
        head = draw(st.sampled_from(PREFIXES_3))
    else:
        head = draw(st.sampled_from(OTHER_STARTS))
    length = draw(st.integers(max(4, len(head)), 14))
    tail = draw(st.text("0123456789", min_size=length - len(head), max_size=length - len(head)))
    return head + tail


FORMS = [
    "national",
    "plus62",
    "62",
    "dashes",
    "spaces",
    "parens_dots",
    "plus62_trunk",
    "62_dashes",
    "0062",
    "lost_zero",
    "decimal",
    "dashes_decimal",
    "spaces_decimal",
    "fullwidth",
    "arabic",
    "padded",
    "plus62_spaced",
]


def render(form: str, n: str) -> str:
    nat = "0" + n
    a, b, c = nat[:4], nat[4:8], nat[8:]
    return {
        "national": nat,
        "plus62": "+62" + n,
        "62": "62" + n,
        "dashes": f"{a}-{b}-{c}".rstrip("-"),
        "spaces": f"{a} {b} {c}".strip(),
        "parens_dots": f"({a}) {b}.{c}".rstrip("."),
        "plus62_trunk": f"+62 (0) {n}",
        "62_dashes": f"62-{n[:3]}-{n[3:]}",
        "0062": "0062" + n,
        "lost_zero": n,
        "decimal": n + ".0",
        "dashes_decimal": f"{a}-{b}-{c}".rstrip("-") + ".0",
        "spaces_decimal": f"{a} {b} {c}".strip() + ",00",
        "fullwidth": nat.translate(FULLWIDTH),
        "arabic": nat.translate(ARABIC),
        "padded": f"  {nat} ",
        "plus62_spaced": f"+62 {n[:3]} {n[3:7]} {n[7:]}".strip(),
    }[form]


@st.composite
def typed(draw: st.DrawFn) -> tuple[str, str, str]:
    """(form, nsn, text)"""
    n = draw(nsn())
    form = draw(st.sampled_from(FORMS))
    return form, n, render(form, n)


JUNK_ALPHABET = "0123456789 +-.()/,;:_eExXaO'\"\t\u3000０٣\u2013#&|?"
any_text = st.one_of(
    st.text(JUNK_ALPHABET, max_size=30),
    st.text(max_size=20),
    typed().map(lambda t: t[2]),
    # Dates and times as a date cell is read (NOMOR_BERUPA_TANGGAL), and near misses.
    st.from_regex(
        r"\A ?[0-9]{4}-[01][0-9]-[0-3][0-9](?:[ T][0-2][0-9]:[0-5][0-9](?::[0-6][0-9](?:\.[0-9]{1,7})?)?)? ?\Z"
    ),
    st.from_regex(r"\A ?[0-9]{1,5}:[0-6][0-9](?::[0-5][0-9])? ?\Z"),
    # Day and month in either order (decision 0134), and near misses: day 32, month 13, a
    # two-digit or 18xx year, two different separators.
    st.from_regex(r"\A ?[0-3]?[0-9][-/.][01]?[0-9][-/.](?:1[89]|20)?[0-9]{2} ?\Z"),
)
