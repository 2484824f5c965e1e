"""The API docs page (/api/v1/docs) is an English page (Swagger UI and the OpenAPI texts are
English only, decision 0065): its `lang` and title say so in either language, and the one line
of ours that is translated carries the reader's language (decision 0075)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def _page(client, language: str | None) -> str:  # type: ignore[no-untyped-def]
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get("/api/v1/docs").content.decode()


@pytest.mark.parametrize("language", [None, "id", "en"])
def test_the_api_docs_page_is_marked_english_with_its_english_title(client, language):  # type: ignore[no-untyped-def]
    html = _page(client, language)

    assert re.findall(r"<html[^>]*>", html) == ['<html lang="en">']
    assert re.findall(r"<title>([^<]*)</title>", html) == ["Verval Ponsel Provider API"]
    assert '<p class="verval-back"><a href="/">« Verval Ponsel</a> · ' in html


@pytest.mark.parametrize(
    ("language", "lang", "text"),
    [
        (None, "id", "Skema OpenAPI (JSON) API provider:"),
        ("id", "id", "Skema OpenAPI (JSON) API provider:"),
        ("en", "en", "OpenAPI schema (JSON) of the provider API:"),
    ],
)
def test_the_translated_line_above_swagger_carries_the_readers_language(client, language, lang, text):  # type: ignore[no-untyped-def]
    html = _page(client, language)

    assert f'<p class="verval-intro" lang="{lang}">{text} ' in html
