"""Static file addresses that change when the file does (`/static/css/app.css?v=1a2b3c4d5e6f`).

The web server serves `/static/` with long cache lifetimes for schools on slow links
(docs/deployment.md); under a fixed name a browser kept last version's app.css and app.js for a
year after an upgrade. Django's ManifestStaticFilesStorage renames the files instead, but answers
every page with an error until `collectstatic` has run, and the demo's `verval serve` never runs it:
a query string needs nothing from either (decision 0072).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import StaticFilesStorage


def tag(data: bytes) -> str:
    """The version tag of a file's bytes: the first 12 hex digits of their SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]


@lru_cache(maxsize=512)
def version(name: str) -> str:
    """The first 12 hex digits of the SHA-256 of the file the web server hands out: the collected
    copy when there is one (an upgrade without `collectstatic` keeps the old file and so its old
    address), else the one the apps ship; empty when neither exists."""
    collected = Path(settings.STATIC_ROOT) / name if settings.STATIC_ROOT else None
    path = collected if collected and collected.is_file() else finders.find(name)
    if not path or not Path(str(path)).is_file():
        return ""
    return tag(Path(str(path)).read_bytes())


class VersionedStaticFilesStorage(StaticFilesStorage):
    def url(self, name: str | None) -> str:
        url = super().url(name)
        # A template hands a SafeString, whose str() is itself and which pathlib cannot intern.
        version_tag = version(name.encode().decode()) if name else ""
        return f"{url}?v={version_tag}" if version_tag else url
