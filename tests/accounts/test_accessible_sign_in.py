"""A refused sign-in names its error in both fields' description (decision 0050)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_refused_sign_in_marks_both_fields_invalid_and_describes_them_with_the_error(client, operator):  # type: ignore[no-untyped-def]
    html = client.post("/masuk/", {"username": "operator", "password": "salah-sekali"}).content.decode()
    assert '<p class="error" role="alert" id="login-error">' in html
    assert html.count('aria-invalid="true" aria-describedby="login-error"') == 2


def test_sign_in_page_before_any_attempt_marks_no_field_invalid(client):  # type: ignore[no-untyped-def]
    html = client.get("/masuk/").content.decode()
    assert "aria-invalid" not in html
    assert 'id="login-error"' not in html


def test_skip_link_target_can_take_the_keyboard_focus(client):  # type: ignore[no-untyped-def]
    html = client.get("/masuk/").content.decode()
    assert '<a class="skip" href="#main">Langsung ke isi</a>' in html
    assert '<main id="main" tabindex="-1">' in html


def test_sign_in_with_empty_fields_says_so_under_each_field_and_names_it(client):  # type: ignore[no-untyped-def]
    html = client.post("/masuk/", {"username": "", "password": ""}).content.decode()
    assert '<p class="error" role="alert" id="id_username_error">Bidang ini tidak boleh kosong.</p>' in html
    assert '<p class="error" role="alert" id="id_password_error">Bidang ini tidak boleh kosong.</p>' in html
    assert 'aria-invalid="true" aria-describedby="id_username_error"' in html
    assert 'aria-invalid="true" aria-describedby="id_password_error"' in html
    assert 'id="login-error"' not in html
