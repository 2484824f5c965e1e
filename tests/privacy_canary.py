"""The privacy canary (decision 0081): every test of the suite fails when a phone number or a
person's name reaches a place the rule keeps them out of.

What it looks at, for each test (`tests/conftest.py` turns it on for every test):

- every log record emitted while the test runs, as the handlers the settings configure write it
  (their filters applied: `MaskPhoneNumbersFilter` is part of the product), with its traceback
  (`exc_info`) and `stack_info`; a record that reaches no configured handler is judged as Python's
  last-resort handler writes it (WARNING and above, unfiltered);
- the message the product's own code composes for a logger under `verval` before any filter:
  the filter is a safety net for Django's and libraries' lines, not a licence to log numbers;
- the address of every request the app answered (the test client's and the live server's), the
  `Location` of its redirects, its `HX-Push-Url` / `HX-Redirect` / `HX-Location` headers and the
  addresses an HTML page links, posts or pushes to (`href`, `src`, `action`, `formaction`,
  `hx-get|post|put|patch|delete`, `hx-push-url`; `tel:` and `mailto:` links left out);
- when the test used the database: the stored texts of every job (`error_message`,
  `error_message_en`, `cancel_note`) and of its refused rows (`message`, `message_en`), read
  once at teardown.

A phone number is an Indonesian mobile number in any form SPEC §5 accepts: `08…`, `628…`,
`+62 8…`, `0062 8…`, with spaces, dots, dashes or brackets between the digits, full-width digits,
and, as one run of digits, with the leading zero a spreadsheet dropped (`81234567890`). A masked
number (`0812****7890`, `[nomor]`) is not one. Names are those of the recipients, users and
registrations the test created (read once at teardown, only when the test used the database and
something was captured), of four characters or more, matched as whole words ignoring case.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from verval.phones import mask

# Ids and digests are blanked before looking for numbers: a UUID's or a SHA-256's digit groups can
# look like a number typed with dashes.
_OPAQUE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32,}"
)
# A run of digits with the separators people type between them, not glued to letters or digits.
_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\(\+?|\+)?\d[\d \t.\-()]*(?<=\d)(?![0-9A-Za-z])")
_GROUP = re.compile(r"\d+")
_MOBILE = re.compile(r"8[1-35-9]\d{7,10}")
_URL_ATTR = re.compile(
    r"""\b(?:href|src|action|formaction|hx-(?:get|post|put|patch|delete|push-url))\s*=\s*(["'])(.*?)\1""",
    re.IGNORECASE | re.DOTALL,
)
_URL_HEADERS = ("Location", "HX-Push-Url", "HX-Redirect", "HX-Location")


def _is_mobile(digits: str, *, one_run: bool) -> bool:
    if digits.startswith("0062"):
        rest = digits[4:]
    elif digits.startswith("62"):
        rest = digits[2:]
        rest = rest[1:] if rest.startswith("0") else rest  # +62 (0) 812…
    elif digits.startswith("0"):
        rest = digits[1:]
    elif one_run:
        rest = digits  # the leading zero a spreadsheet dropped
    else:
        return False
    return bool(_MOBILE.fullmatch(rest))


def _ascii_digits(text: str) -> str:
    """What the number engine reads (verval.phones.core._normalize): full-width and other
    decimal digits as ASCII digits, any dash as '-', invisible characters dropped."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for c in text:
        if c.isascii():
            out.append(c)
        elif c.isdecimal():
            out.append(str(unicodedata.decimal(c)))
        elif unicodedata.category(c) == "Pd":
            out.append("-")
        elif unicodedata.category(c) != "Cf":
            out.append(c)
    return "".join(out)


def find_numbers(text: str) -> list[str]:
    """Every Indonesian mobile number written out in `text` (as it stands there once its digits
    are read as ASCII)."""
    if not text:
        return []
    if not text.isascii():
        text = _ascii_digits(text)
    text = _OPAQUE.sub(" ", text)
    found = []
    for run in _RUN.finditer(text):
        groups = _GROUP.findall(run.group())
        hit = False
        for i in range(len(groups)):
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j]
                if len(digits) > 16:
                    break
                if _is_mobile(digits, one_run=i == j):
                    hit = True
                    break
            if hit:
                break
        if hit:
            found.append(run.group())
    return found


def find_names(text: str, names: Iterable[str]) -> list[str]:
    low = text.casefold()
    found = []
    for name in names:
        key = name.casefold()
        start = low.find(key)
        while start != -1:
            before = low[start - 1] if start else " "
            end = start + len(key)
            after = low[end] if end < len(low) else " "
            if not before.isalnum() and not after.isalnum():
                found.append(name)
                break
            start = low.find(key, start + 1)
    return found


def checked_names(values: Iterable[str | None]) -> set[str]:
    """Names worth looking for: four characters or more with a letter (a one-letter test name
    would match every sentence)."""
    out = set()
    for value in values:
        value = " ".join((value or "").split())
        if len(value) >= 4 and any(c.isalpha() for c in value):
            out.add(value)
    return out


def _masked(text: str) -> str:
    """The finding as the report prints it: the number masked, so that the report itself does
    not carry it."""
    if not text.isascii():
        text = _ascii_digits(text)
    for number in find_numbers(text):
        text = text.replace(number, mask(number))
    return text if len(text) <= 400 else text[:400] + "…"


@dataclass
class Collector:
    """What one test let out: (where, text) pairs, judged at the end of the test. A test marked
    `address_typed_by_a_client` sends a number in an address on purpose (what a client, a fuzzer
    or an attacker may type) to check that the product keeps it out of everything else: the
    addresses it requests are not judged; what the product answers, logs and stores still is."""

    judge_requested_addresses: bool = True

    texts: list[tuple[str, str]] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, where: str, text: str) -> None:
        if text and (where, text) not in self.seen:
            with self.lock:
                self.seen.add((where, text))
                self.texts.append((where, text))

    def findings(self, names: Iterable[str] = ()) -> list[str]:
        names = list(names)
        out = []
        for where, text in self.texts:
            for number in dict.fromkeys(mask(n) for n in find_numbers(text)):
                out.append(f"{where}: number {number} in {_masked(text)!r}")
            for name in find_names(text, names):
                out.append(f"{where}: name {name!r} in {_masked(text)!r}")
        return out


_active: Collector | None = None


@contextmanager
def collecting(collector: Collector) -> Iterator[Collector]:
    global _active
    previous, _active = _active, collector
    try:
        yield collector
    finally:
        _active = previous


# ---------------------------------------------------------------------------------------------
# Logs


# The handlers settings.LOGGING configured (found when the canary is installed): what the product
# writes. Handlers pytest or a test adds to look at records are not the product's output.
CONFIGURED: set[logging.Handler] = set()


def _is_ours(handler: logging.Handler) -> bool:
    return isinstance(handler, CanaryHandler) or type(handler).__module__.startswith("_pytest")


def written_lines(record: logging.LogRecord) -> list[str]:
    """The record as each handler the settings configure would write it (filters applied to a
    copy), or as the last-resort handler writes it when no handler at all takes it."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    lines: list[str] = []
    reached = False
    while logger is not None:
        for handler in logger.handlers:
            if _is_ours(handler) or record.levelno < handler.level:
                continue
            reached = True
            if handler not in CONFIGURED:
                continue
            copy = logging.makeLogRecord(dict(record.__dict__))
            if not handler.filter(copy):
                continue
            try:
                lines.append(handler.format(copy))
            except Exception:  # noqa: BLE001 - a record its formatter cannot print is judged raw
                lines.append(_plain(copy))
        if not logger.propagate:
            break
        logger = logger.parent
    if not reached and logging.lastResort and record.levelno >= logging.lastResort.level:
        lines.append(_plain(logging.makeLogRecord(dict(record.__dict__))))
    return lines


def _plain(record: logging.LogRecord) -> str:
    try:
        return logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    except Exception:  # noqa: BLE001
        return f"{record.msg} {record.args}"


class CanaryHandler(logging.Handler):
    """Sits on the root logger (and on each logger that does not propagate); hands what the
    configured handlers write to the test's collector."""

    def emit(self, record: logging.LogRecord) -> None:
        collector = _active
        if collector is None:
            return
        where = f"log {record.name} {record.levelname}"
        for line in written_lines(record):
            collector.add(where, line)
        if record.name == "verval" or record.name.startswith("verval."):
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - judged as written above
                return
            collector.add(f"{where} (message as the product's code composed it)", message)


HANDLER = CanaryHandler()


def install_log_handler() -> None:
    """On the root logger and on every logger that does not propagate, noting the handlers
    configured there; again when something (a test reconfiguring logging) took it away."""
    root = logging.getLogger()
    if HANDLER in root.handlers:
        return
    CONFIGURED.clear()
    CONFIGURED.update(h for h in root.handlers if not _is_ours(h))
    # First, before the configured handlers: their filters change the record in place, and the
    # message the product's code composed is judged as it was composed.
    root.handlers.insert(0, HANDLER)
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate and logger.handlers:
            CONFIGURED.update(h for h in logger.handlers if not _is_ours(h))
            if HANDLER not in logger.handlers:
                logger.handlers.insert(0, HANDLER)


# ---------------------------------------------------------------------------------------------
# Addresses


def _url(value: str) -> str:
    return unquote_plus(html.unescape(value))


def observe_exchange(request, response) -> None:  # type: ignore[no-untyped-def]
    """One request the app answered: its address, the addresses its answer sends the browser to."""
    collector = _active
    if collector is None:
        return
    if collector.judge_requested_addresses:
        collector.add(f"requested address {request.method}", _url(request.get_full_path()))
    for header in _URL_HEADERS:
        if response.has_header(header):
            collector.add(f"{header} of {request.method} {request.path}", _url(response[header]))
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html") and not getattr(response, "streaming", False):
        page = response.content.decode(response.charset or "utf-8", "replace")
        for match in _URL_ATTR.finditer(page):
            value = match.group(2).strip()
            if value.lower().startswith(("tel:", "mailto:", "data:", "#")):
                continue
            collector.add(f"address in the page of {request.path}", _url(value))


def install_request_hook() -> None:
    from django.core.handlers.base import BaseHandler

    if getattr(BaseHandler.get_response, "_privacy_canary", False):
        return
    original = BaseHandler.get_response

    def get_response(self, request):  # type: ignore[no-untyped-def]
        response = original(self, request)
        try:
            observe_exchange(request, response)
        except Exception as exc:  # noqa: BLE001 - the canary never changes what a test sees
            if _active is not None:
                _active.add("canary", f"could not read the answer: {type(exc).__name__}")
        return response

    get_response._privacy_canary = True  # type: ignore[attr-defined]
    BaseHandler.get_response = get_response  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# What the test stored


def stored_texts(collector: Collector) -> None:
    """The texts of the jobs the test ran, as stored (shown on job pages, in --json output and in
    the logs of whoever runs the commands)."""
    from verval.core.models import Job, JobIssue

    for pk, *texts in Job.objects.values_list("pk", "error_message", "error_message_en", "cancel_note"):
        for text in texts:
            collector.add(f"stored text of job {pk}", text or "")
    for job_id, line, *texts in JobIssue.objects.values_list("job_id", "line", "message", "message_en"):
        for text in texts:
            collector.add(f"stored refusal of job {job_id} line {line}", text or "")


def stored_names() -> set[str]:
    from verval.accounts.models import OperatorRegistration, User
    from verval.registry.models import Recipient

    names = list(Recipient.objects.values_list("name", flat=True))
    for first, last in User.objects.values_list("first_name", "last_name"):
        names += [first, last, f"{first} {last}"]
    names += list(OperatorRegistration.objects.values_list("full_name", flat=True))
    return checked_names(names)
