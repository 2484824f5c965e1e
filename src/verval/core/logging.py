"""Keeps phone numbers out of log output, whatever a developer passes to a logger."""

import logging
import re
import unicodedata
from collections.abc import Callable

# 8-15 digits, optionally with +, 00 and separators: catches numbers in any typed form.
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?\s?62[\s\-.]?(?:\(0\)\s?)?|\(?0)?8\d{1,2}\)?[\d\s\-.]{5,14}\d(?!\d)"
)


# A mobile number's national significant digits (SPEC §5): what masked_numbers masks.
_MOBILE = re.compile(r"8[1-35-9]\d{7,10}")


# Ids are left whole: their digit groups can look like a number typed with dashes
# ("…-e812-3456-78d…"), and a task or job id cut by "[nomor]" cannot be looked up any more.
_ID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


# Seven or more digits, alone or typed with spaces, dots or dashes between them: what a phone
# number can look like in any column of a file (a number as pd_id or status, say). A
# parenthesised area part ("(0812) 3456-7890") belongs to the number that follows it: masked
# alone, the digits after the bracket would leave the prefix readable; its digits count towards
# the seven (decision 0136: "(0810) 1234.56", ten digits, was shown whole, six after the bracket).
_NUMBER_LIKE = re.compile(r"(?:\(\+?\d{1,5}\)[ .\-]?)?\+?\d(?:[ .\-]?\d)*")
_NUMBER_MIN_DIGITS = 7


# A date or a date and time as a file writes it, left whole in a value shown back (decision 0136):
# ISO (`2020-01-01`, `2020-01-01T00:00:00`, with seconds' fractions and an offset), and day and
# month in either order with `/`, `-` or `.` and a four-digit year (`01/02/2020`, `1-2-2020`, as
# `phones.core.DATE_PATTERN` reads them). Its eight digits with dashes took it for a number: a
# `waktu` of an injection report came back as `20****01T00:00:00`. Such a text has at most 8
# digits, fewer than any mobile number; it is kept only when no digit touches it, directly or
# across one separator, so a number typed around a date-like stretch ("0812-2020-01-01",
# "2020-01-01 0812 3456") is masked whole as before. ASCII digits only: other digits are masked.
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DATE = re.compile(
    r"(?<![0-9+)])(?<![0-9+)][ .\-/])(?:"
    r"(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)?"
    + "".join(
        rf"|(?:{_DAY}{sep}{_MONTH}|{_MONTH}{sep}{_DAY}){sep}(?:19|20)[0-9]{{2}}" for sep in ("/", "-", r"\.")
    )
    + r")(?![ .\-/]?[0-9])"
)


def _outside(pattern: re.Pattern[str], text: str, mask: Callable[[str], str]) -> str:
    out, last = [], 0
    for match in pattern.finditer(text):
        out += [mask(text[last : match.start()]), match.group()]
        last = match.end()
    out.append(mask(text[last:]))
    return "".join(out)


def _outside_ids(text: str, mask: Callable[[str], str]) -> str:
    return _outside(_ID, text, mask)


def _ascii_digits(text: str) -> str:
    """Digits as the number engine reads them (verval.phones.core._normalize): a number typed in
    full-width or other decimal digits, with typographic dashes or spaces, or with invisible
    characters between its digits, read as the ASCII number it is (decision 0081). The other
    characters of the line stay as they are."""
    out = []
    for c in text:
        if c.isascii():
            out.append(c)
        elif c.isdecimal():
            out.append(str(unicodedata.decimal(c)))
        elif c == "\uff0b":  # full-width plus
            out.append("+")
        else:
            category = unicodedata.category(c)
            if category == "Pd":
                out.append("-")
            elif category == "Zs":
                out.append(" ")
            elif category != "Cf":
                out.append(c)
    return "".join(out)


def mask_text(text: str) -> str:
    """A log line: every number in any typed form becomes [nomor]."""
    if not text.isascii():
        text = _ascii_digits(text)
    return _outside_ids(text, lambda part: _PHONE.sub("[nomor]", part))


def masked_value(value: str) -> str:
    """A value shown back to a user (a refused row's, a provider's note): every stretch that
    could be a phone number masked like every number shown (`6281234567890` -> `0812****7890`),
    ids, dates and times (`2020-01-01T00:00:00`, `01/02/2020`) and the rest as they are."""
    from verval.phones import mask

    def one(match: re.Match[str]) -> str:
        typed = match.group()
        return mask(typed) if sum(c.isdigit() for c in typed) >= _NUMBER_MIN_DIGITS else typed

    def numbers(part: str) -> str:
        return _NUMBER_LIKE.sub(one, part)

    return _outside_ids(value, lambda part: _outside(_DATE, part, numbers))


