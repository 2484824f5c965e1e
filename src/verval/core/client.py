"""The client's address, behind a trusted reverse proxy or not (decision 0019): one answer for
sign-in and registration throttling, the provider API's limits and every audit row."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in spec)


def _trusted(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR, or — when that is a trusted reverse proxy (`VERVAL_TRUSTED_PROXIES`) — the
    nearest address in X-Forwarded-For that is not one of them (later entries are written by our
    proxies; earlier ones could be typed by the client)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.VERVAL.get("TRUSTED_PROXIES") or ()))
    if not remote or not networks or not _trusted(remote, networks):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return remote  # not written by a proxy of ours: believe none of it
        if not _trusted(address, networks):
            return address
    return remote
