"""The privacy canary (decisions 0081, 0086, 0098, 0110): every test of the suite fails when a phone number
or a person's name reaches a place the rule keeps them out of, or when a download writes no audit row.

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
  `error_message_en`, `cancel_note`) and of its refused rows (`message`, `message_en`, `value`),
  and every audit row (`object_id`, `note`, `before`, `after`), read once at teardown;
- the e-mails the test sent (Django's test outbox): subject, body, HTML part, attachments;
- what each management command wrote while it ran, to standard error and to standard output
  (standard output of the commands in ALLOWED_COMMAND_OUTPUT is kept apart, not judged);
- every file in each file store the test used (`verval.core.files.root`), except the kinds in
  ALLOWED_FILE_KINDS, whose files carry numbers by purpose (decision 0086);
- what a product's program started as a separate process wrote to standard output and standard
  error, and its file store (decision 0098, install_process_hook);
- what the provider kit printed, and the files it wrote in the folders it was given but its data
  files (decision 0098, install_kit_hook, kit_texts);
- the text of every HTML page answered to a reader who sees numbers masked (MASKED_READERS),
  judged for numbers (decision 0098);
- every download (an answer with a Content-Disposition or a file's media type, is_download): it
  fails the test unless an audit row of a `download…` action was written while it was answered;
  its body, as far as the test read it, is judged at teardown — for numbers when its reader sees
  numbers masked, for numbers and names when it goes to a provider through the API — except the
  downloads that carry numbers by purpose (ALLOWED_DOWNLOADS) and a school operator's own
  (decision 0110, note_download, download_texts);
- every JSON answer of the provider API, any status, for numbers and names; other JSON answers to
  a reader who sees numbers masked, for numbers (decision 0110);
- the SQLite database of a process a test starts (its DATABASE_URL's file or VERVAL_VAR_DIR's
  default): job texts, refused rows, audit rows, and the names it holds (decision 0110,
  process_db_texts).

A phone number is an Indonesian mobile number in any form SPEC §5 accepts: `08…`, `628…`,
`+62 8…`, `0062 8…`, with spaces, dots, dashes or brackets between the digits, full-width digits,
and, as one run of digits, with the leading zero a spreadsheet dropped (`81234567890`). A masked
number (`0812****7890`, `[nomor]`) is not one. Names are those of the recipients, users and
registrations the test created (read once at teardown, only when the test used the database and
something was captured), of four characters or more, matched as whole words ignoring case.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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
# Attributes whose value is an address the browser (or htmx, which also reads them with a `data-`
# prefix) requests, and `data-…-url` / `data-href`-style attributes a script would follow.
_URL_ATTR = re.compile(
    r"""(?<![\w-])(?:(?:data-)?(?:href|src|srcset|action|formaction|poster|cite|ping|"""
    r"""hx-(?:get|post|put|patch|delete|push-url|replace-url))|"""
    r"""data-[\w-]*(?:url|href|src|action|link|path)[\w-]*)\s*=\s*(["'])(.*?)\1""",
    re.IGNORECASE | re.DOTALL,
)
# <meta http-equiv="refresh" content="5; url=/…">: the address is inside the content.
_META_REFRESH = re.compile(
    r"""<meta\b[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*\bcontent\s*=\s*(["'])(.*?)\1""",
    re.IGNORECASE | re.DOTALL,
)
_URL_HEADERS = (
    "Location",
    "Content-Location",
    "Refresh",
    "HX-Push-Url",
    "HX-Replace-Url",
    "HX-Redirect",
    "HX-Location",
)


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
        spans = list(_GROUP.finditer(run.group()))
        groups = [g.group() for g in spans]
        hit = False
        for i in range(len(groups)):
            # The digits after a decimal point (`load 5.82177734375`) are a fraction, not a number
            # whose leading zero a spreadsheet dropped (decision 0098); `0812.3456.7890` still is
            # one, read from its first group.
            fraction = i > 0 and run.group()[spans[i - 1].end() : spans[i].start()] == "."
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j]
                if len(digits) > 16:
                    break
                if _is_mobile(digits, one_run=i == j and not fraction):
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


_CUT_NUMBER = re.compile(r"[\d \t.\-()+]+$")
_SHOWN = 400  # characters of a text a finding quotes
_NUMBERS_SHOWN = 10  # findings of distinct numbers per text; the rest counted in one line


_CUT_NUMBER_START = re.compile(r"^[\d \t.\-()+]+")


