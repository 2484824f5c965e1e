"""`post_only`: an address that takes only a form's POST, and leads a GET to the form.

A POST-only view answered a GET (a bookmark, an address pasted from the address bar, a browser
reopening a tab) with Django's empty 405. `post_only(...)` replaces `require_POST`: a GET or HEAD
redirects to the page where the form is, with a notice saying the address works through its
button; any other method still answers 405; a POST reaches the view as before (decision 0096).
Under `login_required`, a signed-out GET is sent to the sign-in page first, as before. The target
page checks the reader's scope itself: the redirect is built from the address alone and tells
nothing the address did not.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

Target = str | Callable[..., str]

# The notice's tag, which the 403 page (templates/403.html) reads.
POST_ONLY_TAG = "post-only"


def form_address(request: HttpRequest, target: Target, kwargs: dict[str, Any], keep: tuple[str, ...]) -> str:
    if callable(target):
        return target(request, **kwargs)
    return reverse(target, kwargs={k: kwargs[k] for k in keep})


def lead_to_form(request: HttpRequest, address: str) -> HttpResponse:
    """The answer to a GET of a POST-only address: the form's page, with the notice."""
    messages.info(
        request,
        _(
            "Alamat tadi hanya bekerja lewat tombol atau formulirnya, tidak bisa dibuka "
            "langsung. Silakan ulangi dari halaman ini."
        ),
        # The 403 page leaves it out: a form's page that refuses its reader is no page to go on
        # from (decision 0109).
        extra_tags=POST_ONLY_TAG,
    )
    return redirect(address)


def post_only(target: Target, *keep: str, anchor: str = "") -> Callable[[Any], Any]:
    """`target`: the URL name of the page with the form (reversed with the view's keyword
    arguments named in `keep`), or a function (request, **view kwargs) -> address. `anchor`: a
    fragment, formatted with the view's keyword arguments (`"reg-{pk}"`)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                address = form_address(request, target, kwargs, keep)
                if anchor:
                    address += "#" + anchor.format(**kwargs)
                return lead_to_form(request, address)
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return inner

    return decorator
