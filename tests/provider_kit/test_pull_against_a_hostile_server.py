"""`verval-provider pull` against a hostile or broken server (security review, decision 0045): the
batch ids and manifests it answers never make the kit write outside `--out` or call another path,
and the token is never printed or written, also when the server's error page echoes it."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from verval_provider import cli
from verval_provider.client import ApiClient

TOKEN = "vp_secret-token-0123456789"
DUMP = gzip.compress(b"pd_id,no_ponsel\n")
SHA = hashlib.sha256(DUMP).hexdigest()


class HostileServer:
    """Answers every listed batch with the given id and a manifest naming a path elsewhere."""

    def __init__(self, batch_id: str, error: tuple[int, bytes] | None = None) -> None:
        self.batch_id = batch_id
        self.error = error
        self.paths: list[str] = []

    def __call__(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        self.paths.append(path)
        if self.error:
            return self.error[0], {}, iter([self.error[1]])
        if path.startswith("/api/v1/batches?"):
            batch = {
                "id": self.batch_id,
                "rows": 1,
                "state": "OPEN",
                "sha256": SHA,
                "created_at": "2026-11-30",
            }
            return 200, {}, iter([json.dumps([batch]).encode()])
        if path.endswith("/manifest"):
            manifest = {"sha256": SHA, "file": "../../evil.csv.gz", "path": "/tmp/evil", "batch": "../x"}
            return 200, {}, iter([json.dumps(manifest).encode()])
        return 200, {"x-content-sha256": SHA}, iter([DUMP])


def _every_file(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _pull(monkeypatch, server: HostileServer, out: Path) -> int:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: server)
    return cli.main(["pull", "--url", "https://verval.test", "--token", TOKEN, "--out", str(out), "--json"])


def test_a_batch_id_with_dot_dot_is_written_inside_out_and_asked_for_quoted(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    out = tmp_path / "a" / "out"
    server = HostileServer("../../x")

    assert _pull(monkeypatch, server, out) == 0

    assert _every_file(tmp_path) == ["a", "a/out", "a/out/.._.._x.csv.gz", "a/out/.._.._x.manifest.json"]
    assert server.paths == [
        "/api/v1/batches?state=OPEN",
        "/api/v1/batches/..%252F..%252Fx/manifest",
        "/api/v1/batches/..%252F..%252Fx/file",
    ]
    assert TOKEN not in capsys.readouterr().out


@pytest.mark.parametrize("batch_id", ["..", ".", ""])
def test_a_listed_batch_id_of_dots_or_nothing_is_reported_and_never_asked_for(
    batch_id, tmp_path, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    # Sent as is, `/batches/../manifest` is `/manifest` behind a proxy that normalises paths,
    # and `/batches//file` is `/batches/file` (decision 0075): the batch is left, on its row.
    out = tmp_path / "out"
    server = HostileServer(batch_id)

    assert _pull(monkeypatch, server, out) == 1

    assert server.paths == ["/api/v1/batches?state=OPEN"]
    assert _every_file(tmp_path) == ["out"]
    (report,) = json.loads(capsys.readouterr().out)["batches"]
    assert (report["batch"], report["downloaded"], report["error"]) == (batch_id, False, "ID_TIDAK_SAH")
    assert report["detail"] == (
        f"ID_TIDAK_SAH: the id {batch_id!r} cannot be sent as part of an API address: an id is never "
        'empty, "." or ".."; nothing was asked of the server for it'
    )


def test_a_server_error_page_that_echoes_the_token_is_not_printed(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    page = f"<html>Bad gateway. Request headers: Authorization: Bearer {TOKEN}</html>".encode()

    assert _pull(monkeypatch, HostileServer("x", error=(502, page)), tmp_path / "out") == 2

    printed = capsys.readouterr()
    assert TOKEN not in printed.out + printed.err
    assert json.loads(printed.out)["message"] == (
        "HTTP 502 SERVER_TIDAK_TERJANGKAU: /api/v1/batches answered with a body from a proxy, not the "
        "Verval Ponsel API: the server behind it is down or restarting; run again later (a download resumes)"
    )
    assert all(TOKEN.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_a_json_error_that_echoes_the_token_is_printed_without_it(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    error = {"code": "KESALAHAN_SISTEM", "message_en": f"Request headers: Authorization: Bearer {TOKEN}"}

    assert (
        _pull(monkeypatch, HostileServer("x", error=(500, json.dumps(error).encode())), tmp_path / "out") == 2
    )

    printed = capsys.readouterr()
    assert TOKEN not in printed.out + printed.err
    assert "Authorization: Bearer [token]" in printed.out


def test_the_client_never_writes_its_token_into_a_download(tmp_path):  # type: ignore[no-untyped-def]
    server = HostileServer("x")
    client = ApiClient(TOKEN, server)

    dest = client.download("x", tmp_path / "x.csv.gz", expected_sha256=SHA)

    assert dest.read_bytes() == DUMP
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv.gz"]