def _masked(text: str, near: str = "") -> str:
    """The finding as the report prints it: 400 characters — the first ones, or those around the
    first place `near` (what was found) stands in a longer text such as a page (decision 0098) —
    the numbers in them masked, so that the report itself does not carry them (a number the cut
    halves is left out)."""
    if not text.isascii():
        text = _ascii_digits(text)
    start = 0
    if near and len(text) > _SHOWN:
        start = max(0, text.casefold().find(near.casefold()) - _SHOWN // 2)
    cut_before = start > 0
    cut = len(text) > start + _SHOWN
    text = text[start : start + _SHOWN]
    if cut:
        text = _CUT_NUMBER.sub("", text)
    if cut_before:
        text = _CUT_NUMBER_START.sub("", text)
    for number in dict.fromkeys(find_numbers(text)):
        text = text.replace(number, mask(number))
    return ("…" if cut_before else "") + text + ("…" if cut else "")


@dataclass
class Collector:
    """What one test let out: (where, text) pairs, judged at the end of the test. A test marked
    `address_typed_by_a_client` sends a number in an address on purpose (what a client, a fuzzer
    or an attacker may type) to check that the product keeps it out of everything else: the
    addresses it requests are not judged; what the product answers, logs and stores still is."""

    judge_requested_addresses: bool = True
    # Keep the texts the allow-lists let through, to list what they carry (PRIVACY_CANARY_REPORT);
    # otherwise an allowed file is not even read.
    keep_allowed: bool = False

    texts: list[tuple[str, str]] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Texts that carry numbers by purpose (ALLOWED_COMMAND_OUTPUT, ALLOWED_FILE_KINDS): kept
    # apart, never judged; `allowed_findings` lists what they carry (PRIVACY_CANARY_REPORT).
    allowed: list[tuple[str, str]] = field(default_factory=list)
    # Texts judged for numbers only (AUDIT_NOTES_TYPED_BY_A_REVIEWER).
    numbers_only: list[tuple[str, str]] = field(default_factory=list)
    # What is wrong but is no number or name: a download without its audit row (decision 0110).
    problems: list[str] = field(default_factory=list)
    # The downloads answered (decision 0110): where, what is judged ("all", "numbers", "allowed")
    # and the chunks of the body as the test read them; turned into text at teardown
    # (download_texts), since a streamed body is only there once the test has read it.
    downloads: list[tuple[str, str, list[bytes]]] = field(default_factory=list)

    def add(self, where: str, text: str) -> None:
        if text and (where, text) not in self.seen:
            with self.lock:
                self.seen.add((where, text))
                self.texts.append((where, text))

    def add_numbers_only(self, where: str, text: str) -> None:
        if text and ("numbers only " + where, text) not in self.seen:
            with self.lock:
                self.seen.add(("numbers only " + where, text))
                self.numbers_only.append((where, text))

    def allow(self, where: str, text: str) -> None:
        if text and self.keep_allowed:
            with self.lock:
                self.allowed.append((where, text))

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def findings(self, names: Iterable[str] = ()) -> list[str]:
        return [*self.problems, *_judge(self.texts, list(names)), *_judge(self.numbers_only, [])]

    def allowed_findings(self, names: Iterable[str] = ()) -> list[str]:
        return _judge(self.allowed, list(names))


def _judge(texts: Iterable[tuple[str, str]], names: list[str]) -> list[str]:
    out = []
    for where, text in texts:
        raw = find_numbers(text)
        numbers = list(dict.fromkeys(mask(n) for n in raw))
        found = find_names(text, names)
        if not numbers and not found:
            continue
        # Once per text (a dump holds thousands of numbers), around the first thing found.
        shown = repr(_masked(text, raw[0] if raw else found[0]))
        for number in numbers[:_NUMBERS_SHOWN]:
            out.append(f"{where}: number {number} in {shown}")
        if len(numbers) > _NUMBERS_SHOWN:
            out.append(f"{where}: {len(numbers) - _NUMBERS_SHOWN} more numbers")
        for name in found:
            out.append(f"{where}: name {name!r} in {shown}")
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


def observe_exchange(request, response, audits: list[str] | None = None) -> None:  # type: ignore[no-untyped-def]
    """One request the app answered: its address, the addresses its answer sends the browser to,
    the text of a page or JSON answer its reader sees numbers masked in, and a download (decision
    0110: its body, and the audit row it must have written — `audits`, the actions of the audit
    rows written while it was answered; None when unknown)."""
    collector = _active
    if collector is None:
        return
    if collector.judge_requested_addresses:
        collector.add(f"requested address {request.method}", _url(request.get_full_path()))
    for header in _URL_HEADERS:
        if response.has_header(header):
            collector.add(f"{header} of {request.method} {request.path}", _url(response[header]))
    content_type = response.get("Content-Type", "")
    if is_download(response):
        note_download(collector, request, response, audits)
        return
    if getattr(response, "streaming", False):
        return
    if content_type.startswith("text/html"):
        page = response.content.decode(response.charset or "utf-8", "replace")
        for match in [*_URL_ATTR.finditer(page), *_META_REFRESH.finditer(page)]:
            value = match.group(2).strip()
            if value.lower().startswith(("tel:", "mailto:", "data:", "#")):
                continue
            collector.add(f"address in the page of {request.path}", _url(value))
        reader = page_reader(request)
        if reader is not None and request.path not in PAGES_THAT_CHECK_TYPED_NUMBERS:
            # Names are on these pages by purpose (a Dinas reads the school's list); numbers are not.
            collector.add_numbers_only(
                f"text of the page {request.method} {request.path} read by {reader}", html.unescape(page)
            )
    elif content_type.startswith(("application/json", "application/problem+json")):
        text = response.content.decode(response.charset or "utf-8", "replace")
        if is_api(request):
            # Numbers reach a provider in its batch files only; a JSON answer — a listing, a job's
            # counts, an error with its refused rows — carries none, not even one the provider
            # sent, and no name (decision 0110).
            collector.add(
                f"JSON answer {response.status_code} of the API {request.method} {request.path}", text
            )
        else:
            reader = page_reader(request)
            if reader is not None:
                collector.add_numbers_only(
                    f"JSON answer of {request.method} {request.path} read by {reader}", text
                )


def is_api(request) -> bool:  # type: ignore[no-untyped-def]
    return str(request.path).startswith("/api/")


# What a download's media type is when it has no Content-Disposition (decision 0110).
_DOWNLOAD_TYPES = (
    "text/csv",
    "application/pdf",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.ms-excel",
)


def is_download(response) -> bool:  # type: ignore[no-untyped-def]
    """A file the app hands over: an answer with a Content-Disposition or a file's media type
    (CSV, Excel, PDF, gzip, zip), 200 or 206 (a 304 hands nothing over)."""
    if response.status_code not in (200, 206):
        return False
    if response.has_header("Content-Disposition"):
        return True
    return response.get("Content-Type", "").startswith(_DOWNLOAD_TYPES)


# Downloads that carry numbers by purpose to whoever may fetch them (decision 0110): not judged.
# Every other download is: for numbers when its reader sees numbers masked (MASKED_READERS, as
# pages), for numbers and names when it goes to a provider through the API. A school operator's
# own downloads (its school's list with full numbers, the SPTJM it prints) are not judged.
ALLOWED_DOWNLOADS = {
    r"/api/v1/batches/[^/]+/file": "a dump batch, to the provider it is routed to",
    r"/api/v1/disbursements/batches/[^/]+/file": "a disbursement batch, to the provider it is routed to",
    r"/sptjm/[^/]+/dokumen\.pdf": "the SPTJM document, which lists every number in full: the school's "
    "operator and Pusdatin, who reviews it (sptjm.selectors.get_sptjm_document)",
    r"/sptjm/[^/]+/pindaian/": "the school's signed scan of that document, as uploaded",
    r"/pendaftaran/\d+/sk/": "an applicant's letter, as uploaded",
}
_ALLOWED_DOWNLOAD = re.compile("|".join(f"(?:{p})" for p in ALLOWED_DOWNLOADS))


def note_download(collector: Collector, request, response, audits: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    """A download: it fails the test without an audit row of a `download…` action written while it
    was answered (SPEC §9: log every export and download; docs/team-conventions.md); its body is
    kept to be judged at teardown (download_texts)."""
    path = str(request.path)
    where = f"download {request.method} {path}"
    if audits is not None and not any("download" in action for action in audits):
        written = ", ".join(audits) or "none"
        collector.problem(f"{where}: no audit row of the download (audit rows written: {written})")
    if request.method == "HEAD":
        return
    if _ALLOWED_DOWNLOAD.fullmatch(path):
        judged = "allowed"
        if not collector.keep_allowed:
            return
    elif is_api(request):
        judged = "all"
        where += " to a provider"
    else:
        reader = page_reader(request)
        if reader is None:
            return  # a school operator's own school, numbers in full
        judged = "numbers"
        where += f" read by {reader}"
    chunks: list[bytes] = []
    collector.downloads.append((where, judged, chunks))
    if not getattr(response, "streaming", False):
        chunks.append(bytes(response.content[:_MAX_FILE]))
        return
    if getattr(response, "is_async", False):
        return  # a WSGI app never answers one
    body = response.streaming_content

    def tee():  # type: ignore[no-untyped-def]
        kept = 0
        for chunk in body:
            if kept < _MAX_FILE:
                chunks.append(bytes(chunk[: _MAX_FILE - kept]))
                kept += len(chunk)
            yield chunk

    # What the test (or the server) reads goes through tee; a FileResponse then no longer hands
    # its file to the server's wsgi.file_wrapper, so the live server's downloads are read too.
    response.streaming_content = tee()


def download_texts(collector: Collector) -> None:
    """The bodies of the test's downloads, as far as it read them, as text (gzip unpacked, an
    Excel file's sheets and strings, a PDF's text)."""
    for where, judged, chunks in collector.downloads:
        if not chunks:
            continue
        try:
            text = _bytes_text(b"".join(chunks))
        except Exception as exc:  # noqa: BLE001 - a download the canary cannot read is named
            collector.problem(f"canary: could not read {where}: {type(exc).__name__}")
            continue
        if judged == "allowed":
            collector.allow(where, text)
        elif judged == "numbers":
            collector.add_numbers_only(where, text)
        else:
            collector.add(where, text)
    collector.downloads.clear()


# Who reads a page's numbers masked (SPEC §2 and §9; `accounts.access.can_edit_school`, decision
# 0098): only a school's own operator edits, so sees, its numbers in full (`full_numbers=can_edit`
# in the registry's and the SPTJM's views). Dinas and Pusdatin read masked numbers; a provider gets
# the numbers routed to it as files through the API, never on a page; the public sees aggregates.
MASKED_READERS = {
    "DINAS_KAB": "reads its kabupaten's schools, numbers masked",
    "DINAS_PROV": "reads its province's schools, numbers masked",
    "PUSDATIN": "reads every school, numbers masked",
    "PROVIDER": "its numbers come as files through the API",
    "anonymous": "the public sees aggregates only",
}


# Pages whose purpose is to give back the numbers the reader typed, each with its verdict (decision
# 0104): every role checks a number there before using it, and the page shows no number but those
# typed in the request. Their answers are asserted in full by tests/security/test_search_echo.py.
PAGES_THAT_CHECK_TYPED_NUMBERS = {
    "/cek-nomor/": "the number check: each pasted number, as typed and in its standard form",
    "/cek-nomor/satu/": "the verdict beside a number field: the typed number in its standard form",
}


def page_reader(request) -> str | None:  # type: ignore[no-untyped-def]
    """The role whose page this is when that role reads numbers masked (MASKED_READERS); None for a
    school operator (its own school's numbers in full) or when the canary cannot tell without a
    query the view did not make."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    from django.utils.functional import empty

    if wrapped is empty:
        # The view never looked at the user: a request without a session cookie is anonymous;
        # reading the session now would query the database behind the test's back.
        from django.conf import settings

        return None if settings.SESSION_COOKIE_NAME in request.COOKIES else "anonymous"
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    role = getattr(user, "role", "")
    return role if role in MASKED_READERS else None


# The actions of the audit rows written while this thread answers a request (the test client
# answers in the test's thread, the live server in its own).
_answering = threading.local()


def _install_audit_watch() -> None:
    from django.db.models.signals import post_save

    from verval.core.models import AuditEvent

    def noted(sender, instance, created, **kwargs):  # type: ignore[no-untyped-def]
        audits = getattr(_answering, "audits", None)
        if created and audits is not None:
            audits.append(instance.action)

    post_save.connect(noted, sender=AuditEvent, weak=False, dispatch_uid="privacy_canary_audits")


def install_request_hook() -> None:
    from django.core.handlers.base import BaseHandler

    if getattr(BaseHandler.get_response, "_privacy_canary", False):
        return
    original = BaseHandler.get_response
    _install_audit_watch()

    def get_response(self, request):  # type: ignore[no-untyped-def]
        outer = getattr(_answering, "audits", None)
        audits: list[str] = []
        _answering.audits = audits
        try:
            response = original(self, request)
        finally:
            _answering.audits = outer
        try:
            observe_exchange(request, response, audits)
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
    for job_id, line, *texts in JobIssue.objects.values_list(
        "job_id", "line", "message", "message_en", "value"
    ):
        for text in texts:
            collector.add(f"stored refusal of job {job_id} line {line}", text or "")


# Audit rows whose note is the reason a reviewer typed for the person it concerns, kept as typed
# (the school reads the same text on its SPTJM page): it may name a recipient ("Nama … tidak
# terbaca"). Its numbers are judged, as in every audit row; names are not.
AUDIT_NOTES_TYPED_BY_A_REVIEWER = {
    "return_sptjm": "Pusdatin's reason for returning an SPTJM",
    "reject_registration": "the Dinas's reason for refusing a registration",
    "deactivate_user": "the reason an account was switched off",
}


def audit_texts(collector: Collector) -> None:
    """The audit rows the test wrote: numbers in them are masked (SPEC §9, docs/security.md)."""
    from verval.core.models import AuditEvent

    rows = AuditEvent.objects.values_list("pk", "action", "object_id", "before", "after", "note")
    for pk, action, object_id, before, after, note in rows:
        where = f"audit row {pk} {action}"
        collector.add(where, object_id or "")
        if action in AUDIT_NOTES_TYPED_BY_A_REVIEWER:
            collector.add_numbers_only(f"{where} (reason as typed)", note or "")
        else:
            collector.add(where, note or "")
        for value in (before, after):
            if value is not None:
                collector.add(where, json.dumps(value, ensure_ascii=False, default=str))


# ---------------------------------------------------------------------------------------------
# E-mails


def mail_texts(collector: Collector) -> None:
    """The e-mails the test sent (Django's test outbox): subject, body, HTML part, attachments."""
    from django.core import mail

    for i, message in enumerate(getattr(mail, "outbox", ()), start=1):
        where = f"e-mail {i}"
        collector.add(f"{where} subject", str(message.subject))
        collector.add(f"{where} body", str(message.body))
        for content, _mimetype in getattr(message, "alternatives", ()):
            collector.add(f"{where} alternative part", _text(content))
        for attachment in message.attachments:
            content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload()
            collector.add(f"{where} attachment", _text(content))


def _text(content: object) -> str:
    if isinstance(content, bytes):
        return content.decode("utf-8", "replace")
    return str(content)


# ---------------------------------------------------------------------------------------------
# What commands write

# Commands whose standard output is, by purpose, the numbers they were given or asked for: not
# judged (their standard error is). `phones check` prints a verdict for each number read from
# standard input, the number in E.164 and national form with it.
ALLOWED_COMMAND_OUTPUT = {"phones": "verdicts of the numbers read from standard input"}

_MAX_OUTPUT = 1 << 20  # characters of one stream of one command kept to judge

# The commands running now (nested: a command that calls another): name, the object its standard
# error writes to, and what it wrote so far (stream -> parts).
_commands: list[tuple[str, object, dict[str, list[str]]]] = []


class _Tee:
    """Stands in for sys.stdout / sys.stderr while a command runs: what the command writes there
    without its OutputWrapper (`print`, `sys.stdout.write`) is noted, then passed on."""

    def __init__(self, out: object, stream: str) -> None:
        self._tee_out = out
        self._tee_stream = stream

    def write(self, text: str) -> int:
        if _commands:
            _note_output(self._tee_stream, text)
        return self._tee_out.write(text)  # type: ignore[attr-defined, no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self._tee_out, name)


def _note_output(stream: str, text: object) -> None:
    parts = _commands[-1][2].setdefault(stream, [])
    if sum(len(p) for p in parts) < _MAX_OUTPUT:
        parts.append(str(text))


def install_command_hook() -> None:
    """BaseCommand.execute notes which command runs; OutputWrapper.write notes what it writes,
    to standard error when its stream is the one the command's `stderr` writes to (a DataCommand
    under --json sends its person-readable lines there too)."""
    import sys

    from django.core.management.base import BaseCommand, OutputWrapper

    if getattr(BaseCommand.execute, "_privacy_canary", False):
        return
    original_execute = BaseCommand.execute
    original_write = OutputWrapper.write

    def execute(self, *args, **options):  # type: ignore[no-untyped-def]
        name = type(self).__module__.rpartition(".")[2]
        stderr = options.get("stderr") or self.stderr._out
        stderr = stderr._tee_out if isinstance(stderr, _Tee) else stderr
        _commands.append((name, stderr, {}))
        real_out, real_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(real_out, "stdout"), _Tee(real_err, "stderr")
        try:
            return original_execute(self, *args, **options)
        finally:
            if isinstance(sys.stdout, _Tee):
                sys.stdout = real_out
            if isinstance(sys.stderr, _Tee):
                sys.stderr = real_err
            _name, _err, written = _commands.pop()
            if _active is not None:
                for stream, parts in written.items():
                    where = f"standard {'error' if stream == 'stderr' else 'output'} of command {name}"
                    if stream == "stdout" and name in ALLOWED_COMMAND_OUTPUT:
                        _active.allow(where, "".join(parts))
                    else:
                        _active.add(where, "".join(parts))

    def write(self, msg="", style_func=None, ending=None):  # type: ignore[no-untyped-def]
        # A wrapper of a stand-in (a command made while another ran) is noted by the stand-in.
        if _commands and not isinstance(self._out, _Tee):
            _note_output("stderr" if self._out is _commands[-1][1] else "stdout", f"{msg}\n")
        return original_write(self, msg, style_func, ending)

    execute._privacy_canary = True  # type: ignore[attr-defined]
    BaseCommand.execute = execute  # type: ignore[method-assign]
    OutputWrapper.write = write  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Files in the store

# The file store's kinds (verval.core.retention.KINDS, the top folder) whose files carry numbers
# by purpose: not judged. Everything else the product writes there is: job work files, background
# report exports, the dump manifests, the store's usage snapshot, any folder not listed here.
ALLOWED_FILE_KINDS = {
    "dumps": "the dump to a provider (its manifest, `.json`, is judged)",
    "disbursements": "a disbursement batch to a provider",
    "sptjm": "the SPTJM document, which lists every number in full",
    "results": "a provider's upload as received",
    "injection-results": "a provider's upload as received",
    "usage-reports": "a provider's upload as received",
    "imports": "a Dapodik cutoff as uploaded",
    "bulk_correction": "a school's correction file as uploaded",
    "sptjm-scans": "a school's signed scan as uploaded",
    "registrations": "an applicant's letter as uploaded",
    "tmp": "spools of uploads and imports being read",
    "demo": "the demo's cutoff (an import file)",
    "simulator": "the provider simulator's subscriber data and answers",
    "simulator-injection": "the injection simulator's answers",
    "demo-provider": "the demo provider's subscriber export and kit folder",
}
_MAX_FILE = 8 << 20  # bytes of one file read to judge

_stores: set[str] = set()  # the file stores the running test used (verval.core.files.root)


def install_file_store_hook() -> None:
    from verval.core import files

    if getattr(files.root, "_privacy_canary", False):
        return
    original = files.root

    def root():  # type: ignore[no-untyped-def]
        path = original()
        if _active is not None:
            _stores.add(str(path))
        return path

    root._privacy_canary = True  # type: ignore[attr-defined]
    files.root = root


def forget_file_stores() -> None:
    """What an earlier test left (one that failed before its teardown read it)."""
    _stores.clear()
    _kit_paths.clear()
    _process_dbs.clear()
    for _where, _allowed, spool in _spools:
        spool.close()  # type: ignore[attr-defined]
    _spools.clear()


def file_texts(collector: Collector) -> None:
    """Every file in the stores the test used, read as text (`.gz` unpacked, an Excel file's
    sheets and strings)."""
    for store in sorted(_stores):
        base = Path(store)
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            relative = path.relative_to(base).as_posix()
            kind = relative.split("/", 1)[0] if "/" in relative else ""
            allowed = kind in ALLOWED_FILE_KINDS and not (kind == "dumps" and relative.endswith(".json"))
            _read_file(collector, path, f"file {relative}", allowed=allowed)
    _stores.clear()


def _read_file(collector: Collector, path: Path, where: str, *, allowed: bool) -> None:
    """One file's text to the collector: as allowed (only kept when the report wants every
    finding) or as a finding; a file the canary cannot read is named as its own finding."""
    if allowed and not collector.keep_allowed:
        return
    try:
        text = _file_text(path)
    except Exception as exc:  # noqa: BLE001 - a file the canary cannot read is named
        collector.add("canary", f"could not read {where}: {type(exc).__name__}")
        return
    if allowed:
        collector.allow(where, text)
    else:
        collector.add(where, text)


def _file_text(path: Path) -> str:
    import gzip
    import zipfile

    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as fh:
            data = fh.read(_MAX_FILE)
    elif head == b"PK\x03\x04":
        with zipfile.ZipFile(path) as archive:
            parts = [
                archive.read(info)[:_MAX_FILE]
                for info in archive.infolist()
                if info.filename.endswith((".xml", ".csv", ".txt", ".json"))
            ]
        data = b"\n".join(parts)
    else:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FILE)
    return data.decode("utf-8", "replace")


def _bytes_text(data: bytes) -> str:
    """A download's body as text: gzip unpacked (as much as a cut body holds: a 206 answers part
    of a file), an Excel or zip file's XML, CSV, text and JSON parts, a PDF's text."""
    import io
    import zipfile
    import zlib

    if data[:2] == b"\x1f\x8b":
        unpack = zlib.decompressobj(wbits=31)
        try:
            data = unpack.decompress(data, _MAX_FILE)
        except zlib.error:
            pass  # a part of a file cut mid-block: judged as it came
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"\n".join(
                archive.read(info)[:_MAX_FILE]
                for info in archive.infolist()
                if info.filename.endswith((".xml", ".csv", ".txt", ".json"))
            )
    elif data[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            return data.decode("utf-8", "replace")  # a test's stand-in for a PDF: its bytes as text
        try:
            pages = []
            for page in document:
                textpage = page.get_textpage()
                pages.append(textpage.get_text_range())
                textpage.close()
                page.close()
        finally:
            document.close()
        return "\n".join(pages)
    return data.decode("utf-8", "replace")


def stored_names() -> set[str]:
    from verval.accounts.models import OperatorRegistration, User
    from verval.registry.models import Recipient

    names = list(Recipient.objects.values_list("name", flat=True))
    for first, last in User.objects.values_list("first_name", "last_name"):
        names += [first, last, f"{first} {last}"]
    names += list(OperatorRegistration.objects.values_list("full_name", flat=True))
    return checked_names(names)


def report(path: str, test: str, findings: list[str], allowed: list[str]) -> None:
    """Appends the test's findings, those of texts allowed to carry numbers too, as JSON lines."""
    with open(path, "a", encoding="utf-8") as out:
        for finding in findings:
            out.write(json.dumps({"test": test, "finding": finding, "allowed": False}) + "\n")
        for finding in allowed:
            out.write(json.dumps({"test": test, "finding": finding, "allowed": True}) + "\n")


# ---------------------------------------------------------------------------------------------
# Commands run as a separate process (decision 0098)

# What a test runs in a process of its own and the canary reads: the product's programs (`verval`,
# `verval-provider`, gunicorn serving the product) and Python scripts a test writes to run the
# product's code (`python -c …`). Other programs (the browser, git) are not the product.
_PYTHON_MODULES = {
    "verval": "verval",
    "verval.cli": "verval",
    "verval_provider": "verval-provider",
    "verval_provider.cli": "verval-provider",
    "gunicorn": "gunicorn",
}
_MAX_CHILD_OUTPUT = 8 << 20  # bytes of one stream of one process kept to judge


def product_program(args: object) -> str | None:
    """'verval <command>', 'verval-provider <command>', 'gunicorn', 'python -c' or 'python <script>'
    for a command line of the product's; None for any other program."""
    import os
    import shlex
    import sys

    if isinstance(args, (str, bytes, os.PathLike)):
        argv = shlex.split(os.fsdecode(args)) if isinstance(args, (str, bytes)) else [os.fspath(args)]
    else:
        try:
            argv = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a) for a in args]  # type: ignore[attr-defined]
        except TypeError:
            return None
    if not argv:
        return None
    base = os.path.basename(argv[0])
    rest = argv[1:]
    if base in ("verval", "verval-provider"):
        program = base
    elif argv[0] == sys.executable or base.startswith("python"):
        program = ""
        while rest:
            head = rest.pop(0)
            if head == "-m" and rest:
                program = _PYTHON_MODULES.get(rest.pop(0), "")
                if not program:
                    return None  # a module of someone else's (pip, playwright)
                break
            if head == "-c":
                return "python -c"
            if not head.startswith("-"):
                return f"python {os.path.basename(head)}"
        if not program:
            return None
    else:
        return None
    if program == "gunicorn":
        return program
    command = next((a for a in rest if not a.startswith("-")), "")
    return f"{program} {command}".strip()


# Processes whose standard output is, by purpose, the numbers they were given (as in-process
# commands, ALLOWED_COMMAND_OUTPUT): `verval phones check` prints a verdict for each number read.
ALLOWED_PROCESS_OUTPUT = {"verval phones": ALLOWED_COMMAND_OUTPUT["phones"]}


def _stream_where(program: str, stream: str) -> tuple[str, bool]:
    name = "standard error" if stream == "stderr" else "standard output"
    allowed = stream == "stdout" and any(
        program == p or program.startswith(p + " ") for p in ALLOWED_PROCESS_OUTPUT
    )
    return f"{name} of {program} (separate process)", allowed


def _note_process_text(where: str, allowed: bool, data: object) -> None:
    collector = _active
    if collector is None or not data:
        return
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    if allowed:
        collector.allow(where, text)
    else:
        collector.add(where, text)


class _TappedPipe:
    """Stands in for a child's `stdout` / `stderr` pipe: what the test reads from it is noted."""

    def __init__(self, pipe: object, where: str, allowed: bool) -> None:
        self._tap_pipe = pipe
        self._tap_where = where
        self._tap_allowed = allowed

    def _tap(self, data: object) -> object:
        _note_process_text(self._tap_where, self._tap_allowed, data)
        return data

    def read(self, *args: object) -> object:
        return self._tap(self._tap_pipe.read(*args))  # type: ignore[attr-defined]

    def readline(self, *args: object) -> object:
        return self._tap(self._tap_pipe.readline(*args))  # type: ignore[attr-defined]

    def readlines(self, *args: object) -> object:
        lines = self._tap_pipe.readlines(*args)  # type: ignore[attr-defined]
        for line in lines:
            self._tap(line)
        return lines

    def __iter__(self) -> _TappedPipe:
        return self

    def __next__(self) -> object:
        return self._tap(next(self._tap_pipe))  # type: ignore[call-overload]

    def __enter__(self) -> _TappedPipe:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tap_pipe.close()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._tap_pipe, name)


