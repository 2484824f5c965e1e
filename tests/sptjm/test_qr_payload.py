"""The QR text of a printed page (decision 0084): page p of N since then, none before; both read."""

from __future__ import annotations

import pytest

from verval.sptjm import actions, document

NUMBER = "SPTJM/2020-09A/20100001/1"
SHA = "6fb33b1b62b6904faa9825455437c2ac0f675def5b8b9c82854f54c3487528eb"


def test_payload_of_a_page_round_trips_with_its_page_and_page_count():
    text = document.qr_payload(NUMBER, SHA, 37, 160)

    assert text == f"VERVAL-SPTJM|2|{NUMBER}|37|160|{SHA.upper()}"
    assert document.parse_qr_payload(text) == document.QrPayload(NUMBER, SHA, 37, 160)


def test_payload_of_an_old_print_round_trips_without_a_page():
    text = document.qr_payload(NUMBER, SHA)

    assert text == f"VERVAL-SPTJM|1|{NUMBER}|{SHA}"
    assert document.parse_qr_payload(text) == document.QrPayload(NUMBER, SHA, None, None)
    assert document.parse_qr_payload(f" {text}\n") == (NUMBER, SHA, None, None)


@pytest.mark.parametrize(
    "text",
    [
        f"VERVAL-SPTJM|2|{NUMBER}|0|4|{SHA}",  # no page 0
        f"VERVAL-SPTJM|2|{NUMBER}|5|4|{SHA}",  # past the count
        f"VERVAL-SPTJM|2|{NUMBER}|x|4|{SHA}",
        f"VERVAL-SPTJM|3|{NUMBER}|1|4|{SHA}",  # a version not known
        f"VERVAL-SPTJM|2|{NUMBER}|1|{SHA}",
        f"OTHER|1|{NUMBER}|{SHA}",
        "https://example.org/",
    ],
)
def test_a_text_that_is_not_one_of_our_payloads_is_not_read_as_one(text):
    assert document.parse_qr_payload(text) is None


def test_the_page_number_costs_no_qr_version_so_modules_stay_as_large():
    # The hash in alphanumeric mode pays for the page: the same 41 x 41 modules in the same 28 mm
    # as the QR without a page (a small phone photo of the page still reads it, decision 0084).
    old = document._qr_code(document.qr_payload(NUMBER, SHA))
    new = document._qr_code(document.qr_payload(NUMBER, SHA, 160, 160))

    assert (old.version, new.version) == (6, 6)


@pytest.mark.parametrize(
    ("pages", "said"),
    [
        ([37, 41], "37, 41"),
        ([5, 2], "2, 5"),
        ([1, 2, 3, 5], "1–3, 5"),
        ([1, 2, 4, 5], "1, 2, 4, 5"),
        (list(range(2, 160, 2)), "2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, … (79)"),
    ],
)
def test_page_lists_read_as_a_reader_writes_them(pages, said):
    assert actions.page_list(pages) == said
