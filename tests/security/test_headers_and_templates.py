"""CSP and friends on every page; no inline script, inline style or inline event handler in any template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import verval

pytestmark = pytest.mark.django_db

TEMPLATE_ROOT = Path(verval.__file__).parent
# A data block (<script type="application/json">) is never run, so CSP lets it be.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
EVENT_ATTR = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"(href|src)\s*=\s*[\"']\s*javascript:", re.I)


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATE_ROOT.rglob("templates/**/*.html"))


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for name, rx in (
            ("inline <script>", INLINE_SCRIPT),
            ("style=", STYLE_ATTR),
            ("on*= handler", EVENT_ATTR),
            ("javascript: URL", JS_URL),
        ):
            if rx.search(text):
                offenders.append(f"{path.relative_to(TEMPLATE_ROOT)}: {name}")
    assert not offenders, "CSP forbids these (use static JS/CSS): \n  " + "\n  ".join(offenders)


def test_pages_send_csp_and_security_headers(client, pusdatin):  # type: ignore[no-untyped-def]
    for url in (reverse("dashboard:public"), reverse("accounts:login"), reverse("accounts:register")):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_forms_carry_csrf_and_posts_without_token_are_refused(pusdatin, school):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(pusdatin)
    assert "csrfmiddlewaretoken" in client.get(reverse("accounts:staff_create")).content.decode()
    response = client.post(reverse("accounts:user_deactivate", args=[pusdatin.pk]))
    assert response.status_code == 403


def test_secure_settings_follow_verval_secure(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    import verval.settings as s

    monkeypatch.setenv("VERVAL_SECURE", "1")
    try:
        secure = importlib.reload(s)
        assert secure.SESSION_COOKIE_SECURE and secure.CSRF_COOKIE_SECURE
        assert secure.SECURE_HSTS_SECONDS == 31536000 and secure.SECURE_SSL_REDIRECT
    finally:
        monkeypatch.delenv("VERVAL_SECURE")
        importlib.reload(s)