# Streams of the running test's processes that went to a file the canary gave them (the test let
# them inherit the terminal or sent them to /dev/null): read at the test's end.
_spools: list[tuple[str, bool, object]] = []


def install_process_hook() -> None:
    """subprocess.Popen (which subprocess.run uses) of a product's program, while a test runs: what
    the process writes is read — from the pipes the test reads (and what `communicate` returns),
    or from a file standing in for the terminal or /dev/null — and its file store (the
    VERVAL_DATA_DIR / VERVAL_VAR_DIR it is given) is read at the end as the test's own is; the
    provider kit's folders (`--workdir`, `--out`, `--refused-out`) too."""
    import subprocess
    import tempfile

    if getattr(subprocess.Popen.__init__, "_privacy_canary", False):
        return
    original_init = subprocess.Popen.__init__
    original_communicate = subprocess.Popen.communicate

    def __init__(self, args, *more, **kwargs):  # type: ignore[no-untyped-def]
        program = product_program(args) if _active is not None else None
        if program is None:
            original_init(self, args, *more, **kwargs)
            return
        spooled = []
        if not more:  # streams given by keyword (every test does); positional ones left alone
            for stream in ("stdout", "stderr"):
                if kwargs.get(stream) in (None, subprocess.DEVNULL):
                    spool = tempfile.TemporaryFile()
                    kwargs[stream] = spool
                    spooled.append((stream, spool))
        _note_process_stores(program, args, kwargs.get("env"), kwargs.get("cwd"))
        try:
            original_init(self, args, *more, **kwargs)
        except BaseException:
            for _stream, spool in spooled:
                spool.close()
            raise
        for stream, spool in spooled:
            where, allowed = _stream_where(program, stream)
            _spools.append((where, allowed, spool))
        self._privacy_canary_program = program
        for stream in ("stdout", "stderr"):
            pipe = getattr(self, stream)
            if pipe is not None:
                setattr(self, stream, _TappedPipe(pipe, *_stream_where(program, stream)))

    def communicate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        out, err = original_communicate(self, *args, **kwargs)
        program = getattr(self, "_privacy_canary_program", None)
        if program is not None:
            _note_process_text(*_stream_where(program, "stdout"), out)
            _note_process_text(*_stream_where(program, "stderr"), err)
        return out, err

    __init__._privacy_canary = True  # type: ignore[attr-defined]
    subprocess.Popen.__init__ = __init__  # type: ignore[method-assign]
    subprocess.Popen.communicate = communicate  # type: ignore[method-assign]


