"""A form sent after its session ended, or from a page opened before signing in again, is not
saved: the user is told so and led back to the form's page, never to a dead end (decision 0054)."""

from __future__ import annotations

from django.test import Client

from tests.factories import RecipientFactory


def _confirm_url(school) -> str:  # type: ignore[no-untyped-def]
    return f"/sekolah/{school.npsn}/verifikasi/"


def test_form_posted_after_the_session_expired_signs_in_back_to_the_page_it_was_on(client, operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(school=school)
    page = f"http://testserver/sekolah/{school.npsn}/?status=RESIDU"
    response = client.post(_confirm_url(school), {"pilih": f"{r.pk}.{r.version}"}, HTTP_REFERER=page)
    assert response.status_code == 302
    assert response["Location"] == f"/masuk/?next=%2Fsekolah%2F{school.npsn}%2F%3Fstatus%3DRESIDU"
    sign_in_page = client.get(response["Location"]).content.decode()
    assert (
        "Sesi Anda sudah berakhir, jadi isian tadi belum terkirim. Masuk lagi, lalu kirim ulang."
        in sign_in_page
    )
    signed_in = client.post(
        response["Location"], {"username": operator.username, "password": "rahasia-123"}, follow=True
    )
    # The POST-only address it used to return to answered GET with 405.
    assert signed_in.redirect_chain[-1] == (f"/sekolah/{school.npsn}/?status=RESIDU", 302)
    assert signed_in.status_code == 200
    r.refresh_from_db()
    assert r.confirmed_at is None


def test_form_posted_after_the_session_expired_without_a_page_of_this_site_signs_in_to_home(client, school):  # type: ignore[no-untyped-def]
    elsewhere = client.post(_confirm_url(school), HTTP_REFERER="https://evil.example/sekolah/1/")
    assert elsewhere["Location"] == "/masuk/?next=%2Fberanda%2F"
    none = client.post(_confirm_url(school))
    assert none["Location"] == "/masuk/?next=%2Fberanda%2F"


def test_the_language_switch_of_the_sign_in_page_stays_on_it(client):  # type: ignore[no-untyped-def]
    # A POST answered with the sign-in page on purpose, not by login_required: left alone.
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/masuk/"}, HTTP_REFERER="http://testserver/masuk/"
    )
    assert response["Location"] == "/masuk/"


def test_a_get_of_a_signed_out_page_still_returns_to_that_page(client, school):  # type: ignore[no-untyped-def]
    response = client.get(f"/sekolah/{school.npsn}/?status=AKTIF", HTTP_REFERER="http://testserver/beranda/")
    assert response["Location"] == f"/masuk/?next=/sekolah/{school.npsn}/%3Fstatus%3DAKTIF"


def test_form_of_a_page_opened_before_signing_in_again_says_nothing_was_saved(operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(school=school)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.get(f"/sekolah/{school.npsn}/")  # sets the CSRF cookie
    page = f"http://testserver/sekolah/{school.npsn}/?jenis=PD"
    response = browser.post(
        _confirm_url(school),
        {"pilih": f"{r.pk}.{r.version}", "csrfmiddlewaretoken": "x" * 64},
        HTTP_REFERER=page,
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Formulir sudah kedaluwarsa</h1>" in html
    assert "Isian Anda belum terkirim dan tidak ada yang berubah." in html
    assert f'<a class="button" href="/sekolah/{school.npsn}/?jenis=PD">Buka lagi halamannya</a>' in html
    r.refresh_from_db()
    assert r.confirmed_at is None


def test_form_sent_without_the_sites_cookie_asks_to_allow_cookies(operator, school):  # type: ignore[no-untyped-def]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.cookies.pop("csrftoken", None)
    response = browser.post(_confirm_url(school), {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Izinkan kuki untuk situs ini, lalu coba lagi." in html
    assert '<a class="button" href="/beranda/">Buka lagi halamannya</a>' in html
