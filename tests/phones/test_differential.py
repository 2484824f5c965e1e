"""check() against libphonenumber (phonenumbers): parse(text, "ID"), is_valid_number, number
type MOBILE, carrier.name_for_number. Every disagreement must fall in a documented category
(docs/phone-rules.md, "Differences from libphonenumber"); each category is pinned by an example
that fails if either side changes."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verval.phones import PREFIXES, check
from verval.phones.core import SUBSCRIBER_RUNS
from verval.phones.differential import CATEGORIES, compare, reference

from .strategies import any_text, render, typed

# Which disagreement each typed form may show (besides those any form may show).
ANY_FORM = {"PREFIX_NOT_ALLOCATED", "PLACEHOLDER", "CARRIER_MISSING_UPSTREAM"}
BY_FORM = {
    "0062": {"IDD_0062"},
    "decimal": {"SPREADSHEET_DECIMAL"},
    "dashes_decimal": {"SPREADSHEET_DECIMAL"},
    "spaces_decimal": {"SPREADSHEET_DECIMAL"},
    "62": {"COUNTRY_CODE_NO_PLUS"},
    "62_dashes": {"COUNTRY_CODE_NO_PLUS"},
}


@settings(max_examples=250, deadline=None)
@given(typed())
def test_check_agrees_with_libphonenumber_except_documented_differences(case: tuple[str, str, str]) -> None:
    form, _nsn, text = case
    category = compare(text)
    assert category is None or category in ANY_FORM | BY_FORM.get(form, set()), (form, category)


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_no_unexplained_disagreement_on_arbitrary_text(text: str) -> None:
    assert compare(text) != "UNEXPLAINED"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(PREFIXES)), st.integers(6, 9), st.data())
def test_allocated_mobile_numbers_are_valid_in_both_with_the_same_operator(
    prefix: str, sub_len: int, data
) -> None:
    sub = data.draw(
        st.text("0123456789", min_size=sub_len, max_size=sub_len).filter(lambda s: s not in SUBSCRIBER_RUNS)
    )
    text = "0" + prefix + sub
    ours, ref = check(text), reference(text)
    assert ours.valid and ref.valid and ours.e164 == ref.e164
    assert compare(text, ours, ref) in (None, "CARRIER_MISSING_UPSTREAM")


def test_national_significant_number_lengths_match_libphonenumber_metadata() -> None:
    meta = phonenumbers.PhoneMetadata.metadata_for_region("ID")
    assert meta.mobile.national_number_pattern == r"8[1-35-9]\d{7,10}"
    assert tuple(meta.mobile.possible_length) == (9, 10, 11, 12)
    for n in (9, 10, 11, 12):
        assert check("0812" + "7" * (n - 4) + "1").valid  # 10-13 digits with the trunk 0
    assert check("0812" + "7" * 3 + "1").reason == "TERLALU_PENDEK"
    assert check("0812" + "7" * 9 + "1").reason == "TERLALU_PANJANG"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("08101234567", "PREFIX_NOT_ALLOCATED"),
        ("08281234567", "PREFIX_NOT_ALLOCATED"),
        ("08681234567", "PREFIX_NOT_ALLOCATED"),
        ("081234567890", "PLACEHOLDER"),
        ("081111111111", "PLACEHOLDER"),
        ("088412349876", "CARRIER_MISSING_UPSTREAM"),
        ("0062 812 1726 3845", "IDD_0062"),
        ("+0812 1726 3845", "PLUS_ZERO"),
        ("81217263845.0", "SPREADSHEET_DECIMAL"),
        ("62812172638", "COUNTRY_CODE_NO_PLUS"),
        ("HP: 081217263845", "TEXT_AROUND_NUMBER"),
        ("0812-1726-3845 / 0857-1122-3344", None),  # both refuse two numbers
        ("8.1217E+11", None),  # both refuse scientific notation
        ("0812-xxxx-xxxx", "TEXT_AROUND_NUMBER"),  # libphonenumber reads x as 9 (vanity letters)
        ("085112349876", None),  # 0851: libphonenumber 9.x knows it now (Telkomsel)
        ("089612349876", None),  # Tri: libphonenumber says "Indosat Ooredoo Hutchison"
        ("+62 (0) 812 1726 3845", None),
        ("021-5551234", None),
    ],
)
def test_each_documented_difference_still_exists(text: str, category: str | None) -> None:
    assert compare(text) == category


def test_every_category_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "phone-rules.md").read_text(encoding="utf-8")
    for name in CATEGORIES:
        assert name in doc, name


def test_render_helper_forms() -> None:
    assert render("plus62_trunk", "81217263845") == "+62 (0) 81217263845"


def test_spreadsheet_decimal_that_leaves_a_short_number_is_an_explained_disagreement():
    # Found by hypothesis: libphonenumber reads "81100000.0" as the 9-digit 811000000.
    assert compare("81100000.0") == "SPREADSHEET_DECIMAL"
