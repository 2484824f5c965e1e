"""The school page: counts, filters, search without names in URLs, masking, paging, weight."""

from __future__ import annotations

import gzip

import pytest

from tests.factories import RecipientFactory
from tests.registry.helpers import make_recipients
from verval.registry import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(school, other_school):  # type: ignore[no-untyped-def]
    make_recipients(school, 3)
    RecipientFactory(
        school=school,
        name="Ani Residu",
        phone_raw="081211112222",
        phone_e164="+6281211112222",
        status="RESIDU",
        reason="MASA_TENGGANG",
    )
    RecipientFactory(
        school=school,
        name="Guru Salah",
        kind="PTK",
        category="PTK",
        grade=None,
        nisn="",
        phone_raw="021-5551234",
        phone_e164="",
        operator="",
        status="FORMAT_SALAH",
        reason="TELEPON_RUMAH",
    )
    RecipientFactory(school=school, name="Sudah Keluar", active=False)
    make_recipients(other_school, 2, start=100)


def test_school_summary_counts_per_status_and_reason(operator, school, mixed):  # type: ignore[no-untyped-def]
    s = selectors.school_summary(operator, school.npsn)
    assert s.total == 5
    assert [(code, n) for code, _, n in s.by_status] == [
        ("BELUM_VERVAL", 3),
        ("FORMAT_SALAH", 1),
        ("MENUNGGU_PROVIDER", 0),
        ("AKTIF", 0),
        ("RESIDU", 1),
    ]
    assert [(st, code, n) for st, code, _, n in s.by_reason] == [
        ("FORMAT_SALAH", "TELEPON_RUMAH", 1),
        ("RESIDU", "MASA_TENGGANG", 1),
    ]
    assert s.grades == [1, 2, 3, 4] and s.kinds == ["PD", "PTK"]


def test_school_progress_still_counts_for_the_dinas_page(dinas_kab, school, mixed):  # type: ignore[no-untyped-def]
    (row,) = selectors.school_progress(dinas_kab)
    assert (row.npsn, row.total, row.aktif, row.residu) == (school.npsn, 5, 0, 1)


def test_dinas_sees_masked_numbers_only(client, dinas_kab, school, mixed):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    html = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert "0812****2222" in html
    assert "0812-1111-2222" not in html and "081211112222" not in html and "6281211112222" not in html
    assert "0215**1234" in html and "021-5551234" not in html  # an invalid number is masked as well


def test_operator_sees_full_numbers_status_labels_and_what_to_do(client, operator, school, mixed):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert "0812-1111-2222" in html and "021-5551234" in html
    assert '<span class="label s-RESIDU">Residu</span>' in html
    assert '<span class="label s-FORMAT_SALAH">Format tidak valid</span>' in html
    assert "Nomor dalam masa tenggang." in html and "Minta pemilik mengisi ulang pulsa" in html
    assert "Sudah Keluar" not in html and "Siswa 00100" not in html  # inactive and other school


def test_filters_by_status_kind_grade_and_reason(client, operator, school, mixed):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/?status=RESIDU").content.decode()
    assert "Ani Residu" in html and "Siswa 00000" not in html
    html = client.get(f"/sekolah/{school.npsn}/?jenis=PTK").content.decode()
    assert "Guru Salah" in html and "Ani Residu" not in html
    html = client.get(f"/sekolah/{school.npsn}/?kelas=2").content.decode()
    assert "Siswa 00001" in html and "Siswa 00000" not in html
    html = client.get(f"/sekolah/{school.npsn}/?alasan=TELEPON_RUMAH").content.decode()
    assert "Guru Salah" in html and "Ani Residu" not in html


