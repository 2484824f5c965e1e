"""Production settings come from the environment (docs/deployment.md): mail server and cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER, "
    "settings.EMAIL_HOST_PASSWORD, settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL, settings.DEFAULT_FROM_EMAIL, "
    "settings.CACHES['default']]))"
)


def _settings(**env: str) -> list[object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VERVAL_EMAIL", "VERVAL_CACHE"))}
    done = subprocess.run(
        [sys.executable, "-c", SHOW],
        env={**clean, "DJANGO_SETTINGS_MODULE": "verval.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_mail_server_and_shared_cache_are_read_from_the_environment():
    assert _settings(
        VERVAL_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        VERVAL_EMAIL_HOST="smtp.kemdikbud.example",
        VERVAL_EMAIL_PORT="587",
        VERVAL_EMAIL_USER="verval",
        VERVAL_EMAIL_PASSWORD="rahasia",
        VERVAL_EMAIL_TLS="1",
        VERVAL_EMAIL_FROM="Verval Ponsel <verval@kemdikbud.example>",
        VERVAL_CACHE_BACKEND="django.core.cache.backends.db.DatabaseCache",
        VERVAL_CACHE_LOCATION="verval_cache",
    ) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.kemdikbud.example",
        587,
        "verval",
        "rahasia",
        True,
        False,
        "Verval Ponsel <verval@kemdikbud.example>",
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "verval_cache"},
    ]


def test_without_the_environment_mail_goes_to_the_console_and_the_cache_is_the_process_memory():
    assert _settings() == [
        "django.core.mail.backends.console.EmailBackend",
        "localhost",
        25,
        "",
        "",
        False,
        False,
        "Verval Ponsel <noreply@verval.local>",
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": ""},
    ]


@pytest.mark.django_db(transaction=True)
def test_sign_in_throttling_counts_in_the_database_cache_that_several_processes_share(client, operator):  # type: ignore[no-untyped-def]
    shared = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "verval_cache"}
    }
    with override_settings(CACHES=shared):
        call_command("createcachetable", verbosity=0)
        caches["default"].clear()
        try:
            for _ in range(5):
                client.post("/masuk/", {"username": "operator", "password": "salah-salah"})
            response = client.post("/masuk/", {"username": "operator", "password": "rahasia-123"})
            assert response.status_code == 200
            assert "_auth_user_id" not in client.session
            # What another process would read: the counter row in the table.
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM verval_cache")
                assert cur.fetchone()[0] >= 1
        finally:
            caches["default"].clear()
