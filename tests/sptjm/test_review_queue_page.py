"""/pusdatin/sptjm/: the browser title is plain text (phone review item 7)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_review_queue_title_is_plain_text_and_the_closed_periods_section_is_in_the_page(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = client.get(reverse("sptjm:review_queue")).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None and title.group(1) == "Pemeriksaan SPTJM · Verval Ponsel"
    assert html.count('id="periode-ditutup"') == 1
    assert html.index("<h1>Pemeriksaan SPTJM</h1>") < html.index('id="periode-ditutup"')
