"""An export's msisdn the kit cannot read as a number (decision 0106): a float that is exactly an
integer (`6281234567890.0`) is read as it; anything else (scientific notation, a letter, brackets,
an empty value) still matches nothing, but is counted and its first lines named, by `match` and by
`sync`, on standard error (Indonesian, then English), in the summary, the JSON and the ledger, and
the command exits 1. No message holds a number: only counts and line numbers."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from verval.exchange import actions
from verval.exchange.simulator import DjangoClientTransport
from verval_provider import cli, match
from verval_provider.match import MatchError, unreadable_summary, unreadable_warning

DUMP = "pd_id,tingkat_pendidikan,npsn,no_ponsel\n" + "".join(
    f"{i:08d}-1111-4111-8111-111111111111,4,20100001,62812000{i:05d}\n" for i in range(1, 5)
)
# Seven digits in a row: what the kit's output must never hold (line numbers are grouped).
LONG_DIGITS = re.compile(r"\d{7}")
# A job's id in the server's answer may hold seven digits in a row (it did once in CI): ids are
# taken out before looking for a number.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _digits_left(text: str, batch_id: str) -> re.Match[str] | None:
    """A run of seven digits in `text` outside the batch's and the jobs' ids: a number, unmasked."""
    return LONG_DIGITS.search(UUID.sub("", text.replace(batch_id, "")))


NONE_UNREADABLE = {
    "count": 0,
    "first_lines": [],
    "by_kind": {"scientific_notation": 0, "empty": 0, "other": 0},
}


def _files(tmp_path: Path, export: str, dump: str = DUMP) -> tuple[Path, Path, Path]:
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(dump.encode()))
    (tmp_path / "subscribers.csv").write_text(export)
    return tmp_path / "dump.csv.gz", tmp_path / "subscribers.csv", tmp_path / "hasil.csv"


def _statuses(out: Path) -> list[str]:
    return [line.rsplit(",", 1)[1] for line in out.read_text().splitlines()[1:]]


@pytest.mark.parametrize(
    "written",
    [
        "6281200000001.0",
        "6281200000001.00",
        "081200000001.0",
        "+6281200000001.000",
        "0812 0000 0001.0",
        "81200000001.0",
    ],
)
def test_a_float_that_is_exactly_an_integer_is_read_as_that_integer(tmp_path, written):  # type: ignore[no-untyped-def]
    # What a spreadsheet's or pandas' float column writes for 6281200000001: the same digits.
    result = match(*_files(tmp_path, f"msisdn,status\n{written},active\n6281200000002,grace\n"))

    assert result["by_status"] == {"AKTIF": 1, "MASA_TENGGANG": 1, "TIDAK_TERDAFTAR": 2}
    assert result["unreadable"] == NONE_UNREADABLE
    assert _statuses(tmp_path / "hasil.csv") == [
        "AKTIF",
        "MASA_TENGGANG",
        "TIDAK_TERDAFTAR",
        "TIDAK_TERDAFTAR",
    ]


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("6.28120E+12", "scientific_notation"),  # a spreadsheet's General cell: digits lost
        ("6.2812E12", "scientific_notation"),
        ("6E+12", "scientific_notation"),
        ('"6,2812E+12"', "scientific_notation"),  # the same with a decimal comma
        ("6281200000001.5", "other"),  # decimals that are not zero: no phone number
        ("6281200000001.", "other"),
        ("6281200000001000.0", "other"),  # 16 digits: past E.164's 15, a float may have changed them
        ("62812OOOOOOO1", "other"),  # letters O for zeros
        ("(0812)00000001", "other"),
        ("-6281200000001", "other"),  # the cast would read a negative number
        ("62812000000x1", "other"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_each_kind_of_unreadable_value_is_counted_on_its_line_and_matches_nothing(tmp_path, written, kind):  # type: ignore[no-untyped-def]
    result = match(*_files(tmp_path, f"msisdn,status\n6281200000002,grace\n{written},active\n"))

    assert result["by_status"] == {"MASA_TENGGANG": 1, "TIDAK_TERDAFTAR": 3}
    assert result["unreadable"] == {
        "count": 1,
        "first_lines": [3],
        "by_kind": {"scientific_notation": 0, "empty": 0, "other": 0} | {kind: 1},
    }


def test_an_export_of_every_kind_gives_exact_counts_and_the_first_five_lines(tmp_path):  # type: ignore[no-untyped-def]
    export = (
        "msisdn,status\n"
        "6281200000001.0,active\n"  # 2: read
        "6.28120E+12,active\n"  # 3: scientific
        "\n"  # 4: a blank line holds no value: not counted
        ",inactive\n"  # 5: empty
        "6281200000003,inactive\n"  # 6: read
        "62812000000O4,grace\n"  # 7: other
        "6.2812E+12,grace\n"  # 8: scientific
        "(62812)00000009,active\n"  # 9: other
        "6281200000002.50,active\n"  # 10: other
        ",\n"  # 11: no msisdn, no status: blank
        "1.1E+12,active\n"  # 12: scientific
    )
    result = match(*_files(tmp_path, export))

    assert result["by_status"] == {"AKTIF": 1, "TIDAK_AKTIF": 1, "TIDAK_TERDAFTAR": 2}
    assert result["unreadable"] == {
        "count": 7,
        "first_lines": [3, 5, 7, 8, 9],
        "by_kind": {"scientific_notation": 3, "empty": 1, "other": 3},
    }


def test_a_gzip_export_with_windows_line_ends_names_the_same_lines(tmp_path):  # type: ignore[no-untyped-def]
    export = "msisdn,status\r\n6281200000001,active\r\n6.28E+12,active\r\nabc,grace\r\n"
    dump, _subs, out = _files(tmp_path, "")
    (tmp_path / "subscribers.csv.gz").write_bytes(gzip.compress(("\ufeff" + export).encode()))

    result = match(dump, tmp_path / "subscribers.csv.gz", out)

    assert result["unreadable"] == {
        "count": 2,
        "first_lines": [3, 4],
        "by_kind": {"scientific_notation": 1, "empty": 0, "other": 1},
    }


def test_the_match_command_warns_in_both_languages_writes_the_results_and_exits_1(tmp_path, capsys):  # type: ignore[no-untyped-def]
    export = "msisdn,status\n6281200000001,active\n6.28120E+12,grace\n,active\n62812000000O4,inactive\n"
    dump, subs, out = _files(tmp_path, export)

    code = cli.main(["match", "--dump", str(dump), "--subscribers", str(subs), "--out", str(out)])

    captured = capsys.readouterr()
    assert code == 1
    assert _statuses(out) == ["AKTIF", "TIDAK_TERDAFTAR", "TIDAK_TERDAFTAR", "TIDAK_TERDAFTAR"]
    assert captured.out.endswith(
        "{'AKTIF': 1, 'TIDAK_TERDAFTAR': 3}; 3 msisdn values of the export unreadable (lines 3, 4, 5)\n"
    )
    assert captured.err.splitlines() == [
        "verval-provider match: subscribers.csv: 3 nilai msisdn tidak terbaca sebagai nomor dan tidak cocok "
        "dengan nomor mana pun (baris 3, 4, 5): 1 dalam notasi ilmiah (seperti 6,28E+12: digitnya sudah "
        "hilang; format kolom sebagai angka tanpa desimal atau sebagai teks, lalu ekspor ulang); 1 kosong; "
        "1 lainnya (huruf, tanda kurung, desimal selain .0). Nomor dump yang tertulis demikian dijawab "
        "TIDAK_TERDAFTAR, dan setelah dikirim server menolak jawaban lain untuknya (BERTENTANGAN): perbaiki "
        "baris-baris ini dan cocokkan ulang sebelum mengunggah.",
        "verval-provider match: subscribers.csv: 3 msisdn values cannot be read as a number and match "
        "nothing (lines 3, 4, 5): 1 in scientific notation (like 6.28E+12: its digits are lost; format the "
        "column as a number without decimals or as text, and export again); 1 empty; 1 other (a letter, "
        "brackets, a decimal other than .0). A dump number written so is answered TIDAK_TERDAFTAR, and once "
        "sent the server refuses a different answer for it (BERTENTANGAN): correct these lines and match "
        "again before you upload.",
    ]


def test_the_match_commands_json_holds_the_unreadable_values_and_stderr_still_warns(tmp_path, capsys):  # type: ignore[no-untyped-def]
    dump, subs, out = _files(tmp_path, "msisdn,status\n6281200000001,active\n62812000000O2,grace\n")

    code = cli.main(["match", "--dump", str(dump), "--subscribers", str(subs), "--out", str(out), "--json"])

    captured = capsys.readouterr()
    line = json.loads(captured.out.strip().splitlines()[-1])
    assert (code, line["unreadable"]) == (
        1,
        {"count": 1, "first_lines": [3], "by_kind": {"scientific_notation": 0, "empty": 0, "other": 1}},
    )
    assert [e.split(": ", 2)[2][:60] for e in captured.err.splitlines()] == [
        "1 nilai msisdn tidak terbaca sebagai nomor dan tidak cocok d",
        "1 msisdn value cannot be read as a number and matches nothin",
    ]


def test_a_clean_export_says_nothing_more_and_exits_0(tmp_path, capsys):  # type: ignore[no-untyped-def]
    dump, subs, out = _files(tmp_path, "msisdn,status\n6281200000001,active\n\n6281200000002.0,grace\n")

    code = cli.main(["match", "--dump", str(dump), "--subscribers", str(subs), "--out", str(out), "--json"])

    captured = capsys.readouterr()
    assert (code, captured.err, json.loads(captured.out)["unreadable"]) == (0, "", NONE_UNREADABLE)


def test_no_output_of_the_match_holds_a_value_of_the_export(tmp_path, capsys):  # type: ignore[no-untyped-def]
    bad = ["6.28120E+12", "62812000000O2", "(0812)00000003", "6281200000004.5", "+62-812-0000-000x"]
    dump, subs, out = _files(tmp_path, "msisdn,status\n" + "".join(f"{b},active\n" for b in bad))

    for extra in ([], ["--json"]):
        cli.main(["match", "--dump", str(dump), "--subscribers", str(subs), "--out", str(out), *extra])
        captured = capsys.readouterr()
        text = captured.out.replace(str(out), "") + captured.err
        assert "lines 2, 3, 4, 5, 6" in text or '"first_lines": [2, 3, 4, 5, 6]' in text
        assert not LONG_DIGITS.search(text)
        assert not [b for b in bad if b in text or b.replace("-", "") in text]


def test_more_than_five_unreadable_values_name_the_first_five_lines_and_say_there_are_more(tmp_path):  # type: ignore[no-untyped-def]
    export = "msisdn,status\n" + "".join(f"x{i},active\n" for i in range(8)) + "6281200000001,active\n"
    result = match(*_files(tmp_path, export))

    assert result["unreadable"] == {
        "count": 8,
        "first_lines": [2, 3, 4, 5, 6],
        "by_kind": {"scientific_notation": 0, "empty": 0, "other": 8},
    }
    assert unreadable_summary(result["unreadable"]) == (
        "8 msisdn values of the export unreadable (lines 2, 3, 4, 5, 6, …)"
    )


def test_line_numbers_and_counts_are_grouped_so_that_no_message_holds_a_run_of_seven_digits():  # type: ignore[no-untyped-def]
    unreadable = {
        "count": 1234567,
        "first_lines": [1000002, 2345678, 9876543, 10000001, 12345678],
        "by_kind": {"scientific_notation": 1234567, "empty": 0, "other": 0},
    }

    indonesian, english = unreadable_warning(unreadable, "subs.csv", sent=True)

    assert indonesian.startswith(
        "subs.csv: 1.234.567 nilai msisdn tidak terbaca sebagai nomor dan tidak cocok dengan nomor mana pun "
        "(baris 1.000.002, 2.345.678, 9.876.543, 10.000.001, 12.345.678, …): 1.234.567 dalam notasi ilmiah"
    )
    assert english.startswith(
        "subs.csv: 1,234,567 msisdn values cannot be read as a number and match nothing (lines 1,000,002, "
        "2,345,678, 9,876,543, 10,000,001, 12,345,678, …): 1,234,567 in scientific notation"
    )
    assert english.endswith(
        "A dump number written so was answered TIDAK_TERDAFTAR and sent; the server refuses a different "
        "answer for it (BERTENTANGAN): correct these lines before the next batch."
    )
    assert not LONG_DIGITS.search(indonesian + english + unreadable_summary(unreadable))


def test_an_export_the_ten_percent_rule_refuses_says_how_many_values_it_could_not_read(tmp_path):  # type: ignore[no-untyped-def]
    dump = "pd_id,tingkat_pendidikan,npsn,no_ponsel\n" + "".join(
        f"{i:08d}-1111-4111-8111-111111111111,4,20100001,62812000{i:05d}\n" for i in range(1, 21)
    )
    export = "msisdn,status\n" + "".join(f"6.2812{i:02d}E+12,active\n" for i in range(1, 21))

    with pytest.raises(MatchError) as refused:
        match(*_files(tmp_path, export, dump))

    assert str(refused.value) == (
        "subscribers subscribers.csv: only 0 of the dump's 20 numbers are in the export (under 10%); no "
        "results written. Is it the right file, with msisdn in a form the guide lists (628…, 08…, +628…)? "
        "It holds 20 msisdn values of the export unreadable (lines 2, 3, 4, 5, 6, …). If the answer really "
        "is that few, run again with --accept-low-match."
    )
    assert not (tmp_path / "hasil.csv").exists()


def _sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    token = actions.issue_token(actor=None, provider="telkomsel")[1]
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: DjangoClientTransport())
    return cli.main(
        ["sync", "--url", "http://verval.test", "--token", token, "--subscribers", str(tmp_path / "subs.csv")]
        + ["--workdir", str(tmp_path / "w"), *extra]
    )


def _export(tmp_path: Path, recipients: list) -> None:  # type: ignore[type-arg]
    e164 = [r.phone_e164[1:] for r in recipients]
    (tmp_path / "subs.csv").write_text(
        "msisdn,status\n"
        f"{e164[0]}.0,active\n"  # 2: read as the integer
        f"{e164[1][0]}.{e164[1][1:6]}E+12,active\n"  # 3: scientific notation (6.28127E+12)
        f"{e164[2]},grace\n"
        ",active\n"  # 5: empty
        f"{e164[3][:-1]}O,inactive\n"  # 6: a letter
    )


UNREADABLE = {
    "count": 3,
    "first_lines": [3, 5, 6],
    "by_kind": {"scientific_notation": 1, "empty": 1, "other": 1},
}


def test_sync_reports_the_unreadable_values_in_its_json_its_ledger_and_on_stderr_and_exits_1(  # type: ignore[no-untyped-def]
    published, tmp_path, monkeypatch, capsys
):
    batch, recipients = published
    _export(tmp_path, recipients)

    code = _sync(tmp_path, monkeypatch, "--json")

    captured = capsys.readouterr()
    (report,) = json.loads(captured.out.strip().splitlines()[-1])["batches"]
    assert (code, report["state"], report["matched"], report["unreadable"]) == (
        1,
        "SUCCEEDED",
        {"AKTIF": 1, "MASA_TENGGANG": 1, "TIDAK_TERDAFTAR": 4},
        UNREADABLE,
    )
    assert json.loads((tmp_path / "w" / "done.json").read_text())[batch.id]["unreadable"] == UNREADABLE
    indonesian, english = captured.err.splitlines()
    assert indonesian.startswith(
        f"verval-provider sync: {batch.id}: subs.csv: 3 nilai msisdn tidak terbaca sebagai nomor dan tidak "
        "cocok dengan nomor mana pun (baris 3, 5, 6): 1 dalam notasi ilmiah"
    )
    assert english.startswith(
        f"verval-provider sync: {batch.id}: subs.csv: 3 msisdn values cannot be read as a number and match "
        "nothing (lines 3, 5, 6): 1 in scientific notation"
    )
    assert english.endswith(
        "A dump number written so was answered TIDAK_TERDAFTAR and sent; the server refuses a different "
        "answer for it (BERTENTANGAN): correct these lines before the next batch."
    )
    assert not _digits_left(captured.err, batch.id)
    # The next run has nothing to answer: exit 0, whatever the export holds.
    assert _sync(tmp_path, monkeypatch) == 0


def test_sync_says_the_unreadable_values_in_its_batch_line(published, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    batch, recipients = published
    _export(tmp_path, recipients)

    assert _sync(tmp_path, monkeypatch) == 1

    out = capsys.readouterr().out
    assert (
        f"{batch.id}: matched 6 rows {{'AKTIF': 1, 'MASA_TENGGANG': 1, 'TIDAK_TERDAFTAR': 4}}; "
        "3 msisdn values of the export unreadable (lines 3, 5, 6)\n"
    ) in out
    assert not _digits_left(out, batch.id)


def test_a_clean_sync_says_none_unreadable_and_exits_0(published, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    batch, recipients = published
    (tmp_path / "subs.csv").write_text(f"msisdn,status\n{recipients[0].phone_e164[1:]},active\n")

    code = _sync(tmp_path, monkeypatch, "--json")

    captured = capsys.readouterr()
    (report,) = json.loads(captured.out.strip().splitlines()[-1])["batches"]
    assert (code, captured.err, report["unreadable"]) == (0, "", NONE_UNREADABLE)
