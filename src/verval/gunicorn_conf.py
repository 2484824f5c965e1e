"""gunicorn's settings for Verval Ponsel: `gunicorn -c python:verval.gunicorn_conf verval.wsgi:application`
(docs/deployment.md, decision 0082).

One zone and one line format for every line of an install. gunicorn's master never loads the
application (its workers do), so it logged in the server's zone (UTC) while its workers, once
Django had set `TZ` to the site's `TIME_ZONE`, logged in WIB: a restart read as seven hours before
the requests around it. Reading the settings here sets `TZ` in the master too, before it forks,
and gunicorn's own lines take the application's format (time with its offset, level, logger,
process). A request may run for 300 s (`timeout`), not gunicorn's 30.

Its access log (off unless asked, `--access-logfile -`) leaves query strings out and masks numbers
in the addresses it writes: the request line, the path and the referring page (decision 0087).
"""

from __future__ import annotations

import os
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verval.settings")

from django.conf import settings  # noqa: E402 - after the settings module is named

# Django sets TZ to TIME_ZONE (and calls tzset) when it reads the settings; said again here so that
# the zone does not depend on that side effect.
os.environ["TZ"] = settings.TIME_ZONE
time.tzset()

from verval.core.logging import mask_text, without_query  # noqa: E402 - after the zone is set

# A worker's request may take minutes: a results file of up to VERVAL_API_SYNC_INGEST_BYTES is
# applied while its request waits, and under a deadline's load the soak saw an SPTJM print of ~300
# recipients take 31 s (decision 0117). gunicorn's own 30 s would kill the worker mid-request; a
# `--timeout` on the command line still wins.
timeout = 300

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# gunicorn's access-log atoms that hold an address: the request line (%(r)s), the path (%(U)s), the
# referring page (%(f)s, %({referer}i)s) and their WSGI variables (%({raw_uri}e)s...); and those
# that hold the query string alone (%(q)s, %({query_string}e)s).
ADDRESS_ATOMS = ("r", "U", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{http_referer}e")
QUERY_ATOMS = ("q", "{query_string}e")


def access_atoms(atoms: dict[str, Any]) -> dict[str, Any]:
    """The values an access-log line is formatted from, with every query string left out and the
    numbers in the addresses masked: a search term typed into a GET form (`?q=`) is no business
    of a log, and an address a client chose may hold a phone number. The rest as gunicorn gives it."""
    out = dict(atoms)
    for key in QUERY_ATOMS:
        if key in out:
            out[key] = ""
    for key in ADDRESS_ATOMS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = mask_text(without_query(value))
    return out


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # read without gunicorn (the tests): only the zone matters then
    pass
else:

    class Logger(_GunicornLogger):  # type: ignore[misc]
        """gunicorn's error log in the application's line format (settings.LOGGING "line")."""

        error_fmt = LINE_FORMAT
        datefmt = DATE_FORMAT

        def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
            return access_atoms(super().atoms(resp, req, environ, request_time))

    logger_class = Logger
