"""A page number past the end of a list redirects to its last page, filters kept, and says so
(`core.pagination`, decision 0096); below 1 goes to the first page; not a number means page 1.
Every list names its page `hal`; the old name `page` is sent on to it (decision 0136)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import SchoolFactory
from tests.registry.helpers import make_recipients
from verval.core import pagination

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.wsgi_request._messages]


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def three_pages(settings, monkeypatch, school, dinas_kab):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("verval.core.views.DINAS_PAGE_SIZE", 1)
    SchoolFactory()
    SchoolFactory()  # three schools of the kabupaten, one a page
    return _login(dinas_kab)


def test_the_dinas_list_asked_for_page_99_of_3_goes_to_page_3_with_its_sort_and_a_notice(three_pages):  # type: ignore[no-untyped-def]
    response = three_pages.get("/dinas/?sort=npsn&hal=99")

    assert (response.status_code, response["Location"]) == (302, "/dinas/?sort=npsn&hal=3")
    assert _messages(response) == [
        "Halaman 99 tidak ada: daftar ini hanya 3 halaman. Yang ditampilkan halaman terakhir."
    ]
    page = three_pages.get(response["Location"]).content.decode()
    assert "Halaman 3 dari 3" in page or "3 dari 3" in page


def test_the_notice_groups_a_large_page_number(three_pages):  # type: ignore[no-untyped-def]
    response = three_pages.get("/dinas/?hal=12345")

    assert _messages(response) == [
        "Halaman 12.345 tidak ada: daftar ini hanya 3 halaman. Yang ditampilkan halaman terakhir."
    ]


def test_page_0_goes_to_the_first_page_and_a_page_that_is_not_a_number_is_the_first(three_pages):  # type: ignore[no-untyped-def]
    response = three_pages.get("/dinas/?sort=npsn&hal=0")
    assert (response.status_code, response["Location"]) == (302, "/dinas/?sort=npsn")
    assert _messages(response) == ["Halaman 0 tidak ada. Yang ditampilkan halaman pertama."]

    assert three_pages.get("/dinas/?hal=abc").status_code == 200
    assert three_pages.get("/dinas/?hal=3").status_code == 200


def test_a_list_of_one_page_goes_to_its_address_without_a_page(school, dinas_kab):  # type: ignore[no-untyped-def]
    response = _login(dinas_kab).get("/pendaftaran/?status=APPROVED&hal=2")

    assert (response.status_code, response["Location"]) == (302, "/pendaftaran/?status=APPROVED")
    assert _messages(response) == [
        "Halaman 2 tidak ada: daftar ini hanya 1 halaman. Yang ditampilkan halaman terakhir."
    ]


def test_the_school_list_past_its_end_goes_to_its_last_page_with_its_filters(school, operator):  # type: ignore[no-untyped-def]
    # A filtered list shrinks as the operator works through it: a return to its old last page
    # lands on the new one.
    make_recipients(school, 60)

    response = _login(operator).get(f"/sekolah/{school.npsn}/?jenis=PD&hal=4")

    assert (response.status_code, response["Location"]) == (302, f"/sekolah/{school.npsn}/?jenis=PD&hal=2")


def test_the_late_schools_list_past_its_end_goes_to_its_last_page_with_a_notice(school, dinas_kab):  # type: ignore[no-untyped-def]
    # It counts no rows to show a page; past its end it counts them, and answers as every list.
    response = _login(dinas_kab).get("/progres/tertinggal/?hal=7")

    assert (response.status_code, response["Location"]) == (302, "/progres/tertinggal/")
    assert _messages(response) == [
        "Halaman 7 tidak ada: daftar ini hanya 1 halaman. Yang ditampilkan halaman terakhir."
    ]


def test_the_late_schools_list_of_three_pages_asked_for_page_9_goes_to_page_3_with_its_filter(  # type: ignore[no-untyped-def]
    monkeypatch, school, dinas_prov
):
    from tests.factories import RecipientFactory
    from verval.dashboard import services
    from verval.registry.models import Recipient

    monkeypatch.setattr("verval.dashboard.views.PAGE_SIZE", 1)
    schools = [school, SchoolFactory(), SchoolFactory()]  # three late schools of the kabupaten
    Recipient.objects.bulk_create(
        [
            RecipientFactory.build(school=s, status="RESIDU", reason="TIDAK_AKTIF")
            for s in schools
            for _ in "ab"
        ]
    )
    services.refresh_all()
    client = _login(dinas_prov)
    assert len(client.get(f"/progres/tertinggal/?kabkota={school.regency_id}&hal=3").context["items"]) == 1

    response = client.get(f"/progres/tertinggal/?kabkota={school.regency_id}&hal=9")

    assert (response.status_code, response["Location"]) == (
        302,
        f"/progres/tertinggal/?kabkota={school.regency_id}&hal=3",
    )
    assert _messages(response) == [
        "Halaman 9 tidak ada: daftar ini hanya 3 halaman. Yang ditampilkan halaman terakhir."
    ]


@pytest.mark.parametrize(
    ("asked", "sent_to"),
    [
        ("/dinas/?sort=npsn&page=2", "/dinas/?sort=npsn&hal=2"),
        ("/pendaftaran/?page=2&status=APPROVED", "/pendaftaran/?hal=2&status=APPROVED"),
        ("/progres/tertinggal/?page=2", "/progres/tertinggal/?hal=2"),
        ("/pengguna/?role=OPERATOR&page=3", "/pengguna/?role=OPERATOR&hal=3"),
    ],
)
def test_a_bookmark_that_names_the_page_page_is_sent_on_to_the_same_list_with_hal(  # type: ignore[no-untyped-def]
    asked, sent_to, school, dinas_kab
):
    response = _login(dinas_kab).get(asked)

    assert (response.status_code, response["Location"]) == (301, sent_to)


def test_an_address_that_names_both_keeps_hal_and_is_not_sent_on(three_pages):  # type: ignore[no-untyped-def]
    response = three_pages.get("/dinas/?hal=2&page=3")

    assert response.status_code == 200
    assert response.context["page"].number == 2


def test_a_searched_list_reads_the_page_a_form_loaded_before_sends_as_page(pusdatin):  # type: ignore[no-untyped-def]
    # A tab opened before the rename sends `page` in its body: read as `hal` (a POST has no
    # address to send on), so page 9 of a one-page result is past its end.
    response = _login(pusdatin).post("/pengguna/", {"q": "operator", "page": "9"})

    assert (response.status_code, response["Location"]) == (302, "/pengguna/")


def test_a_searched_page_past_the_end_goes_to_the_first_page_without_the_term(pusdatin):  # type: ignore[no-untyped-def]
    response = _login(pusdatin).post("/pengguna/", {"q": "operator", "hal": "9"})

    assert (response.status_code, response["Location"]) == (302, "/pengguna/")


def test_check_accepts_the_first_page_of_an_empty_list_and_refuses_outside_1_to_n() -> None:
    pagination.check(1, 1)
    pagination.check(3, 3)
    for asked, pages in ((0, 3), (-1, 3), (4, 3), (2, None)):
        with pytest.raises(pagination.PageOutOfRange):
            pagination.check(asked, pages)
    assert (pagination.number("x"), pagination.number(None), pagination.number("10" * 20)) == (
        1,
        1,
        1_000_000_000,
    )
