"""Keeps phone numbers out of log output, whatever a developer passes to a logger."""

import logging
import re

# 8-15 digits, optionally with + and separators: catches numbers in any typed form.
_PHONE = re.compile(r"(?<!\d)(?:\+?\s?62[\s\-.]?(?:\(0\)\s?)?|\(?0)?8\d{1,2}\)?[\d\s\-.]{5,14}\d(?!\d)")


def mask_text(text: str) -> str:
    return _PHONE.sub("[nomor]", text)


class MaskPhoneNumbersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not kill logging
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True
