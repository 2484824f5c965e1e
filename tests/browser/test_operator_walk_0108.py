"""The school operator's walk of decision 0108 on a 360 px phone: the refused rows of a correction
file show the value typed on the screen, a flash message passes axe, and the row editor says at
once that a number typed is already a sibling's. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.browser.test_accessibility import run_axe
from tests.browser.test_flows import shot, sign_in
from tests.browser.test_mobile_layout import WIDTH, box, inside_viewport
from tests.factories import RecipientFactory, SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser):  # type: ignore[no-untyped-def]
    # bypass_csp: axe is added as a script tag, which the site's CSP would refuse.
    ctx = browser.new_context(
        viewport={"width": WIDTH, "height": 640},
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        bypass_csp=True,
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda d: d.accept())
    return ctx, page


def _serious(page) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]


def test_refused_rows_of_a_correction_file_show_the_value_typed_on_a_phone_screen(live_server, browser):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn="20158801", name="SD Negeri Jalan Kaki")
    operator = UserFactory(role="OPERATOR", school=school, username="op.walk")
    rows = RecipientFactory.create_batch(30, school=school, status="AKTIF")
    client = Client()
    client.force_login(operator)
    wb = load_workbook(io.BytesIO(client.get(f"/sekolah/{school.npsn}/unduh.xlsx").content))
    ws = wb["Data"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("nomor_koreksi") + 1).value = "021-5551234"
    out = io.BytesIO()
    wb.save(out)
    upload = client.post(
        f"/sekolah/{school.npsn}/koreksi/", {"berkas": SimpleUploadedFile("koreksi.xlsx", out.getvalue())}
    )
    assert upload.status_code == 302 and len(rows) == 30
    ctx, page = _phone(browser)
    try:
        sign_in(page, live_server.url, "op.walk")
        page.goto(live_server.url + upload["Location"])
        value = page.locator("table.refused-rows td[data-label='Nilai']", has_text="021-5551234")
        shot(page, "operator-walk-refused-rows")
        assert inside_viewport(box(value))
        assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH
        assert _serious(page) == []
    finally:
        ctx.close()


def test_a_flash_message_and_the_live_sibling_hint_pass_axe_on_a_phone(live_server, browser):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn="20158802", name="SD Negeri Saudara")
    UserFactory(role="OPERATOR", school=school, username="op.kakak")
    RecipientFactory(school=school, name="Kakak", phone_raw="085239110495", phone_e164="+6285239110495")
    RecipientFactory(
        school=school, name="Adik", phone_raw="", phone_e164="", status="FORMAT_SALAH", reason="KOSONG"
    )
    ctx, page = _phone(browser)
    try:
        sign_in(page, live_server.url, "op.kakak")
        page.goto(f"{live_server.url}/sekolah/{school.npsn}/")
        row = page.locator("tr", has_text="Adik")
        row.get_by_role("link", name="Ubah").click()
        field = page.get_by_label("Nomor ponsel Adik")
        field.fill("0852-3911-0495")
        hint = page.locator(".shared-hint")
        hint.wait_for()
        assert hint.inner_text() == (
            "Nomor ini juga dipakai 1 penerima lain di sekolah ini (misalnya saudara kandung). "
            "Satu nomor boleh dipakai paling banyak 3 penerima."
        )
        shot(page, "operator-walk-sibling-hint")
        # A flash message after a save without htmx: the standalone editor of the row.
        page.goto(f"{live_server.url}/sekolah/{school.npsn}/")
        page.locator("summary", has_text="Saring dan cari").click()
        page.locator("input[name=q]").fill("tidak ada orangnya")
        page.get_by_role("button", name="Tampilkan").click()
        page.get_by_text("Tidak ada penerima yang cocok dengan saringan atau pencarian ini.").wait_for()
        assert _serious(page) == []
        page.get_by_role("link", name="Tampilkan semua penerima").click()
        page.wait_for_load_state()
        row = page.locator("tr", has_text="Adik")
        row.get_by_role("link", name="Ubah").click()
        page.get_by_label("Nomor ponsel Adik").fill("0852-3911-0495")
        page.locator("tr.editing").get_by_role("button", name="Simpan").click()
        page.locator("#row-status", has_text="Tersimpan").wait_for(state="attached")
        page.goto(f"{live_server.url}/sekolah/{school.npsn}/penerima/{row_id(school)}/ubah/")
        page.get_by_label("Nomor ponsel Adik").fill("0857-2231-4409")
        page.get_by_role("button", name="Simpan").click()
        page.locator(".messages [role=status]").wait_for()
        shot(page, "operator-walk-flash-message")
        assert _serious(page) == []
    finally:
        ctx.close()


def row_id(school) -> str:  # type: ignore[no-untyped-def]
    from verval.registry.models import Recipient

    return str(Recipient.objects.get(school=school, name="Adik").pk)
