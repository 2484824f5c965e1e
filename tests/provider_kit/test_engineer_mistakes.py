"""Mistakes a provider's engineer makes on a first run, found by walking docs/provider-kit.md
(decision 0063): a token read from a Windows file or pasted with `Bearer `, an address copied
from the browser's API docs page, an export that a job gzips without renaming it, one saved as a
spreadsheet, one whose tool quotes every field. Each either works or stops in one line that
says what to do: no traceback, and never the token or a number."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provider_kit.local_server import reply_json, serving
from verval_provider.cli import main
from verval_provider.client import _unreachable

TOKEN = "vp_0123abcd_SecretPartOfTheToken"
DUMP = "pd_id,tingkat_pendidikan,npsn,no_ponsel\n" + "".join(
    f"{i:08d}-1111-4111-8111-111111111111,4,20100001,62812000{i:05d}\n" for i in range(1, 4)
)
SUBS = "msisdn,status\n6281200000001,active\n6281200000002,grace\n6281200000003,inactive\n"


class _Batches(http.server.BaseHTTPRequestHandler):
    """An API that lists no batch, and keeps the Authorization header of each request."""

    seen: list[str] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization", ""))
        body = b"[]"
        reply_json(self, body)

    def log_message(self, *args: object) -> None:
        """Silent: the test reads the kit's output."""


@pytest.fixture
def api() -> Iterator[tuple[str, type[_Batches]]]:
    handler = type("Handler", (_Batches,), {"seen": []})
    with serving(handler) as url:
        yield url, handler


@pytest.mark.parametrize(
    "given",
    [f"{TOKEN}\r", f"{TOKEN}\r\n", f"  {TOKEN} ", f"Bearer {TOKEN}", f"bearer {TOKEN}\n"],
    ids=["windows-line-end", "crlf", "spaces", "bearer", "bearer-lower"],
)
def test_a_token_with_a_line_end_or_bearer_in_front_is_sent_as_the_token_alone(api, tmp_path, capsys, given):  # type: ignore[no-untyped-def]
    url, handler = api

    code = main(["pull", "--url", url, "--token", given, "--out", str(tmp_path / "dump")])

    assert code == 0
    assert handler.seen == [f"Bearer {TOKEN}"]
    assert capsys.readouterr().out == "Tidak ada batch baru / no new batches.\n"


TOKEN_REFUSED = (
    "--token holds a space, a line break or a character outside ASCII, which no token has: copy the "
    "token alone, as Pusdatin gave it (it looks like vp_1a2b3c4d_...)"
)


@pytest.mark.parametrize("given", [f"{TOKEN}\nsecond-line", f"{TOKEN}\u2026", f"{TOKEN[:9]} {TOKEN[9:]}"])
@pytest.mark.parametrize("command", ["pull", "sync"])
def test_a_token_no_server_could_take_stops_in_one_line_that_does_not_show_it(
    api, tmp_path, capsys, given, command
):  # type: ignore[no-untyped-def]
    url, handler = api
    where = (
        ["--out", str(tmp_path / "d")] if command == "pull" else ["--subscribers", str(tmp_path / "s.csv")]
    )

    code = main([command, "--url", url, "--token", given, *where])

    assert code == 2
    captured = capsys.readouterr()
    assert captured.err == f"verval-provider {command}: {TOKEN_REFUSED}\n"
    assert "Secret" not in captured.err + captured.out
    assert handler.seen == []


def test_a_refused_token_with_json_gives_the_refusal_line(api, tmp_path, capsys):  # type: ignore[no-untyped-def]
    url, _ = api

    code = main(["pull", "--url", url, "--token", f"{TOKEN}\u00a0x", "--out", str(tmp_path), "--json"])

    assert code == 2
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line == {
        "state": "REFUSED",
        "error_code": "ARGUMEN_TIDAK_SAH",
        "error": "ARGUMEN_TIDAK_SAH",
        "message": TOKEN_REFUSED,
        "exit_code": 2,
    }


API_PATH = "is the server's address without /api/v1 (the kit adds it), e.g. https://verval.example.go.id"
ALONE = "is the server's address alone, without ?... or #..., e.g. https://verval.example.go.id"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://verval.example.go.id/api/v1/docs", API_PATH),
        ("https://verval.example.go.id/api/v1/openapi.json", API_PATH),
        ("https://verval.example.go.id/API/V1/batches", API_PATH),
        ("https://verval.example.go.id/?lang=en", ALONE),
        ("https://verval.example.go.id/#/batches", ALONE),
        ("https://verval.example.go.id/?", ALONE),
    ],
)
def test_an_address_copied_from_the_browser_is_refused_before_any_request(tmp_path, capsys, url, said):  # type: ignore[no-untyped-def]
    code = main(["pull", "--url", url, "--token", TOKEN, "--out", str(tmp_path)])

    assert code == 2
    assert capsys.readouterr().err == f"verval-provider pull: --url {said}\n"


