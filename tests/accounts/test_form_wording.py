"""Wording of the registration and password-reset forms (phone review 2026-11, items 11 and 18)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.accounts.helpers import registration_data
from verval.accounts.models import OperatorRegistration

pytestmark = pytest.mark.django_db

AGAIN = "pilih berkas SK lagi"


def test_registration_with_a_seven_digit_npsn_says_an_npsn_has_eight_digits(client, school):  # type: ignore[no-untyped-def]
    response = client.post(reverse("accounts:register"), registration_data(school, npsn="2015560"))
    assert response.status_code == 200
    assert response.context["form"].errors["npsn"] == ["NPSN terdiri dari 8 angka."]
    assert "paling sedikit" not in response.content.decode()
    assert OperatorRegistration.objects.count() == 0


def test_registration_returned_with_an_error_asks_to_choose_the_sk_file_again(client, school):  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("accounts:register"), registration_data(school, password2="lain-sekali-2020")
    )
    html = response.content.decode()
    assert response.context["form"].errors.keys() == {"password2"}
    assert html.count(AGAIN) == 1
    # right after the file input
    assert html.index('name="letter"') < html.index(AGAIN) < html.index("Kirim pendaftaran")


def test_empty_registration_form_does_not_ask_to_choose_the_file_again(client):  # type: ignore[no-untyped-def]
    assert AGAIN not in client.get(reverse("accounts:register")).content.decode()


def test_password_reset_labels_the_field_surel_like_every_other_form(client):  # type: ignore[no-untyped-def]
    html = client.get(reverse("password_reset")).content.decode()
    assert '<label for="id_email">Surel (e-mail):</label>' in html
    assert ">Email:<" not in html
