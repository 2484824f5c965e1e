"""Three layout defects left by the README tour (decision 0123), fixed and measured in decision 0127,
each at a 360 x 740 phone and a 1280 x 800 desktop: a job page's seven-digit figure broke inside its
card on a phone, the API docs page's own first lines were the browser's unstyled serif text, and
the operator's "Buka halaman SPTJM" button touched the help link beside it. Screenshots go to
test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.browser.test_flows import shot, sign_in
from tests.factories import SchoolFactory, UserFactory, correction_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (360, 740), "desktop": (1280, 800)}

# The lines an element's text takes: the distinct tops of its text's rectangles.
LINES = (
    "e => { const r = document.createRange(); r.selectNodeContents(e);"
    " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
)
# Nothing of an element's text runs past its own box.
WHOLE = "e => e.scrollWidth <= e.clientWidth"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@contextmanager
def screen(browser, size: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone, locale="id-ID"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


def _box(locator):  # type: ignore[no-untyped-def]
    b = locator.bounding_box()
    assert b is not None, f"{locator} is not rendered"
    return b


def _inside(inner, outer) -> bool:  # type: ignore[no-untyped-def]
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def _gap(a, b) -> float:  # type: ignore[no-untyped-def]
    """The empty space between two boxes: across if they share a line, down if one is below the
    other, 0 if they overlap or touch."""
    across = max(b["x"] - (a["x"] + a["width"]), a["x"] - (b["x"] + b["width"]))
    down = max(b["y"] - (a["y"] + a["height"]), a["y"] - (b["y"] + b["height"]))
    return max(across, down, 0.0)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_cutoff_imports_seven_digit_figures_stay_whole_inside_their_cards(live_server, browser, size):  # type: ignore[no-untyped-def]
    from verval.core.models import Job

    school = SchoolFactory(npsn="20155831")
    pusdatin = UserFactory(role="PUSDATIN", username="pus.angka")
    job = correction_job(pusdatin, school)
    Job.objects.filter(pk=job.pk).update(
        kind="import_dapodik",
        school_id="",
        state="SUCCEEDED",
        counts={
            "rows": 1234567,
            "added": 1048575,
            "changed": 23456,
            "unchanged": 1160000,
            "removed": 12,
            "refused": 0,
            "numbers_changed": 4321,
            "corrections_in_dapodik": 3,
            "corrections_kept": 1,
            "schools_added": 2,
            "schools_changed": 5,
        },
    )
    with screen(browser, size) as page:
        sign_in(page, live_server.url, "pus.angka")
        page.goto(f"{live_server.url}/pekerjaan/{job.pk}/")
        cards = page.locator("dl.cards .card")
        cards.first.wait_for()
        shot(page, f"phoneui-0127-job-figures-{size}")
        figures = cards.locator("dd b")
        # PostgreSQL's jsonb keeps the counts in an order of its own: compared as a set.
        assert sorted(figures.all_inner_texts()) == sorted(
            ["1.234.567", "1.048.575", "23.456", "1.160.000", "12", "0", "4.321", "3", "1", "2", "5"]
        )
        # Each figure on one line, and each figure and label inside its own card.
        assert [figure.evaluate(LINES) for figure in figures.all()] == [1] * 11
        for card in cards.all():
            figure = card.locator("dd b")
            assert _inside(_box(figure), _box(card)), card.inner_text()
            assert figure.evaluate(WHOLE), card.inner_text()
            assert _inside(_box(card.locator("dt")), _box(card)), card.inner_text()
            assert card.locator("dt").evaluate(WHOLE), card.inner_text()
        assert page.evaluate(OVERFLOW) == 0


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_api_docs_pages_own_first_lines_have_the_sites_look(live_server, browser, size):  # type: ignore[no-untyped-def]
    with screen(browser, size) as page:
        page.goto(f"{live_server.url}/api/v1/docs")
        title = page.locator(".swagger-ui .info .title")
        title.wait_for()
        shot(page, f"phoneui-0127-api-docs-{size}")
        back, intro = page.locator("p.verval-back"), page.locator("p.verval-intro")
        style = (
            "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.fontFamily.split(',')[0]]; }"
        )
        # The way back is the site's blue bar (--brand) from edge to edge, in the site's type.
        assert back.evaluate(style) == ["rgb(11, 83, 148)", "system-ui"]
        assert (_box(back)["x"], _box(back)["width"]) == (0, SIZES[size][0])
        for link in back.locator("a").all():
            assert link.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
            assert _box(link)["height"] >= 24  # WCAG 2.2 2.5.8 (decision 0052)
        # The intro is the site's type, on Swagger UI's content edge (its title's left side).
        assert intro.evaluate(style) == ["rgba(0, 0, 0, 0)", "system-ui"]
        assert (
            intro.evaluate(
                "e => e.getBoundingClientRect().left + parseFloat(getComputedStyle(e).paddingLeft)"
            )
            == (_box(title)["x"])
        )
        assert page.evaluate(OVERFLOW) == 0


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_operators_sptjm_button_and_help_link_keep_apart_on_the_home_page(live_server, browser, size):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn="20155832")
    UserFactory(role="OPERATOR", school=school, username="op.jarak")
    with screen(browser, size) as page:
        sign_in(page, live_server.url, "op.jarak")
        button = page.get_by_role("link", name="Buka halaman SPTJM")
        help_link = page.get_by_role("link", name="Yang harus dilakukan dan kapan")
        shot(page, f"phoneui-0127-home-actions-{size}")
        assert _gap(_box(button), _box(help_link)) >= 8
        assert help_link.evaluate(LINES) == 1
        for target in (button, help_link):
            assert _box(target)["height"] >= 24 and _box(target)["width"] >= 24  # decision 0052
        assert page.evaluate(OVERFLOW) == 0
