"""Shared fixtures: one user per role, a small region/school tree, and environment notices."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest
from django.db import DatabaseError, connection
from hypothesis import settings as hypothesis_settings

from tests import privacy_canary
from tests.factories import RecipientFactory, SchoolFactory, UserFactory
from tests.testdb import TemplateTestDatabase

# CI runs the same examples every time (a failure found while developing is pinned as an explicit
# test); nobody's machine load makes a property test fail on a deadline.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _chromium() -> str | None:
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(path):
            return path
    return shutil.which("chromium")


def _playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    url = os.environ.get("DATABASE_URL", "")
    lines.append(
        "verval: database = " + ("PostgreSQL" if url.startswith("postgres") else "SQLite (embedded)")
    )
    if not url.startswith("postgres"):
        lines.append(
            "verval: NOTICE tests marked 'postgres' are skipped (set DATABASE_URL=postgres://... to run them)"
        )
    if not (_chromium() and _playwright_available()):
        lines.append(
            "verval: NOTICE browser tests are skipped: chromium (/usr/bin/chromium) or playwright missing"
        )
    return lines


_NO_BROWSER_IN_CI = "VERVAL_REQUIRE_BROWSER=1 but chromium (/usr/bin/chromium) or playwright is missing"


def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist (`make test`, decision 0111) the main process collects nothing, and a
    # worker's refusal would read as a crashed worker: refuse here, before any worker starts.
    if (
        os.environ.get("VERVAL_REQUIRE_BROWSER") == "1"
        and not hasattr(config, "workerinput")
        and config.getoption("numprocesses", None)
        and not (_chromium() and _playwright_available())
    ):
        raise pytest.UsageError(_NO_BROWSER_IN_CI)


# The folders whose files take longest per test (a Chromium walk, a benchmark's whole run): under
# `make test` (pytest-xdist, a file per worker, decision 0111) their files are handed out first, so
# that no long file starts last and leaves two workers idle while it runs (decision 0129).
_LONG_FIRST = ("tests/browser/", "tests/bench/")


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _long_files_first(items: list[pytest.Item]) -> None:
    """Browser and bench files first, then the rest; within each, files with more tests first (what
    pytest-xdist's own ordering does, which `make test` switches off as it would put the bench
    files, one long test each, last). A stable sort: each file's tests keep pytest-django's order."""
    counts: dict[str, int] = {}
    for item in items:
        counts[_file_of(item)] = counts.get(_file_of(item), 0) + 1

    def rank(item: pytest.Item) -> tuple[int, int]:
        path = _file_of(item)
        return (0 if path.startswith(_LONG_FIRST) else 1, -counts[path])

    items.sort(key=rank)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: its order is what xdist hands out
        _long_files_first(items)
    is_pg = os.environ.get("DATABASE_URL", "").startswith("postgres")
    have_browser = bool(_chromium() and _playwright_available())
    require_browser = os.environ.get("VERVAL_REQUIRE_BROWSER") == "1"
    for item in items:
        if "postgres" in item.keywords and not is_pg:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)"))
        if "sqlite_pass" in item.keywords and is_pg:
            item.add_marker(
                pytest.mark.skip(
                    reason="its processes use a SQLite file of their own: the SQLite pass runs it (decision 0111)"
                )
            )
        if "browser" in item.keywords and not have_browser:
            if require_browser:
                # CI must not pass without its browser tests (an xfail that never runs would).
                raise pytest.UsageError(_NO_BROWSER_IN_CI)
            item.add_marker(pytest.mark.skip(reason="needs chromium and playwright"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"verval: NOTICE {len(skipped)} tests skipped (each reason is listed above: a database or browser this run lacks, or a test the SQLite pass runs)"
        )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, request, tmp_path_factory, django_db_blocker
):  # type: ignore[no-untyped-def]
    """pytest-django's (each xdist worker's database named after the worker), and under xdist the
    workers' databases copied from one migrated template (tests/testdb.py, decision 0132).
    pytest-django runs this before it creates the test databases."""
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if worker is None or not TemplateTestDatabase.applies():
        yield
        return
    template = TemplateTestDatabase(tmp_path_factory.getbasetemp().parent, worker)
    template.install()
    yield
    with django_db_blocker.unblock():
        template.release()


# Fixtures through which a test reaches the database (pytest-django's, all built on its helper).
_DB_FIXTURES = {"_django_db_helper", "db", "transactional_db", "live_server"}


# PRIVACY_CANARY_REPORT=<file>: every finding of every test, allowed ones too, one JSON line each.
_CANARY_REPORT = os.environ.get("PRIVACY_CANARY_REPORT", "")


@pytest.fixture(autouse=True)
def privacy_canary_guard(request):  # type: ignore[no-untyped-def]
    """Decisions 0081, 0086, 0098, 0110: the test fails when a phone number or a name of someone it
    created reached a log line, an address, a stored job text or refused value, an audit row (in
    the test's database or a separate process's own SQLite file), an e-mail, what a command wrote
    (in the test's process or its own), what the provider kit printed or wrote beside its data
    files, a file in the store, the text of a page, JSON answer or download whose reader sees
    numbers masked, or a JSON answer of the provider API; and when a download wrote no audit row
    (tests/privacy_canary.py says where it looks)."""
    privacy_canary.install_log_handler()
    privacy_canary.install_request_hook()
    privacy_canary.install_command_hook()
    privacy_canary.install_file_store_hook()
    privacy_canary.install_process_hook()
    privacy_canary.install_kit_hook()
    privacy_canary.forget_file_stores()
    uses_db = bool(_DB_FIXTURES.intersection(request.fixturenames)) or bool(
        request.node.get_closest_marker("django_db")
    )
    if uses_db:
        # Set up now so that its rollback comes after the reads below.
        request.getfixturevalue("_django_db_helper")
    collector = privacy_canary.Collector(
        judge_requested_addresses=request.node.get_closest_marker("address_typed_by_a_client") is None,
        keep_allowed=bool(_CANARY_REPORT),
    )
    with privacy_canary.collecting(collector):
        yield collector
    privacy_canary.mail_texts(collector)
    privacy_canary.spooled_texts(collector)
    privacy_canary.kit_texts(collector)
    privacy_canary.file_texts(collector)
    privacy_canary.download_texts(collector)
    names = privacy_canary.process_db_texts(collector)
    # A test that left its transaction broken (and failed for it) has nothing to read.
    with contextlib.suppress(DatabaseError):
        if uses_db:
            privacy_canary.stored_texts(collector)
            privacy_canary.audit_texts(collector)
            if collector.texts or (_CANARY_REPORT and collector.allowed):
                names |= privacy_canary.stored_names()
    findings = collector.findings(names)
    if _CANARY_REPORT:
        privacy_canary.report(
            _CANARY_REPORT, request.node.nodeid, findings, collector.allowed_findings(names)
        )
    if findings:
        pytest.fail(
            "privacy canary (decisions 0081, 0086, 0098, 0110): a phone number or a name got out,"
            " or a download was not audited\n  " + "\n  ".join(findings),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _file_store(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "files"
    settings.MEDIA_ROOT = settings.DATA_DIR


@pytest.fixture
def brief_lock_wait(settings):  # type: ignore[no-untyped-def]
    """A user's save gives up on rows a job holds after 0.2 s (tests.rowlocks, decision 0041)."""
    settings.VERVAL = {**settings.VERVAL, "EDIT_LOCK_WAIT_MS": 200}


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def school(db):  # type: ignore[no-untyped-def]
    return SchoolFactory()


@pytest.fixture
def other_school(db):  # type: ignore[no-untyped-def]
    return SchoolFactory(region_id="020601", regency_id="020600", province_id="020000")


@pytest.fixture
def pusdatin(db):  # type: ignore[no-untyped-def]
    return UserFactory(role="PUSDATIN", username="pusdatin")


@pytest.fixture
def operator(school):  # type: ignore[no-untyped-def]
    return UserFactory(role="OPERATOR", school=school, username="operator")


@pytest.fixture
def other_operator(other_school):  # type: ignore[no-untyped-def]
    return UserFactory(role="OPERATOR", school=other_school, username="operator2")


@pytest.fixture
def dinas_kab(school):  # type: ignore[no-untyped-def]
    return UserFactory(role="DINAS_KAB", region_id=school.regency_id, username="dinaskab")


@pytest.fixture
def dinas_prov(school):  # type: ignore[no-untyped-def]
    return UserFactory(role="DINAS_PROV", region_id=school.province_id, username="dinasprov")


@pytest.fixture
def other_dinas_kab(other_school):  # type: ignore[no-untyped-def]
    return UserFactory(role="DINAS_KAB", region_id=other_school.regency_id, username="dinaskab2")


@pytest.fixture
def provider_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(role="PROVIDER", provider="telkomsel", username="telkomsel")


@pytest.fixture
def other_provider_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(role="PROVIDER", provider="indosat", username="indosat")


@pytest.fixture
def recipient(school):  # type: ignore[no-untyped-def]
    return RecipientFactory(school=school)
