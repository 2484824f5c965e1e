"""Exact verdicts for every accepted form and every reason code (docs/phone-rules.md)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verval.phones import OPERATORS, REASONS, WARNINGS, Verdict, check, describe, mask, national_display

from .strategies import nsn

VALID = "+6281217263845"


def _valid(text: str, e164: str = VALID, national: str = "0812-1726-3845", operator: str = "telkomsel",
           warning: str | None = None) -> None:  # fmt: skip
    v = check(text)
    assert v == Verdict(text, e164, national, True, None, operator, warning)


@pytest.mark.parametrize(
    "text",
    [
        "081217263845",
        "+6281217263845",
        "6281217263845",
        "0812-1726-3845",
        "0812 1726 3845",
        "(0812) 1726.3845",
        "+62 (0) 812 1726 3845",
        "+62 812-1726-3845",
        "62-812-1726-3845",
        "0062812 1726 3845",
        "  081217263845  ",
        "０８１２１７２６３８４５",
        "٠٨١٢١٧٢٦٣٨٤٥",
        "۰۸۱۲۱۷۲۶۳۸۴۵",
        "0812\u20131726\u20133845",
        "0812\u00a01726\u00a03845",
        "'081217263845",
        '"0812-1726-3845"',
        "0812/1726/3845",
        "+0812 1726 3845",
        "(+62) 812 1726 3845",
    ],
)
def test_typed_forms_are_accepted_and_normalised_to_e164(text: str) -> None:
    _valid(text)


def test_leading_zero_lost_by_spreadsheet_is_recovered_with_warning() -> None:
    _valid("81217263845", warning="NOL_DEPAN_HILANG")


@pytest.mark.parametrize("text", ["81217263845.0", "81217263845,0", "081217263845.00", "6281217263845.0"])
def test_spreadsheet_decimal_is_dropped_with_warning(text: str) -> None:
    _valid(text, warning="DESIMAL_SPREADSHEET")


@pytest.mark.parametrize(
    "text",
    [
        "0812-1726-3845.0",
        "0812 1726 3845.0",
        "0812 1726 3845,0",
        "0812.1726.3845.00",
        "(0812) 1726-3845.0",
        "+62 812-1726-3845.0",
        " 0812-1726-3845.0 ",
    ],
)
def test_spreadsheet_decimal_after_a_number_with_separators_is_dropped_before_the_separators(
    text: str,
) -> None:
    # Read as a digit, "0812-1726-3845.0" was +62812172638450: valid and somebody else's number.
    _valid(text, warning="DESIMAL_SPREADSHEET")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("08 12.0", "TERLALU_PENDEK"),  # fewer than 6 digits before it: the 0 stays a digit (08120)
        ("0812-1726 .0", "TERLALU_PENDEK"),  # not at the end of the number: a separator, then 0
    ],
)
def test_a_final_zero_that_is_not_a_spreadsheet_decimal_stays_a_digit(text: str, reason: str) -> None:
    assert (check(text).reason, check(text).warning) == (reason, None)


@pytest.mark.parametrize(
    ("text", "e164", "national", "operator"),
    [
        ("0811234987", "+62811234987", "0811-234-987", "telkomsel"),  # 10 digits: 4-3-3
        ("08112349876", "+628112349876", "0811-2349-876", "telkomsel"),  # 11 digits: 4-4-3
        ("0881234987612", "+62881234987612", "0881-2349-87612", "smartfren"),  # 13 digits: 4-4-5
        ("085112349876", "+6285112349876", "0851-1234-9876", "telkomsel"),  # not in libphonenumber@0120cca
        ("085712349876", "+6285712349876", "0857-1234-9876", "indosat"),
        ("081712349876", "+6281712349876", "0817-1234-9876", "xl"),
        ("083812349876", "+6283812349876", "0838-1234-9876", "axis"),
        ("089612349876", "+6289612349876", "0896-1234-9876", "tri"),
        ("088512349876", "+6288512349876", "0885-1234-9876", "smartfren"),
    ],
)
def test_lengths_groupings_and_operators(text: str, e164: str, national: str, operator: str) -> None:
    _valid(text, e164, national, operator)


REFUSED = [
    ("", "KOSONG"),
    ("   ", "KOSONG"),
    ("-", "KOSONG"),
    ("0", "KOSONG"),
    ("000000", "KOSONG"),
    ("tidak ada", "KOSONG"),
    ("Belum Punya", "KOSONG"),
    ("tdk punya hp", "KOSONG"),
    ("N/A", "KOSONG"),
    ("HP 081217263845", "KARAKTER_TIDAK_SAH"),
    ("0812-xxxx-xxxx", "KARAKTER_TIDAK_SAH"),
    ("O81217263845", "KARAKTER_TIDAK_SAH"),
    ("0812+1726+3845", "KARAKTER_TIDAK_SAH"),
    ("8.1217E+11", "NOTASI_ILMIAH"),
    ("8,12173E+11", "NOTASI_ILMIAH"),
    ("6.28122E+12", "NOTASI_ILMIAH"),
    ("0812-1726-3845 / 0857-1122-3344", "DUA_NOMOR"),
    ("081217263845,085711223344", "DUA_NOMOR"),
    ("081217263845 atau 085711223344", "DUA_NOMOR"),
    ("081217263845 085711223344", "DUA_NOMOR"),
    ("0812", "TERLALU_PENDEK"),
    ("081217263", "TERLALU_PENDEK"),
    ("+62", "TERLALU_PENDEK"),
    ("08121726384512", "TERLALU_PANJANG"),
    ("+62 81217263845123", "TERLALU_PANJANG"),
    ("+60 12-345 6789", "BUKAN_INDONESIA"),
    ("+1 415 555 0100", "BUKAN_INDONESIA"),
    ("0060123456789", "BUKAN_INDONESIA"),
    ("021-5551234", "TELEPON_RUMAH"),
    ("(0274) 512345", "TELEPON_RUMAH"),
    ("+62 21 5551234", "TELEPON_RUMAH"),
    ("0411 452 123", "TELEPON_RUMAH"),
    ("112", "NOMOR_LAYANAN"),
    ("14045", "NOMOR_LAYANAN"),
    ("1500 123", "NOMOR_LAYANAN"),
    ("0800-1-234567", "NOMOR_LAYANAN"),
    ("08071234567", "NOMOR_LAYANAN"),
    ("08101234567", "PREFIKS_TIDAK_DIKENAL"),
    ("08201234567", "PREFIKS_TIDAK_DIKENAL"),
    ("08401234567", "PREFIKS_TIDAK_DIKENAL"),
    ("08901234567", "PREFIKS_TIDAK_DIKENAL"),
    ("08281234567", "PREFIKS_TIDAK_DIKENAL"),
    ("0198765431", "PREFIKS_TIDAK_DIKENAL"),
    ("0800000000", "NOMOR_CONTOH"),
    ("081234567890", "NOMOR_CONTOH"),
    ("0812-3456-7890", "NOMOR_CONTOH"),
    ("08123456789", "NOMOR_CONTOH"),
    ("081111111111", "NOMOR_CONTOH"),
    ("0888888888888", "NOMOR_CONTOH"),
    ("085200000000", "NOMOR_CONTOH"),
    ("081398765432", "NOMOR_CONTOH"),
    ("1111111111", "NOMOR_CONTOH"),
    ("123456789", "NOMOR_CONTOH"),
    # A date cell as the Excel readers write it (imports.reader._cell), or its text in a CSV:
    # read as digits, 2024-01-05 was a landline and 10:30:00 a letter.
    ("2024-01-05", "NOMOR_BERUPA_TANGGAL"),
    ("2024-01-05 00:00:00", "NOMOR_BERUPA_TANGGAL"),
    ("2024-01-05 10:30", "NOMOR_BERUPA_TANGGAL"),
    ("2024-01-05T10:30:00.500000", "NOMOR_BERUPA_TANGGAL"),
    ("08:12:00", "NOMOR_BERUPA_TANGGAL"),
    ("30:00:00", "NOMOR_BERUPA_TANGGAL"),
    (" '2024-01-05' ", "NOMOR_BERUPA_TANGGAL"),
    ("２０２４-０１-０５", "NOMOR_BERUPA_TANGGAL"),
    # A date cell of a sheet saved as CSV, day and month in either order (decision 0134): read
    # as digits, these were a short number, a landline or an unknown prefix.
    ("08-12-2024", "NOMOR_BERUPA_TANGGAL"),
    ("05/01/2024", "NOMOR_BERUPA_TANGGAL"),
    ("12/31/2024", "NOMOR_BERUPA_TANGGAL"),
    ("5.1.1999", "NOMOR_BERUPA_TANGGAL"),
    # Not the shape of a date: the rules as before.
    ("2024-13-05", "TELEPON_RUMAH"),
    ("13/13/2024", "PREFIKS_TIDAK_DIKENAL"),
    ("05/01-2024", "TELEPON_RUMAH"),
    ("05/01/1850", "TELEPON_RUMAH"),
    ("08-12-34", "TERLALU_PENDEK"),
    ("0812:3456:7890", "KARAKTER_TIDAK_SAH"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_inputs_carry_their_reason_and_nothing_else(text: str, reason: str) -> None:
    assert check(text) == Verdict(text, None, None, False, reason, None, None)


def test_every_reason_code_is_exercised_and_documented() -> None:
    assert {r for _, r in REFUSED} == set(REASONS)


@pytest.mark.parametrize("code", sorted(REASONS) + sorted(WARNINGS))
def test_every_reason_has_messages_and_action_in_both_languages(code: str) -> None:
    r = describe(code)
    assert r is not None and r.code == code
    for text in (r.message_id, r.message_en, r.action_id, r.action_en):
        assert len(text) > 10
    assert code.isupper() and " " not in code


@pytest.mark.parametrize("code", sorted(REASONS) + sorted(WARNINGS))
def test_no_reason_text_holds_a_phone_number_not_even_an_example(code: str) -> None:
    # The texts are stored with refused rows and reach job reports and logs (decision 0081).
    from tests.privacy_canary import find_numbers

    r = describe(code)
    assert r is not None
    assert [find_numbers(t) for t in (r.message_id, r.message_en, r.action_id, r.action_en)] == [
        [],
        [],
        [],
        [],
    ]


def test_none_input_is_blank_with_empty_input() -> None:
    assert check(None) == Verdict("", None, None, False, "KOSONG", None, None)


def test_warning_only_on_valid_verdicts() -> None:
    v = check("2155512345")  # lost zero, but a landline
    assert (v.reason, v.warning) == ("TELEPON_RUMAH", None)


def test_verdict_is_frozen() -> None:
    v = check("081217263845")
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.valid = False  # type: ignore[misc]


def test_operators_display_names() -> None:
    assert OPERATORS == {
        "telkomsel": "Telkomsel",
        "indosat": "Indosat Ooredoo",
        "xl": "XL Axiata",
        "axis": "AXIS",
        "tri": "Tri (3)",
        "smartfren": "Smartfren",
    }


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+6281234567890", "0812****7890"),
        ("+6281217263845", "0812****3845"),
        ("0812-1726-3845", "0812****3845"),
        ("81217263845", "0812****3845"),
        ("+62811234987", "0811**4987"),
        ("0812****3845", "0812****3845"),
        ("021-5551234", "0215**1234"),
        ("0274-51234", "02*****34"),
        ("12345", "*****"),
        ("tidak ada", ""),
        ("Budi 0812", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_shows_at_most_first_and_last_four_digits(value: str | None, masked: str) -> None:
    assert mask(value) == masked


def test_mask_never_leaks_letters_or_middle_digits() -> None:
    out = mask("Nama Siswa 081217263845")
    assert set(out) <= set("0123456789*") and "1726" not in out


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+6281234567890", "0812-3456-7890"),
        ("+62811234987", "0811-234-987"),
        ("6281217263845", "0812-1726-3845"),
        ("021-5551234", "021-5551234"),
        ("", ""),
        (None, ""),
    ],
)
def test_national_display(value: str | None, shown: str) -> None:
    assert national_display(value) == shown


@pytest.mark.parametrize(
    ("digits", "typed", "reason"),
    [
        ("81217263845", "081217263845", None),  # valid: the 0 the cell dropped
        ("2112345678", "02112345678", "TELEPON_RUMAH"),
        ("8121726", "08121726", "TERLALU_PENDEK"),
        ("8101234567", "08101234567", "PREFIKS_TIDAK_DIKENAL"),
        ("6281217263845", "6281217263845", None),  # the country code, not a lost 0
        ("62211234567", "62211234567", "TELEPON_RUMAH"),
        ("14045", "14045", "NOMOR_LAYANAN"),
        ("1111111111", "1111111111", "NOMOR_CONTOH"),  # a run as a whole, not 0 + a run
        ("0", "0", "KOSONG"),
    ],
)
def test_a_number_cell_gets_back_the_zero_the_engine_reads_it_without(
    digits: str, typed: str, reason: str | None
) -> None:
    from verval.phones.core import with_lost_zero

    assert with_lost_zero(digits) == typed
    assert check(typed).reason == check(digits).reason == reason


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        nsn(),  # national significant numbers, mobile and not, of every length
        st.from_regex(r"\A[1-9][0-9]{0,14}\Z"),
        st.integers(min_value=1, max_value=10**15 - 1).map(str),
    )
)
def test_the_zero_given_back_to_a_number_cell_never_changes_its_verdict(digits: str) -> None:
    from verval.phones.core import with_lost_zero

    before, after = check(digits), check(with_lost_zero(digits))
    assert (after.valid, after.e164, after.reason, after.operator) == (
        before.valid,
        before.e164,
        before.reason,
        before.operator,
    )
