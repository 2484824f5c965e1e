"""Fixtures of the browser walks: the static files and one headless chromium per module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _static_files(settings):  # type: ignore[no-untyped-def]
    """live_server serves /static/ through the staticfiles finders; the project's own static folder
    (src/verval/static: app.css, app.js, htmx) is not inside an app, so point a finder at it."""
    static = settings.PACKAGE_DIR / "static"
    if static not in [Path(p) for p in settings.STATICFILES_DIRS]:
        settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, static]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Playwright's sync API runs its own event loop; Django must allow sync DB calls from this thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()
