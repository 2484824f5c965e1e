"""What the second walk of docs/provider-kit.md as a provider's engineer tripped on (decision
0100): an export whose numbers are typed with spaces or dashes, a status with a space around it,
a mistyped --subscribers path found only after a download (or never, with nothing to answer),
and command help pages that did not say what the command does, nor that --url goes without
/api/v1."""

from __future__ import annotations

import gzip
import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provider_kit.local_server import reply_json, serving
from verval_provider.cli import main, parser

TOKEN = "vp_0123abcd_SecretPartOfTheToken"
DUMP = "pd_id,tingkat_pendidikan,npsn,no_ponsel\n" + "".join(
    f"{i:08d}-1111-4111-8111-111111111111,4,20100001,62812000{i:05d}\n" for i in range(1, 5)
)


def _match(tmp_path: Path, export: str, *, code: int = 0) -> str:
    """The results file of matching DUMP against `export` (the command must exit with `code`)."""
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode()))
    (tmp_path / "subscribers.csv").write_text(export)
    exit_code = main(
        ["match", "--dump", str(tmp_path / "dump.csv.gz"), "--subscribers", str(tmp_path / "subscribers.csv")]
        + ["--out", str(tmp_path / "hasil.csv")]
    )
    assert exit_code == code
    return (tmp_path / "hasil.csv").read_text()


ANSWERED = (
    "pd_id,no_ponsel,status\n"
    "00000001-1111-4111-8111-111111111111,6281200000001,AKTIF\n"
    "00000002-1111-4111-8111-111111111111,6281200000002,MASA_TENGGANG\n"
    "00000003-1111-4111-8111-111111111111,6281200000003,TIDAK_AKTIF\n"
    "00000004-1111-4111-8111-111111111111,6281200000004,BUKAN_PELANGGAN\n"
)


@pytest.mark.parametrize(
    "export",
    [
        "msisdn,status\n0812 0000 0001,active\n0812-0000-0002,grace\n+62 812 0000 0003,inactive\n"
        "62 812-0000-0004,not_subscriber\n",
        "msisdn,status\n 6281200000001 ,active\n6281200000002\t,grace\n\u00a06281200000003,inactive\n"
        "6281200000004,not_subscriber\n",
        "msisdn,status\n6281200000001, active\n6281200000002,grace \n6281200000003,\tINACTIVE\n"
        "6281200000004,not_subscriber\n",
    ],
    ids=["spaces-and-dashes-inside", "white-space-around-the-number", "white-space-around-the-status"],
)
def test_an_export_with_numbers_typed_with_spaces_or_dashes_is_matched(tmp_path, export):  # type: ignore[no-untyped-def]
    # Before, each such number matched nothing and came back TIDAK_TERDAFTAR: a wrong answer the
    # server keeps, since a later correction contradicts it.
    assert _match(tmp_path, export) == ANSWERED


def test_a_number_with_a_letter_still_matches_nothing_and_one_with_a_dot_zero_is_read(tmp_path):  # type: ignore[no-untyped-def]
    # `6281200000001.0` (a spreadsheet's float) is exactly 6281200000001 (decision 0106); a letter
    # is never guessed: it matches nothing, and the command says so and exits 1
    # (tests/provider_kit/test_unreadable_values.py).
    export = "msisdn,status\n6281200000001.0,active\n0812 0000 000x,grace\n6281200000003,inactive\n"

    assert _match(tmp_path, export, code=1) == (
        "pd_id,no_ponsel,status\n"
        "00000001-1111-4111-8111-111111111111,6281200000001,AKTIF\n"
        "00000002-1111-4111-8111-111111111111,6281200000002,TIDAK_TERDAFTAR\n"
        "00000003-1111-4111-8111-111111111111,6281200000003,TIDAK_AKTIF\n"
        "00000004-1111-4111-8111-111111111111,6281200000004,TIDAK_TERDAFTAR\n"
    )


