"""An htmx request on a slow or dropping link (decision 0069): offline, a server error, a request
that never answers, an expired session. The user sees next to the control what happened, keeps
what was typed, and the control works again."""

from __future__ import annotations

import pytest

from tests.browser.test_flows import sign_in
from tests.factories import RecipientFactory, SchoolFactory, UserFactory, correction_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFLINE = (
    "Koneksi terputus sebelum server menjawab. Periksa sinyal, lalu coba lagi; isian Anda masih di sini."
)
TIMEOUT = (
    "Server belum menjawab setelah lama menunggu, jadi permintaan ini dihentikan. "
    "Periksa sinyal, lalu coba lagi; isian Anda masih di sini."
)
SERVER = (
    "Terjadi kesalahan di server. Coba lagi sebentar lagi (mengirim ulang tidak menyimpan dua kali); "
    "bila tetap gagal, hubungi Dinas."
)
UNAVAILABLE = (
    "Server sedang sibuk atau tidak dapat dihubungi. Tunggu sebentar, lalu coba lagi "
    "(mengirim ulang tidak menyimpan dua kali)."
)
SESSION = "Sesi Anda sudah berakhir, jadi isian tadi belum terkirim. Masuk lagi, lalu kirim ulang. Masuk"


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    p = ctx.new_page()
    p.set_default_timeout(15000)
    yield p
    ctx.close()


def _operator_with_a_wrong_number(npsn: str, username: str, name: str):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn=npsn, name=f"SD Negeri {name}")
    UserFactory(role="OPERATOR", school=school, username=username)
    r = RecipientFactory(
        school=school,
        name=name,
        phone_raw="0812-1",
        phone_e164="",
        status="FORMAT_SALAH",
        reason="TERLALU_PENDEK",
    )
    return school, r


def _open_editor(page, base: str, school, r, typed: str):  # type: ignore[no-untyped-def]
    page.goto(f"{base}/sekolah/{school.npsn}/")
    page.locator(f"#r{r.pk}").get_by_role("link", name="Ubah").click()
    field = page.get_by_label(f"Nomor ponsel {r.name}")
    field.fill(typed)
    # The check of the typed number has answered: nothing of htmx is on its way any more.
    page.locator(f"#v{r.pk}", has_text="Telkomsel").wait_for()
    return field


def _saves_of(r) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from verval.core.models import AuditEvent
    from verval.registry.models import NumberHistory

    return (
        NumberHistory.objects.filter(recipient=r, action="change_number").count(),
        AuditEvent.objects.filter(action="change_number", object_id=str(r.pk)).count(),
    )


def test_an_inline_save_offline_keeps_the_number_says_so_and_saves_once_back_online(live_server, page):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    school, r = _operator_with_a_wrong_number("20169001", "op.sinyal", "Ayu Sinyal")
    sign_in(page, base, "op.sinyal")
    field = _open_editor(page, base, school, r, "0813 2741 8856")

    page.context.set_offline(True)
    page.get_by_role("button", name="Simpan").click()
    message = page.locator(f"#r{r.pk} form .net-error")
    expect(message).to_have_text(OFFLINE)
    assert message.get_attribute("role") == "alert"
    expect(field).to_have_value("0813 2741 8856")
    button = page.get_by_role("button", name="Simpan")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    expect(page.locator(f"#r{r.pk} form")).not_to_have_attribute("aria-busy", "true")
    assert _saves_of(r) == (0, 0)

    page.context.set_offline(False)
    button.click()
    page.locator(f"#r{r.pk}", has_text="Tersimpan").wait_for()
    assert page.locator(".net-error").count() == 0
    r.refresh_from_db()
    assert r.phone_e164 == "+6281327418856"
    assert r.version == 2
    assert _saves_of(r) == (1, 1)


