"""The Dinas school list narrowed to a kabupaten/kota and a kecamatan (decision 0060)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import RecipientFactory, SchoolFactory
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db

# The filtered page as measured (session, user, the scope's regions, the kecamatan of the
# kabupaten/kota, the count, the page, SPTJM states, pending registrations, whether the dashboard's
# school summaries are current (decision 0085)...): a change that adds one query per school or per
# kecamatan fails here.
QUERIES = 12

NANGGUNG = "020501"  # Kab. Bogor, the fixture school's kecamatan
LEUWILIANG = "020502"  # Kab. Bogor
SUKABUMI = "020600"
SUKABUMI_DISTRICT = "020601"  # the other school's kecamatan


@pytest.fixture
def bogor(school, other_school):  # type: ignore[no-untyped-def]
    """Two schools in Nanggung (the fixture school and a late one), one in Leuwiliang, and the
    other school in Kab. Sukabumi."""
    late = SchoolFactory(npsn="20199998", name="SD Negeri Nanggung Terlambat")
    west = SchoolFactory(npsn="20199997", name="SD Negeri Leuwiliang", region_id=LEUWILIANG)
    RecipientFactory.create_batch(3, school=school, status="AKTIF")
    RecipientFactory(school=school, status="RESIDU")
    RecipientFactory(school=late, status="BELUM_VERVAL")
    RecipientFactory(school=late, status="AKTIF")
    RecipientFactory(school=west, status="BELUM_VERVAL")
    RecipientFactory(school=other_school, status="AKTIF")
    return school, late, west


def _npsns(response):  # type: ignore[no-untyped-def]
    return [s.npsn for s in response.context["schools"]]


def _csv_npsns(response):  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return [r["npsn"] for r in csv.DictReader(io.StringIO(body))]


def test_dinas_kab_narrows_its_list_to_one_kecamatan(client, dinas_kab, bogor):  # type: ignore[no-untyped-def]
    school, late, west = bogor
    client.force_login(dinas_kab)
    response = client.get(reverse("core:dinas"), {"kecamatan": NANGGUNG})
    assert response.status_code == 200
    assert _npsns(response) == [late.npsn, school.npsn]
    assert _npsns(client.get(reverse("core:dinas"), {"kecamatan": LEUWILIANG})) == [west.npsn]
    where = response.context["where"]
    assert (where.regency, where.district, where.regencies) == ("020500", NANGGUNG, [])
    assert (NANGGUNG, "Kec. Nanggung") in where.districts
    assert all(code.startswith("0205") for code, _name in where.districts)
    assert f'<option value="{NANGGUNG}" selected>Kec. Nanggung</option>' in response.content.decode()


def test_kecamatan_filter_keeps_search_and_sort_and_their_links_keep_it(client, dinas_kab, bogor):  # type: ignore[no-untyped-def]
    school, late, west = bogor
    client.force_login(dinas_kab)
    url = reverse("core:dinas")
    assert _npsns(client.get(url, {"kecamatan": NANGGUNG, "sort": "-share"})) == [school.npsn, late.npsn]
    assert _npsns(client.get(url, {"kecamatan": NANGGUNG, "q": "terlambat"})) == [late.npsn]
    assert _npsns(client.get(url, {"kecamatan": LEUWILIANG, "q": "terlambat"})) == []
    page = client.get(url, {"kecamatan": NANGGUNG, "q": "SD", "sort": "-residu"}).content.decode()
    assert f'href="?q=SD&amp;kecamatan={NANGGUNG}&amp;sort=residu"' in page
    assert f'href="{reverse("core:dinas_export")}?q=SD&amp;kecamatan={NANGGUNG}&amp;sort=-residu"' in page


def test_kecamatan_filter_pages_and_the_pager_keeps_it(client, dinas_kab, bogor):  # type: ignore[no-untyped-def]
    SchoolFactory.create_batch(55, region_id=LEUWILIANG)
    client.force_login(dinas_kab)
    first = client.get(reverse("core:dinas"), {"kecamatan": LEUWILIANG})
    assert first.context["page"].paginator.count == 56
    assert f"?kecamatan={LEUWILIANG}&amp;hal=2" in first.content.decode()
    second = client.get(reverse("core:dinas"), {"kecamatan": LEUWILIANG, "hal": 2})
    assert len(second.context["schools"]) == 6
    assert all(s.region_id == LEUWILIANG for s in second.context["schools"])


def test_csv_exports_what_the_filtered_page_shows_and_audits_the_filter(client, dinas_kab, bogor):  # type: ignore[no-untyped-def]
    school, late, west = bogor
    client.force_login(dinas_kab)
    params = {"kecamatan": NANGGUNG, "sort": "-share"}
    page = client.get(reverse("core:dinas"), params)
    export = client.get(reverse("core:dinas_export"), params)
    assert _csv_npsns(export) == _npsns(page) == [school.npsn, late.npsn]
    assert export["Content-Disposition"].startswith(f'attachment; filename="sekolah-{NANGGUNG}-')
    event = AuditEvent.objects.get(action="download_region_school_list", actor=dinas_kab)
    assert (event.region_code, event.note) == (NANGGUNG, f"format=csv kabkota= kecamatan={NANGGUNG}")


@pytest.mark.parametrize(
    "params",
    [
        {"kecamatan": SUKABUMI_DISTRICT},  # a kecamatan of another Dinas
        {"kecamatan": "999999"},  # no such code
        {"kecamatan": "020500"},  # a kabupaten/kota given as a kecamatan
        {"kabkota": SUKABUMI},  # another kabupaten/kota
    ],
)
def test_dinas_kab_gets_404_for_a_region_outside_its_own_and_sees_nothing_of_it(
    client, dinas_kab, bogor, other_school, params
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    response = client.get(reverse("core:dinas"), params)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Kabupaten/kota atau kecamatan itu tidak ada di wilayah Anda." in page
    assert other_school.npsn not in page and "Sukabumi" not in page
    assert client.get(reverse("core:dinas_export"), params).status_code == 404
    assert not AuditEvent.objects.filter(action="download_region_school_list").exists()


def test_dinas_prov_narrows_to_a_kabupaten_kota_then_a_kecamatan(client, dinas_prov, bogor, other_school):  # type: ignore[no-untyped-def]
    school, late, west = bogor
    client.force_login(dinas_prov)
    url = reverse("core:dinas")
    whole = client.get(url)
    assert sorted(_npsns(whole)) == sorted([school.npsn, late.npsn, west.npsn, other_school.npsn])
    assert whole.context["where"].districts == []  # the kecamatan list waits for a kabupaten/kota
    assert ("020500", "Kab. Bogor") in whole.context["where"].regencies
    assert _npsns(client.get(url, {"kabkota": SUKABUMI})) == [other_school.npsn]
    assert _npsns(client.get(url, {"kabkota": "020500", "kecamatan": LEUWILIANG})) == [west.npsn]
    # A kecamatan alone names its kabupaten/kota, whose kecamatan the form then lists.
    alone = client.get(url, {"kecamatan": SUKABUMI_DISTRICT})
    assert _npsns(alone) == [other_school.npsn]
    assert (alone.context["where"].regency, alone.context["where"].district) == (SUKABUMI, SUKABUMI_DISTRICT)
    # The kabupaten/kota changed in the form while the old kecamatan was still chosen: the
    # kabupaten/kota wins.
    switched = client.get(url, {"kabkota": SUKABUMI, "kecamatan": NANGGUNG})
    assert _npsns(switched) == [other_school.npsn]
    assert switched.context["where"].district == ""
    export = client.get(reverse("core:dinas_export"), {"kabkota": SUKABUMI})
    assert _csv_npsns(export) == [other_school.npsn]


def test_dinas_prov_gets_404_for_a_kabupaten_kota_of_another_province(client, dinas_prov, bogor):  # type: ignore[no-untyped-def]
    client.force_login(dinas_prov)
    assert client.get(reverse("core:dinas"), {"kabkota": "010100"}).status_code == 404
    assert client.get(reverse("core:dinas"), {"kecamatan": "010101"}).status_code == 404


def test_school_list_downloads_for_a_kabupaten_kota_outside_the_region_answer_the_way_back_and_audit_nothing(
    client, dinas_prov, bogor
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_prov)
    for name in ("core:dinas_export", "core:dinas_export_xlsx"):
        for params in ({"kabkota": "010100"}, {"kecamatan": "010101"}, {"kabkota": "999900"}):
            response = client.get(reverse(name), params)
            assert response.status_code == 404
            assert response["Content-Type"] == "text/html; charset=utf-8"
            page = response.content.decode()
            assert "Kabupaten/kota atau kecamatan itu tidak ada di wilayah Anda." in page
            assert f'href="{reverse("core:dinas")}"' in page
    assert not AuditEvent.objects.filter(action="download_region_school_list").exists()


def test_filtered_dinas_list_queries_do_not_grow_with_the_schools(
    client, dinas_prov, bogor, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_prov)
    params = {"kabkota": "020500", "kecamatan": NANGGUNG}
    client.get(reverse("core:dinas"), params)  # session and caches warm
    with django_assert_max_num_queries(QUERIES) as few:
        client.get(reverse("core:dinas"), params)
    for _ in range(40):
        RecipientFactory(school=SchoolFactory(), status="AKTIF")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("core:dinas"), params)
    assert len(response.context["schools"]) == 42


def _csv_rows(response):  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_school_list_csv_and_excel_end_with_the_kecamatan_empty_for_a_school_placed_in_a_kabupaten_only(
    client, dinas_kab, bogor
):  # type: ignore[no-untyped-def]
    # Decision 0067: the column comes last, so a program reading the earlier ones by position
    # keeps working; a cutoff that gave only a kabupaten/kota code leaves it empty.
    from tests.core.test_report_downloads import _sheet

    school, late, west = bogor
    regency_only = SchoolFactory(npsn="20199996", name="SD Negeri Tanpa Kecamatan", region_id="020500")
    client.force_login(dinas_kab)

    rows = _csv_rows(client.get(reverse("core:dinas_export"), {"sort": "npsn"}))
    sheet = list(
        _sheet(client.get(reverse("core:dinas_export_xlsx"), {"sort": "npsn"})).iter_rows(values_only=True)
    )

    assert rows[0] == [
        "npsn",
        "nama_sekolah",
        "bentuk",
        "kabupaten_kota",
        "penerima",
        "aktif",
        "persen_aktif",
        "residu",
        "kecamatan",
    ]
    by_npsn = {row[0]: row[8] for row in rows[1:]}
    assert by_npsn == {
        school.npsn: "Kec. Nanggung",
        late.npsn: "Kec. Nanggung",
        west.npsn: "Kec. Leuwiliang",
        regency_only.npsn: "",
    }
    assert [(row[0], row[8] or "") for row in sheet[1:]] == [(row[0], row[8]) for row in rows[1:]]


def test_school_list_csv_queries_do_not_grow_with_the_schools_of_many_kecamatan(
    client, dinas_kab, bogor, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    url = reverse("core:dinas_export")
    with django_assert_max_num_queries(50) as few:
        assert len(_csv_rows(client.get(url))) == 4
    for n in range(20):
        SchoolFactory(region_id=LEUWILIANG if n % 2 else NANGGUNG)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(_csv_rows(client.get(url))) == 24


def test_school_list_pager_counts_the_schools_without_reading_their_recipients(client, dinas_kab, bogor):  # type: ignore[no-untyped-def]
    # A kabupaten of 5,000 schools counted every recipient twice a page: once for the rows shown,
    # once for the pager (decision 0079). Now only the rows shown read the recipients.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SchoolFactory.create_batch(55, region_id=LEUWILIANG, name="SD Swasta Leuwiliang")
    client.force_login(dinas_kab)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:dinas"), {"q": "leuwiliang"})

    assert response.context["page"].paginator.count == 56
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["schools"]) == 50
    assert sum('"registry_recipient"' in q["sql"] for q in queries.captured_queries) == 1
