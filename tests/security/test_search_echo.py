"""What every search box gives back of a phone number typed into it, to each role that reaches it
(decision 0104): masked above the box and not in it for readers of masked numbers (Dinas,
Pusdatin), as typed for a school's own operator; the number check gives back what was typed by
purpose. The privacy canary reads each page answered here."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from verval.core.search import SearchEcho, search_echo

pytestmark = pytest.mark.django_db

NUMBER = "081211112222"
ECHO = (
    '<p class="small search-echo" role="status">Dicari: 0812****2222 (nomor telepon ditampilkan tersamar '
    "dan tidak diisikan kembali ke kotak pencarian).</p>"
)


@pytest.fixture
def mixed(school):  # type: ignore[no-untyped-def]
    RecipientFactory(
        school=school,
        name="Ani Residu",
        phone_raw=NUMBER,
        phone_e164="+6281211112222",
        status="RESIDU",
        reason="MASA_TENGGANG",
    )


def test_a_reader_gets_a_typed_number_masked_outside_the_box_and_other_terms_as_typed() -> None:
    assert search_echo("0812-1111-2222", full_numbers=False) == SearchEcho("", "0812****2222")
    assert search_echo(f"Ani {NUMBER}", full_numbers=False) == SearchEcho("", "Ani 0812****2222")
    assert search_echo("SD Negeri 1", full_numbers=False) == SearchEcho("SD Negeri 1")
    assert search_echo("20100001", full_numbers=False) == SearchEcho("20100001")  # an NPSN
    assert search_echo("", full_numbers=False) == SearchEcho("")
    assert search_echo(NUMBER, full_numbers=True) == SearchEcho(NUMBER)


@pytest.mark.address_typed_by_a_client  # the browser puts the GET form's term in the address
@pytest.mark.parametrize("role", ["dinas_kab", "dinas_prov"])
def test_the_dinas_school_list_gives_a_typed_number_back_masked_and_keeps_it_out_of_its_links(
    client, school, role, request
):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    html = client.get("/dinas/", {"q": NUMBER}).content.decode()
    assert ECHO in html
    assert '<input type="search" id="f-q" name="q" value="">' in html
    assert NUMBER not in html and "q=&amp;sort=" in html  # the sort and download links
    assert school.name not in html  # a number finds no school
    # The form sent again, with the box as given back: the whole list.
    html = client.get("/dinas/", {"q": "", "sort": "share"}).content.decode()
    assert school.name in html and "search-echo" not in html
    # A school's name is given back as typed, in the box and the links.
    html = client.get("/dinas/", {"q": school.name[:6]}).content.decode()
    assert f'name="q" value="{school.name[:6]}"' in html and school.name in html
    assert "search-echo" not in html


@pytest.mark.address_typed_by_a_client  # the browser puts the GET form's term in the address
def test_pusdatins_school_search_gives_a_typed_number_back_masked(client, pusdatin, school):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = client.get("/pusdatin/", {"q": NUMBER}).content.decode()
    assert ECHO in html
    assert '<input type="search" id="f-q" name="q" value="" minlength="3">' in html
    assert NUMBER not in html and f"/sekolah/{school.npsn}/" not in html
    html = client.get("/pusdatin/", {"q": school.npsn}).content.decode()
    assert f'name="q" value="{school.npsn}" minlength="3">' in html and f"/sekolah/{school.npsn}/" in html
    assert "search-echo" not in html


@pytest.mark.parametrize("role", ["pusdatin", "dinas_kab", "dinas_prov"])
def test_the_user_list_gives_a_typed_number_back_masked_and_offers_no_pager_for_it(
    client, operator, role, request
):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    html = client.post("/pengguna/", {"q": NUMBER}).content.decode()
    assert ECHO in html
    assert '<input type="search" id="f-q" name="q" value="">' in html
    assert NUMBER not in html and 'form="user-search" name="hal"' not in html
    assert "Tidak ada akun." in html
    html = client.post("/pengguna/", {"q": "operator"}).content.decode()
    assert '<input type="search" id="f-q" name="q" value="operator">' in html and "search-echo" not in html
    assert '<td class="full lead" data-label="Nama pengguna">operator<br>' in html


@pytest.mark.parametrize("role", ["pusdatin", "dinas_kab", "dinas_prov"])
def test_a_readers_school_search_gives_a_number_back_masked_and_sending_the_box_again_lists_all(
    client, school, mixed, role, request
):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    html = client.post(f"/sekolah/{school.npsn}/", {"q": NUMBER}).content.decode()
    assert ECHO in html
    assert 'name="q" value="" maxlength="100"' in html
    assert "Ani Residu" not in html and NUMBER not in html
    html = client.post(f"/sekolah/{school.npsn}/", {"q": ""}).content.decode()
    assert "Ani Residu" in html and "search-echo" not in html


def test_the_schools_operator_gets_a_typed_number_back_in_the_box(client, operator, school, mixed):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.post(f"/sekolah/{school.npsn}/", {"q": NUMBER}).content.decode()
    assert f'name="q" value="{NUMBER}" maxlength="100"' in html
    assert "Ani Residu" in html and "search-echo" not in html


@pytest.mark.parametrize("role", ["pusdatin", "dinas_kab", "dinas_prov", "operator"])
def test_the_number_check_gives_back_the_numbers_typed_by_purpose(client, school, role, request):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(role))
    html = client.post("/cek-nomor/", {"numbers": "0812-1111-2222\n"}).content.decode()
    assert "<code>0812-1111-2222</code>" in html
    assert '<td class="nowrap" data-label="Bentuk baku">0812-1111-2222</td>' in html
    html = client.post("/cek-nomor/satu/", {"nomor": "+6281211112222"}).content.decode()
    assert "Format benar: 0812-1111-2222" in html