@pytest.mark.parametrize(("status", "said"), [(500, SERVER), (503, UNAVAILABLE)])
def test_a_failed_filter_says_so_in_the_filter_keeps_the_choice_and_clears_on_success(
    live_server, page, status, said
):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    school = SchoolFactory(npsn=f"20169{status}", name="SD Negeri Saring")
    UserFactory(role="OPERATOR", school=school, username=f"op.saring{status}")
    RecipientFactory(school=school, name="Rina Aktif", status="AKTIF")
    RecipientFactory(school=school, name="Rudi Residu", status="RESIDU", reason="TIDAK_TERDAFTAR")
    sign_in(page, base, f"op.saring{status}")
    page.goto(f"{base}/sekolah/{school.npsn}/")
    list_url = f"{base}/sekolah/{school.npsn}/"

    def fail_posts(route):  # type: ignore[no-untyped-def]
        if route.request.method == "POST":
            route.fulfill(status=status, body="<h1>Server Error</h1>", content_type="text/html")
        else:
            route.continue_()

    page.route(list_url, fail_posts)
    page.locator("select[name=status]").select_option("RESIDU")
    message = page.locator("#filter .net-error")
    expect(message).to_have_text(said)
    assert page.locator("select[name=status]").input_value() == "RESIDU"
    assert page.locator("#results").get_by_text("Rina Aktif").count() == 1  # the list as it was
    assert page.locator("#results h1").count() == 0  # nothing of the error page swapped in
    expect(page.locator("#filter")).not_to_have_attribute("aria-busy", "true")

    page.unroute(list_url)
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator("#results").get_by_text("Rina Aktif")).to_have_count(0)
    expect(page.locator("#results").get_by_text("Rudi Residu")).to_have_count(1)
    expect(message).to_have_count(0)


def test_a_save_that_gets_no_answer_ends_at_the_timeout_and_a_second_click_meanwhile_is_not_sent(
    live_server, page
):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    school, r = _operator_with_a_wrong_number("20169003", "op.lambat", "Bayu Lambat")
    sign_in(page, base, "op.lambat")
    field = _open_editor(page, base, school, r, "0813 2741 8857")
    # 30 s in production (base.html); a second here, so that the test does not wait half a minute.
    page.evaluate("document.body.dataset.requestTimeout = '1000'")
    held = []
    edit_url = f"{base}/sekolah/{school.npsn}/penerima/{r.pk}/ubah/"
    page.route(edit_url, lambda route: held.append(route))  # never answered

    button = page.get_by_role("button", name="Simpan")
    button.click()
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(page.locator(f"#r{r.pk} form")).to_have_attribute("aria-busy", "true")
    button.click(force=True)  # the impatient second tap
    expect(page.locator(f"#r{r.pk} form .net-error")).to_have_text(TIMEOUT)
    assert len(held) == 1
    expect(field).to_have_value("0813 2741 8857")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    assert _saves_of(r) == (0, 0)

    page.unroute(edit_url)
    button.click()
    page.locator(f"#r{r.pk}", has_text="Tersimpan").wait_for()
    r.refresh_from_db()
    assert r.phone_e164 == "+6281327418857"
    assert _saves_of(r) == (1, 1)


def test_an_expired_session_on_an_inline_save_says_so_with_a_sign_in_link_and_swaps_nothing_in(
    live_server, page
):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    school, r = _operator_with_a_wrong_number("20169004", "op.sesi2", "Citra Sesi")
    sign_in(page, base, "op.sesi2")
    page.goto(f"{base}/sekolah/{school.npsn}/?status=FORMAT_SALAH")
    page.locator(f"#r{r.pk}").get_by_role("link", name="Ubah").click()
    field = page.get_by_label("Nomor ponsel Citra Sesi")
    field.fill("0813 2741 8858")
    page.locator(f"#v{r.pk}", has_text="Telkomsel").wait_for()
    # The session ends (8 h); the CSRF cookie lives a year and stays.
    page.context.clear_cookies(name="sessionid")

    page.get_by_role("button", name="Simpan").click()
    message = page.locator(f"#r{r.pk} form .net-error")
    expect(message).to_have_text(SESSION)
    link = message.get_by_role("link", name="Masuk")
    assert link.get_attribute("href") == f"/masuk/?next=%2Fsekolah%2F{school.npsn}%2F%3Fstatus%3DFORMAT_SALAH"
    assert page.url == f"{base}/sekolah/{school.npsn}/?status=FORMAT_SALAH"
    assert page.locator("#id_username").count() == 0  # no sign-in form inside the table
    expect(field).to_have_value("0813 2741 8858")
    assert _saves_of(r) == (0, 0)

    link.click()
    page.locator("#id_username").fill("op.sesi2")
    page.locator("#id_password").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/sekolah/{school.npsn}/?status=FORMAT_SALAH")


