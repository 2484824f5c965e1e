"""/daftar/ is throttled per client address (submissions an hour) and per school and per e-mail
address (registrations a day), so nobody floods a Dinas's queue or makes us mail any address."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.helpers import registration_data
from verval.accounts.models import OperatorRegistration

pytestmark = pytest.mark.django_db

TOO_MANY_FROM_ADDRESS = "Terlalu banyak pendaftaran dari jaringan Anda dalam satu jam terakhir."
TOO_MANY_FOR_SCHOOL = "Sekolah ini sudah menerima terlalu banyak pendaftaran dalam 24 jam terakhir."
TOO_MANY_FOR_EMAIL = "Surel ini sudah dipakai untuk terlalu banyak pendaftaran dalam 24 jam terakhir."


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    def set_limits(address: int = 0, school: int = 0, email: int = 0) -> None:
        settings.VERVAL = {
            **settings.VERVAL,
            "REGISTRATION_PER_ADDRESS_PER_HOUR": address,
            "REGISTRATION_PER_SCHOOL_PER_DAY": school,
            "REGISTRATION_PER_EMAIL_PER_DAY": email,
        }

    return set_limits


def _register(client, school, n: int, address: str = "127.0.0.1", **overrides):  # type: ignore[no-untyped-def]
    data = registration_data(school, username=f"calon{n}", email=f"calon{n}@example.test")
    data.update(overrides)
    return client.post(reverse("accounts:register"), data, REMOTE_ADDR=address)


def test_submissions_from_one_address_past_the_hourly_limit_are_refused(client, school, limits):  # type: ignore[no-untyped-def]
    limits(address=3)
    for n in range(3):
        assert _register(client, school, n).status_code == 200
    response = _register(client, school, 3)
    assert response.status_code == 429
    html = response.content.decode()
    assert TOO_MANY_FROM_ADDRESS in html
    assert 'value="calon3"' in html  # what was typed comes back
    assert OperatorRegistration.objects.count() == 3
    # Another address is not concerned.
    assert _register(client, school, 4, address="198.51.100.7").status_code == 200
    assert OperatorRegistration.objects.count() == 4


def test_submissions_with_mistakes_count_toward_the_address_limit(client, school, limits):  # type: ignore[no-untyped-def]
    # Each answer says whether a user name is taken: the limit bounds that probing too.
    limits(address=2)
    for n in range(2):
        _register(client, school, n, npsn="00000000")
    assert _register(client, school, 2).status_code == 429
    assert OperatorRegistration.objects.count() == 0


def test_registrations_for_one_school_past_the_daily_limit_are_refused(client, school, limits):  # type: ignore[no-untyped-def]
    limits(school=2)
    for n in range(2):
        assert _register(client, school, n, address=f"198.51.100.{n}").status_code == 200
    mail.outbox.clear()
    response = _register(client, school, 2, address="198.51.100.99")
    assert response.status_code == 429
    assert TOO_MANY_FOR_SCHOOL in response.content.decode()
    assert OperatorRegistration.objects.count() == 2
    assert mail.outbox == []


def test_registrations_with_one_email_past_the_daily_limit_are_refused(client, school, limits):  # type: ignore[no-untyped-def]
    from tests.factories import SchoolFactory

    limits(email=2)
    schools = [school, SchoolFactory(), SchoolFactory()]
    for n in range(2):
        response = _register(client, schools[n], n, address=f"198.51.100.{n}", email="Sama@Example.test")
        assert response.status_code == 200
    response = _register(client, schools[2], 2, address="198.51.100.99", email="sama@example.test")
    assert response.status_code == 429
    assert TOO_MANY_FOR_EMAIL in response.content.decode()
    assert OperatorRegistration.objects.count() == 2


def test_a_refused_registration_stores_no_letter(client, school, limits, settings):  # type: ignore[no-untyped-def]
    limits(school=1)
    _register(client, school, 0)
    stored = sorted((settings.DATA_DIR / "registrations").iterdir())
    assert len(stored) == 1
    _register(client, school, 1, address="198.51.100.99")
    assert sorted((settings.DATA_DIR / "registrations").iterdir()) == stored


def test_default_limits_let_a_school_register_again_after_a_mistake(client, school):  # type: ignore[no-untyped-def]
    for n in range(3):
        assert _register(client, school, n).status_code == 200
    assert OperatorRegistration.objects.count() == 3