def test_search_by_name_or_nisn_is_posted_and_never_read_from_the_url(client, operator, school, mixed):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    ignored = client.get(f"/sekolah/{school.npsn}/?q=Ani").content.decode()
    assert "Siswa 00000" in ignored  # a name in the URL filters nothing
    found = client.post(f"/sekolah/{school.npsn}/", {"q": "ani res"}).content.decode()
    assert "Ani Residu" in found and "Siswa 00000" not in found
    by_nisn = client.post(f"/sekolah/{school.npsn}/", {"q": "0040000001"}).content.decode()
    assert "Siswa 00001" in by_nisn and "Siswa 00002" not in by_nisn
    fragment = client.post(
        f"/sekolah/{school.npsn}/", {"q": "ani"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert fragment.content.decode().startswith('<div id="results">')


def test_paging_keeps_filters_in_links_and_search_in_the_form(client, operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 120)
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/?status=BELUM_VERVAL").content.decode()
    assert "Menampilkan 1–50 dari 120" in html and 'href="?status=BELUM_VERVAL&amp;hal=2"' in html
    html = client.get(f"/sekolah/{school.npsn}/?n=100&hal=2").content.decode()
    assert "Menampilkan 101–120 dari 120" in html
    html = client.post(f"/sekolah/{school.npsn}/", {"q": "Siswa", "hal": "2"}).content.decode()
    assert "Menampilkan 51–100 dari 120" in html
    assert '<button form="filter" name="hal" value="3"' in html and "q=" not in html


@pytest.mark.parametrize("size", [50, 500])
def test_school_page_uses_a_bounded_number_of_queries(
    client, operator, school, size, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    make_recipients(school, 600)
    client.force_login(operator)
    # 11: one of them reads the school's failed injections (count, filter and row markers).
    with django_assert_max_num_queries(11):
        response = client.get(f"/sekolah/{school.npsn}/?n={size}")
    assert response.status_code == 200
    assert response.content.decode().count('name="pilih"') == size
    with django_assert_max_num_queries(11):
        client.post(f"/sekolah/{school.npsn}/", {"q": "Siswa 001", "n": size})


def test_school_page_of_1500_with_500_rows_stays_under_150_kb_gzipped(client, operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 1500)
    client.force_login(operator)
    response = client.get(f"/sekolah/{school.npsn}/?n=500", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.content).decode()
    assert body.count("<tr id=") == 500
    assert len(response.content) < 150 * 1024, len(response.content)


def test_page_has_no_inline_script_or_style(client, operator, school, mixed):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert "style=" not in html and "<script>" not in html


def test_reason_filter_lists_each_reason_once_by_its_text(client, operator, school, mixed):  # type: ignore[no-untyped-def]
    # A new number's stored verdict and the same reason after validation are two rows of the
    # summary but one filter option (the filter matches the code under any status).
    RecipientFactory(
        school=school, phone_raw="021-5551235", phone_e164="", status="BELUM_VERVAL", reason="TELEPON_RUMAH"
    )
    s = selectors.school_summary(operator, school.npsn)
    assert [(st, code, n) for st, code, _, n in s.by_reason] == [
        ("BELUM_VERVAL", "TELEPON_RUMAH", 1),
        ("FORMAT_SALAH", "TELEPON_RUMAH", 1),
        ("RESIDU", "MASA_TENGGANG", 1),
    ]
    assert s.by_reason[0][2].startswith("Pemeriksaan awal: ")
    assert [(code, n) for code, _, n in s.reason_options] == [("MASA_TENGGANG", 1), ("TELEPON_RUMAH", 2)]
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/").content.decode()
    options = html[html.index('<select name="alasan">') :]
    options = options[: options.index("</select>")]
    assert options.count('value="TELEPON_RUMAH"') == 1
    assert ">TELEPON_RUMAH" not in options
    kinds = html[html.index('<select name="jenis">') :]
    kinds = kinds[: kinds.index("</select>")]
    assert ">Peserta didik</option>" in kinds and ">PD</option>" not in kinds


def test_search_pages_carry_their_page_number_for_htmx(client, operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 60)
    client.force_login(operator)
    html = client.post(f"/sekolah/{school.npsn}/", {"q": "a", "n": "50"}).content.decode()
    assert '<button form="filter" name="hal" value="2" class="secondary">' in html
    page2 = client.post(f"/sekolah/{school.npsn}/", {"q": "a", "n": "50", "hal": "2"}, HTTP_HX_REQUEST="true")
    assert "Halaman 2 dari 2" in page2.content.decode()


def test_a_number_used_by_more_recipients_than_allowed_is_flagged_on_the_row_and_above_the_list(
    client, operator, school
):  # type: ignore[no-untyped-def]
    from verval.registry.services import recount_shared_numbers

    make_recipients(school, 4, phone_raw="081299990000", phone_e164="+6281299990000")
    make_recipients(school, 3, start=10, phone_raw="081299990001", phone_e164="+6281299990001")
    make_recipients(school, 2, start=20)
    recount_shared_numbers()
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert html.count('<small class="warn">nomor ini dipakai 4 penerima</small>') == 4
    assert "dipakai 3 penerima" not in html  # three is allowed
    assert "1 nomor di sekolah ini dipakai lebih dari 3 penerima" in html
    assert 'href="/nomor-bersama/"' in html


def test_filters_chosen_with_htmx_go_into_the_address_bar_but_a_search_does_not(
    client, operator, school, mixed
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    url = f"/sekolah/{school.npsn}/"
    filtered = client.post(url, {"status": "RESIDU", "n": "50"}, **hx)
    assert filtered["HX-Push-Url"] == f"{url}?status=RESIDU"
    everything = client.post(url, {"status": "", "n": "50"}, **hx)
    assert everything["HX-Push-Url"] == url
    searched = client.post(url, {"status": "RESIDU", "q": "Ani"}, **hx)
    assert "HX-Push-Url" not in searched and "Ani" in searched.content.decode()


def test_the_schools_operator_finds_a_number_however_it_is_typed_and_a_reader_cannot(
    client, operator, dinas_kab, school, mixed
):  # type: ignore[no-untyped-def]
    # mixed: Ani Residu has 081211112222 (E.164 +6281211112222).
    client.force_login(operator)
    for term in ("081211112222", "6281211112222", "0812-1111-2222", "11112222"):
        html = client.post(f"/sekolah/{school.npsn}/", {"q": term}).content.decode()
        assert "Ani Residu" in html and "Menampilkan 1–1 dari 1" in html, term
    assert 'name="q" value="11112222"' in html  # the operator's own term, as typed
    client.force_login(dinas_kab)
    html = client.post(f"/sekolah/{school.npsn}/", {"q": "081211112222"}).content.decode()
    assert "Ani Residu" not in html and "Cari nama atau NISN" in html
    # The reader's search gives the number back masked, as the reader sees every number, above
    # the box and not in it (decisions 0098, 0104).
    assert "Dicari: 0812****2222 (" in html and 'name="q" value=""' in html
