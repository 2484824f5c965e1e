"""What a person sees when signing in fails, on the home page, and on a refused or missing page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.helpers import registration_data
from tests.factories import RecipientFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(client, username: str, password: str) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/masuk/", {"username": username, "password": password})
    assert response.status_code == 200  # the form again, with the message
    return response.content.decode()


def test_wrong_password_gets_one_plain_message(client, operator):  # type: ignore[no-untyped-def]
    html = _sign_in(client, "operator", "salah-sekali")
    assert "Nama pengguna atau kata sandi salah. Perhatikan huruf besar dan kecil pada kata sandi." in html
    assert "nama pengguna nama pengguna" not in html.lower()


def test_pending_registration_is_told_to_wait_only_with_the_right_password(client, school):  # type: ignore[no-untyped-def]
    client.post(reverse("accounts:register"), registration_data(school))
    waiting = "Pendaftaran Anda masih menunggu persetujuan Dinas pendidikan."
    assert waiting in _sign_in(client, "budi.op", "Kuota-Belajar-2020")
    assert waiting in _sign_in(client, "BUDI.OP", "Kuota-Belajar-2020")
    wrong = _sign_in(client, "budi.op", "Kuota-Belajar-2021")
    assert waiting not in wrong and "Nama pengguna atau kata sandi salah." in wrong


def test_deactivated_account_is_told_so_only_with_the_right_password(client, school):  # type: ignore[no-untyped-def]
    UserFactory(role="OPERATOR", school=school, username="lama", is_active=False)
    assert "Akun ini dinonaktifkan." in _sign_in(client, "lama", "rahasia-123")
    assert "Akun ini dinonaktifkan." not in _sign_in(client, "lama", "bukan-itu")


def test_home_page_names_statuses_in_the_order_of_the_flow(client, operator, school):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, status="RESIDU", reason="TIDAK_AKTIF")
    RecipientFactory(school=school, status="AKTIF")
    RecipientFactory(school=school, status="BELUM_VERVAL")
    client.force_login(operator)
    html = client.get("/beranda/").content.decode()
    labels = [html.index(f">{label}</span>") for label in ("Belum diverifikasi", "Aktif", "Residu")]
    assert labels == sorted(labels)
    assert ">RESIDU<" not in html and ">AKTIF<" not in html
    assert '<a href="/akun/password_change/">Ganti kata sandi</a>' in html


def test_pusdatin_home_says_national_in_english_too(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    assert "· Nasional</p>" in client.get("/beranda/").content.decode()
    assert "· National</p>" in client.get("/beranda/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_page_of_another_school_is_refused_with_a_page_in_indonesian(client, operator):  # type: ignore[no-untyped-def]
    other = SchoolFactory(npsn="20199999", region_id="020601", regency_id="020600")
    client.force_login(operator)
    response = client.get(f"/sekolah/{other.npsn}/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Tidak boleh diakses</h1>" in html and 'href="/beranda/"' in html
    assert other.name not in html


def test_missing_page_says_so_in_indonesian_with_a_way_back(client):  # type: ignore[no-untyped-def]
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Halaman tidak ditemukan</h1>" in html and 'href="/"' in html


def test_link_to_a_job_that_does_not_exist_says_it_may_be_missing_without_telling_whether_it_exists(
    client, pusdatin
):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    response = client.get("/pekerjaan/0b8f6d8e-3c1a-4f57-9c55-000000000000/")
    assert response.status_code == 403
    assert (
        "Jika Anda membuka tautan ke data tertentu (batch, pekerjaan, SPTJM), mungkin juga data itu tidak ada: "
        "periksa tautannya." in response.content.decode()
    )