# A query string inside a logged address: from "?" to the request line's " HTTP/", a quote or the
# end of the line. Not to the next space: a request line the server could not read is quoted in
# its error line as sent, spaces and all ("Bad request syntax ('GET /?q=Siti Aminah')").
_QUERY = re.compile(r"\?(?:(?!\s+HTTP/)[^\"'])*")


def without_query(text: str) -> str:
    """An address, a request line or a log line with every query string taken out
    (`GET /dinas/?q=Budi HTTP/1.1` -> `GET /dinas/ HTTP/1.1`): a search term typed into a GET form
    (a school's name, and whatever else someone types there) is no business of an access log
    (decision 0087). The path stays, and with it what was asked for."""
    return _QUERY.sub("", text)


def _rewrite_message(record: logging.LogRecord, rewrite: Callable[[str], str]) -> bool:
    """The record's message, formatted with its arguments, replaced by `rewrite` of it when that
    differs. False when the message cannot be formatted: such a record is let through as it is,
    since a broken format string must not kill logging."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string must not kill logging
        return False
    rewritten = rewrite(message)
    if rewritten != message:
        record.msg = rewritten
        record.args = ()
    return True


class AccessLogWithoutQueryFilter(logging.Filter):
    """`verval serve`'s access log (Django's runserver, logger `django.server`) without query
    strings: it quotes each request line as sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        _rewrite_message(record, without_query)
        return True


def masked_numbers(text: str) -> str:
    """What a person typed, kept where numbers are masked (an audit row's note: a reason, a
    file's name): every phone number in it, in any typed form, masked like every number shown
    (`0812-3456-7890` -> `0812****7890`); ids, counts and codes as they are (decision 0086)."""
    from verval.phones import mask

    def one(match: re.Match[str]) -> str:
        typed = match.group()
        digits = re.sub(r"\D", "", typed)
        national = re.sub(r"^(?:0062|62|0)", "", digits)
        if not _MOBILE.fullmatch(national):
            return typed  # eight digits of a token's prefix, a count: not a number of SPEC §5
        number = typed.lstrip()
        return typed[: len(typed) - len(number)] + mask(number)

    if not text.isascii():
        text = _ascii_digits(text)
    return _outside_ids(text, lambda part: _PHONE.sub(one, part))


class MaskPhoneNumbersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _rewrite_message(record, mask_text):
            return True
        # A traceback quotes the exception's message and may quote source lines with values (a
        # database error names the row's key): formatted once here, masked, and kept as the text
        # every formatter prints instead of formatting it again.
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


class OneLineWarningFilter(logging.Filter):
    """A record that is expected noise rather than a fault: kept, but at WARNING and without its
    traceback. Django logs every request naming a host not in ALLOWED_HOSTS at ERROR with the
    exception (`django.security.DisallowedHost`); on a public address bots send such requests all
    day, and a traceback each buried the errors that matter (decision 0077)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class ClientErrorOneLineFilter(logging.Filter):
    """`django.request`'s record of an answer 400–499 as one line, without the traceback: the
    status, the method, the path (never the query string: a search term of a GET form is no
    business of a log, decision 0087) and Django's reason (`403 GET /progres/tertinggal/:
    Forbidden (Permission denied)`). Django logs a PermissionDenied (and a bad request body) with
    the exception: every 403 a user met wrote a traceback of the view that refused, the noise of
    a decision the code made on purpose (decision 0136). A 5xx is a fault: its record, traceback
    and all, passes untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500:
            return True
        # Once a record: logging configured a second time in a process (dictConfig adds a logger's
        # filters again, it never removes them) ran it twice, and the second pass, finding no
        # ": <path>" at the end of the line the first had written, dropped Django's reason.
        if getattr(record, "verval_one_line", False):
            return True
        record.verval_one_line = True
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str):
            method = str(getattr(request, "method", "") or "-")
            shown = path.encode("unicode_escape").decode("ascii")
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a broken format string must not kill logging
                message = ""
            reason = message.removesuffix(f": {shown}") if message.endswith(f": {shown}") else ""
            record.msg = f"{status} {method} {shown}" + (f": {reason}" if reason else "")
            record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
