"""The late page of a province Dinas (decision 0089): each school says its kabupaten/kota, and a
list longer than the page shows says how many it leaves out and where the whole one is."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tests.sptjm.conftest import aktif, make_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_in_two_regencies(school, other_school):  # type: ignore[no-untyped-def]
    """Both schools (Kab. Bogor and Kab. Sukabumi) past the 2020 print deadline, nothing printed."""
    make_period("2020-09A", sptjm_print_deadline=date(2020, 9, 20), sptjm_upload_deadline=date(2020, 9, 25))
    aktif(school, 1)
    aktif(other_school, 1)
    return school, other_school


def _page(user) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get("/dinas/sptjm/")
    assert response.status_code == 200
    return response.content.decode()


def test_province_late_page_names_the_kabupaten_kota_of_each_school(  # type: ignore[no-untyped-def]
    dinas_prov, dinas_kab, late_in_two_regencies
):
    school, other = late_in_two_regencies
    html = _page(dinas_prov)
    assert "2 sekolah di wilayah Anda melewati batas waktu" in html
    assert (
        f'<td data-label="Sekolah">{school.name}<br><span class="small muted">Kab. Bogor</span></td>' in html
    )
    assert (
        f'<td data-label="Sekolah">{other.name}<br><span class="small muted">Kab. Sukabumi</span></td>'
        in html
    )
    # A kabupaten/kota Dinas's list is all of one kabupaten/kota: its name is not repeated.
    assert f'<td data-label="Sekolah">{school.name}</td>' in _page(dinas_kab)


def test_late_page_says_how_many_schools_it_leaves_out_and_where_the_whole_list_is(  # type: ignore[no-untyped-def]
    dinas_prov, late_in_two_regencies, monkeypatch
):
    from verval.sptjm import views

    school, other = late_in_two_regencies
    full = _page(dinas_prov)
    assert "Yang tampil hanya" not in full
    monkeypatch.setattr(views, "LATE_ROWS", 1)
    html = _page(dinas_prov)
    assert school.npsn in html and other.npsn not in html  # the first by NPSN
    assert (
        '<p class="small">Yang tampil hanya 1 sekolah pertama (menurut NPSN) dari 2. '
        '<a href="/progres/tertinggal/">Semua sekolah yang tertinggal, dengan unduhan CSV dan Excel</a></p>'
    ) in html
