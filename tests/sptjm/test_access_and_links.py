"""Who may act on an SPTJM (refusals come before the form is judged) and the links to the SPTJM pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.sptjm.conftest import aktif
from verval.sptjm import actions
from verval.sptjm.models import Sptjm


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def printed(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 1)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    return sptjm


@pytest.mark.parametrize("reader", ["dinas_kab", "dinas_prov", "pusdatin"])
def test_reader_of_the_school_cannot_upload_a_scan_even_without_a_file(request, printed, reader):  # type: ignore[no-untyped-def]
    response = _login(request.getfixturevalue(reader)).post(f"/sptjm/{printed.pk}/unggah/", {})
    assert response.status_code == 403
    printed.refresh_from_db()
    assert (printed.status, printed.upload_count) == ("DICETAK", 0)


def test_dinas_cannot_void_the_school_sptjm(dinas_kab, printed):  # type: ignore[no-untyped-def]
    response = _login(dinas_kab).post(f"/sptjm/{printed.pk}/batal/", {})
    assert response.status_code == 403
    printed.refresh_from_db()
    assert printed.status == "DICETAK"


@pytest.mark.parametrize("role", ["operator", "dinas_kab"])
def test_non_pusdatin_return_without_reason_is_refused_not_asked_for_a_reason(request, printed, role):  # type: ignore[no-untyped-def]
    Sptjm.objects.filter(pk=printed.pk).update(status="DIUNGGAH")
    response = _login(request.getfixturevalue(role)).post(f"/pusdatin/sptjm/{printed.pk}/kembalikan/", {})
    assert response.status_code == 403
    assert Sptjm.objects.get(pk=printed.pk).status == "DIUNGGAH"


def test_pusdatin_return_without_reason_is_asked_for_one(pusdatin, printed):  # type: ignore[no-untyped-def]
    Sptjm.objects.filter(pk=printed.pk).update(status="DIUNGGAH")
    response = _login(pusdatin).post(f"/pusdatin/sptjm/{printed.pk}/kembalikan/", {})
    assert response.status_code == 400
    assert '<p class="error" role="alert" id="alasan-error">Alasan pengembalian wajib diisi.</p>' in (
        response.content.decode()
    )
    assert Sptjm.objects.get(pk=printed.pk).status == "DIUNGGAH"


def test_operator_home_and_nav_link_to_the_school_sptjm_page(operator, school):  # type: ignore[no-untyped-def]
    body = _login(operator).get(reverse("accounts:home")).content.decode()
    # nav, the SPTJM section (decision 0034) and the home list
    assert body.count(f'href="/sekolah/{school.npsn}/sptjm/"') == 3


def test_dinas_home_and_nav_link_to_the_late_schools(dinas_kab):  # type: ignore[no-untyped-def]
    body = _login(dinas_kab).get(reverse("accounts:home")).content.decode()
    assert body.count('href="/dinas/sptjm/"') == 2
    assert "Sekolah terlambat SPTJM" in body


def test_pusdatin_home_and_nav_link_to_review_and_disbursement(pusdatin):  # type: ignore[no-untyped-def]
    body = _login(pusdatin).get(reverse("accounts:home")).content.decode()
    assert body.count('href="/pusdatin/sptjm/"') == 2
    assert body.count('href="/pusdatin/penyaluran/"') == 2
    assert "Pemeriksaan SPTJM" in body
    assert "Penyaluran kuota" in body


@pytest.mark.parametrize("reader", ["operator", "dinas_kab", "pusdatin"])
def test_school_page_links_its_readers_to_the_school_sptjm_page(request, school, reader):  # type: ignore[no-untyped-def]
    body = _login(request.getfixturevalue(reader)).get(f"/sekolah/{school.npsn}/").content.decode()
    assert f'href="/sekolah/{school.npsn}/sptjm/"' in body
