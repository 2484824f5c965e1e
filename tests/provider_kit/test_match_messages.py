"""What the kit says when it refuses a file: cut off, unreadable, not UTF-8, not gzip; never a
phone number, always the file and, when it can, the line."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import pytest

from verval_provider import match
from verval_provider.cli import main
from verval_provider.match import MatchError

DUMP = (
    "pd_id,tingkat_pendidikan,npsn,no_ponsel\n"
    "11111111-1111-4111-8111-111111111111,4,20100001,6281200000001\n"
    "22222222-2222-4222-8222-222222222222,PTK,20100001,6281200000002\n"
    "33333333-3333-4333-8333-333333333333,PAUD,20100001,6281200000003\n"
)
SUBS = "msisdn,status\n6281200000001,active\n6281200000002,grace\n6281200000003,inactive\n"
# Seven digits in a row: what a message must never hold (every number here has thirteen).
LONG_DIGITS = re.compile(r"\d{7}")
DUMP_CUT_OFF = (
    "cut off: its last line has no line end (the server ends every dump with a line break); download it again"
)
EXPORT_CUT_OFF = (
    "cut off: its last line has no line end (a complete export ends with a line break); "
    "export it again, or add the line break if nothing is missing"
)
EXPECTED = "expected active, grace, inactive, not_subscriber"


def _run(tmp_path: Path, dump: str, subs: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The match command's exit code must be 2 and no results file written; returns stderr."""
    args = ["match", "--dump", str(tmp_path / dump), "--subscribers", str(tmp_path / subs)]
    assert main([*args, "--out", str(tmp_path / "hasil.csv")]) == 2
    assert not (tmp_path / "hasil.csv").exists()
    err = capsys.readouterr().err
    assert not LONG_DIGITS.search(err)
    return err


@pytest.fixture
def pieces(monkeypatch):  # type: ignore[no-untyped-def]
    """Read every dump as a large one: unpacked in a thread, 7 bytes at a time."""
    matcher = sys.modules["verval_provider.match"]
    monkeypatch.setattr(matcher, "_WHOLE_UP_TO", 0)
    monkeypatch.setattr(matcher, "_CHUNK", 7)


@pytest.mark.parametrize("read", ["whole", "in pieces"])
@pytest.mark.parametrize("name", ["dump.csv", "dump.csv.gz"])
def test_a_dump_cut_inside_its_last_number_is_refused_as_cut_off(tmp_path, capsys, request, read, name):  # type: ignore[no-untyped-def]
    if read == "in pieces":
        request.getfixturevalue("pieces")
    cut = DUMP[: -len("003\n")].encode()  # the last number reads 62812000000: TIDAK_TERDAFTAR before
    (tmp_path / name).write_bytes(gzip.compress(cut) if name.endswith(".gz") else cut)
    (tmp_path / "subs.csv").write_text(SUBS)

    assert _run(tmp_path, name, "subs.csv", capsys) == f"verval-provider match: dump {name}: {DUMP_CUT_OFF}\n"


def test_a_dump_missing_only_its_final_line_break_is_refused_too(tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP[:-1])
    (tmp_path / "subs.csv").write_text(SUBS)

    with pytest.raises(MatchError) as refused:
        match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")

    assert str(refused.value) == f"dump dump.csv: {DUMP_CUT_OFF}"


@pytest.mark.parametrize("name", ["subs.csv", "subs.csv.gz"])
def test_an_export_cut_inside_its_last_status_is_refused_as_cut_off(tmp_path, capsys, name):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    cut = SUBS[: -len("tive\n")].encode()  # the last status reads `inac`
    (tmp_path / name).write_bytes(gzip.compress(cut) if name.endswith(".gz") else cut)

    assert _run(tmp_path, "dump.csv", name, capsys) == (
        f"verval-provider match: subscribers {name}: {EXPORT_CUT_OFF}\n"
    )


