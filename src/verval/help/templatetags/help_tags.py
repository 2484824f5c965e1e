"""Links from a page to its help entry (decision 0083)."""

from __future__ import annotations

from django import template

from verval.help.entries import help_url as _help_url

register = template.Library()


@register.simple_tag
def help_url(section: str, code: str = "") -> str:
    """`{% help_url "status" r.status %}`: the address of the help entry of a code shown on a page."""
    return _help_url(section, code)


@register.filter
def help_link(message: object) -> str:
    """The help address a flash message carries (`extra_tags="help:<section>:<code>"`), or ""."""
    tags = getattr(message, "extra_tags", "") or ""
    for tag in tags.split():
        if tag.startswith("help:"):
            _prefix, section, code = (tag.split(":") + ["", ""])[:3]
            try:
                return _help_url(section, code)
            except KeyError:
                return ""
    return ""


@register.simple_tag
def help_url_for(code: str, *sections: str) -> str:
    """`{% help_url_for issue.code "koreksi" "alasan" %}`: the entry of a code in the first section
    that has one, or "" (then the page shows the code without a link)."""
    from verval.help.entries import help_url_for as find

    return find(code, *sections)
