"""Deadlines on /progres/tertinggal/ read as on the SPTJM pages (phone review item 17)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.sptjm.conftest import make_period

pytestmark = pytest.mark.django_db


def test_behind_page_gives_the_sptjm_deadlines_as_indonesian_words(client, pusdatin):  # type: ignore[no-untyped-def]
    make_period("2026-12", starts=date(2026, 12, 1), sptjm_print_deadline=date(2026, 12, 7))
    client.force_login(pusdatin)
    html = client.get(reverse("dashboard:behind")).content.decode()
    assert "Batas cetak SPTJM: 7 Des 2026 23.59 WIB." in html
    assert "Batas unggah SPTJM: 25 Des 2026 23.59 WIB." in html
    assert "2026-12-07" not in html
