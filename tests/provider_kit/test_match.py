from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from verval_provider import match
from verval_provider.cli import main
from verval_provider.match import MatchError

DUMP = """pd_id,tingkat_pendidikan,npsn,no_ponsel
11111111-1111-4111-8111-111111111111,4,20100001,6281200000001
22222222-2222-4222-8222-222222222222,PTK,20100001,6281200000002
33333333-3333-4333-8333-333333333333,PAUD,20100001,6281200000003
44444444-4444-4444-8444-444444444444,12,20100001,6281200000004
55555555-5555-4555-8555-555555555555,7,20100001,6281200000005
"""
SUBS = """msisdn,status
6281200000001,active
+6281200000002,grace
6281200000003,inactive
6281200000003,active
6281200000005,not_subscriber
6289999999999,active
"""


def read(path: Path) -> dict[str, tuple[str, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["pd_id", "no_ponsel", "status"]
    return {r["pd_id"][:1]: (r["no_ponsel"], r["status"]) for r in rows}


def test_match_maps_subscriber_states_to_result_codes(tmp_path):
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode()))
    (tmp_path / "subs.csv").write_text(SUBS)
    result = match(tmp_path / "dump.csv.gz", tmp_path / "subs.csv", tmp_path / "hasil.csv")
    assert result["rows"] == 5
    assert result["by_status"] == {"AKTIF": 2, "BUKAN_PELANGGAN": 1, "MASA_TENGGANG": 1, "TIDAK_TERDAFTAR": 1}
    assert read(tmp_path / "hasil.csv") == {
        "1": ("6281200000001", "AKTIF"),
        "2": ("6281200000002", "MASA_TENGGANG"),
        "3": ("6281200000003", "AKTIF"),  # listed twice: the best state wins
        "4": ("6281200000004", "TIDAK_TERDAFTAR"),
        "5": ("6281200000005", "BUKAN_PELANGGAN"),
    }


def test_match_gives_every_row_of_a_shared_number_its_best_state(tmp_path):
    # Siblings share a parent's number; the export lists it three times, the best state last
    # and first in turn, and a number not in the dump carries a state the kit does not know.
    dump = (
        "pd_id,tingkat_pendidikan,npsn,no_ponsel\n"
        "11111111-1111-4111-8111-111111111111,4,20100001,6281200000007\n"
        "22222222-2222-4222-8222-222222222222,5,20100001,6281200000008\n"
        "33333333-3333-4333-8333-333333333333,6,20100001,6281200000007\n"
        "44444444-4444-4444-8444-444444444444,6,20100001,6281200000008\n"
    )
    (tmp_path / "dump.csv").write_text(dump)
    (tmp_path / "subs.csv").write_text(
        "msisdn,status\n"
        "6281200000007,inactive\n6281200000007,grace\n6281200000007,not_subscriber\n"
        "6281200000008,active\n6281200000008,inactive\n6281200000009,suspended\n"
    )
    result = match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")
    assert result["by_status"] == {"AKTIF": 2, "MASA_TENGGANG": 2}
    assert read(tmp_path / "hasil.csv") == {
        "1": ("6281200000007", "MASA_TENGGANG"),
        "2": ("6281200000008", "AKTIF"),
        "3": ("6281200000007", "MASA_TENGGANG"),
        "4": ("6281200000008", "AKTIF"),
    }


