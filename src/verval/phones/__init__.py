"""verval.phones: the Indonesian mobile-number engine of Verval Ponsel (pure Python, no Django).

    >>> from verval.phones import check
    >>> v = check("0812-3456-7890")
    >>> v.valid, v.e164, v.national, v.operator
    (True, '+6281234567890', '0812-3456-7890', 'telkomsel')

Rules: docs/phone-rules.md. Bulk: check_many (list of Verdict), check_series (polars),
cli.iter_check_csv (stream CSV in constant memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import Verdict, check, check_many, format_national, mask, national_display
from .prefixes import OPERATORS, PREFIX_TABLE, PREFIX_TABLE_VERSION, PREFIXES
from .reasons import REASONS, WARNINGS, Reason, describe

if TYPE_CHECKING:  # polars is imported only when the bulk path is used
    from .bulk import check_frame, check_series


def __getattr__(name: str) -> Any:
    if name in ("check_series", "check_frame"):
        from . import bulk

        return getattr(bulk, name)
    raise AttributeError(name)


__all__ = [
    "OPERATORS",
    "PREFIXES",
    "PREFIX_TABLE",
    "PREFIX_TABLE_VERSION",
    "REASONS",
    "WARNINGS",
    "Reason",
    "Verdict",
    "check",
    "check_frame",
    "check_many",
    "check_series",
    "describe",
    "format_national",
    "mask",
    "national_display",
]
