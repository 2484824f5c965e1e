"""Sign-in: user names match ignoring case, and failures are throttled (decision 0019).

- Per user name: after `LOGIN_MAX_FAILURES` (5) failures the name is locked for
  `LOGIN_LOCK_SECONDS` (15 min), even against the right password. A success clears the counter.
- Per client address: after 4 × that many failures the address is "over the limit". Many
  people share one address (carrier-grade NAT, the production reverse proxy), so this never
  refuses a right password for an account that is not itself locked: it only stops spending a
  password hash on user names that do not exist. Its failures still count per user name.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpRequest

from verval.accounts import throttle
from verval.core.client import client_ip


def _lock_seconds() -> int:
    return int(settings.VERVAL["LOGIN_LOCK_SECONDS"])


def _max_failures() -> int:
    return int(settings.VERVAL["LOGIN_MAX_FAILURES"])


def _account_key(username: str) -> str:
    return "login-fail:u:" + throttle.digest(username)


def _address_key(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return "login-fail:ip:" + (client_ip(request) or "-")


def find_user(username: str | None) -> Any:
    """The account a typed user name means: the exact name, else the one name equal to it
    ignoring case (phone keyboards capitalise the first letter). None when there is none, or
    when several accounts differ only in case (older data) and none is typed exactly."""
    if not username:
        return None
    users = get_user_model()._default_manager
    exact = users.filter(username=username).first()
    if exact is not None:
        return exact
    matches = list(users.filter(username__iexact=username)[:2])
    return matches[0] if len(matches) == 1 else None


def is_locked(request: HttpRequest | None, username: str | None) -> bool:
    """Is this user name locked? (The sign-in form then says "too many attempts".) Only the
    name's own counter locks it: an address's failures never lock out a right password."""
    return bool(username) and throttle.count(_account_key(username or "")) >= _max_failures()


def address_over_limit(request: HttpRequest | None) -> bool:
    key = _address_key(request)
    return key is not None and throttle.count(key) >= 4 * _max_failures()


def note_failure(request: HttpRequest | None, username: str | None) -> None:
    if username:
        throttle.bump(_account_key(username), _lock_seconds())
    key = _address_key(request)
    if key is not None:
        throttle.bump(key, _lock_seconds())


def clear(request: HttpRequest | None, username: str | None) -> None:
    """A success clears the user name's counter (never the address's: one valid account must not
    reset the count of an address that guesses others)."""
    if username:
        cache.delete(_account_key(username))


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        UserModel = get_user_model()
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if not username or password is None:
            return None
        if is_locked(request, username):
            return None
        user = find_user(username)
        if user is None:
            if not address_over_limit(request):
                # Same cost as a known name, so the answer's timing does not tell which names exist.
                UserModel().set_password(password)
            note_failure(request, username)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            clear(request, username)
            return user
        note_failure(request, username)
        return None
