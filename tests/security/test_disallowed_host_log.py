"""A request for a host not in ALLOWED_HOSTS is one warning line in the log (decision 0077)."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.django_db


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():  # type: ignore[no-untyped-def]
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


def _console() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")


def test_request_with_a_bad_host_is_one_warning_without_traceback(client, records):  # type: ignore[no-untyped-def]
    response = client.get("/", HTTP_HOST="bots.example")
    assert response.status_code == 400
    assert [(r.name, r.levelname, r.exc_info, r.exc_text) for r in records] == [
        ("django.security.DisallowedHost", "WARNING", None, None)
    ]
    assert records[0].getMessage() == (
        "Invalid HTTP_HOST header: 'bots.example'. You may need to add 'bots.example' to ALLOWED_HOSTS."
    )


def test_bad_host_line_in_the_console_is_one_line_with_numbers_masked(client, records):  # type: ignore[no-untyped-def]
    client.get("/", HTTP_HOST="081234567890.example")
    (record,) = records
    console = _console()
    assert console.filter(record)
    line = console.format(record)
    assert "\n" not in line and "Traceback" not in line
    assert line.endswith(
        " WARNING django.security.DisallowedHost "
        f"[{record.process}] Invalid HTTP_HOST header: '[nomor].example'. "
        "You may need to add '[nomor].example' to ALLOWED_HOSTS."
    )


def test_other_security_records_keep_their_level(records):  # type: ignore[no-untyped-def]
    # Only the bad host is turned into a warning: a forged signature, say, stays an error.
    logging.getLogger("django.security.SuspiciousSession").error("Session data corrupted")
    assert [(r.name, r.levelname) for r in records] == [("django.security.SuspiciousSession", "ERROR")]
