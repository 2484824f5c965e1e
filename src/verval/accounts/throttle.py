"""The client's address and the counters of sign-in and registration throttling (Django cache).

Decision 0019: an address may be shared by thousands of people (carrier-grade NAT, the
production reverse proxy), so a per-address counter never refuses a right password; it refuses
registrations past a generous limit and saves the password hash for unknown user names.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from verval.core.client import client_ip

__all__ = ["DAY", "HOUR", "bump", "client_ip", "digest"]

HOUR = 3600
DAY = 24 * HOUR


def digest(value: str) -> str:
    """A cache key part for a user name or an e-mail address (case folded; not kept readable)."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def bump(key: str, timeout: int) -> int:
    """Add one to a counter that lives `timeout` seconds after its last increment."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        value = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1
    # Backends without an atomic incr (the database cache) store the new value with the default
    # timeout (5 minutes): give the counter its own lifetime back.
    cache.touch(key, timeout)
    return value


def count(key: str) -> int:
    return int(cache.get(key) or 0)


def _window(seconds: int) -> int:
    return int(time.time() // seconds)


# --- operator registration (/daftar/) ------------------------------------------------------------


def _limit(name: str) -> int:
    return int(settings.VERVAL.get(name) or 0)


def registration_attempt_refused(ip: str | None) -> bool:
    """Count one submission of /daftar/ from `ip`; True past the address's hourly limit."""
    limit = _limit("REGISTRATION_PER_ADDRESS_PER_HOUR")
    if limit <= 0:
        return False
    return bump(f"verval:reg:ip:{ip or '-'}:{_window(HOUR)}", 2 * HOUR) > limit


def _school_key(npsn: str) -> str:
    return f"verval:reg:npsn:{npsn}:{_window(DAY)}"


def _email_key(email: str) -> str:
    return f"verval:reg:email:{digest(email)}:{_window(DAY)}"


def registration_refusal(npsn: str, email: str) -> str | None:
    """Which daily limit a new registration for this school or e-mail address would pass:
    "school", "email" or None."""
    school_limit = _limit("REGISTRATION_PER_SCHOOL_PER_DAY")
    if school_limit > 0 and count(_school_key(npsn)) >= school_limit:
        return "school"
    email_limit = _limit("REGISTRATION_PER_EMAIL_PER_DAY")
    if email_limit > 0 and count(_email_key(email)) >= email_limit:
        return "email"
    return None


def note_registration(npsn: str, email: str) -> None:
    bump(_school_key(npsn), 2 * DAY)
    bump(_email_key(email), 2 * DAY)
