"""How a count a person reads is written: with the thousands separator of the language it is
read in, "1.234.567" in Indonesian and "1,234,567" in English, as `intcomma` writes it on the
pages (decision 0073). Codes, NPSN, years, ids, line numbers and every value written to a file,
the API or a --json line stay plain digits: they never go through here.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.formats import number_format


def grouped(value: int, *, language: str | None = None) -> str:
    """A count with thousands separators in the active language, or in `language` when given (the
    command line writes English whatever the default language). USE_THOUSAND_SEPARATOR is off in
    settings, so the grouping is forced here; it gives what `intcomma` gives for an integer."""
    if language is None:
        return number_format(value, force_grouping=True)
    with translation.override(language):
        return number_format(value, force_grouping=True)
