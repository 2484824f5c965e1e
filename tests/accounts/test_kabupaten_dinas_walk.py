"""Defects of the kabupaten/kota Dinas' walk (decision 0109): the home page leads to the
registrations it decides and to the operators' accounts; a Dinas undoes its own deactivation of an
operator; the accounts list names each operator's school; the page after registering names the
office that decides."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import registration_data
from tests.factories import SchoolFactory, UserFactory
from verval.accounts.models import OperatorRegistration
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _register(school, username: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.post(
        reverse("accounts:register"), registration_data(school, username=username, email=f"{username}@x.test")
    )
    return client


@pytest.fixture
def sma(school):  # type: ignore[no-untyped-def]
    return SchoolFactory(name="SMA Negeri 1 Contoh", bentuk="SMA")  # same kabupaten as `school` (an SD)


def test_the_dinas_home_page_says_how_many_registrations_wait_for_its_decision_and_leads_to_them(
    school, sma, dinas_kab, dinas_prov
):  # type: ignore[no-untyped-def]
    _register(school, "calon.sd1")
    _register(SchoolFactory(name="SD Negeri 2 Contoh"), "calon.sd2")
    _register(sma, "calon.sma")  # the province decides it: not counted for the kabupaten

    kab = _login(dinas_kab).get(reverse("accounts:home")).content.decode()
    prov = _login(dinas_prov).get(reverse("accounts:home")).content.decode()

    assert "<strong>2 pendaftaran operator menunggu keputusan Anda.</strong>" in kab
    assert "<strong>1 pendaftaran operator menunggu keputusan Anda.</strong>" in prov
    assert (
        f'<a class="tap" href="{reverse("accounts:registrations")}">Putuskan pendaftaran operator</a>' in kab
    )


def test_the_dinas_home_page_links_to_registrations_and_operator_accounts_even_when_none_wait(
    dinas_kab,
):  # type: ignore[no-untyped-def]
    html = _login(dinas_kab).get(reverse("accounts:home")).content.decode()

    assert "menunggu keputusan Anda" not in html
    assert f'<li><a href="{reverse("accounts:registrations")}">Pendaftaran operator</a></li>' in html
    assert f'<li><a href="{reverse("accounts:users")}">Akun operator sekolah</a></li>' in html


def test_an_operators_home_page_has_no_registration_links(operator):  # type: ignore[no-untyped-def]
    html = _login(operator).get(reverse("accounts:home")).content.decode()

    assert reverse("accounts:registrations") not in html
    assert reverse("accounts:users") not in html


def test_a_dinas_reactivates_an_operator_of_its_region_it_had_deactivated(school, dinas_kab, operator):  # type: ignore[no-untyped-def]
    client = _login(dinas_kab)
    client.post(reverse("accounts:user_deactivate", args=[operator.pk]), {"reason": "salah orang"})
    operator.refresh_from_db()
    assert operator.is_active is False
    listed = client.get(reverse("accounts:users")).content.decode()
    assert reverse("accounts:user_reactivate", args=[operator.pk]) in listed

    response = client.post(reverse("accounts:user_reactivate", args=[operator.pk]), follow=True)

    operator.refresh_from_db()
    assert operator.is_active is True
    assert "Akun operator diaktifkan kembali." in response.content.decode()
    event = AuditEvent.objects.filter(action="reactivate_user").get()
    assert (event.actor_id, event.object_id) == (dinas_kab.pk, str(operator.pk))


def test_a_dinas_cannot_reactivate_an_operator_of_another_kabupaten(dinas_kab, other_operator):  # type: ignore[no-untyped-def]
    other_operator.is_active = False
    other_operator.save(update_fields=["is_active"])

    response = _login(dinas_kab).post(reverse("accounts:user_reactivate", args=[other_operator.pk]))

    other_operator.refresh_from_db()
    assert response.status_code == 403
    assert other_operator.is_active is False
    assert not AuditEvent.objects.filter(action="reactivate_user").exists()


def test_a_dinas_cannot_reactivate_a_dinas_account(school, dinas_kab):  # type: ignore[no-untyped-def]
    gone = UserFactory(role="DINAS_KAB", region_id=school.regency_id, username="dinaslama", is_active=False)

    response = _login(dinas_kab).post(reverse("accounts:user_reactivate", args=[gone.pk]))

    gone.refresh_from_db()
    assert (response.status_code, gone.is_active) == (403, False)


def test_the_accounts_list_names_each_operators_school_beside_its_npsn(school, dinas_kab, operator):  # type: ignore[no-untyped-def]
    html = _login(dinas_kab).get(reverse("accounts:users")).content.decode()

    assert f'{school.npsn} <span class="small">{school.name}</span>' in html


def test_the_page_after_registering_names_the_kabupaten_office_for_an_sd_and_the_province_for_an_sma(
    school, sma, dinas_kab, dinas_prov
):  # type: ignore[no-untyped-def]
    sd_page = Client().post(
        reverse("accounts:register"), registration_data(school, username="calon.sd", email="sd@x.test")
    )
    sma_page = Client().post(
        reverse("accounts:register"), registration_data(sma, username="calon.sma", email="sma@x.test")
    )

    assert OperatorRegistration.objects.count() == 2
    assert (
        f"Pendaftaran Anda untuk {school.name} (NPSN {school.npsn}) menunggu persetujuan "
        "Dinas Pendidikan Kab. Bogor." in sd_page.content.decode()
    )
    assert (
        f"Pendaftaran Anda untuk {sma.name} (NPSN {sma.npsn}) menunggu persetujuan "
        "Dinas Pendidikan Prov. Jawa Barat." in sma_page.content.decode()
    )


def test_the_page_after_registering_names_the_province_when_the_kabupaten_has_no_dinas_account(
    school, dinas_prov
):  # type: ignore[no-untyped-def]
    page = Client().post(
        reverse("accounts:register"), registration_data(school, username="calon.sd", email="sd@x.test")
    )

    assert "menunggu persetujuan Dinas Pendidikan Prov. Jawa Barat." in page.content.decode()


def test_the_dinas_help_says_an_operator_account_deactivated_by_mistake_is_reactivated_on_the_accounts_page(
    dinas_kab,
):  # type: ignore[no-untyped-def]
    html = _login(dinas_kab).get(reverse("help:dinas")).content.decode()

    assert (
        f'Kelola <a href="{reverse("accounts:users")}">akun operator sekolah</a> di wilayah Anda: nonaktifkan '
        "akun operator yang tidak lagi bertugas, dengan alasan; akun yang dinonaktifkan karena keliru "
        "diaktifkan lagi di halaman yang sama."
    ) in html


def test_a_search_of_the_dinas_list_that_finds_no_school_says_so_and_leads_back(school, dinas_kab):  # type: ignore[no-untyped-def]
    client = _login(dinas_kab)

    found_none = client.get(reverse("core:dinas"), {"q": "tidak ada yang begini"}).content.decode()
    found_one = client.get(reverse("core:dinas"), {"q": school.npsn}).content.decode()

    assert (
        '<td colspan="7" class="muted">Tidak ada sekolah yang cocok dengan pencarian atau saringan ini. '
        f'<a class="tap" href="{reverse("core:dinas")}">Tampilkan semua sekolah di wilayah Anda</a></td>'
    ) in found_none
    assert "Tidak ada sekolah yang cocok" not in found_one


def test_a_dinas_list_of_a_region_without_schools_says_only_that_there_are_none(db):  # type: ignore[no-untyped-def]
    empty = UserFactory(role="DINAS_KAB", region_id="020600", username="dinaskosong")

    html = _login(empty).get(reverse("core:dinas")).content.decode()

    assert '<td colspan="7" class="muted">Tidak ada sekolah.</td>' in html