def test_the_job_page_says_its_progress_stopped_coming_while_offline_and_clears_when_back(live_server, page):  # type: ignore[no-untyped-def]
    from django.utils import timezone
    from playwright.sync_api import expect

    from verval.core.models import Job

    base = live_server.url
    school = SchoolFactory(npsn="20169005", name="SD Negeri Pantau")
    operator = UserFactory(role="OPERATOR", school=school, username="op.pantau")
    job = correction_job(operator, school)
    # Being applied, its worker's heartbeat fresh: the page asks for progress every 2 s (a job
    # waiting in the queue is asked every 5 s, decision 0080).
    Job.objects.filter(pk=job.pk).update(
        params={"applied": True},
        queued_at=job.created_at,
        state=Job.State.RUNNING,
        lease_owner="w:1:a",
        heartbeat_at=timezone.now(),
    )
    sign_in(page, base, "op.pantau")
    page.goto(f"{base}/pekerjaan/{job.pk}/")

    page.context.set_offline(True)
    # Beside the progress, not inside what each poll replaces.
    message = page.locator("#job-progress + .net-error")
    expect(message).to_have_text(OFFLINE)
    page.context.set_offline(False)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED, progress_done=3, progress_total=3, counts={"rows": 3, "changed": 3}
    )
    page.locator("#job-progress .label.s-SUCCEEDED", has_text="Selesai").wait_for()
    expect(page.locator(".net-error")).to_have_count(0)


TWO_FACTOR = (
    "Akun ini harus melewati verifikasi dua langkah dulu, jadi isian tadi belum terkirim. "
    "Lakukan verifikasi, lalu kirim ulang. Verifikasi dua langkah"
)


def test_a_session_gated_by_two_factor_keeps_the_page_and_links_to_verify_and_back(live_server, page):  # type: ignore[no-untyped-def]
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from verval.core import jobs

    base = live_server.url
    staff = UserFactory(role="PUSDATIN", username="pusdatin.gerbang")
    job = jobs.create_job(actor=staff, kind="validate")
    sign_in(page, base, "pusdatin.gerbang")
    page.goto(f"{base}/pekerjaan/{job.pk}/")
    # A device confirmed in another browser: this session must pass two-factor from now on.
    TOTPDevice.objects.create(user=staff, name="hp", confirmed=True)

    message = page.locator("#job-progress + .net-error")
    expect(message).to_have_text(TWO_FACTOR)
    link = message.get_by_role("link", name="Verifikasi dua langkah")
    assert link.get_attribute("href") == f"{reverse('accounts:otp_verify')}?next=%2Fpekerjaan%2F{job.pk}%2F"
    assert page.url == f"{base}/pekerjaan/{job.pk}/"  # the page stays: no HX-Redirect
    expect(page.locator("#job-progress")).to_have_count(1)

    link.click()
    page.wait_for_url(f"{base}{reverse('accounts:otp_verify')}?next=%2Fpekerjaan%2F{job.pk}%2F")


def test_cek_nomor_offline_or_on_a_server_error_keeps_the_pasted_list_says_so_and_checks_once_back(
    live_server, page
):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    school = SchoolFactory(npsn="20169006", name="SD Negeri Periksa")
    UserFactory(role="OPERATOR", school=school, username="op.periksa")
    sign_in(page, base, "op.periksa")
    page.goto(f"{base}/cek-nomor/")
    pasted = "0813 2741 8856\n0812-1"
    field = page.get_by_label("Nomor ponsel")
    field.fill(pasted)
    button = page.get_by_role("button", name="Periksa")
    form = page.locator("form[hx-post]")
    message = form.locator(".net-error")

    page.context.set_offline(True)
    button.click()
    expect(message).to_have_text(OFFLINE)
    assert message.get_attribute("role") == "alert"
    expect(field).to_have_value(pasted)
    expect(page.locator("#results table")).to_have_count(0)
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    page.context.set_offline(False)

    check_url = f"{base}/cek-nomor/"

    def fail_posts(route):  # type: ignore[no-untyped-def]
        if route.request.method == "POST":
            route.fulfill(status=502, body="<h1>Bad Gateway</h1>", content_type="text/html")
        else:
            route.continue_()

    page.route(check_url, fail_posts)
    button.click()
    expect(message).to_have_text(UNAVAILABLE)
    expect(field).to_have_value(pasted)
    assert page.locator("#results h1").count() == 0  # nothing of the proxy's page swapped in

    page.unroute(check_url)
    button.click()
    expect(page.locator("#results")).to_contain_text("2 nomor diperiksa")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    expect(message).to_have_count(0)
    expect(field).to_have_value(pasted)
