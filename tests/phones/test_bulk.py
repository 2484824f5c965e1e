"""check_many and check_series give exactly the verdicts of check()."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verval.phones import check, check_many, check_series
from verval.phones.bulk import verdicts_from_frame
from verval.phones.samples import generate

from .strategies import any_text


def _series_verdicts(texts: list[str | None], parallel: int = 2) -> list:
    return verdicts_from_frame(
        check_series(pl.Series("x", texts, dtype=pl.String), with_warning=True, parallel=parallel)
    )


def test_check_series_equals_check_on_a_large_generated_sample() -> None:
    texts = [t for _, t in generate(60_000, seed=7)]
    expected = [check(t) for t in texts]
    assert _series_verdicts(texts) == expected  # parallel slices
    assert check_many(texts) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_text, min_size=1, max_size=60))
def test_check_series_equals_check_on_arbitrary_text(texts: list[str]) -> None:
    assert _series_verdicts(texts, parallel=1) == [check(t) for t in texts]
    assert check_many(texts) == [check(t) for t in texts]


def test_check_series_drops_a_spreadsheet_decimal_after_separators_like_check() -> None:
    texts = ["0812-7364-2910.0", "0812 7364 2910.0", "081273642910.0", "0812 7364 2910,00", "08 12.0"]
    df = check_series(pl.Series("x", texts, dtype=pl.String), with_warning=True)

    assert df.select("e164", "valid", "reason", "warning").rows() == [
        ("+6281273642910", True, None, "DESIMAL_SPREADSHEET"),
        ("+6281273642910", True, None, "DESIMAL_SPREADSHEET"),
        ("+6281273642910", True, None, "DESIMAL_SPREADSHEET"),
        ("+6281273642910", True, None, "DESIMAL_SPREADSHEET"),
        (None, False, "TERLALU_PENDEK", None),
    ]
    assert verdicts_from_frame(df) == [check(t) for t in texts]


def test_check_series_output_columns_types_and_nulls() -> None:
    df = check_series(pl.Series(["0812-1726-3845", None, "021-5551234"]))
    assert df.columns == ["input", "e164", "national", "valid", "reason", "operator"]
    assert df.schema["valid"] == pl.Boolean
    assert df.rows() == [
        ("0812-1726-3845", "+6281217263845", "0812-1726-3845", True, None, "telkomsel"),
        ("", None, None, False, "KOSONG", None),
        ("021-5551234", None, None, False, "TELEPON_RUMAH", None),
    ]


def test_check_series_gives_only_the_columns_asked_for_with_the_same_values() -> None:
    texts = ["0812-1726-3845", "tidak ada", "+62 857 1938 4627", "081217263845.0", "021-5551234"]
    full = check_series(pl.Series(texts), with_warning=True)
    some = check_series(pl.Series(texts), columns=("reason", "e164", "warning"))
    assert some.columns == ["reason", "e164", "warning"]
    assert some.rows() == full.select("reason", "e164", "warning").rows()
    assert some.get_column("e164").to_list() == [
        "+6281217263845",
        None,
        "+6285719384627",
        "+6281217263845",
        None,
    ]
    with pytest.raises(ValueError, match="unknown columns"):
        check_series(pl.Series(texts), columns=("e164", "nomor"))


def test_check_series_reads_plain_digit_strings_of_16_to_18_digits_like_check() -> None:
    texts = ["0062857193846271", "00628571234567890", "085712345678901234", "1234567890123456789"]
    assert _series_verdicts(texts) == [check(t) for t in texts]
    assert [(v.e164, v.reason) for v in _series_verdicts(texts)] == [
        ("+62857193846271", None),
        (None, "TERLALU_PANJANG"),
        (None, "TERLALU_PANJANG"),
        (None, "NOMOR_CONTOH"),
    ]


def test_check_series_decides_two_numbers_in_one_field_like_check_mostly_in_polars(monkeypatch) -> None:
    from verval.phones import bulk

    sent_to_check: list[str] = []
    scalar = bulk._scalar

    def counting(df: pl.DataFrame) -> pl.DataFrame:
        sent_to_check.extend(df.get_column("input").to_list())
        return scalar(df)

    monkeypatch.setattr(bulk, "_scalar", counting)
    texts = [
        "081234567890 / 085712345678",  # two parts between separators
        "081234567890 atau 0857123456",
        "081234567890 085712345678",  # one space: two mobile-like digit groups
        "0812 3456 7890 0857 1234 5678",  # many groups: check() pairs them up
        "HP 081234567890, 085712345678",  # letters, but two numbers first
        "HP 0812345678901234567",  # letters and one long number
        "0812-3456-7890-1234-5678",  # one long number of allowed characters
        "+62 812 3456 7890 +62 857 1234 5678",
        "0812-3456-7890 / 0857-1234-5678",
    ]
    verdicts = _series_verdicts(texts)
    assert verdicts == [check(t) for t in texts]
    assert [v.reason for v in verdicts] == [
        "DUA_NOMOR",
        "DUA_NOMOR",
        "DUA_NOMOR",
        "DUA_NOMOR",
        "DUA_NOMOR",
        "KARAKTER_TIDAK_SAH",
        "TERLALU_PANJANG",
        "DUA_NOMOR",
        "DUA_NOMOR",
    ]
    # Only the digit groups that may pair up in several ways go to check() one by one.
    assert sorted(sent_to_check) == ["0812 3456 7890 0857 1234 5678", "0812-3456-7890-1234-5678"]


def test_check_series_names_a_date_like_check_and_decides_it_in_polars(monkeypatch) -> None:
    from verval.phones import bulk

    sent_to_check: list[str] = []
    scalar = bulk._scalar

    def counting(df: pl.DataFrame) -> pl.DataFrame:
        sent_to_check.extend(df.get_column("input").to_list())
        return scalar(df)

    monkeypatch.setattr(bulk, "_scalar", counting)
    texts = [
        "2024-01-05",  # tier 1 would read its digits as a landline
        " 2024-01-05 ",
        "2024-01-05 00:00:00",
        "2024-01-05 10:30:00.500000",
        "08:12:00",
        "２０２４-０１-０５",  # full-width digits: folded first
        "2024-01-05\t",  # other white space: check()
        "08-12-2024",  # day and month in either order (decision 0134), tier 1b's separators
        "5.1.2024",
        "05/01/2024",  # a slash: tier 2
        "2024-13-05",  # no month 13: digits
        "13/13/2024",
        "05.01-2024",  # two separators
        "0812:3456:7890",
    ]
    verdicts = _series_verdicts(texts)
    assert verdicts == [check(t) for t in texts]
    assert [v.reason for v in verdicts] == [
        *["NOMOR_BERUPA_TANGGAL"] * 10,
        "TELEPON_RUMAH",
        "PREFIKS_TIDAK_DIKENAL",
        "TELEPON_RUMAH",
        "KARAKTER_TIDAK_SAH",
    ]
    assert sent_to_check == ["2024-01-05\t"]


def test_check_series_accepts_numbers_from_a_numeric_spreadsheet_column() -> None:
    df = check_series(pl.Series([81217263845, None], dtype=pl.Int64), with_warning=True)
    assert df.row(0) == (
        "81217263845",
        "+6281217263845",
        "0812-1726-3845",
        True,
        None,
        "telkomsel",
        "NOL_DEPAN_HILANG",
    )


def test_check_series_of_empty_input_is_empty_frame() -> None:
    df = check_series(pl.Series([], dtype=pl.String))
    assert df.height == 0 and df.columns == ["input", "e164", "national", "valid", "reason", "operator"]


def test_check_many_shares_verdicts_of_repeated_inputs() -> None:
    out = check_many(["081217263845", "081217263845"])
    assert out[0] is out[1]
