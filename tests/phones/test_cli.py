"""iter_check_csv: stream numbers -> CSV verdicts."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verval.phones.cli import ColumnNotFound, iter_check_csv, main

HEADER = "input,e164,national,valid,reason,operator"


def _run(data: bytes | str, column: str | None = None, **kw) -> tuple[list[str], dict]:
    src = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)
    out = io.BytesIO()
    summary = iter_check_csv(src, out, column, **kw)
    lines = out.getvalue().decode().split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines, summary


def test_one_number_a_line_gives_one_row_each_in_order() -> None:
    lines, summary = _run(b"0812-1726-3845\r\n\ntidak ada\n021-5551234\n81217263845")
    assert lines == [
        HEADER,
        "0812-1726-3845,+6281217263845,0812-1726-3845,true,,telkomsel",
        '"",,,false,KOSONG,',
        "tidak ada,,,false,KOSONG,",
        "021-5551234,,,false,TELEPON_RUMAH,",
        "81217263845,+6281217263845,0812-1726-3845,true,,telkomsel",
    ]
    assert summary["rows"] == 5 and summary["valid"] == 2 and summary["mode"] == "lines"
    assert summary["reasons"] == {"KOSONG": 2, "TELEPON_RUMAH": 1}


def test_csv_with_known_header_uses_that_column_without_being_told() -> None:
    data = '\ufeffnama;NOMOR_TELEPON_SELULER;npsn\nBudi;0812-1726-3845;1\n"Ani; S";"0857 1122\n3344";2\nCici;;3\n'
    lines, summary = _run(data.encode())
    assert lines[0] == HEADER
    assert lines[1] == "0812-1726-3845,+6281217263845,0812-1726-3845,true,,telkomsel"
    assert (
        lines[2].startswith('"0857 1122') and lines[3] == '3344",+6285711223344,0857-1122-3344,true,,indosat'
    )
    assert lines[4] == '"",,,false,KOSONG,'
    assert summary["mode"] == "csv" and summary["column"] == "NOMOR_TELEPON_SELULER" and summary["rows"] == 3


def test_csv_column_option_picks_the_named_column() -> None:
    lines, _ = _run(b"hp,no_ponsel\n085711223344,081217263845\n", column="hp")
    assert lines[1] == "085711223344,+6285711223344,0857-1122-3344,true,,indosat"


def test_missing_column_is_refused_without_output_rows() -> None:
    with pytest.raises(ColumnNotFound):
        _run(b"a,b\n1,2\n", column="no_ponsel")


def test_small_chunks_give_the_same_output_as_one_chunk() -> None:
    data = "\n".join(f"08{i % 10}{i:09d}" for i in range(2500)).encode()
    whole, _ = _run(data)
    chunked, _ = _run(data, chunk_lines=7)
    assert whole == chunked and len(whole) == 2501


def test_csv_quoted_fields_across_block_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    import verval.phones.cli as cli

    monkeypatch.setattr(cli, "_BLOCK_BYTES", 16)
    rows = ["n,phone"] + [f'"a\nb{i}",08121726{i:04d}' for i in range(50)]
    lines, summary = _run("\n".join(rows).encode())
    assert summary["rows"] == 50 and all(",true," in ln for ln in lines[1:])


def test_empty_input_prints_only_the_header() -> None:
    lines, summary = _run(b"")
    assert lines == [HEADER] and summary["rows"] == 0


def test_main_reads_stdin_and_writes_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("081217263845\n"))
    assert main(["--json"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith("081217263845,+6281217263845")
    assert '"valid": 1' in err


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "verval.phones.cli"],
        [str(Path(sys.executable).with_name("verval")), "phones", "check"],
    ],
)
def test_output_closed_early_stops_quietly_with_the_sigpipe_status(
    command: list[str], tmp_path: Path
) -> None:
    # `verval phones check < numbers.txt | head -1`: head exits after one line. Several 4 MB
    # blocks, so that a write comes after the reader left (the first may just end short).
    numbers = tmp_path / "numbers.txt"
    numbers.write_bytes(b"081217263845\n" * 1_000_000)
    with numbers.open("rb") as stdin:
        proc = subprocess.Popen(
            command,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "verval.settings"},
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline() == (HEADER + "\n").encode()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 141
    assert err == ""


@pytest.mark.parametrize(
    "data",
    [b'a\n\n \n"x,y"\nlast', b"\n\n", b"x\r\n\r\n0812\r17263845\n", b"0812\x1f1726\n\n", b"\xff\xfe0812\n"],
)
def test_native_and_python_line_splitting_agree_with_check(data: bytes) -> None:
    from verval.phones import check

    lines, _ = _run(data)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
    if text[-1] == "":
        text.pop()
    assert len(lines) == 1 + len(text)
    for out, raw in zip(lines[1:], text, strict=True):
        v = check(raw)
        assert out.endswith(f",{'true' if v.valid else 'false'},{v.reason or ''},{v.operator or ''}")


def test_stray_quotes_in_a_csv_column_are_read_line_by_line_and_never_echoed_in_an_error() -> None:
    # A spreadsheet's leftover quote before a number made polars refuse the block with an error
    # that quoted the numbers, printed unmasked as a traceback.
    data = b'no_hp\n"081217263845\n085711223344\n"081399887766\n'
    lines, summary = _run(data)
    assert lines == [
        HEADER,
        "081217263845,+6281217263845,0812-1726-3845,true,,telkomsel",
        "085711223344,+6285711223344,0857-1122-3344,true,,indosat",
        "081399887766,+6281399887766,0813-9988-7766,true,,telkomsel",
    ]
    assert summary["rows"] == 3


def test_one_stray_quote_does_not_hold_the_rest_of_a_large_file_in_memory(monkeypatch) -> None:
    import verval.phones.cli as cli

    monkeypatch.setattr(cli, "_MAX_QUOTED", 64)
    data = b"no_hp\n" + b'"081217263845\n' + b"085711223344\n" * 40
    lines, summary = _run(data)
    assert summary["rows"] == 41 and len(lines) == 42
    assert lines[1].startswith("081217263845,+6281217263845")
    assert all(line.startswith("085711223344,+6285711223344") for line in lines[2:])


def test_an_unexpected_error_is_reported_without_the_input(monkeypatch, capsys) -> None:
    import verval.phones.cli as cli

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("could not parse 081217263845")

    monkeypatch.setattr(cli, "iter_check_csv", broken)
    monkeypatch.setattr(sys, "stdin", io.StringIO("081217263845\n"))
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "(ValueError)" in err and "0812" not in err
