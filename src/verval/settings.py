"""Settings for Verval Ponsel.

Everything that differs between a laptop demo and production comes from the environment:
DATABASE_URL (default: SQLite file var/verval.sqlite3), VERVAL_DATA_DIR (default var/files),
VERVAL_SECRET_KEY, VERVAL_DEBUG, VERVAL_ALLOWED_HOSTS, VERVAL_SECURE (1 behind HTTPS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
# var/ sits in the working directory so that `make run` in a clone keeps everything in the clone.
# Empty means the default and a relative one is made absolute at start, as VERVAL_DATA_DIR below.
VAR_DIR = Path(os.environ.get("VERVAL_VAR_DIR") or Path.cwd() / "var").absolute()
# Absolute, fixed at start: an empty value was the working directory (a prune run by cron from /
# walked /tmp), a relative one followed every later change of directory (decision 0045).
DATA_DIR = Path(os.environ.get("VERVAL_DATA_DIR") or VAR_DIR / "files").absolute()


# pytest (>= 8.2) announces itself; tests run tasks inline and hash passwords cheaply.
TESTING = "PYTEST_VERSION" in os.environ


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("VERVAL_DEBUG", False)
# `verval check --deploy` refuses this key (verval.core.checks); an empty value means the default.
SECRET_KEY = os.environ.get("VERVAL_SECRET_KEY") or "insecure-demo-key-change-me-in-production-0123456789"
# "a.example, b.example" as people write a list: a space kept before a name never matched a request.
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("VERVAL_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from its own static files instead of a CDN
    "verval.core",
    "verval.accounts",
    "verval.reference",
    "verval.registry",
    "verval.imports",
    "verval.exchange",
    "verval.sptjm",
    "verval.dashboard",
    "verval.help",
]

MIDDLEWARE = [
    "verval.core.middleware.AuditViaMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "verval.core.middleware.ContentSecurityPolicyMiddleware",
    "verval.exchange.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "verval.accounts.middleware.TwoFactorMiddleware",
    "verval.accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "verval.core.middleware.PageOutOfRangeMiddleware",
    "verval.core.middleware.HtmxLoginRedirectMiddleware",
    "verval.core.middleware.FormLoginRedirectMiddleware",
    "verval.core.middleware.PrivatePagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "verval.urls"
WSGI_APPLICATION = "verval.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "verval.core.context.site",
            ],
            # |when, |clock, |day, |deadline: one format for dates and times on every page.
            "builtins": ["verval.core.templatetags.when_tags"],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'verval.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh clone has no var/ yet; SQLite creates the file but not its folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the worker writes a long import transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
            " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/masuk/"
LOGIN_REDIRECT_URL = "/beranda/"
LOGOUT_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = ["verval.accounts.backends.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
if TESTING or _flag("VERVAL_FAST_HASHER"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# The project-wide CSS/JS and vendored htmx live beside the settings, not in an app.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # `?v=<content hash>` on every static address: the web server may cache them for a year.
    "staticfiles": {"BACKEND": "verval.core.staticfiles.VersionedStaticFilesStorage"},
}

MEDIA_ROOT = DATA_DIR
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Sign-in and API throttling counters and the dashboard's figures live here. One process's memory
# is right for the demo; several web processes need a shared cache, or each counts on its own
# (docs/deployment.md: the database cache needs nothing but `verval createcachetable`).
CACHES = {
    "default": {
        "BACKEND": os.environ.get("VERVAL_CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": os.environ.get("VERVAL_CACHE_LOCATION", ""),
    }
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "VERVAL_TASK_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        ),
        # verval.core.queues.ALL (decision 0071); a task sent to another name is refused.
        "QUEUES": ["default", "interactive"],
    }
}

EMAIL_BACKEND = os.environ.get("VERVAL_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("VERVAL_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("VERVAL_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("VERVAL_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("VERVAL_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _flag("VERVAL_EMAIL_TLS")
EMAIL_USE_SSL = _flag("VERVAL_EMAIL_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("VERVAL_EMAIL_FROM", "Verval Ponsel <noreply@verval.local>")

# Security: strict by default, HTTPS-only cookies and HSTS switched on by VERVAL_SECURE=1.
SECURE = _flag("VERVAL_SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "verval.core.views.csrf_failure"
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_SSL_REDIRECT = SECURE and _flag("VERVAL_SSL_REDIRECT", True)
# A load balancer probes the application directly, over plain HTTP: a redirect reads as down.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
# HSTS preload (security.W021) binds every subdomain of the ministry's domain for months once
# the domain is submitted: the domain's owner decides that, not this application (decision 0072).
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 8 * 3600

# SPEC §9 / §5 policy knobs.
VERVAL: dict[str, Any] = {
    "REFUSE_FILE_ABOVE_SHARE": float(os.environ.get("VERVAL_REFUSE_SHARE", "0.05")),
    "SHARED_NUMBER_LIMIT": int(os.environ.get("VERVAL_SHARED_LIMIT", "3")),
    "SHARED_NUMBER_IMPLAUSIBLE": int(os.environ.get("VERVAL_SHARED_IMPLAUSIBLE", "10")),
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_SECONDS": 900,
    # /daftar/ (docs/accounts.md, decision 0019; 0 turns a limit off): submissions per client
    # address an hour, and registrations per school (NPSN) and per e-mail address a day.
    "REGISTRATION_PER_ADDRESS_PER_HOUR": int(os.environ.get("VERVAL_REGISTRATION_PER_ADDRESS", "30")),
    "REGISTRATION_PER_SCHOOL_PER_DAY": int(os.environ.get("VERVAL_REGISTRATION_PER_SCHOOL", "5")),
    "REGISTRATION_PER_EMAIL_PER_DAY": int(os.environ.get("VERVAL_REGISTRATION_PER_EMAIL", "3")),
    # The address links in e-mail start with (https://verval.example.go.id); empty: the address
    # the request that sends the mail came in on.
    "SITE_URL": os.environ.get("VERVAL_SITE_URL", "").strip(),
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated):
    # the client address of sign-in and registration throttling and of audit rows.
    "TRUSTED_PROXIES": [
        p.strip() for p in os.environ.get("VERVAL_TRUSTED_PROXIES", "").split(",") if p.strip()
    ],
    "TWO_FACTOR_ROLES": ["PUSDATIN", "DINAS_PROV", "DINAS_KAB"],
    "REQUIRE_TWO_FACTOR": _flag("VERVAL_REQUIRE_2FA", False),
    # A signed scan may be as large as SCAN_MAX_BYTES, or SCAN_MAX_BYTES_PER_PAGE for each page of
    # the printed document when that is more: a school of 7,300 recipients prints 160 pages, whose
    # scan at 150 dpi in grey is 50-70 MB (decision 0079).
    "SCAN_MAX_BYTES": 10 * 1024 * 1024,
    "SCAN_MAX_BYTES_PER_PAGE": int(os.environ.get("VERVAL_SCAN_MAX_BYTES_PER_PAGE", str(1024 * 1024))),
    # A school's SPTJM of more recipients than this is printed by a job (`sptjm_print`), not in the
    # request: the print of 1,000 takes about 1 CPU second, of 7,300 about 4.3 (decision 0102).
    "SPTJM_PRINT_IN_REQUEST_MAX": int(os.environ.get("VERVAL_SPTJM_PRINT_IN_REQUEST_MAX", "1000")),
    # Provider API rate limits per minute (docs/api.md "Rate limits"; 0 turns one off): calls per
    # token, and calls without a valid token per client address.
    "API_RATE_PER_MINUTE": int(os.environ.get("VERVAL_API_RATE_PER_MINUTE", "600")),
    "API_FAILED_AUTH_PER_MINUTE": int(os.environ.get("VERVAL_API_FAILED_AUTH_PER_MINUTE", "60")),
    # Background jobs that survive a dead worker (docs/deployment.md "Jobs and workers", decision
    # 0022): a running job's heartbeat is refreshed every sixth of the lease; a RUNNING job not
    # heard from for JOB_LEASE_SECONDS is abandoned and re-queued, up to JOB_MAX_ATTEMPTS starts;
    # each worker looks for abandoned jobs when it starts and every JOB_RECOVER_EVERY_SECONDS.
    "JOB_LEASE_SECONDS": int(os.environ.get("VERVAL_JOB_LEASE_SECONDS", "120")),
    "JOB_MAX_ATTEMPTS": int(os.environ.get("VERVAL_JOB_MAX_ATTEMPTS", "3")),
    "JOB_RECOVER_EVERY_SECONDS": int(os.environ.get("VERVAL_JOB_RECOVER_EVERY_SECONDS", "60")),
    # Every `verval worker` writes a heartbeat file this often, naming the queues it serves; a
    # queue none of whose workers was heard from for WORKER_SILENT_SECONDS (at least three beats)
    # has no worker, and its waiting jobs' pages, `verval jobs`, /healthz and Pusdatin's page say
    # so (decision 0082).
    "WORKER_BEAT_SECONDS": float(os.environ.get("VERVAL_WORKER_BEAT_SECONDS", "15")),
    "WORKER_SILENT_SECONDS": int(os.environ.get("VERVAL_WORKER_SILENT_SECONDS", "60")),
    # A running job looks for Pusdatin's cancel request at its checkpoints at most this often
    # (decision 0029).
    "JOB_CANCEL_CHECK_SECONDS": float(os.environ.get("VERVAL_JOB_CANCEL_CHECK_SECONDS", "1")),
    # A school's correction file previewed but never applied expires (FAILED PRATINJAU_KEDALUWARSA)
    # this many hours after its upload, by the same recovery pass (decision 0035).
    "PREVIEW_EXPIRES_HOURS": int(os.environ.get("VERVAL_PREVIEW_EXPIRES_HOURS", "24")),
    # How long a user's save waits for rows a bulk job holds (an import, a results ingest, a
    # validation run keep them until they commit) before it is answered "being processed, try
    # again" instead of hanging the request (PostgreSQL; decision 0041).
    "EDIT_LOCK_WAIT_MS": int(os.environ.get("VERVAL_EDIT_LOCK_WAIT_MS", "3000")),
    # Applying a school's correction file reports its progress, and looks for a cancel request,
    # after every this many corrections (decision 0039).
    "BULK_CORRECTION_BATCH_ROWS": int(os.environ.get("VERVAL_BULK_CORRECTION_BATCH_ROWS", "200")),
    # What `verval files --prune` may delete and when (docs/deployment.md "File store and
    # retention", decision 0038), in days; SPTJM PDFs, signed scans and registration letters are
    # legal evidence and have no rule (never pruned).
    "RETENTION_PREVIEW_DAYS": int(os.environ.get("VERVAL_RETENTION_PREVIEW_DAYS", "2")),
    "RETENTION_JOB_INPUT_DAYS": int(os.environ.get("VERVAL_RETENTION_JOB_INPUT_DAYS", "90")),
    "RETENTION_DUMP_DAYS": int(os.environ.get("VERVAL_RETENTION_DUMP_DAYS", "180")),
    "RETENTION_DISBURSEMENT_DAYS": int(os.environ.get("VERVAL_RETENTION_DISBURSEMENT_DAYS", "180")),
    "RETENTION_WORK_DAYS": int(os.environ.get("VERVAL_RETENTION_WORK_DAYS", "2")),
    "RETENTION_REPORT_DAYS": int(os.environ.get("VERVAL_RETENTION_REPORT_DAYS", "7")),
    # A signed scan its check did not accept (refused, failed, abandoned): decision 0107.
    "RETENTION_REFUSED_SCAN_DAYS": int(os.environ.get("VERVAL_RETENTION_REFUSED_SCAN_DAYS", "7")),
    # A signed scan no row names (its upload's row never committed), by the file's age; at least
    # one day, as a scan being received is stored before its row commits: decision 0115.
    "RETENTION_ORPHAN_SCAN_DAYS": int(os.environ.get("VERVAL_RETENTION_ORPHAN_SCAN_DAYS", "1")),
    # A late-schools list (`/progres/tertinggal/`) longer than this many schools gets its Excel
    # file from a background job, not from the web request (decision 0068; 25,000 since the
    # writer got faster, decision 0074).
    "EXPORT_JOB_ROWS": int(os.environ.get("VERVAL_EXPORT_JOB_ROWS", "25000")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_numbers": {"()": "verval.core.logging.MaskPhoneNumbersFilter"},
        "one_line_warning": {"()": "verval.core.logging.OneLineWarningFilter"},
        "without_query": {"()": "verval.core.logging.AccessLogWithoutQueryFilter"},
        "client_error_one_line": {"()": "verval.core.logging.ClientErrorOneLineFilter"},
    },
    # Django's own access log of `verval serve` (runserver) quotes each request line: a path or
    # query with a number in it (a fuzzer's, a client's mistake) was printed as sent, and a search
    # term of a GET form (`?q=`) too. Same handler as Django's default, with the number filter,
    # and the query string left out (decision 0087).
    "formatters": {
        # Time with its offset, level and logger: under gunicorn or a service manager the lines
        # of several processes meet in one file, and a bare message said neither when nor where.
        "line": {
            "format": "{asctime} {levelname} {name} [{process}] {message}",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "style": "{",
        },
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["mask_numbers"]},
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["without_query", "mask_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("VERVAL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A request for a host not in ALLOWED_HOSTS (bots, all day on a public address): one line
        # at WARNING, not an ERROR with a traceback each. The handlers still mask numbers.
        "django.security.DisallowedHost": {"filters": ["one_line_warning"]},
        # An answer 400-499 (a 403 refused on purpose, a 404): one line with the status, method
        # and path, without the traceback Django adds to a PermissionDenied; a 5xx keeps its
        # traceback (decision 0136).
        "django.request": {"filters": ["client_error_one_line"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # fpdf2 subsets fonts with fontTools, which reports every table it prunes at INFO: a
        # screenful per printed SPTJM in the `make run` terminal.
        "fontTools": {"level": "WARNING"},
        # The worker logs every task's start and end at INFO: the dashboard refreshes alone are
        # dozens a minute in the demo and pushed the printed accounts off the screen. Failures
        # are logged at ERROR and always show.
        "django_tasks": {"level": os.environ.get("VERVAL_TASK_LOG_LEVEL", "WARNING")},
        # The database backend's worker (`db_worker`) logs under its own name.
        "django_tasks_db": {"level": os.environ.get("VERVAL_TASK_LOG_LEVEL", "WARNING")},
    },
}