def test_a_status_unknown_once_stripped_is_refused_as_written(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode()))
    (tmp_path / "subscribers.csv").write_text(
        "msisdn,status\n6281200000001, suspended \n6281200000002,grace\n"
    )

    code = main(
        ["match", "--dump", str(tmp_path / "dump.csv.gz"), "--subscribers", str(tmp_path / "subscribers.csv")]
        + ["--out", str(tmp_path / "hasil.csv")]
    )

    assert code == 2
    assert capsys.readouterr().err == (
        "verval-provider match: subscribers subscribers.csv: status not understood: ' suspended ' "
        "(expected active, grace, inactive, not_subscriber; first on line 2)\n"
    )
    assert not (tmp_path / "hasil.csv").exists()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """An API with one batch waiting; records every path asked for."""

    asked: list[str] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        body = b'[{"id": "DMP-20261201-telkomsel-0002", "rows": 4, "created_at": "2026-12-01T08:00:00Z"}]'
        reply_json(self, body)

    def log_message(self, *args: object) -> None:
        """Silent: the test reads the kit's output."""


@pytest.fixture
def api() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"asked": []})
    with serving(handler) as url:
        yield url, handler


@pytest.mark.parametrize("given", ["missing.csv", "."], ids=["missing", "a-folder"])
def test_sync_names_a_subscriber_export_it_cannot_read_before_any_request(api, tmp_path, capsys, given):  # type: ignore[no-untyped-def]
    url, handler = api
    subscribers = tmp_path / "missing.csv" if given == "missing.csv" else tmp_path
    reason = "No such file or directory" if given == "missing.csv" else "Is a directory"

    code = main(
        ["sync", "--url", url, "--token", TOKEN, "--subscribers", str(subscribers)]
        + ["--workdir", str(tmp_path / "work"), "--json"]
    )

    out, err = capsys.readouterr()
    assert (code, handler.asked) == (2, [])
    assert err == (
        f"verval-provider sync: cannot use {subscribers}: {reason} (check the path given to the command, "
        "e.g. --out, --workdir, --subscribers, and that this user may read and write there)\n"
    )
    assert out.splitlines()[-1].startswith('{"state": "REFUSED", "error_code": "BERKAS_TIDAK_BISA_DIAKSES"')
    assert not (tmp_path / "work").exists()


def test_sync_from_python_raises_for_an_export_it_cannot_open_before_any_request(api, tmp_path):  # type: ignore[no-untyped-def]
    from verval_provider import ApiClient, UrllibTransport, sync

    url, handler = api
    client = ApiClient(TOKEN, UrllibTransport(url))

    with pytest.raises(FileNotFoundError) as raised:
        sync(client, tmp_path / "missing.csv", tmp_path / "work")

    assert (raised.value.filename, handler.asked) == (str(tmp_path / "missing.csv"), [])


def test_each_commands_help_page_opens_with_what_the_command_does(capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["sync", "--help"])

    page = capsys.readouterr().out
    assert page.split("\n\n")[1] == "pull new batches, match them, upload the results."
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {name: sub.description for name, sub in commands.items()}["upload-results"] == (
        "send a results file you matched yourself for a dump batch."
    )
    assert all(sub.description for sub in commands.values())


def test_every_url_option_says_the_address_goes_without_api_v1_and_wait_its_default():  # type: ignore[no-untyped-def]
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    helps = {
        (name, option.dest): option.help
        for name, sub in commands.items()
        for option in sub._actions
        if option.dest in ("url", "wait")
    }

    assert {help for (_, dest), help in helps.items() if dest == "url"} == {
        "the server's address as Pusdatin gives it, without /api/v1, e.g. https://verval.example.go.id"
    }
    assert {help for (_, dest), help in helps.items() if dest == "wait"} == {
        "seconds to wait for a large file's job on the server (default 600)"
    }
    assert len([key for key in helps if key[1] == "url"]) == 8  # every command but match


def test_a_subscriber_export_given_as_the_dump_says_which_file_dump_takes(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "subscribers.csv").write_text("msisdn,status\n6281200000001,active\n")
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode()))

    code = main(
        ["match", "--dump", str(tmp_path / "subscribers.csv"), "--subscribers", str(tmp_path / "dump.csv.gz")]
        + ["--out", str(tmp_path / "hasil.csv")]
    )

    assert code == 2
    assert capsys.readouterr().err == (
        "verval-provider match: dump subscribers.csv: header lacks no_ponsel, pd_id (header is "
        "'msisdn,status'): --dump takes the dump batch file the server sends (DMP-....csv.gz, "
        "pd_id,tingkat_pendidikan,npsn,no_ponsel); your export goes to --subscribers\n"
    )