def test_a_server_under_a_path_that_is_not_the_api_is_still_a_server_address(api, tmp_path):  # type: ignore[no-untyped-def]
    from verval_provider.cli import _url_problem

    assert _url_problem("https://host.example/apis/verval") is None
    assert _url_problem("https://host.example/api/v1-portal") is None


@pytest.mark.parametrize(
    ("reason", "advice"),
    [
        (socket.gaierror(-2, "Name or service not known"), "its host name is not known here: check --url"),
        (
            ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate"),
            "its TLS certificate cannot be verified here: check --url; if your network inspects TLS, "
            "point SSL_CERT_FILE at your company's CA bundle",
        ),
        (
            ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            "no TLS (https) handshake there: check --url (http:// or https://, and the port)",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "run again; a download resumes"),
    ],
    ids=["unknown-host", "certificate", "https-to-http", "refused"],
)
def test_an_address_that_cannot_work_says_check_url_not_run_again(reason, advice):  # type: ignore[no-untyped-def]
    import urllib.error

    failure = _unreachable("https://verval.example.go.id", urllib.error.URLError(reason))

    assert failure.code == "SERVER_TIDAK_TERJANGKAU"
    assert str(failure).startswith("SERVER_TIDAK_TERJANGKAU: cannot reach https://verval.example.go.id: ")
    assert advice in str(failure)
    assert ("run again" in str(failure)) == isinstance(reason, ConnectionRefusedError)


def _match(tmp_path: Path, subs_name: str, subs: bytes) -> tuple[int, str]:
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode()))
    (tmp_path / subs_name).write_bytes(subs)
    code = main(
        [
            "match",
            "--dump",
            str(tmp_path / "dump.csv.gz"),
            "--subscribers",
            str(tmp_path / subs_name),
            "--out",
            str(tmp_path / "hasil.csv"),
        ]
    )
    return code, (tmp_path / "hasil.csv").read_text() if code == 0 else ""


MATCHED = (
    "pd_id,no_ponsel,status\n"
    "00000001-1111-4111-8111-111111111111,6281200000001,AKTIF\n"
    "00000002-1111-4111-8111-111111111111,6281200000002,MASA_TENGGANG\n"
    "00000003-1111-4111-8111-111111111111,6281200000003,TIDAK_AKTIF\n"
)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("subscribers.csv", gzip.compress(SUBS.encode())),
        ("subscribers.txt", gzip.compress(SUBS.encode())),
        (
            "subscribers.csv",
            b'\xef\xbb\xbf"MSISDN","Status"\r\n"6281200000001","active"\r\n'
            b'"6281200000002","grace"\r\n"6281200000003","inactive"\r\n',
        ),
        (
            "subscribers.csv",
            b'"status","msisdn"\n"active","081200000001"\n"grace","+6281200000002"\n'
            b'"inactive","81200000003"\n',
        ),
    ],
    ids=["gzip-named-csv", "gzip-named-txt", "quoted-header-bom-crlf", "quoted-reordered-number-forms"],
)
def test_an_export_gzipped_or_quoted_by_its_tool_is_matched(tmp_path, name, content):  # type: ignore[no-untyped-def]
    assert _match(tmp_path, name, content) == (0, MATCHED)


def test_an_export_saved_as_a_spreadsheet_is_named_as_one(tmp_path, capsys):  # type: ignore[no-untyped-def]
    code, _ = _match(tmp_path, "subscribers.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64)

    assert code == 2
    assert capsys.readouterr().err == (
        "verval-provider match: subscribers subscribers.csv: a spreadsheet or ZIP archive, not a CSV: "
        "save it as CSV (comma-separated, UTF-8)\n"
    )
    assert not (tmp_path / "hasil.csv").exists()


def test_every_option_of_every_command_says_what_it_is_for():  # type: ignore[no-untyped-def]
    import argparse

    from verval_provider.cli import parser

    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    silent = [
        f"{name} {'/'.join(option.option_strings)}"
        for name, sub in commands.choices.items()
        for option in sub._actions
        if option.option_strings and not option.help
    ]

    assert sorted(commands.choices) == sorted(
        ["match", "sync", "pull", "upload-results", "pull-disbursements", "upload-injection"]
        + ["upload-usage", "send-recap", "simulate-injection"]
    )
    assert silent == []


def test_version_names_the_installed_kit(capsys):  # type: ignore[no-untyped-def]
    from importlib import metadata

    with pytest.raises(SystemExit) as done:
        main(["--version"])

    assert done.value.code == 0
    assert capsys.readouterr().out == f"verval-provider {metadata.version('verval-ponsel')}\n"


def test_the_servers_command_in_a_kit_only_install_points_to_verval_provider(tmp_path):  # type: ignore[no-untyped-def]
    # The wheel installs `verval` too; without Django it ended in a ModuleNotFoundError traceback.
    import subprocess
    import sys

    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class _NoDjango:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.'):\n"
        "            raise ImportError('no django in a kit-only install')\n"
        "sys.meta_path.insert(0, _NoDjango())\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", "from verval.cli import main; main(['verval', '--help'])"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{tmp_path}:{src}", "PATH": "/usr/bin:/bin"},
        check=False,
    )

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "verval: this is the server's command and needs the whole project (Django); this install has "
        "the provider kit only: use verval-provider (verval-provider --help)\n"
    )


