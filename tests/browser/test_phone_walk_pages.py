"""The pages of this session's zone chooser, file store panel, 410 page, correction cancel and
"Akun saya", walked at 360 px in Indonesian and English by each role they concern (decision 0044):
none is wider than the screen, their controls are on it and big enough to tap, and the zone
chooser changes the times shown. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.browser.test_flows import shot, sign_in
from tests.browser.test_mobile_layout import TAP, WIDTH, box, inside_viewport, phone
from tests.factories import RecipientFactory, SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCROLL_WIDTH = "document.scrollingElement.scrollWidth"
# 30 Nov 2026 03:15 UTC: 10.15 WIB, 12.15 WIT.
CREATED = datetime(2026, 11, 30, 3, 15, tzinfo=UTC)
BY_OPERATOR = (
    "Penerapan berkas koreksi ini dibatalkan oleh operator sekolah; tidak ada koreksi dari berkas ini "
    "yang diterapkan dan data tidak diubah. Unggah berkasnya lagi bila koreksinya masih diperlukan."
)


def _fits(page, name: str) -> None:  # type: ignore[no-untyped-def]
    shot(page, "phone-walk-" + name)
    assert page.evaluate(SCROLL_WIDTH) <= WIDTH, name


def _english(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="EN English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def _tappable(locator) -> None:  # type: ignore[no-untyped-def]
    b = box(locator)
    assert inside_viewport(b) and b["height"] >= TAP, b


def _queued_correction(operator, school):  # type: ignore[no-untyped-def]
    """A correction file applied and handed to the worker, which has not taken it yet."""
    from verval.core import files, jobs
    from verval.core.models import Job

    relative, sha, _size = files.save_stream("bulk_correction", ".xlsx", [b"PK\x03\x04"])
    job = jobs.create_job(
        actor=operator,
        kind="bulk_correction",
        school_id=school.npsn,
        input_name="koreksi-kelas-6.xlsx",
        input_path=relative,
        input_sha256=sha,
    )
    Job.objects.filter(pk=job.pk).update(
        params={"applied": True}, queued_at=job.created_at, created_at=CREATED
    )
    return job


def test_operator_pages_fit_a_phone_in_both_languages_and_the_correction_can_be_cancelled(
    live_server, browser
):  # type: ignore[no-untyped-def]
    from verval.core.models import Job

    school = SchoolFactory(npsn="20155801", name="SD Negeri Jalan Kaki Dengan Nama Sekolah Yang Panjang")
    operator = UserFactory(role="OPERATOR", school=school, username="op.jalan", email="op@sekolah.example")
    RecipientFactory.create_batch(3, school=school, status="AKTIF")
    job = _queued_correction(operator, school)
    base = live_server.url
    with phone(browser) as page:
        sign_in(page, base, "op.jalan")
        _tappable(page.locator("#zone-select"))
        _tappable(page.locator(".zone-form button"))
        assert page.locator(".zone-form label").inner_text() == "Zona waktu"
        _fits(page, "operator-home")

        page.goto(f"{base}/akun/saya/")
        _tappable(page.locator("label[for=id_digest_enabled]"))
        page.locator("label[for=id_digest_enabled]").click()  # the label toggles the box
        assert page.locator("#id_digest_enabled").is_checked() is False
        _fits(page, "operator-account")

        page.goto(f"{base}/pekerjaan/{job.pk}/")
        cancel = page.get_by_role("button", name="Batalkan pekerjaan")
        _tappable(cancel)
        cancel.click()  # the confirm dialog is accepted by phone()
        page.locator("#job-progress .label.s-DIBATALKAN", has_text="Dibatalkan").wait_for()
        assert page.locator("#job-progress .job-stopped").inner_text() == BY_OPERATOR
        assert page.locator("#job-progress progress").count() == 0
        assert page.get_by_text("DIBATALKAN", exact=True).count() == 0
        _fits(page, "operator-job-cancelled")

        _english(page)
        assert page.locator("#job-progress .label.s-DIBATALKAN").count() == 1
        _fits(page, "operator-job-cancelled-en")
        page.goto(f"{base}/beranda/")
        assert page.locator(".zone-form label").inner_text() == "Time zone"
        assert page.locator("#zone-now").inner_text() == "Times are shown in WIB."
        _fits(page, "operator-home-en")
        page.goto(f"{base}/akun/saya/")
        assert page.locator("h1").inner_text() == "My account"
        _fits(page, "operator-account-en")
    assert Job.objects.get(pk=job.pk).error_code == "DIBATALKAN"


def test_operator_applies_a_correction_file_on_a_phone_and_reads_the_new_numbers(
    live_server, browser, tmp_path
):  # type: ignore[no-untyped-def]
    from verval.core.models import Job

    school = SchoolFactory(npsn="20155802", name="SD Negeri Koreksi Di Ponsel")
    UserFactory(role="OPERATOR", school=school, username="op.koreksi")
    RecipientFactory.create_batch(3, school=school, status="AKTIF")
    base = live_server.url
    with phone(browser) as page:
        sign_in(page, base, "op.koreksi")
        page.goto(f"{base}/sekolah/{school.npsn}/koreksi/")
        with page.expect_download() as download:
            page.get_by_role("link", name="Unduh Excel").click()
        wb = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
        ws = wb["Data"]
        fix = [c.value for c in ws[1]].index("nomor_koreksi") + 1
        for row in range(2, ws.max_row + 1):
            ws.cell(row=row, column=fix).value = f"0813900000{row:02d}"
        upload = tmp_path / "koreksi.xlsx"
        wb.save(upload)
        page.locator("input[type=file]").set_input_files(str(upload))
        page.get_by_role("button", name="Unggah dan lihat pratinjau").click()

        new_number = page.locator("table.changes td[data-label='Nomor baru']").first
        new_number.wait_for()
        assert inside_viewport(box(new_number))  # the column to check, on the screen
        assert new_number.inner_text().startswith("0813-9000-00")
        _fits(page, "operator-preview")
        page.get_by_role("button", name="Terapkan 3 perubahan").click()

        # Tasks run inline in tests: the apply is over when the page shows; its finished state.
        page.locator("#job-progress .label.s-SUCCEEDED", has_text="Selesai").wait_for()
        assert page.get_by_role("button", name="Batalkan pekerjaan").count() == 0
        assert page.locator("#job-progress p").first.inner_text() == "Selesai 3 / 3"
        _fits(page, "operator-job-done")
    job = Job.objects.get(kind="bulk_correction", school_id=school.npsn)
    assert (job.state, job.counts["changed"]) == ("SUCCEEDED", 3)


def test_zone_chooser_changes_the_times_shown(live_server, browser):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn="20155803", name="SD Negeri Zona")
    operator = UserFactory(role="OPERATOR", school=school, username="op.zona")
    job = _queued_correction(operator, school)
    base = live_server.url
    with phone(browser) as page:
        sign_in(page, base, "op.zona")
        page.goto(f"{base}/pekerjaan/{job.pk}/")
        assert page.get_by_text("koreksi-kelas-6.xlsx · 30 Nov 2026 10.15 WIB").is_visible()

        page.goto(f"{base}/beranda/")
        page.locator("#zone-select").select_option("WIT")
        page.locator(".zone-form button").click()
        page.wait_for_url(f"{base}/beranda/")
        assert page.locator("#zone-now").inner_text() == "Waktu ditampilkan dalam WIT."
        assert page.locator("#zone-select").input_value() == "WIT"
        _fits(page, "zone-chosen")

        page.goto(f"{base}/pekerjaan/{job.pk}/")
        assert page.get_by_text("koreksi-kelas-6.xlsx · 30 Nov 2026 12.15 WIT").is_visible()

        _english(page)
        assert page.get_by_text("koreksi-kelas-6.xlsx · 30 Nov 2026 12:15 WIT").is_visible()


def test_dinas_and_pusdatin_pages_fit_a_phone_in_both_languages(live_server, browser, settings):  # type: ignore[no-untyped-def]
    from datetime import date

    from tests.sptjm.conftest import aktif, make_period
    from verval.core import files, retention
    from verval.sptjm import actions

    school = SchoolFactory(npsn="20155804")
    period = make_period("2026-11", starts=date(2026, 11, 1))
    aktif(school, 2)
    doc, _new = actions.print_sptjm(
        actor=UserFactory(role="OPERATOR", school=school), npsn=school.npsn, period_code=period.code
    )
    files.absolute(doc.pdf_path).unlink()  # as if pruned: the page answers 410
    UserFactory(role="DINAS_KAB", region_id=school.regency_id, username="dinas.jalan")
    UserFactory(role="PUSDATIN", username="pusdatin.jalan")
    retention.write_snapshot(retention.usage())
    base = live_server.url
    for username, paths in (
        ("dinas.jalan", ("/beranda/", "/akun/saya/")),
        ("pusdatin.jalan", ("/beranda/", "/akun/saya/", "/pusdatin/")),
    ):
        for lang in ("id", "en"):
            with phone(browser) as page:
                sign_in(page, base, username)
                if lang == "en":
                    _english(page)
                for path in paths:
                    page.goto(base + path)
                    _fits(page, f"{username}-{path.strip('/').replace('/', '-')}-{lang}")
                    if path == "/beranda/":
                        _tappable(page.locator("#zone-select"))
                        _tappable(page.locator(".zone-form button"))
                    if path == "/pusdatin/":
                        # The total's figures keep their labels on the cards.
                        total = page.locator("table.store tbody tr").last
                        assert total.locator("td.num[data-label]").count() == 2
                        assert inside_viewport(box(total))
            if username == "pusdatin.jalan":
                with phone(browser) as page:
                    sign_in(page, base, username)
                    if lang == "en":
                        _english(page)
                    response = page.goto(f"{base}/sptjm/{doc.pk}/dokumen.pdf")
                    assert response is not None and response.status == 410
                    assert page.locator("h1").inner_text() == (
                        "File deleted" if lang == "en" else "Berkas sudah dihapus"
                    )
                    _fits(page, f"file-gone-{lang}")
