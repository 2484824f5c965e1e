"""Login throttling: after N failures for one username (or one address) sign-in is refused for a while."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpRequest


def _keys(request: HttpRequest | None, username: str | None) -> list[str]:
    keys = []
    if username:
        keys.append("login-fail:u:" + hashlib.sha256(username.lower().encode()).hexdigest()[:32])
    if request is not None:
        keys.append("login-fail:ip:" + (request.META.get("REMOTE_ADDR") or "-"))
    return keys


def is_locked(request: HttpRequest | None, username: str | None) -> bool:
    limit: Any = settings.VERVAL["LOGIN_MAX_FAILURES"]
    return any((cache.get(k) or 0) >= limit for k in _keys(request, username)[:1]) or any(
        (cache.get(k) or 0) >= limit * 4 for k in _keys(request, username)[1:]
    )


def note_failure(request: HttpRequest | None, username: str | None) -> None:
    for key in _keys(request, username):
        try:
            cache.incr(key)
        except ValueError:
            lock: Any = settings.VERVAL["LOGIN_LOCK_SECONDS"]
            cache.set(key, 1, lock)


def clear(request: HttpRequest | None, username: str | None) -> None:
    cache.delete_many(_keys(request, username)[:1])


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if is_locked(request, username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            note_failure(request, username)
        else:
            clear(request, username)
        return user