@pytest.mark.parametrize(
    ("command", "where"),
    [("pull", "--out"), ("sync", "--workdir")],
)
def test_a_folder_the_kit_cannot_make_stops_in_one_line_naming_it(api, tmp_path, capsys, command, where):  # type: ignore[no-untyped-def]
    # Decision 0063: pull --out under a path that cannot be a folder ended in a traceback.
    url, _ = api
    (tmp_path / "a-file").write_text("")
    folder = tmp_path / "a-file" / "kit"
    subs = tmp_path / "subscribers.csv"
    subs.write_text(SUBS)
    extra = ["--subscribers", str(subs)] if command == "sync" else []

    code = main([command, "--url", url, "--token", TOKEN, where, str(folder), *extra])

    assert code == 2
    assert capsys.readouterr().err == (
        f"verval-provider {command}: cannot use {folder}: Not a directory (check the path given to the "
        "command, e.g. --out, --workdir, --subscribers, and that this user may read and write there)\n"
    )


@pytest.mark.parametrize(
    ("out", "said"),
    [
        ("folder", "--out {tmp}/folder is a folder: name the results file, e.g. {tmp}/folder/hasil.csv"),
        ("none/hasil.csv", "--out {tmp}/none/hasil.csv: there is no folder {tmp}/none (make it first)"),
    ],
)
def test_a_results_path_match_cannot_write_is_refused_before_matching(tmp_path, capsys, out, said):  # type: ignore[no-untyped-def]
    (tmp_path / "folder").mkdir()
    (tmp_path / "dump.csv.gz").write_bytes(gzip.compress(DUMP.encode()))
    (tmp_path / "subscribers.csv").write_text(SUBS)

    code = main(
        ["match", "--dump", str(tmp_path / "dump.csv.gz"), "--subscribers", str(tmp_path / "subscribers.csv")]
        + ["--out", str(tmp_path / out)]
    )

    assert code == 2
    assert capsys.readouterr().err == f"verval-provider match: {said.format(tmp=tmp_path)}\n"


def test_a_dump_that_is_not_there_is_named_with_the_systems_reason(tmp_path, capsys):  # type: ignore[no-untyped-def]
    (tmp_path / "subscribers.csv").write_text(SUBS)
    missing = tmp_path / "DMP-1.csv.gz"

    code = main(
        ["match", "--dump", str(missing), "--subscribers", str(tmp_path / "subscribers.csv")]
        + ["--out", str(tmp_path / "hasil.csv")]
    )

    assert code == 2
    assert capsys.readouterr().err.startswith(
        f"verval-provider match: cannot use {missing}: No such file or directory (check the path"
    )


@pytest.mark.parametrize("threads", ["0", "-1", "two"])
def test_a_thread_count_polars_would_ignore_is_refused_by_the_command_line(tmp_path, capsys, threads):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as refused:
        main(
            [
                "match",
                "--dump",
                "d",
                "--subscribers",
                "s",
                "--out",
                str(tmp_path / "o.csv"),
                "--threads",
                threads,
            ]
        )

    assert refused.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"argument --threads: must be a whole number of 1 or more, not '{threads}'\n"
    )


def test_sigterm_from_a_timeout_stops_a_command_as_ctrl_c_does(tmp_path):  # type: ignore[no-untyped-def]
    # `timeout 1h verval-provider sync` sends SIGTERM; the guide promised the "interrupted" line
    # and exit code 130, but the kit died silently.
    import signal
    import subprocess
    import sys

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    src = Path(__file__).resolve().parents[2] / "src"
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    kit = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "verval_provider",
            "pull",
            "--url",
            url,
            "--token",
            TOKEN,
            "--out",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    waiting, _ = silent.accept()  # the kit is inside its request: its handler is in place
    kit.send_signal(signal.SIGTERM)
    _, err = kit.communicate()
    waiting.close()
    silent.close()

    assert kit.returncode == 130
    assert err == (
        "verval-provider pull: interrupted: run the same command again, it goes on where this one "
        "stopped (a download resumes; a file the server already applied changes nothing)\n"
    )


def test_an_option_the_command_does_not_take_is_answered_with_that_commands_usage(capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as refused:
        main(
            ["upload-results", "--url", "http://127.0.0.1:9", "--batch", "B", "--results", "r.csv"]
            + ["--workdir", "kerja"]
        )

    err = capsys.readouterr().err
    assert refused.value.code == 2
    assert err.startswith("usage: verval-provider upload-results ")
    assert err.endswith("verval-provider upload-results: error: unrecognized arguments: --workdir kerja\n")
