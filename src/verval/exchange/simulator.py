"""Provider simulator: six subscriber databases answering through the real provider API.

For each provider with batches waiting for an answer, the simulator builds a subscriber export
from the numbers in that provider's dump files (active / grace / inactive / unknown, decided per
number by a hash of seed and number, so a number keeps its state across rounds and runs), then
runs the provider kit's own `sync` (verval_provider.sync) against the API: with `url` over HTTP
(urllib, a running server), without it in-process through django.test.Client, which goes
through the same URL routing, token auth, views and ingest as a real call.

Shares (active / sent) per provider are the Lampung Utara 2020 figures (SPEC §1); the rest is
split 30 % grace, 45 % inactive, 25 % unknown. Profile "nasional" scales the active shares so
the overall share is ~57 % as in the national 15 Sep 2020 figure.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

from verval.core import files
from verval.exchange import actions
from verval.exchange.models import DumpBatch

# Lampung Utara 2020: "sesuai format" vs active per provider.
LAMPUNG_UTARA = {
    "telkomsel": (31077, 21226),
    "indosat": (8561, 6493),
    "xl": (3300, 2626),
    "tri": (3435, 2927),
    "smartfren": (952, 585),
    "axis": (7438, 4670),
}
NATIONAL_ACTIVE = 0.573
REST_SPLIT = {"grace": 0.30, "inactive": 0.45, "unknown": 0.25}


def active_shares(profile: str = "lampung-utara") -> dict[str, float]:
    shares = {p: active / sent for p, (sent, active) in LAMPUNG_UTARA.items()}
    if profile == "nasional":
        sent_total = sum(s for s, _ in LAMPUNG_UTARA.values())
        overall = sum(a for _, a in LAMPUNG_UTARA.values()) / sent_total
        shares = {p: v * NATIONAL_ACTIVE / overall for p, v in shares.items()}
    return shares


def subscriber_state(msisdn: str, provider: str, seed: int, active_share: float) -> str:
    """active | grace | inactive | unknown, deterministic for (seed, number)."""
    h = hashlib.blake2b(f"{seed}:{msisdn}".encode(), digest_size=8).digest()
    u = int.from_bytes(h, "big") / 2**64
    if u < active_share:
        return "active"
    u = (u - active_share) / (1 - active_share)
    if u < REST_SPLIT["grace"]:
        return "grace"
    if u < REST_SPLIT["grace"] + REST_SPLIT["inactive"]:
        return "inactive"
    return "unknown"


def _msisdn(number: str) -> str:
    """A dump's number in whatever format the provider has (decision 0027) as the subscriber
    export writes it, 6281234567890: the same number gets the same state in every format."""
    if number.startswith("+"):
        return number[1:]
    if number.startswith("0"):
        return "62" + number[1:]
    return number


def _dump_numbers(provider: str) -> Iterator[str]:
    for batch in DumpBatch.objects.filter(provider=provider).order_by("created_at"):
        try:
            with gzip.open(files.absolute(batch.file_path), "rt", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    yield _msisdn(row["no_ponsel"])
        except OSError:
            continue


def write_subscribers(
    provider: str, path: Path, *, seed: int = 0, profile: str = "lampung-utara"
) -> dict[str, int]:
    """The provider's subscriber export (msisdn,status) for every number it was ever sent."""
    share = active_shares(profile)[provider]
    counts = {"active": 0, "grace": 0, "inactive": 0, "unknown": 0}
    seen: set[str] = set()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("msisdn,status\n")
        for msisdn in _dump_numbers(provider):
            if msisdn in seen:
                continue
            seen.add(msisdn)
            state = subscriber_state(msisdn, provider, seed, share)
            counts[state] += 1
            if state != "unknown":  # unknown numbers are simply absent from the export
                out.write(f"{msisdn},{state}\n")
    return counts


class DjangoClientTransport:
    """verval_provider transport that calls the API in-process through django.test.Client."""

    def __init__(self) -> None:
        from django.test import Client

        hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
        self.client = Client(HTTP_HOST=hosts[0] if hosts else "localhost", raise_request_exception=False)
        self.secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes | BinaryIO | None = None
    ) -> tuple[int, dict[str, str], Iterator[bytes]]:
        data = body.read() if hasattr(body, "read") else (body or b"")  # type: ignore[union-attr]
        extra = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
        ctype = headers.get("Content-Type", "application/octet-stream")
        response = self.client.generic(
            method, path, data=data, content_type=ctype, headers=extra, secure=self.secure
        )
        hdrs = {k.lower(): v for k, v in response.headers.items()}
        if getattr(response, "streaming", False):
            chunks: Iterator[bytes] = (bytes(c) for c in response.streaming_content)  # type: ignore[attr-defined]
        else:
            chunks = iter([response.content])
        return response.status_code, hdrs, chunks


def simulate_round(
    actor: Any = None,
    seed: int = 0,
    *,
    url: str | None = None,
    providers: list[str] | None = None,
    profile: str = "lampung-utara",
    workdir: Path | None = None,
    log: Any = None,
) -> dict[str, Any]:
    """Answer every waiting batch of every provider (or of `providers`) through the API."""
    from verval_provider.client import ApiClient, UrllibTransport
    from verval_provider.sync import sync

    workdir = workdir or files.root() / "simulator"
    waiting = DumpBatch.objects.filter(state=DumpBatch.State.OPEN)
    if providers:
        waiting = waiting.filter(provider__in=providers)
    codes = sorted(set(waiting.values_list("provider", flat=True)))
    summary: dict[str, Any] = {
        "providers": {},
        "batches": 0,
        "rows": 0,
        "applied": 0,
        "aktif": 0,
        "residu": 0,
        "refused": 0,
        "errors": 0,
    }
    for code in codes:
        _row, token = actions.issue_token(actor=actor, provider=code, label="simulator", rotate=False)
        subs = workdir / code / "subscribers.csv"
        subscriber_counts = write_subscribers(code, subs, seed=seed, profile=profile)
        transport = UrllibTransport(url) if url else DjangoClientTransport()
        client = ApiClient(token, transport)
        reports = sync(client, subs, workdir / code, log=log)
        summary["providers"][code] = {"subscribers": subscriber_counts, "batches": reports}
        for r in reports:
            summary["batches"] += 1
            c = r.get("counts", {})
            summary["rows"] += c.get("rows", 0)
            for key in ("applied", "aktif", "residu", "refused"):
                summary[key] += c.get(key, 0)
            summary["errors"] += r.get("state") != "SUCCEEDED"
    return summary
