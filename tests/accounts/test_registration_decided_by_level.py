"""Who decides an operator registration (decision 0096): the province Dinas SMA, SMK and SLB, the
kabupaten/kota Dinas PAUD, SD, SMP and kesetaraan (UU 23/2014); the other level reads it only,
and decides it when the responsible level has no active Dinas account in the school's region."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import registration_data
from tests.factories import SchoolFactory, UserFactory
from verval.accounts import access, actions
from verval.accounts.models import OperatorRegistration, Role, User

pytestmark = pytest.mark.django_db


def _register(school, username: str, email: str) -> OperatorRegistration:  # type: ignore[no-untyped-def]
    Client().post(reverse("accounts:register"), registration_data(school, username=username, email=email))
    return OperatorRegistration.objects.get(username=username)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _row(html: str, registration: OperatorRegistration) -> str:
    start = html.index(f'<tr id="reg-{registration.pk}">')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def sma(school):  # type: ignore[no-untyped-def]
    return SchoolFactory(name="SMA Negeri 1 Contoh", bentuk="SMA")  # same kabupaten as `school` (an SD)


def test_each_level_decides_its_schools_forms():  # type: ignore[no-untyped-def]
    by_form = {}
    UserFactory(role=Role.DINAS_KAB, region_id="020500", username="kab")
    UserFactory(role=Role.DINAS_PROV, region_id="020000", username="prov")
    for form in ("TK", "KB", "SD", "SMP", "PKBM", "SKB", "SMA", "SMK", "SLB", "SDLB", "SMALB"):
        by_form[form] = access.registration_decider(SchoolFactory(bentuk=form))
    assert by_form == {
        "TK": "DINAS_KAB",
        "KB": "DINAS_KAB",
        "SD": "DINAS_KAB",
        "SMP": "DINAS_KAB",
        "PKBM": "DINAS_KAB",
        "SKB": "DINAS_KAB",
        "SMA": "DINAS_PROV",
        "SMK": "DINAS_PROV",
        "SLB": "DINAS_PROV",
        "SDLB": "DINAS_PROV",
        "SMALB": "DINAS_PROV",
    }


def test_each_dinas_queue_lists_the_registrations_it_decides_with_the_buttons(
    school, sma, dinas_kab, dinas_prov
):  # type: ignore[no-untyped-def]
    sd_reg = _register(school, "calon.sd", "sd@example.test")
    sma_reg = _register(sma, "calon.sma", "sma@example.test")

    kab = _login(dinas_kab).get(reverse("accounts:registrations")).content.decode()
    prov = _login(dinas_prov).get(reverse("accounts:registrations")).content.decode()

    assert f'id="reg-{sd_reg.pk}"' in kab and f'id="reg-{sma_reg.pk}"' not in kab
    assert reverse("accounts:registration_approve", args=[sd_reg.pk]) in _row(kab, sd_reg)
    assert f'id="reg-{sma_reg.pk}"' in prov and f'id="reg-{sd_reg.pk}"' not in prov
    assert reverse("accounts:registration_approve", args=[sma_reg.pk]) in _row(prov, sma_reg)
    assert (
        "1 pendaftaran lain di wilayah Anda menunggu keputusan Dinas Pendidikan provinsi (hanya dibaca)"
        in kab
    )
    assert (
        "1 pendaftaran lain di wilayah Anda menunggu keputusan Dinas Pendidikan kabupaten/kota (hanya dibaca)"
        in prov
    )


def test_the_other_level_reads_a_registration_without_the_buttons_and_downloads_its_letter(
    school, sma, dinas_kab, dinas_prov
):  # type: ignore[no-untyped-def]
    sma_reg = _register(sma, "calon.sma", "sma@example.test")
    kab = _login(dinas_kab)

    html = kab.get(reverse("accounts:registrations") + "?status=PENDING&pihak=lain").content.decode()
    row = _row(html, sma_reg)

    assert "SMA Negeri 1 Contoh" in row
    assert "Menunggu keputusan Dinas yang berwenang; Anda hanya dapat membacanya." in row
    assert "/setujui/" not in row and "/tolak/" not in row
    assert kab.get(reverse("accounts:registration_letter", args=[sma_reg.pk])).status_code == 200


def test_the_dinas_home_counts_only_the_registrations_it_decides(school, sma, dinas_kab, dinas_prov):  # type: ignore[no-untyped-def]
    _register(school, "calon.sd", "sd@example.test")
    _register(school, "calon.sd2", "sd2@example.test")
    _register(sma, "calon.sma", "sma@example.test")

    kab = _login(dinas_kab).get(reverse("core:dinas")).content.decode()
    prov = _login(dinas_prov).get(reverse("core:dinas")).content.decode()

    assert "Pendaftaran operator menunggu persetujuan (2)" in kab
    assert "Pendaftaran operator menunggu persetujuan (1)" in prov


def test_a_kabupaten_dinas_is_refused_an_sma_registration_by_the_action_and_the_page(
    school, sma, dinas_kab, dinas_prov
):  # type: ignore[no-untyped-def]
    sma_reg = _register(sma, "calon.sma", "sma@example.test")

    with pytest.raises(PermissionDenied):
        actions.approve_registration(actor=dinas_kab, registration_id=sma_reg.pk)
    with pytest.raises(PermissionDenied):
        actions.reject_registration(actor=dinas_kab, registration_id=sma_reg.pk, reason="SK tidak sah")
    kab = _login(dinas_kab)
    assert kab.post(reverse("accounts:registration_approve", args=[sma_reg.pk])).status_code == 403
    assert (
        kab.post(reverse("accounts:registration_reject", args=[sma_reg.pk]), {"reason": "x"}).status_code
        == 403
    )

    sma_reg.refresh_from_db()
    assert sma_reg.status == "PENDING" and not User.objects.filter(username="calon.sma").exists()


def test_a_province_dinas_is_refused_an_sd_registration_its_kabupaten_decides(school, dinas_kab, dinas_prov):  # type: ignore[no-untyped-def]
    sd_reg = _register(school, "calon.sd", "sd@example.test")

    with pytest.raises(PermissionDenied):
        actions.approve_registration(actor=dinas_prov, registration_id=sd_reg.pk)
    assert (
        _login(dinas_prov).post(reverse("accounts:registration_approve", args=[sd_reg.pk])).status_code == 403
    )

    user = actions.approve_registration(actor=dinas_kab, registration_id=sd_reg.pk)
    assert user.username == "calon.sd" and user.school_id == school.npsn


def test_the_province_approves_an_sma_registration(sma, dinas_kab, dinas_prov):  # type: ignore[no-untyped-def]
    sma_reg = _register(sma, "calon.sma", "sma@example.test")

    _login(dinas_prov).post(reverse("accounts:registration_approve", args=[sma_reg.pk]))

    sma_reg.refresh_from_db()
    assert sma_reg.status == "APPROVED" and sma_reg.decided_by_id == dinas_prov.pk


def test_without_an_active_province_account_the_kabupaten_decides_an_sma_registration(
    sma, dinas_kab, dinas_prov
):  # type: ignore[no-untyped-def]
    sma_reg = _register(sma, "calon.sma", "sma@example.test")
    User.objects.filter(pk=dinas_prov.pk).update(is_active=False)

    html = _login(dinas_kab).get(reverse("accounts:registrations")).content.decode()
    assert reverse("accounts:registration_approve", args=[sma_reg.pk]) in _row(html, sma_reg)
    user = actions.approve_registration(actor=dinas_kab, registration_id=sma_reg.pk)

    assert user.school_id == sma.npsn


def test_a_new_province_account_takes_back_the_sma_registrations_still_waiting(sma, dinas_kab):  # type: ignore[no-untyped-def]
    sma_reg = _register(sma, "calon.sma", "sma@example.test")
    assert list(actions.registrations_to_decide(dinas_kab).values_list("pk", flat=True)) == [sma_reg.pk]

    prov = UserFactory(role=Role.DINAS_PROV, region_id=sma.province_id, username="prov.baru")

    assert list(actions.registrations_to_decide(dinas_kab)) == []
    assert list(actions.registrations_to_decide(prov).values_list("pk", flat=True)) == [sma_reg.pk]


def test_a_province_account_elsewhere_does_not_count_as_the_schools_province(sma, dinas_kab):  # type: ignore[no-untyped-def]
    UserFactory(role=Role.DINAS_PROV, region_id="160000", username="prov.lain")
    sma_reg = _register(sma, "calon.sma", "sma@example.test")

    assert list(actions.registrations_to_decide(dinas_kab).values_list("pk", flat=True)) == [sma_reg.pk]


def test_the_new_registration_mail_goes_to_the_dinas_that_decides_it(
    school, sma, dinas_kab, dinas_prov, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    User.objects.filter(pk=dinas_kab.pk).update(email="kab@example.test")
    User.objects.filter(pk=dinas_prov.pk).update(email="prov@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        _register(sma, "calon.sma", "sma@example.test")
        _register(school, "calon.sd", "sd@example.test")

    told = [(m.to, m.body.split("NPSN ")[1][:8]) for m in mail.outbox if "menunggu persetujuan" in m.subject]
    assert told == [(["prov@example.test"], sma.npsn), (["kab@example.test"], school.npsn)]


def test_pusdatin_and_operators_decide_no_registration(school, sma, pusdatin, operator, dinas_kab):  # type: ignore[no-untyped-def]
    sd_reg = _register(school, "calon.sd", "sd@example.test")

    for user in (pusdatin, operator):
        assert list(actions.registrations_to_decide(user)) == []
        with pytest.raises(PermissionDenied):
            actions.approve_registration(actor=user, registration_id=sd_reg.pk)
