"""A production install as docs/deployment.md describes it: `check --deploy`, settings read from
the environment, log lines, static addresses, the health check (decision 0072)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.templatetags.static import static
from django.utils import timezone

from verval.core import staticfiles

PRODUCTION = {
    "DATABASE_URL": "postgres://verval@db.example:5432/verval",
    "VERVAL_SECRET_KEY": "k" * 20 + "Zq8k3N0v2w9cX7bYt5R1mL4pH6jG8fD0sA2e",
    "VERVAL_ALLOWED_HOSTS": "verval.example.go.id",
    "VERVAL_SECURE": "1",
    "VERVAL_REQUIRE_2FA": "1",
    "VERVAL_SITE_URL": "https://verval.example.go.id",
    "VERVAL_TRUSTED_PROXIES": "10.0.0.5",
    "VERVAL_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "VERVAL_EMAIL_HOST": "smtp.example.go.id",
    "VERVAL_CACHE_BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "VERVAL_CACHE_LOCATION": "verval_cache",
}


def _verval(*args: str, testing: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE stays in this process's environment for the rest
    # of the run, and `check --deploy` rightly fails on it (async.E001): no server has it.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VERVAL_", "DATABASE_URL")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    if not testing:
        clean.pop("PYTEST_VERSION", None)
    src = str(Path(__file__).resolve().parents[2] / "src")
    return subprocess.run(
        [sys.executable, "-m", "verval.cli", *args],
        env={**clean, "PYTHONPATH": src, "VERVAL_VAR_DIR": env.pop("VERVAL_VAR_DIR"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _ids(output: str) -> list[str]:
    return sorted(re.findall(r"\((\w+\.[EW]\d{3})\)", output))


def test_check_deploy_is_clean_with_the_environment_the_deployment_doc_lists(tmp_path):  # type: ignore[no-untyped-def]
    done = _verval("check", "--deploy", VERVAL_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert (done.returncode, _ids(done.stdout + done.stderr)) == (0, []), done.stderr[-2000:]
    assert "System check identified no issues (1 silenced)." in done.stdout


def test_check_deploy_fails_on_the_demo_key_and_names_each_production_setting_left_out(tmp_path):  # type: ignore[no-untyped-def]
    done = _verval("check", "--deploy", VERVAL_VAR_DIR=str(tmp_path))
    assert done.returncode == 1
    assert _ids(done.stderr) == [
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
        "verval.E001",
        "verval.W001",
        "verval.W002",
        "verval.W003",
        "verval.W004",
        "verval.W005",
    ]


def test_check_deploy_fails_when_the_benchmarks_fast_password_hasher_is_on(tmp_path):  # type: ignore[no-untyped-def]
    done = _verval(
        "check", "--deploy", testing=False, VERVAL_VAR_DIR=str(tmp_path), VERVAL_FAST_HASHER="1", **PRODUCTION
    )
    assert (done.returncode, _ids(done.stderr)) == (1, ["verval.E002"])


def test_an_empty_secret_key_counts_as_unset_and_allowed_hosts_written_with_spaces_match(tmp_path):  # type: ignore[no-untyped-def]
    done = _verval(
        "shell",
        "-v",
        "0",
        "-c",
        "import json; from django.conf import settings; print(json.dumps([settings.ALLOWED_HOSTS, "
        "settings.SECRET_KEY.startswith('insecure-demo-key')]))",
        VERVAL_VAR_DIR=str(tmp_path),
        VERVAL_ALLOWED_HOSTS=" verval.example.go.id, verval2.example.go.id ,",
        VERVAL_SECRET_KEY="",
    )
    assert json.loads(done.stdout) == [["verval.example.go.id", "verval2.example.go.id"], True]


def test_a_log_line_carries_time_with_offset_level_logger_and_process_with_numbers_masked():
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if h.formatter and h.formatter._fmt and "{levelname}" in h.formatter._fmt
    ]
    record = logging.getLogger("verval.core.health").makeRecord(
        "verval.core.health", logging.ERROR, __file__, 1, "sent to %s", ("081234567890",), None
    )
    assert handler.filter(record)
    line = handler.format(record)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} ERROR verval\.core\.health \[\d+\] sent to \[nomor\]", line
    ), line


def test_a_static_address_carries_the_hash_of_the_file_the_app_ships(settings, tmp_path):  # type: ignore[no-untyped-def]
    import hashlib

    settings.STATIC_ROOT = tmp_path / "nothing-collected"
    staticfiles.version.cache_clear()
    shipped = (settings.PACKAGE_DIR / "static" / "css" / "app.css").read_bytes()
    assert static("css/app.css") == f"/static/css/app.css?v={hashlib.sha256(shipped).hexdigest()[:12]}"
    assert static("css/no-such-file.css") == "/static/css/no-such-file.css"
    staticfiles.version.cache_clear()


def test_a_static_address_follows_the_collected_copy_the_web_server_serves(settings, tmp_path):  # type: ignore[no-untyped-def]
    import hashlib

    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_bytes(b"body{color:red}")
    settings.STATIC_ROOT = tmp_path
    staticfiles.version.cache_clear()
    assert (
        static("css/app.css")
        == f"/static/css/app.css?v={hashlib.sha256(b'body{color:red}').hexdigest()[:12]}"
    )
    staticfiles.version.cache_clear()


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_and_file_store_answer(client, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "not-written-yet"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "file_store": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_file_store_is_no_folder_it_can_write_to(client, settings, tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "a-file").write_text("")
    settings.DATA_DIR = tmp_path / "a-file"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "file_store": "error"}


@pytest.mark.django_db
def test_healthz_reports_how_long_the_oldest_task_has_waited_for_a_worker(client, settings, tmp_path):  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    settings.DATA_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for minutes in (10, 2):
        row = DBTaskResult.objects.create(
            task_path="verval.dashboard.tasks.refresh",
            args_kwargs={"args": [], "kwargs": {}},
            queue_name="default",
            backend_name="default",
            priority=0,
        )
        # enqueued_at is stamped on create; a worker that stopped ten minutes ago left this one.
        DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(minutes=minutes))
    body = client.get("/healthz").json()
    assert body["tasks_waiting"] == 2
    assert 600 <= body["oldest_task_waiting_seconds"] < 660


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https_for_a_load_balancers_plain_probe(client, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
