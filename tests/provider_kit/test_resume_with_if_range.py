"""The kit resumes a download only of the file it began: it keeps the ETag the server gave with
the part (`<file>.part.etag`) and sends it as If-Range, and a 200 (the file changed meanwhile)
replaces the part with the whole new file (decision 0049)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import RecipientFactory
from verval.core import files
from verval.core.models import AuditEvent
from verval.exchange import actions
from verval.exchange.simulator import DjangoClientTransport
from verval_provider import ApiClient, ApiFailure


class Recording:
    """The in-process transport, keeping the headers of each request; `cut_after` bytes into
    the next answer's body the link breaks, as UrllibTransport reports it."""

    def __init__(self) -> None:
        self.inner = DjangoClientTransport()
        self.sent: list[dict[str, str]] = []
        self.cut_after: int | None = None

    def __call__(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        self.sent.append({k: v for k, v in headers.items() if k in ("Range", "If-Range")})
        status, hdrs, chunks = self.inner(method, path, headers, body)
        cut, self.cut_after = self.cut_after, None
        if cut is None:
            return status, hdrs, chunks

        def broken() -> Any:
            yield b"".join(chunks)[:cut]
            raise ApiFailure(0, {"code": "SERVER_TIDAK_TERJANGKAU", "message_en": "connection reset"})

        return status, hdrs, broken()


@pytest.fixture
def batch(school):  # type: ignore[no-untyped-def]
    for i in range(6):
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", phone_raw=f"0812{70000000 + i:08d}")
    (published,) = actions.publish_dumps(actor=None, provider="telkomsel")
    return published


@pytest.fixture
def kit(batch) -> tuple[ApiClient, Recording]:  # type: ignore[no-untyped-def]
    transport = Recording()
    return ApiClient(actions.issue_token(actor=None, provider="telkomsel")[1], transport), transport


def _downloads(batch) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [
        (e.after["status"], e.after["range"])
        for e in AuditEvent.objects.filter(action="download_dump", object_id=batch.id).order_by("id")
    ]


def test_a_cut_download_resumes_with_if_range_of_the_etag_it_began_with(kit, batch, tmp_path):  # type: ignore[no-untyped-def]
    client, transport = kit
    out = tmp_path / "out"  # beside the test's file store
    out.mkdir()
    whole = files.absolute(batch.file_path).read_bytes()
    dest = out / f"{batch.id}.csv.gz"
    transport.cut_after = 50
    with pytest.raises(ApiFailure, match="SERVER_TIDAK_TERJANGKAU"):
        client.download(batch.id, dest, expected_sha256=batch.sha256)
    assert (out / f"{batch.id}.csv.gz.part").read_bytes() == whole[:50]
    assert (out / f"{batch.id}.csv.gz.part.etag").read_text() == f'"{batch.sha256}"'

    assert client.download(batch.id, dest, expected_sha256=batch.sha256).read_bytes() == whole

    assert transport.sent == [{}, {"Range": "bytes=50-", "If-Range": f'"{batch.sha256}"'}]
    assert [s for s, _ in _downloads(batch)] == [200, 206]
    assert sorted(p.name for p in out.iterdir()) == [dest.name]


def test_a_part_of_a_file_that_changed_is_replaced_by_the_whole_new_file(kit, batch, tmp_path):  # type: ignore[no-untyped-def]
    client, transport = kit
    out = tmp_path / "out"  # beside the test's file store
    out.mkdir()
    whole = files.absolute(batch.file_path).read_bytes()
    dest = out / f"{batch.id}.csv.gz"
    # 50 bytes of the file as it was when this part was begun, and that file's ETag.
    (out / f"{batch.id}.csv.gz.part").write_bytes(b"x" * 50)
    (out / f"{batch.id}.csv.gz.part.etag").write_text(f'"{"0" * 64}"')

    assert client.download(batch.id, dest, expected_sha256=batch.sha256).read_bytes() == whole

    assert transport.sent == [{"Range": "bytes=50-", "If-Range": f'"{"0" * 64}"'}]
    assert _downloads(batch) == [(200, "bytes=50-")]
    assert sorted(p.name for p in out.iterdir()) == [dest.name]


def test_a_part_without_an_etag_resumes_with_range_alone_as_before(kit, batch, tmp_path):  # type: ignore[no-untyped-def]
    client, transport = kit
    out = tmp_path / "out"  # beside the test's file store
    out.mkdir()
    whole = files.absolute(batch.file_path).read_bytes()
    (out / "d.csv.gz.part").write_bytes(whole[:50])  # begun by an older kit

    assert client.download(batch.id, out / "d.csv.gz", expected_sha256=batch.sha256).read_bytes() == whole

    assert transport.sent == [{"Range": "bytes=50-"}]
    assert _downloads(batch) == [(206, "bytes=50-")]


def test_a_206_of_another_range_is_not_appended_and_the_whole_file_is_fetched(kit, batch, tmp_path):  # type: ignore[no-untyped-def]
    client, transport = kit
    out = tmp_path / "out"  # beside the test's file store
    out.mkdir()
    whole = files.absolute(batch.file_path).read_bytes()
    (out / "d.csv.gz.part").write_bytes(whole[:50])
    inner = transport.inner

    def from_the_start(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        # A proxy that answers a resumed request with the file's first bytes, marked as such.
        status, hdrs, chunks = inner(method, path, {k: v for k, v in headers.items() if k != "Range"}, body)
        if "Range" in headers:
            return 206, {**hdrs, "content-range": f"bytes 0-{len(whole) - 1}/{len(whole)}"}, chunks
        return status, hdrs, chunks

    transport.inner = from_the_start

    assert client.download(batch.id, out / "d.csv.gz", expected_sha256=batch.sha256).read_bytes() == whole

    assert transport.sent == [{"Range": "bytes=50-"}, {}]
    assert sorted(p.name for p in out.iterdir()) == ["d.csv.gz"]
