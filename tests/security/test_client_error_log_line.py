"""An answer 400–499 is one line in the log — status, method, path without the query string,
Django's reason — without a traceback; a 500 keeps its traceback (decision 0136). Django logs a
PermissionDenied with the exception: every 403 wrote the refusing view's traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _request_records(caplog) -> list[logging.LogRecord]:  # type: ignore[no-untyped-def]
    return [r for r in caplog.records if r.name == "django.request"]


def _console() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console")


def test_a_403_is_one_warning_line_with_method_path_and_status_and_no_traceback(caplog, operator):  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = _login(operator).get("/progres/tertinggal/?kabkota=020500&q=Budi")

    assert response.status_code == 403
    (record,) = _request_records(caplog)
    assert (record.levelname, record.getMessage(), record.exc_info, record.exc_text) == (
        "WARNING",
        "403 GET /progres/tertinggal/: Forbidden (Permission denied)",
        None,
        None,
    )
    line = _console().format(record)
    assert "\n" not in line and "Traceback" not in line and "Budi" not in line and "kabkota" not in line
    assert line.endswith(
        f" WARNING django.request [{record.process}] 403 GET /progres/tertinggal/: Forbidden (Permission denied)"
    )


def test_a_403_of_a_post_names_the_method(caplog, operator):  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = _login(operator).post("/pengguna/", {"q": "Budi"})

    assert response.status_code == 403
    assert [(r.getMessage(), r.exc_info) for r in _request_records(caplog)] == [
        ("403 POST /pengguna/: Forbidden (Permission denied)", None)
    ]


def test_a_404_a_view_answers_is_the_same_one_line(caplog, dinas_kab):  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = _login(dinas_kab).get("/dinas/?kabkota=999900")

    assert response.status_code == 404
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in _request_records(caplog)] == [
        ("WARNING", "404 GET /dinas/: Not Found", None)
    ]


@pytest.mark.address_typed_by_a_client  # the number is in the address the test sends
def test_a_number_in_the_path_of_a_403_is_masked_in_the_written_line(caplog, operator, school):  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = _login(operator).get("/sekolah/6281234567890/")

    assert response.status_code == 403
    (record,) = _request_records(caplog)
    line = _console().format(record)
    assert line.endswith(" 403 GET /sekolah/[nomor]/: Forbidden (Permission denied)")


def test_a_500_keeps_its_traceback(caplog, monkeypatch, operator):  # type: ignore[no-untyped-def]
    def broken(user):  # type: ignore[no-untyped-def]
        raise RuntimeError("the home page broke")

    monkeypatch.setattr("verval.accounts.selectors.home_summary", broken)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = _login(operator).get("/beranda/?q=Budi")

    assert response.status_code == 500
    (record,) = _request_records(caplog)
    assert (record.levelname, record.getMessage()) == ("ERROR", "Internal Server Error: /beranda/")
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "Traceback" in _console().format(record)


def test_a_403_keeps_its_reason_when_logging_was_configured_twice(caplog, operator):  # type: ignore[no-untyped-def]
    # dictConfig adds a logger's filters again and never removes the old ones: a second
    # configuration in one process (a command run in-process, a test) put the filter on
    # django.request twice, and the second pass dropped Django's reason (CI of decision 0138).
    from verval.core.logging import ClientErrorOneLineFilter

    logger = logging.getLogger("django.request")
    extra = ClientErrorOneLineFilter()
    logger.addFilter(extra)
    try:
        assert sum(isinstance(f, ClientErrorOneLineFilter) for f in logger.filters) >= 2
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = _login(operator).get("/progres/tertinggal/?kabkota=020500")
    finally:
        logger.removeFilter(extra)

    assert response.status_code == 403
    assert [(r.getMessage(), r.exc_info) for r in _request_records(caplog)] == [
        ("403 GET /progres/tertinggal/: Forbidden (Permission denied)", None)
    ]
