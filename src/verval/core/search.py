"""What a search box gives back of the term typed into it (decision 0104)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from verval.core.logging import masked_numbers


@dataclass(frozen=True)
class SearchEcho:
    """The term as the page gives it back: `value` goes into the search box (and into the links
    that keep the list's filters), `masked` is a line above the box, empty unless it is needed."""

    value: str
    masked: str = ""


def search_echo(term: str, *, full_numbers: bool) -> SearchEcho:
    """A search term given back to whoever typed it. A reader of masked numbers (Dinas, Pusdatin:
    `full_numbers` False) gets a term holding a phone number masked (`0812****2222`), in a line
    above the box and not in it: a masked term in the box would be the next search when the form
    is sent again, and a full one is a number on a page where every number is masked (SPEC §9).
    A school's operator (`accounts.access.can_edit_school`) gets the term as typed, in the box."""
    if full_numbers:
        return SearchEcho(term)
    shown = masked_numbers(term)
    if shown == term:
        return SearchEcho(term)  # a name, an NPSN or a NISN: as typed (decision 0098)
    return SearchEcho("", shown)


def address_as_echoed(path: str, query: QueryDict) -> str:
    """The page's address with each parameter as a search box gives it back (`search_echo` to a
    reader): the language form returns there, and a GET search's term typed as a phone number
    stays out of the page (decision 0104). Numbers never belong in an address (decision 0004)."""
    kept = QueryDict(mutable=True)
    for key, values in query.lists():
        kept.setlist(key, [search_echo(v, full_numbers=False).value for v in values])
    encoded = kept.urlencode()
    return f"{path}?{encoded}" if encoded else path
