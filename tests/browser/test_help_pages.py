"""The help pages on a phone and on paper (decision 0083): an operator reaches its help from the
menu, follows a context link to an entry, and prints the page without the site's menu."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import NPSN, _context, _sign_in, _world

pytestmark = pytest.mark.browser


def test_an_operator_opens_help_from_the_menu_and_prints_it_without_the_menu(live_server, browser):  # type: ignore[no-untyped-def]
    _world()
    base = live_server.url
    with _context(browser, "phone") as page:
        _sign_in(page, base, "op.a11y")
        page.get_by_role("banner").get_by_role("link", name="Bantuan").click()
        page.wait_for_url(f"{base}/bantuan/sekolah/")
        assert page.get_by_role("heading", level=1).inner_text() == "Bantuan: Operator Sekolah"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]

        page.emulate_media(media="print")
        assert page.locator("header.top").is_hidden()
        assert page.locator("footer.foot").is_hidden()
        assert page.locator("#status-RESIDU").is_visible()


def test_a_status_label_on_a_history_opens_its_help_entry(live_server, browser):  # type: ignore[no-untyped-def]
    world = _world()
    base = live_server.url
    residue = world["residue"]
    with _context(browser, "phone") as page:
        _sign_in(page, base, "op.a11y")
        page.goto(f"{base}/sekolah/{NPSN}/penerima/{residue.pk}/riwayat/")
        page.locator("main p a .label.s-RESIDU").click()
        page.wait_for_url(f"{base}/bantuan/sekolah/#status-RESIDU")
        entry = page.locator("#status-RESIDU")
        assert entry.is_visible()
        assert page.evaluate("document.querySelector(':target').id") == "status-RESIDU"
