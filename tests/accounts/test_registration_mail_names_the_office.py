"""The e-mail to an applicant names the office that decides its registration, as the page after
registering does (decisions 0109, 0113): "Dinas Pendidikan setempat" sent an SMA's operator to the
kabupaten's office."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import registration_data
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sma(school):  # type: ignore[no-untyped-def]
    return SchoolFactory(name="SMA Negeri 1 Contoh", bentuk="SMA")  # same kabupaten as `school` (an SD)


def _register(django_capture_on_commit_callbacks, school, username: str) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails are sent on commit
        Client().post(
            reverse("accounts:register"),
            registration_data(school, username=f"calon.{username}", email=f"{username}@x.test"),
        )


def _applicant_mail(address: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message.body


def test_the_applicants_mail_names_the_kabupaten_for_an_sd_and_the_province_for_an_sma(
    school, sma, dinas_kab, dinas_prov, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    _register(django_capture_on_commit_callbacks, school, "sd")
    _register(django_capture_on_commit_callbacks, sma, "sma")

    assert _applicant_mail("sd@x.test") == (
        f"Pendaftaran Anda sebagai operator sekolah NPSN {school.npsn} sudah kami terima dan menunggu "
        "persetujuan Dinas Pendidikan Kab. Bogor. Anda akan menerima surel setelah diputuskan."
    )
    assert "persetujuan Dinas Pendidikan Prov. Jawa Barat. " in _applicant_mail("sma@x.test")


def test_the_applicants_mail_names_the_province_when_the_kabupaten_has_no_dinas_account(
    school, dinas_prov, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    _register(django_capture_on_commit_callbacks, school, "sd")

    assert "persetujuan Dinas Pendidikan Prov. Jawa Barat. " in _applicant_mail("sd@x.test")
    assert "setempat" not in _applicant_mail("sd@x.test")
