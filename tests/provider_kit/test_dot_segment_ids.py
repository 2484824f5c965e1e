"""An id that is empty, `.` or `..` is never sent as a path segment (decision 0075): a proxy that
normalises paths resolves `/batches/../file` to `/file` and merges `/batches//file` into
`/batches/file`. Typed to --batch or --period it is refused before any request, like a bad --url;
listed by a server, its batch is reported on its row and nothing is asked for it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from verval_provider import cli, disbursement
from verval_provider.client import ApiClient, ApiFailure, api_path

TOKEN = "vp_x"


class NoServer:
    """A transport that records every request and answers none."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        self.paths.append(path)
        raise AssertionError(f"no request expected, got {method} {path}")


def _main(monkeypatch, server: Any, *argv: str) -> int:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: server)
    return cli.main([argv[0], "--url", "https://verval.test", "--token", TOKEN, *argv[1:]])


BATCH_HINT = {
    "pull": "pull prints the id of each batch",
    "upload-results": "pull prints the id of each batch",
    "upload-injection": "pull-disbursements prints the id of each batch",
}
PERIOD_HINT = "e.g. 2020-09A; pull-disbursements prints the period of each batch"


@pytest.mark.parametrize("value", ["..", ".", "", " "])
@pytest.mark.parametrize(
    ("command", "option", "rest"),
    [
        ("pull", "--batch", ["--out", "OUT"]),
        ("upload-results", "--batch", ["--results", "h.csv"]),
        ("upload-injection", "--batch", ["--results", "h.csv", "--workdir", "OUT"]),
        ("pull-disbursements", "--period", ["--workdir", "OUT"]),
        ("upload-usage", "--period", ["--usage", "p.csv"]),
        ("send-recap", "--period", ["--workdir", "OUT"]),
        ("simulate-injection", "--period", ["--workdir", "OUT"]),
    ],
)
def test_a_typed_batch_or_period_of_dots_or_nothing_is_refused_before_any_request(
    value, command, option, rest, tmp_path, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    server = NoServer()
    rest = [str(tmp_path / "out") if r == "OUT" else r for r in rest]

    code = _main(monkeypatch, server, command, option, value, *rest)

    assert (code, server.paths) == (2, [])
    if option == "--batch":
        why = (
            f'--batch {value!r} is not a batch id: an id is never empty, "." or ".." ({BATCH_HINT[command]})'
        )
    else:
        why = f'--period {value!r} is not a period: a period is never empty, "." or ".." ({PERIOD_HINT})'
    assert capsys.readouterr() == ("", f"verval-provider {command}: {why}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_typed_id_of_dots_is_refused_as_a_json_line_with_json(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    code = _main(
        monkeypatch, NoServer(), "send-recap", "--period", "..", "--workdir", str(tmp_path), "--json"
    )

    assert code == 2
    assert json.loads(capsys.readouterr().out) == {
        "state": "REFUSED",
        "error_code": "ARGUMEN_TIDAK_SAH",
        "error": "ARGUMEN_TIDAK_SAH",
        "message": f'--period \'..\' is not a period: a period is never empty, "." or ".." ({PERIOD_HINT})',
        "exit_code": 2,
    }


def test_ids_that_merely_hold_dots_are_sent_as_one_segment():  # type: ignore[no-untyped-def]
    assert api_path("batches", "...", "file") == "/batches/.../file"
    assert api_path("reports", ".a", "recap") == "/reports/.a/recap"
    assert api_path("batches", "a..b") == "/batches/a..b"


@pytest.mark.parametrize("segment", ["..", ".", ""])
def test_the_path_builder_refuses_a_dot_or_empty_segment(segment):  # type: ignore[no-untyped-def]
    with pytest.raises(ApiFailure) as refused:
        api_path("disbursements", "jobs", segment)

    assert (refused.value.status, refused.value.code) == (0, "ID_TIDAK_SAH")


class ListingServer:
    """Lists two disbursement batches, one under the id `..`, and serves the other's file."""

    FILE = b"pd_id,no_ponsel,kuota_gb\n"

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        import hashlib

        self.paths.append(path)
        sha = hashlib.sha256(self.FILE).hexdigest()
        if path == "/api/v1/disbursements/batches":
            listing = [
                {
                    "id": i,
                    "period": "2020-09A",
                    "seq": s,
                    "rows": 0,
                    "total_gb": "0",
                    "state": "TERBIT",
                    "sha256": sha,
                }
                for s, i in ((1, ".."), (2, "b2"))
            ]
            return 200, {}, iter([json.dumps(listing).encode()])
        return 200, {"x-content-sha256": sha}, iter([self.FILE])


def test_pull_disbursements_reports_a_listed_batch_of_dots_and_downloads_the_others(tmp_path):  # type: ignore[no-untyped-def]
    server = ListingServer()

    reports = disbursement.pull_batches(ApiClient(TOKEN, server), tmp_path)

    assert server.paths == ["/api/v1/disbursements/batches", "/api/v1/disbursements/batches/b2/file"]
    assert [(r["id"], r.get("error"), r.get("downloaded")) for r in reports] == [
        ("..", "ID_TIDAK_SAH", None),
        ("b2", None, True),
    ]