def _note_process_stores(program: str, args: object, env: object, cwd: object) -> None:
    import os

    environ = env if isinstance(env, dict) else os.environ
    base = Path(os.fspath(cwd)) if cwd is not None else Path.cwd()
    data_dir = environ.get("VERVAL_DATA_DIR")
    var_dir = environ.get("VERVAL_VAR_DIR")
    if data_dir:
        _stores.add(str(base / data_dir))
    elif var_dir:
        _stores.add(str(base / var_dir / "files"))
    # Its database when it is a SQLite file of its own (decision 0110): the one DATABASE_URL names,
    # or the VERVAL_VAR_DIR's default. One the test's process shares (PostgreSQL's, read by
    # stored_texts and audit_texts when the test commits) or none given (the checkout's var/,
    # not the test's) is not read.
    url = str(environ.get("DATABASE_URL") or "")
    if url.startswith("sqlite:///"):
        _process_dbs.add(str(base / url[len("sqlite:///") :]))
    elif not url and var_dir:
        _process_dbs.add(str(base / var_dir / "verval.sqlite3"))
    if program.startswith("verval-provider") and not isinstance(args, (str, bytes)):
        note_kit_paths([str(a) for a in args], base)  # type: ignore[attr-defined]


_process_dbs: set[str] = set()  # the SQLite files of the running test's processes


