"""The pages of the 360 px phone review (2026-11): none is wider than the screen, and what was
pushed off it (the check result, the period buttons, the review queue's actions) is on it.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from tests.browser.test_flows import shot, sign_in
from tests.browser.test_mobile_layout import WIDTH, box, inside_viewport, phone
from tests.factories import SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCROLL_WIDTH = "document.documentElement.scrollWidth"
LONG_PERIOD = "Tahap 2026-12 penyaluran kuota internet gelombang kedua untuk jenjang SD, SMP, SMA dan SMK"
LONG_FILE = "cutoff_" + "x" * 200 + ".csv"


def _fits(page, name: str) -> None:  # type: ignore[no-untyped-def]
    shot(page, "phone-review-" + name)
    assert page.evaluate(SCROLL_WIDTH) <= WIDTH, name


def test_public_progress_pages_fit_a_phone_with_a_long_period_name(live_server, browser):  # type: ignore[no-untyped-def]
    from tests.sptjm.conftest import make_period

    school = SchoolFactory(npsn="20155701")
    UserFactory(role="OPERATOR", school=school, username="op.progres")
    make_period("2026-12", name=LONG_PERIOD, starts=date(2026, 12, 1))
    make_period("2026-11", starts=date(2026, 11, 1), is_open=False)
    with phone(browser) as page:
        for name, path in (
            ("public", "/"),
            ("region", f"/progres/wilayah/{school.province_id}/"),
            ("school", f"/progres/sekolah/{school.npsn}/"),  # signed in: a school's own figures
        ):
            if name == "school":
                sign_in(page, live_server.url, "op.progres")
            page.goto(live_server.url + path)
            assert page.locator("#f-periode option", has_text=LONG_PERIOD).count() == 1
            assert inside_viewport(box(page.locator("#f-periode")))
            _fits(page, name)


def _pusdatin_world():  # type: ignore[no-untyped-def]
    """An open period with an uploaded SPTJM waiting for review, a closed one still holding a
    printed SPTJM, a period never opened, a dump batch and an import job with a long file name."""
    from tests.sptjm.conftest import aktif, make_period
    from verval.core import jobs
    from verval.exchange.models import DumpBatch
    from verval.reference.models import Period
    from verval.sptjm import actions
    from verval.sptjm.models import Sptjm

    pusdatin = UserFactory(role="PUSDATIN", username="pusdatin.sempit")
    old_school = SchoolFactory(
        npsn="20155702", name="SD Negeri Periode Lama Dengan Nama Sekolah Yang Panjang"
    )
    school = SchoolFactory(npsn="20155703", name="SMP Negeri Antrean Pemeriksaan Dengan Nama Yang Panjang")
    old = make_period("2026-10", starts=date(2026, 10, 1))
    aktif(old_school, 2)
    actions.print_sptjm(
        actor=UserFactory(role="OPERATOR", school=old_school), npsn=old_school.npsn, period_code=old.code
    )
    Period.objects.filter(code=old.code).update(is_open=False)
    current = make_period("2026-11", name=LONG_PERIOD, starts=date(2026, 11, 1))
    make_period("2026-12", starts=date(2026, 12, 1), is_open=False)
    aktif(school, 3)
    doc, _new = actions.print_sptjm(
        actor=UserFactory(role="OPERATOR", school=school), npsn=school.npsn, period_code=current.code
    )
    Sptjm.objects.filter(pk=doc.pk).update(status="DIUNGGAH", uploaded_at=timezone.now())
    batch = DumpBatch.objects.create(
        id="DMP-20261130-telkomsel-0001", provider="telkomsel", rows=5, sha256="ab" * 32, size=2048
    )
    job = jobs.create_job(actor=pusdatin, kind="import_dapodik", input_name=LONG_FILE)
    return doc, batch, job


def test_pusdatin_pages_fit_a_phone_and_their_actions_are_on_screen(live_server, browser):  # type: ignore[no-untyped-def]
    doc, batch, job = _pusdatin_world()
    base = live_server.url
    with phone(browser) as page:
        sign_in(page, base, "pusdatin.sempit")

        page.goto(f"{base}/pusdatin/")

        def period_row(code: str):  # type: ignore[no-untyped-def]
            return page.locator("table.periods tbody tr").filter(
                has=page.locator(f"a[href='/pusdatin/periode/{code}/ubah/']")
            )

        # A closed period is only looked at (decision 0078): its link says "Lihat".
        for code, link in (("2026-10", "Lihat"), ("2026-11", "Ubah"), ("2026-12", "Ubah")):
            row = period_row(code)
            for control in (row.get_by_role("link", name=link), row.get_by_role("button")):
                assert inside_viewport(box(control)), code
        assert period_row("2026-12").get_by_text("Belum dibuka").is_visible()
        assert period_row("2026-10").get_by_text("Ditutup").is_visible()
        assert inside_viewport(box(page.locator("table.jobs tbody td", has_text=LONG_FILE)))
        _fits(page, "pusdatin")

        page.goto(f"{base}/pusdatin/sptjm/")
        assert page.title() == "Pemeriksaan SPTJM · Verval Ponsel"
        assert inside_viewport(box(page.get_by_role("link", name=doc.number)))
        assert inside_viewport(box(page.locator("table.stale").get_by_role("button", name="Batalkan")))
        _fits(page, "review-queue")

        page.goto(f"{base}/pusdatin/sptjm/{doc.pk}/")
        assert inside_viewport(box(page.get_by_role("button", name="Setujui")))
        _fits(page, "review")
        # The summaries by operator and by category fit whole, no scrolling inside their box:
        # "SD/SMP/SMA/SMK/SLB/Kesetaraan", one word, pushed the category table's figures out of
        # view (decision 0097).
        for caption in ("cap-operator", "cap-category"):
            wrap = page.locator(f".table-wrap[aria-labelledby={caption}]")
            assert wrap.evaluate("w => w.scrollWidth - w.clientWidth") == 0, caption

        page.goto(f"{base}/pusdatin/dump/{batch.id}/")
        assert inside_viewport(box(page.locator("code", has_text="abab")))
        _fits(page, "dump-batch")

        page.goto(f"{base}/pekerjaan/{job.pk}/")
        _fits(page, "job")

        page.goto(f"{base}/pusdatin/impor/riwayat/")
        _fits(page, "import-jobs")

        page.goto(f"{base}/cek-nomor/")
        page.locator("textarea[name=numbers]").fill("0812-3456-7891\n0812abc34567\n021-5551234\n")
        page.get_by_role("button", name="Periksa").click()
        result = page.locator("#results td[data-label=Hasil]", has_text="huruf atau tanda")
        result.wait_for()
        assert inside_viewport(box(result))
        assert result.locator("code", has_text="KARAKTER_TIDAK_SAH").is_visible()
        _fits(page, "phone-check")


def test_disbursement_and_reconciliation_tables_are_cards_on_a_phone(live_server, browser):  # type: ignore[no-untyped-def]
    """The batch table (eight columns) and the reconciliation (twelve) scrolled inside their box
    at 360 px, 264 and 556 px of them out of view, the reconciliation's verdict last: each row is
    now a card whose cells carry their column's name (decision 0097)."""
    from tests.sptjm.conftest import aktif, approve_all, make_period
    from verval.core import jobs
    from verval.sptjm import actions

    school = SchoolFactory(npsn="20155704", name="SD Negeri Kartu Penyaluran")
    operator = UserFactory(role="OPERATOR", school=school)
    pusdatin = UserFactory(role="PUSDATIN", username="pusdatin.salur")
    period = make_period("2026-11", starts=date(2026, 11, 1))
    aktif(school, 2)
    aktif(school, 1, operator="indosat", phone_raw="081500000001", phone_e164="+6281500000001")
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    base = live_server.url
    with phone(browser) as page:
        sign_in(page, base, "pusdatin.salur")
        for name, path, table, labels in (
            (
                "disbursement",
                f"/pusdatin/penyaluran/?periode={period.code}",
                "table.batches",
                ["Provider", "#", "Jumlah baris", "GB", "Status", "Format nomor", "Dibuat", "SHA-256"],
            ),
            (
                "reconciliation",
                f"/pusdatin/penyaluran/{period.code}/rekonsiliasi/",
                "table.recon",
                ["Provider", "Dikirim", "Berhasil", "Gagal", "Tanpa hasil", "Dikecualikan", "GB berhasil"]
                + ["Rekap: dikirim", "Rekap: berhasil", "Rekap: gagal", "Rekap: GB", "Selisih"],
            ),
        ):
            page.goto(base + path)
            rows = page.locator(f"{table} tbody tr")
            assert rows.count() == 2, name
            assert rows.first.locator("td").evaluate_all("tds => tds.map(t => t.dataset.label)") == labels
            for cell in rows.first.locator("td").all():
                assert inside_viewport(box(cell)), (name, cell.inner_text())
            wrap = page.locator(f".table-wrap:has({table})")
            assert wrap.evaluate("w => w.scrollWidth - w.clientWidth") == 0, name
            _fits(page, name)