def test_match_cli_writes_gzip_when_asked(tmp_path, capsys):
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(SUBS)
    assert (
        main(
            [
                "match",
                "--dump",
                str(tmp_path / "dump.csv"),
                "--subscribers",
                str(tmp_path / "subs.csv"),
                "--out",
                str(tmp_path / "h.csv.gz"),
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["rows"] == 5
    assert read(tmp_path / "h.csv.gz")["4"] == ("6281200000004", "TIDAK_TERDAFTAR")


def test_match_reads_upper_case_states_and_keeps_the_dump_order(tmp_path):
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281200000004,ACTIVE\n+6281200000001,Grace\n")
    match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")
    lines = (tmp_path / "hasil.csv").read_text().splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == [
        "MASA_TENGGANG",
        "TIDAK_TERDAFTAR",
        "TIDAK_TERDAFTAR",
        "AKTIF",
        "TIDAK_TERDAFTAR",
    ]


def test_match_refuses_a_subscriber_status_it_does_not_know_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281200000001,active\n6281200000002,suspended\n")
    args = ["match", "--dump", str(tmp_path / "dump.csv"), "--subscribers", str(tmp_path / "subs.csv")]
    assert main([*args, "--out", str(tmp_path / "h.csv")]) == 2
    err = capsys.readouterr().err
    assert "status not understood: 'suspended'" in err
    assert not (tmp_path / "h.csv").exists()


def test_match_refuses_an_export_it_cannot_parse_naming_the_file_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281200000001,active\n6281200000002,grace,extra\n")
    args = ["match", "--dump", str(tmp_path / "dump.csv"), "--subscribers", str(tmp_path / "subs.csv")]
    assert main([*args, "--out", str(tmp_path / "h.csv")]) == 2
    assert capsys.readouterr().err == (
        "verval-provider match: subscribers subs.csv: not a CSV the kit can read "
        "(line 3 has 3 fields, the header 2)\n"
    )
    assert not (tmp_path / "h.csv").exists()


def test_match_reads_a_gzip_subscriber_export(tmp_path):
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv.gz").write_bytes(gzip.compress(SUBS.encode()))
    result = match(tmp_path / "dump.csv", tmp_path / "subs.csv.gz", tmp_path / "hasil.csv")
    assert result["by_status"] == {"AKTIF": 2, "BUKAN_PELANGGAN": 1, "MASA_TENGGANG": 1, "TIDAK_TERDAFTAR": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.csv", "hasil.csv", "subs.csv.gz"]


def test_match_reads_every_member_of_a_concatenated_gzip_dump_and_export(tmp_path):
    head, *lines = DUMP.splitlines(keepends=True)
    (tmp_path / "dump.csv.gz").write_bytes(
        gzip.compress((head + "".join(lines[:2])).encode()) + gzip.compress("".join(lines[2:]).encode())
    )
    subs_head, *subs = SUBS.splitlines(keepends=True)
    (tmp_path / "subs.csv.gz").write_bytes(
        gzip.compress((subs_head + subs[0]).encode()) + gzip.compress("".join(subs[1:]).encode())
    )
    result = match(tmp_path / "dump.csv.gz", tmp_path / "subs.csv.gz", tmp_path / "hasil.csv")
    assert result["by_status"] == {"AKTIF": 2, "BUKAN_PELANGGAN": 1, "MASA_TENGGANG": 1, "TIDAK_TERDAFTAR": 1}


def test_match_refuses_a_gzip_dump_cut_off_midway(tmp_path, capsys):
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode())[:-12])
    (tmp_path / "subs.csv").write_text(SUBS)
    args = ["match", "--dump", str(tmp_path / "dump.csv.gz"), "--subscribers", str(tmp_path / "subs.csv")]
    assert main([*args, "--out", str(tmp_path / "h.csv")]) == 2
    assert "dump.csv.gz: gzip file ends in the middle of its data" in capsys.readouterr().err
    assert not (tmp_path / "h.csv").exists()


def test_match_reads_a_large_dump_in_pieces_with_the_same_result_as_whole(tmp_path, monkeypatch):
    # Every dump here is small; treat it as large and cut it into 7-byte reads so that lines and
    # gzip members are split across pieces, as in a multi-gigabyte dump.
    head, *lines = DUMP.splitlines(keepends=True)
    (tmp_path / "dump.csv.gz").write_bytes(
        gzip.compress((head + "".join(lines[:2])).encode()) + gzip.compress("".join(lines[2:]).encode())
    )
    (tmp_path / "subs.csv").write_text(SUBS)
    whole = match(tmp_path / "dump.csv.gz", tmp_path / "subs.csv", tmp_path / "whole.csv")
    matcher = sys.modules["verval_provider.match"]
    monkeypatch.setattr(matcher, "_WHOLE_UP_TO", 0)
    monkeypatch.setattr(matcher, "_CHUNK", 7)
    pieces = match(tmp_path / "dump.csv.gz", tmp_path / "subs.csv", tmp_path / "pieces.csv")
    assert (
        pieces["by_status"]
        == whole["by_status"]
        == {
            "AKTIF": 2,
            "BUKAN_PELANGGAN": 1,
            "MASA_TENGGANG": 1,
            "TIDAK_TERDAFTAR": 1,
        }
    )
    assert (tmp_path / "pieces.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_match_refuses_a_large_dump_cut_off_midway_read_in_pieces(tmp_path, monkeypatch, capsys):
    matcher = sys.modules["verval_provider.match"]
    monkeypatch.setattr(matcher, "_WHOLE_UP_TO", 0)
    monkeypatch.setattr(matcher, "_CHUNK", 7)
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode())[:-12])
    (tmp_path / "subs.csv").write_text(SUBS)
    args = ["match", "--dump", str(tmp_path / "dump.csv.gz"), "--subscribers", str(tmp_path / "subs.csv")]
    assert main([*args, "--out", str(tmp_path / "h.csv")]) == 2
    assert "dump.csv.gz: gzip file ends in the middle of its data" in capsys.readouterr().err
    assert not (tmp_path / "h.csv").exists()


def test_match_stops_unpacking_a_large_dump_whose_header_it_refuses(tmp_path, monkeypatch, capsys):
    matcher = sys.modules["verval_provider.match"]
    monkeypatch.setattr(matcher, "_WHOLE_UP_TO", 0)
    monkeypatch.setattr(matcher, "_CHUNK", 7)
    bad = DUMP.replace("no_ponsel", "msisdn", 1) * 50
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(bad.encode()))
    (tmp_path / "subs.csv").write_text(SUBS)
    args = ["match", "--dump", str(tmp_path / "dump.csv.gz"), "--subscribers", str(tmp_path / "subs.csv")]
    assert main([*args, "--out", str(tmp_path / "h.csv")]) == 2
    assert "dump.csv.gz: header lacks no_ponsel" in capsys.readouterr().err
    assert [t for t in threading.enumerate() if t.name == "dump-gunzip"] == []