def process_db_texts(collector: Collector) -> set[str]:
    """What the test's processes stored in SQLite files of their own (decision 0110), read as
    stored_texts and audit_texts read the test's database: job texts, refused rows, audit rows.
    Answers the names of the people they created (stored_names), to be looked for in everything
    the test let out."""
    import sqlite3

    names: set[str] = set()
    for path in sorted(_process_dbs):
        if not Path(path).is_file():
            continue
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        except sqlite3.Error as exc:
            collector.add("canary", f"could not open the database of a process: {type(exc).__name__}")
            continue
        try:
            names |= _process_db_rows(collector, db, Path(path).name)
        finally:
            db.close()
    _process_dbs.clear()
    return names


def _rows(db, table: str, columns: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    import sqlite3

    try:
        return db.execute(f"SELECT {columns} FROM {table}").fetchall()  # noqa: S608 - our own names
    except sqlite3.OperationalError:
        return []  # a database the process did not migrate (a command that failed first)


def _process_db_rows(collector: Collector, db, name: str) -> set[str]:  # type: ignore[no-untyped-def]
    from verval.accounts.models import OperatorRegistration, User
    from verval.core.models import AuditEvent, Job, JobIssue
    from verval.registry.models import Recipient

    of = f"(database {name} of a separate process)"
    for pk, *texts in _rows(db, Job._meta.db_table, "id, error_message, error_message_en, cancel_note"):
        for text in texts:
            collector.add(f"stored text of job {pk} {of}", str(text or ""))
    for job_id, line, *texts in _rows(
        db, JobIssue._meta.db_table, "job_id, line, message, message_en, value"
    ):
        for text in texts:
            collector.add(f"stored refusal of job {job_id} line {line} {of}", str(text or ""))
    for pk, action, object_id, before, after, note in _rows(
        db, AuditEvent._meta.db_table, "id, action, object_id, before, after, note"
    ):
        where = f"audit row {pk} {action} {of}"
        collector.add(where, str(object_id or ""))
        if action in AUDIT_NOTES_TYPED_BY_A_REVIEWER:
            collector.add_numbers_only(f"{where} (reason as typed)", str(note or ""))
        else:
            collector.add(where, str(note or ""))
        for value in (before, after):
            if value is not None:
                collector.add(where, _json_text(value))
    found: list[str] = [str(n) for (n,) in _rows(db, Recipient._meta.db_table, "name")]
    for first, last in _rows(db, User._meta.db_table, "first_name, last_name"):
        found += [str(first or ""), str(last or ""), f"{first or ''} {last or ''}"]
    found += [str(n) for (n,) in _rows(db, OperatorRegistration._meta.db_table, "full_name")]
    return checked_names(found)


def _json_text(value: object) -> str:
    """A JSON column as stored in SQLite, its escapes (`\\u00e9`) read: as audit_texts sees it."""
    try:
        return json.dumps(json.loads(str(value)), ensure_ascii=False)
    except ValueError:
        return str(value)


def spooled_texts(collector: Collector) -> None:
    """What the test's processes wrote to the files standing in for the terminal or /dev/null."""
    for where, allowed, spool in _spools:
        try:
            spool.seek(0)  # type: ignore[attr-defined]
            data = spool.read(_MAX_CHILD_OUTPUT)  # type: ignore[attr-defined]
        except (OSError, ValueError) as exc:
            collector.add("canary", f"could not read {where}: {type(exc).__name__}")
            continue
        finally:
            spool.close()  # type: ignore[attr-defined]
        text = data.decode("utf-8", "replace")
        if allowed:
            collector.allow(where, text)
        else:
            collector.add(where, text)
    _spools.clear()


# ---------------------------------------------------------------------------------------------
# The provider kit (decision 0098)

# The kit's files that carry numbers by purpose: the dumps and disbursement batches it downloads,
# the results files it writes or keeps a copy of, the usage files (`*.csv`, `*.csv.gz`, and those
# being written, `….part`). Judged: its ledgers and listings (`done.json`, `hasil.json`, the
# batches' `.json`), the manifests, the ETag notes, the rows the server refused (`--refused-out`,
# masked by the server) and anything else it writes.
_KIT_DATA_FILE = re.compile(r"\.csv(?:\.gz)?(?:\.part)?$")
_kit_paths: dict[str, str] = {}  # path -> what it is ("workdir", "out", "refused-out")


def note_kit_paths(argv: list[str], base: Path | None = None) -> None:
    """The folders and files a kit command line writes to: its `--workdir` (default
    `verval-provider-work`, for the commands that have one), `--out` and `--refused-out`."""
    base = base or Path.cwd()
    command = next((a for a in argv if not a.startswith("-")), "")
    given: dict[str, str] = {}
    for i, arg in enumerate(argv):
        for option in ("--workdir", "--out", "--refused-out"):
            if arg == option and i + 1 < len(argv):
                given[option] = argv[i + 1]
            elif arg.startswith(option + "="):
                given[option] = arg.split("=", 1)[1]
    if "--workdir" not in given and command in (
        "sync",
        "pull-disbursements",
        "upload-injection",
        "send-recap",
        "simulate-injection",
    ):
        given["--workdir"] = "verval-provider-work"
    for option, path in given.items():
        _kit_paths[str(base / path)] = option[2:]


def kit_texts(collector: Collector) -> None:
    """Every file the test's kit commands wrote in the folders and files they were given, but the
    data files (_KIT_DATA_FILE), whose purpose is to carry numbers."""
    refused = {p for p, what in _kit_paths.items() if what == "refused-out"}
    paths: set[Path] = set()
    for given in _kit_paths:
        path = Path(given)
        if path.is_dir():
            paths.update(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        elif path.is_file():
            paths.add(path)
    for path in sorted(paths):
        allowed = str(path) not in refused and bool(_KIT_DATA_FILE.search(path.name))
        _read_file(collector, path, f"kit file {path.name}", allowed=allowed)
    _kit_paths.clear()


class _Copy:
    """Stands in for sys.stdout / sys.stderr while the kit runs in the test's process."""

    def __init__(self, out: object, parts: list[str]) -> None:
        self._copy_out = out
        self._copy_parts = parts

    def write(self, text: str) -> int:
        self._copy_parts.append(str(text))
        return self._copy_out.write(text)  # type: ignore[attr-defined, no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self._copy_out, name)


def install_kit_hook() -> None:
    """verval_provider.cli._main, which main calls: what the kit prints to standard output and
    standard error while a test runs it (the kit has no logger: what it prints is its log), and the
    paths it was given (kit_texts). `main`'s own line on Ctrl-C / SIGTERM is printed outside
    `_main`: the test that sends the signal runs the kit as a process (install_process_hook)."""
    import sys

    try:
        from verval_provider import cli
    except ImportError:
        return
    if getattr(cli._main, "_privacy_canary", False):
        return
    original = cli._main

    def _main(argv):  # type: ignore[no-untyped-def]
        if _active is None:
            return original(argv)
        args = list(argv if argv is not None else sys.argv[1:])
        command = next((a for a in args if not a.startswith("-")), "")
        note_kit_paths(args)
        out: list[str] = []
        err: list[str] = []
        real_out, real_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Copy(real_out, out), _Copy(real_err, err)
        try:
            return original(argv)
        finally:
            if isinstance(sys.stdout, _Copy):
                sys.stdout = real_out
            if isinstance(sys.stderr, _Copy):
                sys.stderr = real_err
            collector = _active
            if collector is not None:
                collector.add(f"standard output of verval-provider {command}", "".join(out))
                collector.add(f"standard error of verval-provider {command}", "".join(err))

    _main._privacy_canary = True  # type: ignore[attr-defined]
    cli._main = _main
