"""Two layout defects met walking the README's tour as a new school operator (decision 0123): a
changed number in a recipient's history was cut off on a 360 px phone, and the number check broke
a twelve-digit number over two lines on a desktop. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.browser.test_flows import shot, sign_in
from tests.browser.test_mobile_layout import WIDTH, box, inside_viewport, phone
from tests.factories import RecipientFactory, SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The lines a cell's text takes: the distinct tops of its text's rectangles.
LINES = (
    "e => { const r = document.createRange(); r.selectNodeContents(e);"
    " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
)


@contextmanager
def desktop(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_changed_number_in_a_recipients_history_stays_on_a_phone_screen(live_server, browser):  # type: ignore[no-untyped-def]
    from verval.registry import actions

    school = SchoolFactory(npsn="20155811", name="SD Negeri Riwayat")
    operator = UserFactory(role="OPERATOR", school=school, username="op.riwayat")
    recipient = RecipientFactory(school=school, status="RESIDU", phone_raw="081198761482")
    actions.change_number(
        actor=operator, recipient_id=recipient.pk, new_raw="081298765437", expected_version=recipient.version
    )
    with phone(browser) as page:
        sign_in(page, live_server.url, "op.riwayat")
        page.goto(f"{live_server.url}/sekolah/{school.npsn}/penerima/{recipient.pk}/riwayat/")
        cell = page.locator("td[data-label='Nomor']").first
        shot(page, "tour-0123-history-phone")
        assert cell.inner_text() == "0811****1482 → 0812****5437"
        # Nothing of the row hidden to the right of the screen, inside the table's scroll box either.
        wrap = page.locator(".table-wrap").first
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth") is True
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        for number in cell.locator(".nowrap").all():  # each number whole, on the screen
            assert inside_viewport(box(number)), box(number)


def test_the_number_check_shows_each_typed_number_on_one_line_on_a_desktop(live_server, browser):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn="20155812")
    UserFactory(role="OPERATOR", school=school, username="op.cek")
    with desktop(browser) as page:
        sign_in(page, live_server.url, "op.cek")
        page.goto(f"{live_server.url}/cek-nomor/")
        page.locator("#numbers").fill("081234567890\n6281311112222\n021 555 1234")
        page.get_by_role("button", name="Periksa").click()
        typed = page.locator("table.checked td.lead code")
        typed.first.wait_for()
        shot(page, "tour-0123-number-check-desktop")
        assert typed.all_inner_texts() == ["081234567890", "6281311112222", "021 555 1234"]
        # An inline element broken over two lines has two client rectangles.
        assert [code.evaluate("e => e.getClientRects().length") for code in typed.all()] == [1, 1, 1]
        national = page.locator("table.checked td[data-label='Bentuk baku']")
        assert national.all_inner_texts() == ["—", "0813-1111-2222", "—"]
        assert [cell.evaluate(LINES) for cell in national.all()] == [1, 1, 1]


def test_a_job_pages_figures_start_under_their_labels_on_a_phone(live_server, browser):  # type: ignore[no-untyped-def]
    from tests.factories import correction_job
    from verval.core.models import Job

    school = SchoolFactory(npsn="20155813")
    operator = UserFactory(role="OPERATOR", school=school, username="op.angka")
    job = correction_job(operator, school)
    Job.objects.filter(pk=job.pk).update(
        state="SUCCEEDED", counts={"rows": 1048575, "changed": 2, "unchanged": 0, "refused": 0}
    )
    with phone(browser) as page:
        sign_in(page, live_server.url, "op.angka")
        page.goto(f"{live_server.url}/pekerjaan/{job.pk}/")
        cards = page.locator("dl.cards .card")
        cards.first.wait_for()
        shot(page, "tour-0123-job-figures-phone")
        assert cards.locator("dd").all_inner_texts() == ["1.048.575", "2", "0", "0"]
        for card in cards.all():
            assert box(card.locator("dd")).get("x") == box(card.locator("dt")).get("x")
            assert inside_viewport(box(card.locator("dd b")))
