"""WCAG 2.1 AA checks with axe-core (vendored, test-only: tests/browser/vendor/axe-core/) on the
main pages of each role, in Indonesian and English, at 360 px (phone) and 1280 px, and the checks
axe cannot make that a test can say (decision 0050). A page fails on any "serious" or "critical"
violation; the moderate and minor ones are written to test-artifacts/axe-<name>.json.

Run: pytest -m browser tests/browser/test_accessibility.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_flows import ARTIFACTS, PASSWORD, PDF_BYTES, shot
from tests.factories import RecipientFactory, SchoolFactory, UserFactory, correction_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
# WCAG 2.0/2.1 A and AA, WCAG 2.2 AA (in axe 4.14 that is target-size, 2.5.8: 24 x 24 px or
# 24 px apart, on phones and desktops alike; decision 0058), plus axe's best practices
# (landmarks, headings, one main, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Rules switched off, each with its reason (decision 0050 lists them).
AXE_DISABLED: dict[str, str] = {}
FAILING = ("serious", "critical")
WIDTHS = {"phone": (360, 740), "desktop": (1280, 900)}
NPSN = "20155901"


@contextmanager
def _context(browser, width: str) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    w, h = WIDTHS[width]
    phone = width == "phone"
    # bypass_csp: the page's CSP (no inline script) would refuse axe's injected <script>; the
    # application's own pages are loaded unchanged.
    ctx = browser.new_context(
        viewport={"width": w, "height": h}, is_mobile=phone, has_touch=phone, locale="id-ID", bypass_csp=True
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda d: d.accept())
    try:
        yield page
    finally:
        ctx.close()


def run_axe(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """axe's violations on the page as it is now (every impact)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    options = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "rules": {rule: {"enabled": False} for rule in AXE_DISABLED},
        "resultTypes": ["violations"],
    }
    result = page.evaluate("options => window.axe.run(document, options)", options)
    assert result["testEngine"]["version"] == AXE_VERSION
    # target-size is off in axe's defaults: the tag must switch it on, not just name it.
    ran = {r["id"] for kind in ("violations", "passes", "incomplete", "inapplicable") for r in result[kind]}
    assert "target-size" in ran
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "summary": v["nodes"][0]["failureSummary"] if v["nodes"] else "",
        }
        for v in result["violations"]
    ]