def test_kit_imports_without_django(tmp_path):
    code = "import sys, verval_provider, verval_provider.cli; assert 'django' not in sys.modules; print('ok')"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
        check=True,
    )
    assert out.stdout.strip() == "ok"


def test_match_threads_option_sizes_the_polars_pool(tmp_path, monkeypatch):
    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text(SUBS)
    args = ["match", "--dump", str(tmp_path / "dump.csv"), "--subscribers", str(tmp_path / "subs.csv")]
    assert main([*args, "--out", str(tmp_path / "h.csv"), "--threads", "1"]) == 0
    assert os.environ["POLARS_MAX_THREADS"] == "1"


def _numbers_dump(tmp_path: Path, n: int) -> list[str]:
    numbers = [f"62812{30000000 + i:08d}" for i in range(n)]
    lines = ["pd_id,tingkat_pendidikan,npsn,no_ponsel"]
    lines += [f"{i:08x}-1111-4111-8111-111111111111,4,20100001,{k}" for i, k in enumerate(numbers)]
    (tmp_path / "dump.csv").write_text("\n".join(lines) + "\n")
    return numbers


def test_match_reads_an_export_in_national_form(tmp_path):
    numbers = _numbers_dump(tmp_path, 4)
    (tmp_path / "subs.csv").write_text(
        "msisdn,status\n"
        f"0{numbers[0][2:]},active\n"  # 0812..., the usual way Indonesians write it
        f"{numbers[1][2:]},grace\n"  # 812..., the leading 0 already dropped
        f"+{numbers[2]},inactive\n"
        "021123456789,active\n"  # a Jakarta landline stays itself and matches nothing
    )
    result = match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")
    assert result["by_status"] == {"AKTIF": 1, "MASA_TENGGANG": 1, "TIDAK_AKTIF": 1, "TIDAK_TERDAFTAR": 1}


def test_match_refuses_an_export_that_holds_almost_none_of_the_dump_and_writes_nothing(tmp_path, capsys):
    numbers = _numbers_dump(tmp_path, 200)
    found = "".join(f"{k},active\n" for k in numbers[:19])  # 9.5 % of the dump
    (tmp_path / "subs.csv").write_text("msisdn,status\n" + found + "6281299999999,active\n")
    args = ["match", "--dump", str(tmp_path / "dump.csv"), "--subscribers", str(tmp_path / "subs.csv")]

    assert main([*args, "--out", str(tmp_path / "hasil.csv")]) == 2

    assert capsys.readouterr().err == (
        "verval-provider match: subscribers subs.csv: only 19 of the dump's 200 numbers are in the "
        "export (under 10%); no results written. Is it the right file, with msisdn in a form the guide "
        "lists (628…, 08…, +628…)? If the answer really is that few, run again with --accept-low-match.\n"
    )
    assert not (tmp_path / "hasil.csv").exists()
    assert main([*args, "--out", str(tmp_path / "hasil.csv"), "--accept-low-match", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["by_status"] == {"AKTIF": 19, "TIDAK_TERDAFTAR": 181}
    (tmp_path / "subs.csv").write_text("msisdn,status\n" + found + f"{numbers[19]},inactive\n")  # 10 %
    assert main([*args, "--out", str(tmp_path / "hasil2.csv")]) == 0


def test_match_refuses_a_small_later_batch_that_finds_none_of_its_numbers(tmp_path):
    # A later batch of a few dozen changed numbers, matched against the wrong export: without the
    # guard every row would come back TIDAK_TERDAFTAR residue for the schools.
    numbers = _numbers_dump(tmp_path, 20)
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281299999999,active\n")

    with pytest.raises(MatchError, match="only 0 of the dump's 20 numbers are in the export"):
        match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")

    assert not (tmp_path / "hasil.csv").exists()
    (tmp_path / "subs.csv").write_text("msisdn,status\n" + "".join(f"{k},active\n" for k in numbers[:2]))
    assert match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")["by_status"] == {
        "AKTIF": 2,
        "TIDAK_TERDAFTAR": 18,
    }


def test_match_answers_a_batch_under_20_rows_whatever_it_finds(tmp_path):
    _numbers_dump(tmp_path, 19)
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281299999999,active\n")
    assert match(tmp_path / "dump.csv", tmp_path / "subs.csv", tmp_path / "hasil.csv")["by_status"] == {
        "TIDAK_TERDAFTAR": 19
    }


def test_match_with_json_prints_a_refused_line_for_an_export_it_cannot_parse(tmp_path, capsys):
    import json

    (tmp_path / "dump.csv").write_text(DUMP)
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281200000001,active\n6281200000002,grace,extra\n")
    args = ["match", "--dump", str(tmp_path / "dump.csv"), "--subscribers", str(tmp_path / "subs.csv")]

    assert main([*args, "--out", str(tmp_path / "h.csv"), "--json"]) == 2

    message = "subscribers subs.csv: not a CSV the kit can read (line 3 has 3 fields, the header 2)"
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "state": "REFUSED",
        "error_code": "MATCH_FAILED",
        "error": "MATCH_FAILED",
        "message": message,
    }


