"""Lists of at most `size` items from any iterable (an `IN (...)` list, a batch of mails, rows
streamed from a query), in order; Python 3.11 has no itertools.batched."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while block := list(islice(it, size)):
        yield block
