"""`verval check --deploy`: what a production install forgot to set (docs/deployment.md).

Django's own deployment checks cover HTTPS, cookies and a weak key, but not the settings only
this project's environment variables control: the shipped demo key passes Django's strength test,
and SQLite, the console mail backend or the per-process cache all run without an error until the
first school's mail never leaves or the throttling counts in each web process apart (decision 0072).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

# settings.py falls back to this when VERVAL_SECRET_KEY is unset; kept here so that the check
# compares with the same text.
DEMO_SECRET_KEY = "insecure-demo-key-change-me-in-production-0123456789"

_MAIL_NOT_SENT = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


@checks.register(checks.Tags.security, deploy=True)
def production_environment(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if settings.SECRET_KEY == DEMO_SECRET_KEY:
        found.append(
            checks.Error(
                "VERVAL_SECRET_KEY is not set: the site signs sessions and password-reset links "
                "with the demo key every copy of the code carries.",
                hint="Set VERVAL_SECRET_KEY to 50 or more random characters and keep it with the backup.",
                id="verval.E001",
            )
        )
    if "MD5PasswordHasher" in settings.PASSWORD_HASHERS[0] and not settings.TESTING:
        found.append(
            checks.Error(
                "VERVAL_FAST_HASHER is on: passwords are stored as salted MD5, which a stolen "
                "database gives up at once.",
                hint="Remove VERVAL_FAST_HASHER (benchmarks only); a password set while it was on must be reset.",
                id="verval.E002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        found.append(
            checks.Warning(
                "The database is SQLite: one writer at a time, no concurrent workers.",
                hint="Set DATABASE_URL=postgres://user@host:5432/verval.",
                id="verval.W001",
            )
        )
    if settings.EMAIL_BACKEND in _MAIL_NOT_SENT:
        found.append(
            checks.Warning(
                f"Mail is not sent ({settings.EMAIL_BACKEND}): invitations, password resets and "
                "the daily digest never reach anyone.",
                hint="Set VERVAL_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and VERVAL_EMAIL_HOST.",
                id="verval.W002",
            )
        )
    if not settings.VERVAL["SITE_URL"]:
        found.append(
            checks.Warning(
                "VERVAL_SITE_URL is not set: links in mail start with whatever address a request "
                "came in on, and `verval notify` refuses to run.",
                hint="Set VERVAL_SITE_URL to the address people type, e.g. https://verval.example.go.id.",
                id="verval.W003",
            )
        )
    if settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
        found.append(
            checks.Warning(
                "The cache is each process's own memory: with several web processes, failed "
                "sign-ins and API calls are counted per process.",
                hint="Set VERVAL_CACHE_BACKEND=django.core.cache.backends.db.DatabaseCache, "
                "VERVAL_CACHE_LOCATION=verval_cache and run `verval createcachetable`.",
                id="verval.W004",
            )
        )
    if not settings.VERVAL["REQUIRE_TWO_FACTOR"]:
        found.append(
            checks.Warning(
                "VERVAL_REQUIRE_2FA is off: Dinas and Pusdatin accounts sign in with a password alone.",
                hint="Set VERVAL_REQUIRE_2FA=1.",
                id="verval.W005",
            )
        )
    return found
