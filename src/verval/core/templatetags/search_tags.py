"""The page's address as a search box gives it back (decision 0104)."""

from __future__ import annotations

from typing import Any

from django import template

from verval.core.search import address_as_echoed

register = template.Library()


@register.simple_tag(takes_context=True)
def here(context: Any) -> str:
    request = context.get("request")
    if request is None:
        return ""  # a page rendered without a request (an e-mail): no language form to return to
    return address_as_echoed(request.path, request.GET)
