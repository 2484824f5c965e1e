"""The access log of `verval serve` (Django's runserver, logger `django.server`) masks phone
numbers like every other log line: it quotes the request line, and a path or query a client
chose may hold a number (schemathesis sent `/api/v1/batches/6281234567890`)."""

from __future__ import annotations

import io
import logging

from django.utils.log import ServerFormatter


def test_runserver_access_log_masks_a_number_in_the_request_path_and_query():
    logger = logging.getLogger("django.server")
    # The handler settings.LOGGING gives the logger (pytest adds its own capturing ones).
    (handler,) = [h for h in logger.handlers if isinstance(h.formatter, ServerFormatter)]
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    previous = handler.setStream(out)
    try:
        # What WSGIRequestHandler.log_message hands the logger for one request.
        logger.info(
            '"%s" %s %s',
            "GET /api/v1/batches/6281234567890?state=0812-3456-7890 HTTP/1.1",
            "404",
            "98",
            extra={"status_code": 404, "server_time": "30/Nov/2026 14:00:38"},
        )
    finally:
        handler.setStream(previous)

    assert (
        out.getvalue()
        # The query string is left out altogether (decision 0087), the path masked.
        == '[30/Nov/2026 14:00:38] "GET /api/v1/batches/[nomor] HTTP/1.1" 404 98\n'
    )
    assert logger.propagate is False
