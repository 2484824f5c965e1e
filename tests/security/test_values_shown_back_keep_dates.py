"""A value shown back in a refused row (`core.logging.masked_value`, decision 0136): every stretch
that could be a phone number is masked, in any form it is typed in; a date or a date and time
(`2020-01-01`, `2020-01-01T00:00:00`, `01/02/2020`) is shown as the file holds it. Privacy first:
a date-like stretch that a digit touches is masked with the number around it."""

from __future__ import annotations

import datetime
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.phones.strategies import FORMS, render
from verval.core.logging import masked_value


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("0812-3456-7890", "0812****7890"),
        ("081234567890", "0812****7890"),
        ("0812 3456 7890", "0812****7890"),
        ("0812.3456.7890", "0812****7890"),
        ("(0812) 3456-7890", "0812****7890"),
        ("+62 812 3456 7890", "0812****7890"),
        ("+62 (0) 812-3456-7890", "+62 0812****7890"),
        ("+6281234567890", "0812****7890"),
        ("6281234567890", "0812****7890"),
        ("62812-3456-7890", "0812****7890"),
        ("006281234567890", "0812****7890"),
        ("81234567890", "0812****7890"),
        ("(021) 123-4567", "0211**4567"),
        ("021-1234567", "0211**4567"),
        ("0812-2020-01-01", "0812****0101"),  # a date-like end of a number: the number, masked
        ("0812 01-02-2020", "0812****2020"),
        ("2020-01-01 0812 3456 7890", "2020************7890"),  # a number after a date, one run
        ("(021) 01-02-2020", "0210***2020"),
        ("2020-01-0112345", "2020*****2345"),  # digits go on past the day: not a date
        ("2020-13-01", "20****01"),  # no month 13: eight digits with dashes, masked as before
        ("20200101", "20****01"),  # a date without separators is digits like any others
        ("２０２０-０１-０１", "20****01"),  # only ASCII digits make a date
    ],
)
def test_a_phone_number_in_any_typed_form_is_still_masked(typed: str, shown: str) -> None:
    assert masked_value(typed) == shown


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-01",
        "2020-01-01T00:00:00",
        "2020-01-01 00:00:00",
        "2020-01-01T00:00",
        "2020-09-21T10:00:00+07:00",
        "2020-09-21T10:00:00+0700",
        "2020-09-21T03:00:00Z",
        "2020-09-21T10:00:00.123456",
        "1999-12-31",
        "01/02/2020",
        "1/2/2020",
        "12/31/2020",
        "31-12-2020",
        "05.01.2024",
    ],
)
def test_a_date_or_a_date_and_time_is_shown_as_written(value: str) -> None:
    assert masked_value(value) == value


def test_an_injection_time_before_the_batch_comes_back_whole_beside_a_masked_number() -> None:
    # What the walk of decision 0133 met: `20****01T00:00:00` in an injection report.
    assert masked_value("2020-01-01T00:00:00") == "2020-01-01T00:00:00"
    assert (
        masked_value("waktu 2020-01-01T00:00:00, nomor 0812-3456-7890")
        == "waktu 2020-01-01T00:00:00, nomor 0812****7890"
    )


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


@settings(max_examples=400, deadline=None)
@given(
    # A mobile number's significant digits (SPEC §5: 8xy and 9 to 12 digits), in every form.
    n=st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(["81", "82", "83", "85", "87", "88", "89"]),
        st.text("0123456789", min_size=7, max_size=10),
    ),
    form=st.sampled_from(FORMS),
    date=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)).map(
        lambda d: d.isoformat()
    ),
    before=st.sampled_from(["", "waktu ", "dikirim ", "("]),
    joint=st.sampled_from([", ", "; ", " | ", " dan ", ",", " "]),
)
def test_a_number_typed_beside_a_date_is_never_shown_in_full(  # type: ignore[no-untyped-def]
    n, form, date, before, joint
):
    typed = render(form, n)
    alone = masked_value(typed)
    assert "*" in alone
    for value in (f"{before}{typed}{joint}{date}", f"{before}{date}{joint}{typed}"):
        shown = masked_value(value)
        # No run of the number's significant digits survives, however it was typed.
        assert n not in re.sub(r"\D", "", _ascii_digits(shown))
        # Apart from the date, shown whole, the number is masked exactly as it is alone: the four
        # digits either side of the mask are all that show of it. (Comparing digit runs instead
        # fails by chance: 8508500000's mask 0850****0000 shows 0850 and 0000, which side by side
        # are its last eight digits.)
        apart = value.replace(typed, alone)
        if joint == " " and shown != apart:
            # A space between two digits joins them into one run (a number typed in groups): the
            # date goes with the number, masked together.
            assert date not in shown
            assert "*" in shown
        else:
            assert shown == apart


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)),
    time=st.one_of(st.none(), st.times()),
    offset=st.sampled_from(["", "Z", "+07:00", "+0800", "-03:00"]),
    joint=st.sampled_from([", ", " sebelum ", ";", ""]),
)
def test_an_iso_date_or_time_beside_text_is_shown_as_written(day, time, offset, joint):  # type: ignore[no-untyped-def]
    text = day.isoformat() + (f"T{time.isoformat()}{offset}" if time is not None else "")
    value = f"batch{joint}{text}" if joint else text
    assert masked_value(value) == value
