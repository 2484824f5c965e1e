"""gunicorn's settings for Verval Ponsel: `gunicorn -c python:verval.gunicorn_conf verval.wsgi:application`
(docs/deployment.md, decision 0082).

One zone and one line format for every line of an install. gunicorn's master never loads the
application (its workers do), so it logged in the server's zone (UTC) while its workers, once
Django had set `TZ` to the site's `TIME_ZONE`, logged in WIB: a restart read as seven hours before
the requests around it. Reading the settings here sets `TZ` in the master too, before it forks,
and gunicorn's own lines take the application's format (time with its offset, level, logger,
process).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")

from django.conf import settings  # noqa: E402 - after the settings module is named

# Django sets TZ to TIME_ZONE (and calls tzset) when it reads the settings; said again here so that
# the zone does not depend on that side effect.
os.environ["TZ"] = settings.TIME_ZONE
time.tzset()

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # read without gunicorn (the tests): only the zone matters then
    pass
else:

    class Logger(_GunicornLogger):  # type: ignore[misc]
        """gunicorn's error log in the application's line format (settings.LOGGING "line")."""

        error_fmt = LINE_FORMAT
        datefmt = DATE_FORMAT

    logger_class = Logger
