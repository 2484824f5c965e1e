"""One rule for a page number past the end of a list (decision 0096).

A list asked for a page it does not have (`/dinas/?hal=99` of a list of 3 pages; the last page of
a school's "belum dikonfirmasi" list after its last rows were confirmed; a bookmark of a list that
has since shrunk) redirects to its last page, with the same filters, and says so in a notice:
"Halaman 99 tidak ada: daftar ini hanya 3 halaman. Yang ditampilkan halaman terakhir." Django's
`Paginator.get_page` showed the last page under the address of page 99 without a word. A list that
does not count its rows goes to its first page instead. A page number below 1 is past the start
and goes to the first page; one that is not a number means the first page (a mangled link is not
worth a notice).

The views catch nothing: `page_of` (or a selector that counts its own pages, through `check`)
raises `PageOutOfRange`, and `core.middleware.PageOutOfRangeMiddleware` answers it.

One name for the page number on every list (decision 0136): `hal`, Indonesian like the other
parameters of the addresses (`kabkota`, `kecamatan`, `periode`, `jenis`). `/dinas/`,
`/pendaftaran/` and `/pengguna/` named it `page` before: an address with `page` and no `hal` (a
bookmark) is sent, permanently, to the same address with `page` renamed `hal` (`OldPageName`,
answered by the same middleware); a POST body's `page` (a form loaded before) is read as `hal`.
A list with a second list on its page names that one's page itself (`?dikecualikan=` of a
school's SPTJM page): those keep their names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponsePermanentRedirect, HttpResponseRedirect, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from verval.core.numbers import grouped


class PageOutOfRange(Exception):
    """A page number outside 1..num_pages (num_pages None: a list that does not count its rows)."""

    def __init__(self, asked: int, num_pages: int | None, param: str) -> None:
        super().__init__("page out of range")
        self.asked = asked
        self.num_pages = num_pages
        self.param = param


PARAM = "hal"
OLD_PARAM = "page"


class OldPageName(Exception):
    """A GET that names its page in `page` (the name before decision 0136) and not in `hal`."""


def number(value: Any) -> int:
    """The page number asked for; 1 when it is missing or not a number. Bounded, so that a number
    past 64-bit integers never reaches the database's OFFSET."""
    try:
        return min(int(str(value)), 1_000_000_000)
    except (TypeError, ValueError):
        return 1


def asked(request: HttpRequest, data: Any = None, param: str = PARAM) -> int:
    """The page number the request asks for in `param` of `data` (the query string unless a POST
    body is given). A query string with the old `page` and no `hal` raises OldPageName (a redirect
    to the address with `hal`); a POST body's `page` is read as `hal`."""
    source = request.GET if data is None else data
    if param == PARAM and PARAM not in source and OLD_PARAM in source:
        if source is request.GET:
            raise OldPageName
        return number(source.get(OLD_PARAM))
    return number(source.get(param))


def check(asked: int, num_pages: int | None, param: str = PARAM) -> None:
    """Raise PageOutOfRange unless `asked` is a page of the list (page 1 always is: an empty
    list has an empty first page)."""
    if asked < 1 or (asked > 1 and (num_pages is None or asked > num_pages)):
        raise PageOutOfRange(asked, num_pages, param)


def page_of(request: HttpRequest, paginator: Paginator, param: str = PARAM, data: Any = None) -> Page:
    """The page of `paginator` the request asks for in `param` of the query string (or of `data`,
    a POST body that sends the page number), or PageOutOfRange (or OldPageName)."""
    wanted = asked(request, data, param)
    check(wanted, paginator.num_pages, param)
    return paginator.page(wanted)


def renamed(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """The answer to OldPageName: the same address and filters, in their order, with `page`
    renamed `hal` (a bookmark made before decision 0136)."""
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        query.setlist(PARAM if key == OLD_PARAM else key, values)
    return HttpResponsePermanentRedirect(f"{request.path}?{query.urlencode()}")


def redirect_within(request: HttpRequest, exc: PageOutOfRange) -> HttpResponseRedirect:
    """The answer to PageOutOfRange: the same address and filters at the last page (the first
    when the list does not know its last, or the page asked for was below 1), with a notice. A
    POST (a search, whose term never goes into an address: decision 0004) comes back to the
    first page of the list without it."""
    reading = request.method in ("GET", "HEAD")
    query = request.GET.copy() if reading else QueryDict(mutable=True)
    query.pop(exc.param, None)
    last = exc.num_pages if reading and exc.asked > 1 else None
    if last and last > 1:
        query[exc.param] = str(last)
    if last:
        messages.info(
            request,
            ngettext(
                "Halaman %(asked)s tidak ada: daftar ini hanya %(n)s halaman. Yang ditampilkan halaman terakhir.",
                "Halaman %(asked)s tidak ada: daftar ini hanya %(n)s halaman. Yang ditampilkan halaman terakhir.",
                last,
            )
            % {"asked": grouped(exc.asked), "n": grouped(last)},
        )
    else:
        messages.info(
            request,
            _("Halaman %(asked)s tidak ada. Yang ditampilkan halaman pertama.")
            % {"asked": grouped(exc.asked)},
        )
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)