class Walk:
    """Runs axe on each step of one role's walk and keeps what fails."""

    def __init__(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.name = name
        self.failing: list[str] = []
        self.report: dict[str, list[dict[str, Any]]] = {}

    def check(self, step: str) -> None:
        self.page.wait_for_load_state()
        found = run_axe(self.page)
        self.report[step] = found
        failing = [v for v in found if v["impact"] in FAILING]
        for v in failing:
            self.failing.append(
                f"{step}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}: {v['summary']}"
            )
        # The screenshot is for a person reading a failed step: a full-page capture of every step
        # (about 200 in this file) was a sixth of its time (decision 0129).
        if failing:
            shot(self.page, f"a11y-{self.name}-{step}")

    def goto(self, url: str, step: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status < 400, (url, response and response.status)
        self.check(step)

    def done(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-{self.name}.json").write_text(json.dumps(self.report, indent=1))
        assert self.failing == []


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/beranda/")


def _language(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    if lang == "en":
        page.get_by_role("button", name="EN English").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == lang


def _world() -> dict[str, Any]:
    """A school with every number status, a printed and an uploaded SPTJM, a correction job
    waiting for the worker and a finished one, and one account per role."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.sptjm.conftest import aktif, make_period
    from verval.core import files
    from verval.core.models import Job
    from verval.dashboard.services import refresh_all
    from verval.reference import actions as reference_actions
    from verval.sptjm import actions

    school = SchoolFactory(npsn=NPSN, name="SD Negeri Aksesibel")
    other = SchoolFactory(npsn="20155902", name="SMP Negeri Pindaian", region=school.region)
    operator = UserFactory(role="OPERATOR", school=school, username="op.a11y")
    other_operator = UserFactory(role="OPERATOR", school=other, username="op.pindaian")
    UserFactory(role="DINAS_KAB", region_id=school.regency_id, username="dinas.a11y")
    UserFactory(role="PUSDATIN", username="pusdatin.a11y")
    UserFactory(role="PROVIDER", provider="telkomsel", username="telkomsel.a11y")
    # A tahap that ran and was closed (decision 0078): its period page is shown, not edited.
    make_period("2026-10", starts=date(2026, 10, 1))
    reference_actions.close_period(actor=None, code="2026-10")
    period = make_period("2026-11", starts=date(2026, 11, 1))
    residue = RecipientFactory(school=school, status="RESIDU", reason="TIDAK_AKTIF", needs_validation=False)
    RecipientFactory(school=school, status="FORMAT_SALAH", reason="TERLALU_PENDEK")
    RecipientFactory.create_batch(2, school=school, status="BELUM_VERVAL")
    aktif(school, 3)
    aktif(other, 2)
    printed, _new = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    theirs, _new = actions.print_sptjm(actor=other_operator, npsn=other.npsn, period_code=period.code)
    actions.upload_scan(
        actor=other_operator,
        sptjm_id=theirs.pk,
        upload=SimpleUploadedFile("pindaian.pdf", files.absolute(theirs.pdf_path).read_bytes()),
    )
    queued = correction_job(operator, school, folder="bulk_correction")
    Job.objects.filter(pk=queued.pk).update(params={"applied": True}, queued_at=queued.created_at)
    refresh_all()
    return {"school": school, "residue": residue, "queued": queued, "uploaded": theirs, "printed": printed}


CASES = [(lang, width) for lang in ("id", "en") for width in ("phone", "desktop")]


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_public_and_sign_in_pages_have_no_serious_axe_violations(live_server, browser, lang, width):  # type: ignore[no-untyped-def]
    _world()
    base = live_server.url
    with _context(browser, width) as page:
        walk = Walk(page, f"public-{lang}-{width}")
        page.goto(f"{base}/masuk/")
        _language(page, lang)
        walk.check("sign-in")
        page.locator("#id_username").fill("op.a11y")
        page.locator("#id_password").fill("salah")
        page.locator("main button[type=submit]").click()
        page.locator("main .error").wait_for()
        walk.check("sign-in-refused")
        walk.goto(f"{base}/", "public-dashboard")
        walk.goto(f"{base}/daftar/", "register")
        page.locator("main form button[type=submit]").click()
        page.locator(".errorlist").first.wait_for()
        walk.check("register-errors")
        walk.done()


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_operator_pages_have_no_serious_axe_violations(live_server, browser, lang, width):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from verval.registry.models import Recipient

    world = _world()
    base = live_server.url
    school = f"{base}/sekolah/{NPSN}"
    residue = world["residue"]
    with _context(browser, width) as page:
        walk = Walk(page, f"operator-{lang}-{width}")
        _sign_in(page, base, "op.a11y")
        _language(page, lang)
        walk.check("home")
        walk.goto(f"{school}/", "school-list")
        walk.goto(f"{school}/?status=RESIDU", "residue-list")
        # the inline editor of a row, with an invalid number typed (the live verdict shown)
        page.locator(f"#r{residue.pk} a.tap").first.click()
        # Type once the field has the keyboard, as a user does: htmx attaches the live check in the
        # same task that inserts the editor (settle delay 0, decision 0052), so focused means live.
        expect(page.locator(f"#n{residue.pk}")).to_be_focused()
        page.locator(f"#n{residue.pk}").fill("")
        page.locator(f"#n{residue.pk}").press_sequentially("021123")  # the live check runs on input
        page.locator(f"#v{residue.pk} .error").wait_for()
        walk.check("residue-inline-edit-verdict")
        # the edit page with the save refused: someone else changed the record meanwhile
        walk.goto(f"{school}/penerima/{residue.pk}/ubah/", "edit")
        Recipient.objects.filter(pk=residue.pk).update(version=residue.version + 5)
        page.locator(f"#n{residue.pk}").fill("081398765432")
        page.locator("main form.edit-number button").click()
        page.locator("main form.edit-number .error").wait_for()
        walk.check("edit-refused")
        walk.goto(f"{school}/penerima/{residue.pk}/riwayat/", "history")
        walk.goto(f"{school}/koreksi/", "upload")
        page.locator("input[type=file]").set_input_files(
            {"name": "bukan-excel.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
        )
        page.locator("main form button").click()
        page.locator("main form .error").first.wait_for()
        walk.check("upload-refused")
        walk.goto(f"{base}/pekerjaan/{world['queued'].pk}/", "job")
        walk.goto(f"{school}/sptjm/", "sptjm")
        walk.goto(f"{base}/cek-nomor/", "phone-check")
        walk.goto(f"{base}/akun/saya/", "my-account")
        walk.goto(f"{base}/progres/saya/", "my-progress")
        walk.goto(f"{base}/bantuan/sekolah/", "help")
        # a form of a page opened before signing in again: its token no longer holds (decision 0054)
        page.goto(f"{school}/?status=RESIDU")
        page.evaluate("document.querySelector('form#c [name=csrfmiddlewaretoken]').value = 'x'.repeat(64)")
        page.locator("form#c button").first.click()
        page.locator("main h1").wait_for()
        walk.check("form-expired")
        walk.done()


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_dinas_pages_have_no_serious_axe_violations(live_server, browser, lang, width):  # type: ignore[no-untyped-def]
    world = _world()
    base = live_server.url
    with _context(browser, width) as page:
        walk = Walk(page, f"dinas-{lang}-{width}")
        _sign_in(page, base, "dinas.a11y")
        _language(page, lang)
        walk.check("home")
        walk.goto(f"{base}/dinas/", "schools")
        walk.goto(f"{base}/dinas/sptjm/", "late-sptjm")
        walk.goto(f"{base}/progres/tertinggal/", "behind")
        # A kabupaten/kota outside the region: a 404 that says so, with its way back (decision 0136).
        page.goto(f"{base}/progres/tertinggal/?kabkota=999900")
        walk.check("behind-not-in-region")
        walk.goto(f"{base}/progres/wilayah/{world['school'].regency_id}/", "dashboard-region")
        walk.goto(f"{base}/progres/sekolah/{NPSN}/", "dashboard-school")
        walk.goto(f"{base}/sekolah/{NPSN}/?status=RESIDU", "residue-list-read-only")
        walk.goto(f"{base}/pendaftaran/", "registrations")
        # The operators' accounts with their (de)activation buttons, and a search that finds no
        # school with its way back (decision 0109).
        walk.goto(f"{base}/pengguna/", "accounts")
        walk.goto(f"{base}/dinas/?q=tidak-ada-sekolah-begini", "schools-none-found")
        # The region's audit log (decision 0135), and its filters refusing a value.
        walk.goto(f"{base}/jejak-audit/", "audit")
        walk.goto(f"{base}/jejak-audit/?npsn=1&dari=kemarin", "audit-refused-filters")
        walk.goto(f"{base}/bantuan/dinas/", "help")
        walk.goto(f"{base}/bantuan/sekolah/", "help-operator")
        walk.done()


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_province_dinas_pages_have_no_serious_axe_violations(live_server, browser, lang, width):  # type: ignore[no-untyped-def]
    # The province Dinas' pages span several kabupaten/kota (decision 0089): its lists name each
    # school's, its filters offer the kabupaten/kota, its region page lists them.
    from verval.dashboard.services import refresh_all

    world = _world()
    elsewhere = SchoolFactory(
        npsn="20155903", name="SD Negeri Sukabumi Aksesibel", region_id="020601", regency_id="020600"
    )
    RecipientFactory.create_batch(2, school=elsewhere, status="AKTIF", needs_validation=False)
    refresh_all()
    UserFactory(role="DINAS_PROV", region_id=world["school"].province_id, username="dinas.prov.a11y")
    base = live_server.url
    with _context(browser, width) as page:
        walk = Walk(page, f"dinas-prov-{lang}-{width}")
        _sign_in(page, base, "dinas.prov.a11y")
        _language(page, lang)
        walk.check("home")
        walk.goto(f"{base}/dinas/", "schools")
        walk.goto(f"{base}/dinas/?kabkota={world['school'].regency_id}", "schools-of-one-regency")
        walk.goto(f"{base}/dinas/sptjm/", "late-sptjm")
        walk.goto(f"{base}/progres/tertinggal/", "behind")
        walk.goto(f"{base}/progres/wilayah/{world['school'].province_id}/", "dashboard-province")
        walk.goto(f"{base}/progres/wilayah/{world['school'].regency_id}/", "dashboard-region")
        walk.goto(f"{base}/progres/sekolah/{NPSN}/", "dashboard-school")
        walk.goto(f"{base}/pengguna/", "users")
        walk.goto(f"{base}/bantuan/dinas/", "help")
        walk.done()


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_pusdatin_pages_have_no_serious_axe_violations(live_server, browser, lang, width):  # type: ignore[no-untyped-def]
    world = _world()
    base = live_server.url
    with _context(browser, width) as page:
        walk = Walk(page, f"pusdatin-{lang}-{width}")
        _sign_in(page, base, "pusdatin.a11y")
        _language(page, lang)
        walk.check("home")
        walk.goto(f"{base}/pusdatin/", "pusdatin")
        walk.goto(f"{base}/pusdatin/periode/2026-10/ubah/", "period-closed")
        walk.goto(f"{base}/pusdatin/impor/riwayat/", "import-jobs")
        walk.goto(f"{base}/pekerjaan/{world['queued'].pk}/", "job")
        walk.goto(f"{base}/pusdatin/sptjm/", "sptjm-queue")
        walk.goto(f"{base}/pusdatin/sptjm/{world['uploaded'].pk}/", "sptjm-review")
        walk.goto(f"{base}/pusdatin/penyaluran/", "disbursement")
        walk.goto(f"{base}/pusdatin/dump/", "dump-batches")
        walk.goto(f"{base}/pengguna/", "users")
        walk.goto(f"{base}/pengguna/baru/", "staff-create")
        page.locator("main form button[type=submit]").click()
        page.locator(".errorlist").first.wait_for()
        walk.check("staff-create-errors")
        walk.goto(f"{base}/nomor-bersama/", "shared-numbers")
        walk.goto(f"{base}/jejak-audit/", "audit")
        walk.goto(f"{base}/bantuan/pusdatin/", "help")
        walk.goto(f"{base}/", "public-dashboard-signed-in")
        walk.done()


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_provider_home_has_no_serious_axe_violations(live_server, browser, lang, width):  # type: ignore[no-untyped-def]
    _world()
    base = live_server.url
    with _context(browser, width) as page:
        walk = Walk(page, f"provider-{lang}-{width}")
        _sign_in(page, base, "telkomsel.a11y")
        _language(page, lang)
        walk.check("home")
        walk.goto(f"{base}/akun/saya/", "my-account")
        walk.goto(f"{base}/bantuan/provider/", "help")
        walk.done()


# ---------------------------------------------------------------------------------------------
# What axe does not check (decision 0050): the keyboard's way into the page, what a screen reader
# hears when htmx changes the page, text at 200 % on a phone, and tap targets.

PHONE_PAGES = (
    "/beranda/",
    f"/sekolah/{NPSN}/",
    f"/sekolah/{NPSN}/?status=RESIDU",
    f"/sekolah/{NPSN}/koreksi/",
    f"/sekolah/{NPSN}/sptjm/",
    "/cek-nomor/",
    "/akun/saya/",
    "/bantuan/sekolah/",
)
# Marks an element, so that a later check can tell the same element from a new one in its place.
MARK = "el => { el.dataset.kept = 'yes'; }"


def test_skip_link_is_the_first_stop_and_moves_the_keyboard_into_the_content(live_server, browser):  # type: ignore[no-untyped-def]
    _world()
    base = live_server.url
    with _context(browser, "desktop") as page:
        _sign_in(page, base, "op.a11y")
        page.goto(f"{base}/sekolah/{NPSN}/")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip")
        assert page.evaluate("document.activeElement.className") == "skip"
        b = skip.bounding_box()
        assert b is not None and b["x"] >= 0 and b["y"] >= 0 and b["height"] >= 40
        shot(page, "a11y-skip-link")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")  # the next stop is the first link of the content, not the menu
        assert page.evaluate("document.activeElement.closest('main') !== null") is True


def test_filtered_list_and_saved_row_are_read_out_through_regions_that_stay(live_server, browser):  # type: ignore[no-untyped-def]
    world = _world()
    residue = world["residue"]
    base = live_server.url
    with _context(browser, "desktop") as page:
        _sign_in(page, base, "op.a11y")
        page.goto(f"{base}/sekolah/{NPSN}/")
        status = page.locator("#results-status")
        status.evaluate(MARK)
        assert status.inner_text() == "Menampilkan 1–7 dari 7"
        page.locator("select[name=status]").select_option("RESIDU")
        page.wait_for_url(f"{base}/sekolah/{NPSN}/?status=RESIDU")
        page.locator("#results-status", has_text="Menampilkan 1–1 dari 1").wait_for()
        # the same element, its text changed: a screen reader reads it out
        assert status.get_attribute("data-kept") == "yes" and status.get_attribute("role") == "status"
        assert page.get_by_text("Menampilkan 1–1 dari 1").count() == 1

        row_status = page.locator("#row-status")
        row_status.evaluate(MARK)
        page.locator(f"#r{residue.pk} a.tap", has_text="Ubah").click()
        page.wait_for_function(f"document.activeElement && document.activeElement.id === 'n{residue.pk}'")
        page.locator(f"#n{residue.pk}").fill("081327465913")
        page.locator(f"#r{residue.pk} form.edit-number button").click()
        page.locator("#row-status", has_text=f"{residue.name}: Tersimpan").wait_for()
        assert row_status.get_attribute("data-kept") == "yes" and row_status.get_attribute("role") == "status"
        # the row itself is back, with the keyboard on its edit link
        page.wait_for_function(f"document.activeElement.closest('#r{residue.pk}') !== null")
        assert page.evaluate("document.activeElement.textContent") == "Ubah"
        assert page.locator(f"#r{residue.pk} small.okay").last.inner_text() == "Tersimpan"


def test_job_page_reads_out_the_end_of_the_job_once(live_server, browser):  # type: ignore[no-untyped-def]
    from verval.core.models import Job

    world = _world()
    job = world["queued"]
    base = live_server.url
    with _context(browser, "desktop") as page:
        _sign_in(page, base, "op.a11y")
        page.goto(f"{base}/pekerjaan/{job.pk}/")
        region = page.locator("#job-status")
        region.evaluate(MARK)
        assert region.inner_text() == ""
        progress = page.locator("#job-progress progress")
        assert progress.get_attribute("aria-label") == "Progres" and progress.get_attribute("value") == "0"
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.SUCCEEDED,
            progress_done=625,
            progress_total=625,
            counts={"rows": 625, "changed": 625},
        )
        page.locator("#job-progress .label.s-SUCCEEDED").wait_for()
        assert region.inner_text() == "Selesai 625 / 625" and region.get_attribute("data-kept") == "yes"


@pytest.mark.parametrize("width", [320, 360])
def test_operator_pages_reflow_on_a_phone_with_text_at_200_percent(live_server, browser, width):  # type: ignore[no-untyped-def]
    """WCAG 1.4.4 and 1.4.10: a phone's text size set to 200 % (the root font size doubled, as
    Android's font scale does) and the 320 px reflow width scroll no page sideways."""
    _world()
    base = live_server.url
    with browser.new_context(
        viewport={"width": width, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        bypass_csp=True,
    ) as ctx:
        page = ctx.new_page()
        page.set_default_timeout(15000)
        _sign_in(page, base, "op.a11y")
        for path in PHONE_PAGES:
            page.goto(base + path)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width, path
            page.add_style_tag(content="html{font-size:200%}")
            assert page.evaluate("getComputedStyle(document.body).fontSize") == "30px", path
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width, path
            shot(page, f"a11y-text200-{width}-{path.strip('/').replace('/', '-') or 'home'}")


def test_back_links_of_the_operator_pages_are_tap_targets_on_a_phone(live_server, browser):  # type: ignore[no-untyped-def]
    world = _world()
    base = live_server.url
    with _context(browser, "phone") as page:
        _sign_in(page, base, "op.a11y")
        for path in (
            f"/sekolah/{NPSN}/koreksi/",
            f"/sekolah/{NPSN}/penerima/{world['residue'].pk}/ubah/",
            f"/sekolah/{NPSN}/penerima/{world['residue'].pk}/riwayat/",
            f"/pekerjaan/{world['queued'].pk}/",
            f"/sekolah/{NPSN}/sptjm/",
            "/akun/saya/",
        ):
            page.goto(base + path)
            b = page.locator("main p.back a").bounding_box()
            assert b is not None and b["height"] >= 44, (path, b)


def _boxes(page, selector: str) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    return [
        (b["width"], b["height"]) for b in (el.bounding_box() for el in page.locator(selector).all()) if b
    ]


def test_row_checkboxes_and_the_language_picker_are_24_px_targets_at_desktop_width(live_server, browser):  # type: ignore[no-untyped-def]
    """WCAG 2.2 2.5.8 (decision 0052): a pointer at 1280 px, not only a finger on a phone."""
    world = _world()
    base = live_server.url
    with _context(browser, "desktop") as page:
        _sign_in(page, base, "op.a11y")
        page.goto(f"{base}/sekolah/{NPSN}/")
        assert page.locator(f"#r{world['residue'].pk}").count() == 1
        rows = page.locator("input[name=pilih]").count()
        assert rows >= 2
        assert _boxes(page, "input.select-all") == [(24, 24)]
        assert _boxes(page, "input[type=checkbox][name=pilih]") == [(24, 24)] * rows
        picker = _boxes(page, "form.lang button")
        assert len(picker) == 1 and all(w >= 24 and h >= 24 for w, h in picker), picker


# Desktop pages of each role whose small links and boxes decision 0052 measured.
TARGET_PAGES = {
    "op.a11y": [
        "/beranda/",
        f"/sekolah/{NPSN}/",
        f"/sekolah/{NPSN}/?status=RESIDU",
        f"/sekolah/{NPSN}/koreksi/",
        f"/sekolah/{NPSN}/sptjm/",
        "/cek-nomor/",
        "/akun/saya/",
        "/progres/saya/",
        "/bantuan/sekolah/",
    ],
    "dinas.a11y": [
        "/beranda/",
        "/dinas/",
        "/dinas/sptjm/",
        "/progres/tertinggal/",
        "/pendaftaran/",
        "/jejak-audit/",
        "/bantuan/dinas/",
    ],
    "pusdatin.a11y": [
        "/beranda/",
        "/pusdatin/",
        "/pusdatin/impor/riwayat/",
        "/pusdatin/sptjm/",
        "/pusdatin/penyaluran/",
        "/pusdatin/dump/",
        "/pengguna/",
        "/nomor-bersama/",
        "/jejak-audit/",
        "/bantuan/pusdatin/",
    ],
}


def test_desktop_pages_meet_the_target_size_of_wcag_22(live_server, browser):  # type: ignore[no-untyped-def]
    """axe's target-size rule (2.5.8: 24 x 24 px, or 24 px apart) at 1280 px; the walks above run
    WCAG 2.1 only (decision 0052)."""
    _world()
    base = live_server.url
    found = []
    for username, paths in TARGET_PAGES.items():
        with _context(browser, "desktop") as page:
            _sign_in(page, base, username)
            for path in paths:
                response = page.goto(base + path)
                assert response is not None and response.status == 200, path
                page.add_script_tag(path=str(AXE))
                result = page.evaluate(
                    "() => window.axe.run(document, {runOnly: ['target-size'], resultTypes: ['violations']})"
                )
                found += [(username, path, n["target"]) for v in result["violations"] for n in v["nodes"]]
    assert found == []