def test_an_export_with_an_empty_status_says_so_and_on_which_line(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(
        "msisdn,status\n6281200000001,active\n6281200000002,\n6281200000003\n6281299999999,\n"
    )

    assert _run(tmp_path, "dump.csv", "subs.csv", capsys) == (
        f"verval-provider match: subscribers subs.csv: empty status on 2 rows (first on line 3; {EXPECTED})\n"
    )


def test_a_status_not_understood_is_named_masked_with_its_first_line(tmp_path, capsys):  # type: ignore[no-untyped-def]
    # Columns swapped in one row: the status is a phone number, and must not be printed whole.
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(
        "msisdn,status\n6281200000001,active\n6281200000002,suspended\n6281200000003,6281200000003\n"
    )

    assert _run(tmp_path, "dump.csv", "subs.csv", capsys) == (
        "verval-provider match: subscribers subs.csv: status not understood: '6281*****0003', "
        f"'suspended' ({EXPECTED}; first on line 3)\n"
    )


def test_a_utf16_export_is_named_as_such(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_bytes(SUBS.encode("utf-16"))

    assert _run(tmp_path, "dump.csv", "subs.csv", capsys) == (
        "verval-provider match: subscribers subs.csv: not UTF-8 text (it looks like UTF-16): "
        "save it as a UTF-8 CSV\n"
    )


def test_an_export_whose_later_line_is_not_utf8_is_named_with_that_line(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_bytes(SUBS.encode() + b"6281200000004,\xe9t\xe9\n")

    assert _run(tmp_path, "dump.csv", "subs.csv", capsys) == (
        "verval-provider match: subscribers subs.csv: not a CSV the kit can read "
        "(line 5 is not UTF-8 text: save the file as a UTF-8 CSV)\n"
    )


def test_a_gz_export_that_is_not_gzip_is_named_as_such(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv.gz").write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(200)))

    assert _run(tmp_path, "dump.csv", "subs.csv.gz", capsys) == (
        "verval-provider match: subscribers subs.csv.gz: not a gzip file, though its name ends in .gz "
        "(compress it with gzip, or name it .csv)\n"
    )


def test_a_gz_dump_that_is_not_gzip_is_named_as_such(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv.gz").write_text("<html><body>502 Bad Gateway</body></html>\n")
    (tmp_path / "subs.csv").write_text(SUBS)

    assert _run(tmp_path, "dump.csv.gz", "subs.csv", capsys) == (
        "verval-provider match: dump dump.csv.gz: not a gzip file, though its name ends in .gz "
        "(the server sends every dump gzip-compressed: download it again)\n"
    )


def test_a_stray_quote_in_the_export_names_its_line_and_no_number(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "s_quote.csv").write_text(
        'msisdn,status\n6281200000001,active\n"6281200000002,inactive\n6281200000003,active\n'
    )

    assert _run(tmp_path, "dump.csv", "s_quote.csv", capsys) == (
        "verval-provider match: subscribers s_quote.csv: not a CSV the kit can read "
        '(line 3: a field that opens with a quote mark (") is never closed)\n'
    )


@pytest.mark.parametrize("read", ["whole", "in pieces"])
def test_a_stray_quote_in_the_dump_names_its_line_and_no_number(tmp_path, capsys, request, read):  # type: ignore[no-untyped-def]
    if read == "in pieces":
        request.getfixturevalue("pieces")
    head, first, second, third = DUMP.splitlines(keepends=True)
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress((head + first + '"' + second + third).encode()))
    (tmp_path / "subs.csv").write_text(SUBS)

    assert _run(tmp_path, "dump.csv.gz", "subs.csv", capsys) == (
        "verval-provider match: dump dump.csv.gz: not a CSV the kit can read "
        '(line 3: a field that opens with a quote mark (") is never closed)\n'
    )


def test_polars_own_reason_is_cut_to_its_first_line_and_masked_when_no_bad_line_is_found(
    tmp_path, capsys, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys.modules["verval_provider.match"], "_bad_line", lambda path: None)
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "s_quote.csv").write_text(
        'msisdn,status\n6281200000001,active\n"6281200000002,inactive\n6281200000003,active\n'
    )

    assert _run(tmp_path, "dump.csv", "s_quote.csv", capsys) == (
        "verval-provider match: subscribers s_quote.csv: not a CSV the kit can read "
        '(could not parse `"6281*****0002,inactive)\n'
    )


def test_mask_hides_every_phone_like_run_of_seven_digits_or_more():
    mask = sys.modules["verval_provider.match"]._mask

    assert mask("6281234567890; +62 812-3456-7890; 0812.3456.789; 1234567; 123456; pd 2020") == (
        "6281*****7890; 6281*****7890; 0812***6789; 12***67; 123456; pd 2020"
    )
    # Digits apart by single spaces are one number, however many: more is masked, never less.
    assert mask("6281234567890 123") == "6281********0123"


@pytest.mark.parametrize("url", ["notaurl", "verval.example.go.id", "ftp://verval.example.go.id", "https://"])
def test_sync_refuses_a_url_that_is_not_an_http_address_in_one_line(tmp_path, capsys, url):  # type: ignore[no-untyped-def]
    args = ["sync", "--url", url, "--token", "vp_x", "--subscribers", str(tmp_path / "s.csv")]

    assert main([*args, "--workdir", str(tmp_path / "work")]) == 2

    assert capsys.readouterr().err == (
        "verval-provider sync: --url must be an http:// or https:// address with a host, "
        "e.g. https://verval.example.go.id\n"
    )
    assert not (tmp_path / "work").exists()


def test_sync_refuses_a_url_with_a_space(tmp_path, capsys):  # type: ignore[no-untyped-def]
    args = ["sync", "--url", "https://verval .example.go.id", "--token", "vp_x", "--subscribers", "s.csv"]

    assert main(args) == 2

    assert capsys.readouterr().err == (
        "verval-provider sync: --url must be an http:// or https:// address with a host, "
        "e.g. https://verval.example.go.id (no spaces or non-ASCII characters)\n"
    )


@pytest.mark.parametrize("sep", [";", "\t"])
def test_an_export_separated_by_semicolons_or_tabs_is_named_not_comma_separated(tmp_path, capsys, sep):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(SUBS.replace(",", sep))

    assert _run(tmp_path, "dump.csv", "subs.csv", capsys) == (
        "verval-provider match: subscribers subs.csv: not comma-separated "
        "(expected a header with msisdn,status): save it as a comma-separated CSV\n"
    )


def test_an_export_without_the_msisdn_header_shows_its_first_line_with_numbers_masked(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(SUBS.removeprefix("msisdn,status\n"))  # no header row at all

    assert _run(tmp_path, "dump.csv", "subs.csv", capsys) == (
        "verval-provider match: subscribers subs.csv: header is '6281*****0001,active', expected a "
        "header with msisdn,status (the first line names the columns)\n"
    )


def test_an_export_header_in_upper_case_with_an_extra_column_matches(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(
        "\ufeffMSISDN,Status,Nama\r\n6281200000001,ACTIVE,x\r\n081200000002,Grace,y\r\n"
    )
    args = ["match", "--dump", str(tmp_path / "dump.csv"), "--subscribers", str(tmp_path / "subs.csv")]

    assert main([*args, "--out", str(tmp_path / "hasil.csv")]) == 0
    assert (tmp_path / "hasil.csv").read_text().splitlines()[1:] == [
        "11111111-1111-4111-8111-111111111111,6281200000001,AKTIF",
        "22222222-2222-4222-8222-222222222222,6281200000002,MASA_TENGGANG",
        "33333333-3333-4333-8333-333333333333,6281200000003,TIDAK_TERDAFTAR",
    ]