def test_match_reads_a_dump_written_with_plus_or_in_national_form_and_keeps_its_numbers(tmp_path):
    # A provider may ask for its dumps as +628... or 08... (decision 0027): the kit finds those
    # numbers in the export as it finds 628..., and the results give no_ponsel back as written.
    numbers = [f"62812{30000000 + i:08d}" for i in range(4)]
    (tmp_path / "subs.csv").write_text(
        "msisdn,status\n"
        f"{numbers[0]},active\n"
        f"0{numbers[1][2:]},grace\n"  # the export in national form too
        f"+{numbers[2]},inactive\n"
    )
    for name, written in (("plus", lambda k: "+" + k), ("national", lambda k: "0" + k[2:])):
        lines = ["pd_id,tingkat_pendidikan,npsn,no_ponsel"]
        lines += [
            f"{i}{i}{i}{i}{i}{i}{i}{i}-1111-4111-8111-111111111111,4,20100001,{written(k)}"
            for i, k in enumerate(numbers, 1)
        ]
        (tmp_path / f"{name}.csv.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        result = match(tmp_path / f"{name}.csv.gz", tmp_path / "subs.csv", tmp_path / f"{name}-hasil.csv")
        assert result["by_status"] == {"AKTIF": 1, "MASA_TENGGANG": 1, "TIDAK_AKTIF": 1, "TIDAK_TERDAFTAR": 1}
        assert read(tmp_path / f"{name}-hasil.csv") == {
            "1": (written(numbers[0]), "AKTIF"),
            "2": (written(numbers[1]), "MASA_TENGGANG"),
            "3": (written(numbers[2]), "TIDAK_AKTIF"),
            "4": (written(numbers[3]), "TIDAK_TERDAFTAR"),
        }


def test_results_quote_a_dump_value_that_needs_it_and_nothing_in_a_plain_dump(tmp_path):
    # The results are written without polars' per-field quoting check when the dump holds no
    # quote mark or carriage return (no value can then hold a comma or a line break); a dump that
    # does must still come back as valid CSV with the value intact.
    (tmp_path / "subs.csv").write_text("msisdn,status\n6281200000001,active\n")
    (tmp_path / "plain.csv").write_text(
        "pd_id,tingkat_pendidikan,npsn,no_ponsel\naaaa,4,20100001,6281200000001\nbbbb,4,20100001,\n"
    )
    (tmp_path / "quoted.csv").write_text(
        'pd_id,tingkat_pendidikan,npsn,no_ponsel\n"aa,""x",4,20100001,6281200000001\n"",4,20100001,62812\n'
    )
    match(tmp_path / "plain.csv", tmp_path / "subs.csv", tmp_path / "plain-hasil.csv")
    match(tmp_path / "quoted.csv", tmp_path / "subs.csv", tmp_path / "quoted-hasil.csv")

    assert (tmp_path / "plain-hasil.csv").read_text() == (
        "pd_id,no_ponsel,status\naaaa,6281200000001,AKTIF\nbbbb,,TIDAK_TERDAFTAR\n"
    )
    with (tmp_path / "quoted-hasil.csv").open(newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["pd_id", "no_ponsel", "status"],
            ['aa,"x', "6281200000001", "AKTIF"],
            ["", "62812", "TIDAK_TERDAFTAR"],
        ]
