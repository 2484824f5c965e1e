"""Dashboard pages: public aggregates, scoped drill-down, lists to act on, downloads."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from tests.factories import RecipientFactory, SchoolFactory
from verval.core.models import AuditEvent
from verval.dashboard import services
from verval.registry.models import Recipient

# A regency page computed afresh with a kecamatan chosen, as measured: a query per school or per
# kecamatan would fail the test that adds schools.
REGENCY_PAGE_QUERIES = 16


@pytest.fixture
def figures(school, other_school):
    rows = [RecipientFactory.build(school=school, status="AKTIF") for _ in range(6)]
    rows += [RecipientFactory.build(school=school, status="RESIDU", reason="TIDAK_AKTIF") for _ in range(4)]
    rows += [
        RecipientFactory.build(school=other_school, status="AKTIF", operator="indosat") for _ in range(2)
    ]
    Recipient.objects.bulk_create(rows)
    services.refresh_all()
    return school


def test_public_page_shows_national_funnel_map_and_is_cacheable_by_the_browser_only(client, figures):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="dash-map"' in body
    assert body.count("<path ") == 33
    # The folds are said on the map, whatever the data holds.
    assert "Prov. Kalimantan Utara (kode Kemendagri 65) digambar pada bentuk Kalimantan Timur" in body
    assert "Papua Barat Daya 96 → bentuk Papua Barat" in body
    assert "<h1>Progres Verval Ponsel · Indonesia</h1>" in body
    assert "Prov. Jawa Barat" in body  # the per-province table
    assert figures.name not in body  # no school names on the public page
    # private: the page carries the visitor's CSRF token, which a shared cache would hand on.
    assert response["Cache-Control"] == "private, max-age=300"
    assert 'style="' not in body and "<script>" not in body


def test_public_json_is_aggregates_only(client, figures):
    data = client.get(reverse("dashboard:public_json")).json()
    assert data["funnel"]["imported"] == 12
    assert data["funnel"]["aktif"] == 8
    assert list(data["funnel"]) == [
        "imported", "valid", "sent", "aktif", "residu",
        "sptjm_printed", "sptjm_uploaded", "sptjm_approved", "sptjm_carried", "berhasil", "gagal",
    ]  # fmt: skip
    assert data["residu_by_reason"] == {"TIDAK_AKTIF": 4}
    assert [p["code"] for p in data["provinces"]] == ["020000"]
    assert data["provinces"][0]["aktif"] == 8


def test_public_sees_province_and_regency_aggregates_but_no_school_list(client, figures):
    prov = client.get(reverse("dashboard:region", args=[figures.province_id]))
    assert prov.status_code == 200
    assert "Kab. Bogor" in prov.content.decode()
    reg = client.get(reverse("dashboard:region", args=[figures.regency_id]))
    body = reg.content.decode()
    assert reg.status_code == 200
    assert figures.name not in body
    assert "Daftar sekolah hanya tampil" in body


def test_dinas_kab_sees_schools_of_own_regency_only(
    client, figures, dinas_kab, other_dinas_kab, other_school
):
    client.force_login(dinas_kab)
    body = client.get(reverse("dashboard:region", args=[figures.regency_id])).content.decode()
    assert figures.name in body
    assert reverse("dashboard:school", args=[figures.npsn]) in body
    client.force_login(other_dinas_kab)
    body = client.get(reverse("dashboard:region", args=[figures.regency_id])).content.decode()
    assert figures.name not in body
    assert client.get(reverse("dashboard:school", args=[figures.npsn])).status_code == 403


def test_operator_sees_own_school_funnel_not_another(client, figures, operator, other_school):
    client.force_login(operator)
    response = client.get(reverse("dashboard:school", args=[figures.npsn]))
    assert response.status_code == 200
    assert response.context["funnel"].imported == 10
    assert response.context["funnel"].residu_by_reason == {"TIDAK_AKTIF": 4}
    assert "private" in response["Cache-Control"]
    assert client.get(reverse("dashboard:school", args=[other_school.npsn])).status_code == 403
    assert client.get(reverse("dashboard:mine")).url == reverse("dashboard:school", args=[figures.npsn])


def test_filters_apply_to_page_figures(client, figures):
    response = client.get("/", {"provider": "indosat"})
    assert response.context["funnel"].imported == 2
    response = client.get("/", {"provider": "bogus", "jenjang": "XX"})
    assert response.context["funnel"].imported == 12


def test_drill_links_carry_filters(client, figures):
    body = client.get("/", {"jenis": "PD"}).content.decode()
    assert reverse("dashboard:region", args=["020000"]) + "?jenis=PD" in body


def test_behind_list_is_scoped_and_ordered(client, figures, other_school, dinas_kab, pusdatin, operator):
    client.force_login(dinas_kab)
    response = client.get(reverse("dashboard:behind"))
    assert response.status_code == 200
    assert [s.school_id for s, _reasons, _where in response.context["items"]] == [figures.npsn]
    reasons = [str(r) for r in response.context["items"][0][1]]
    assert reasons == ["Ada nomor aktif, SPTJM belum dicetak", "Residu/format tidak valid ≥ 20%"]
    client.force_login(pusdatin)
    response = client.get(reverse("dashboard:behind"))
    assert [s.school_id for s, _r, _where in response.context["items"]] == [figures.npsn, other_school.npsn]
    client.force_login(operator)
    assert client.get(reverse("dashboard:behind")).status_code == 403


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "dua"])
def test_behind_list_answers_any_page_number_without_an_error(client, figures, dinas_kab, page):
    client.force_login(dinas_kab)
    response = client.get(reverse("dashboard:behind"), {"hal": page}, follow=True)
    assert response.status_code == 200
    # Far past the end: the last page (here the first), with a notice, as every list (decision
    # 0136); below 1: the first page, with a notice (decision 0096); "dua": page 1.
    assert [s.school_id for s, _reasons, _where in response.context["items"]] == [figures.npsn]
    html = response.content.decode()
    notice = {
        "99999999999999999999": "Halaman 1.000.000.000 tidak ada: daftar ini hanya 1 halaman. "
        "Yang ditampilkan halaman terakhir.",
        "-3": "Halaman -3 tidak ada. Yang ditampilkan halaman pertama.",
    }
    assert ("Yang ditampilkan halaman" in html) == (page != "dua")
    if page in notice:
        assert notice[page] in html
    assert "Tidak ada sekolah yang tertinggal" not in html


# Was a bare 403 "Tidak boleh diakses" until decision 0136: now the answer of `/dinas/` to a
# kabupaten/kota outside the region, a 404 that says so with the way back (a bookmark of an old
# filter), for the list and its two downloads alike, and nothing downloaded or audited.
NOT_IN_REGION = "Kabupaten/kota atau kecamatan itu tidak ada di wilayah Anda."
BACK = '<a class="button" href="/progres/tertinggal/">Tampilkan semua sekolah yang perlu ditindaklanjuti</a>'


@pytest.mark.parametrize("name", ["dashboard:behind", "dashboard:behind_csv", "dashboard:behind_xlsx"])
def test_behind_list_answers_a_regency_outside_the_region_with_a_404_that_says_so_and_leads_back(
    client, figures, dinas_kab, other_school, name
):
    client.force_login(dinas_kab)

    response = client.get(reverse(name), {"kabkota": other_school.regency_id})

    html = response.content.decode()
    assert response.status_code == 404
    assert f'<p role="alert">{NOT_IN_REGION}</p>' in html and BACK in html
    assert not AuditEvent.objects.filter(action__startswith="download_behind_schools").exists()


def test_behind_list_answers_pusdatin_a_regency_that_does_not_exist_as_one_outside_a_region(
    client, figures, pusdatin
):
    client.force_login(pusdatin)

    unknown = client.get(reverse("dashboard:behind"), {"kabkota": "999900"})
    a_province = client.get(reverse("dashboard:behind"), {"kabkota": figures.province_id})

    assert (unknown.status_code, a_province.status_code) == (404, 404)
    assert NOT_IN_REGION in unknown.content.decode() and BACK in a_province.content.decode()
    assert client.get(reverse("dashboard:behind"), {"kabkota": figures.regency_id}).status_code == 200


def test_behind_list_answers_in_english_a_regency_outside_the_region(
    client, figures, dinas_kab, other_school
):
    client.force_login(dinas_kab)
    client.cookies["django_language"] = "en"

    html = client.get(reverse("dashboard:behind"), {"kabkota": other_school.regency_id}).content.decode()

    assert "That regency/city or subdistrict is not in your region." in html


def test_behind_csv_download_is_scoped_and_audited(client, figures, other_school, dinas_kab):
    client.force_login(dinas_kab)
    response = client.get(reverse("dashboard:behind_csv"))
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("\ufeffnpsn,nama_sekolah,kode_kabkota,jenjang,diimpor")
    from django.utils import timezone

    day = f"{timezone.localdate():%Y%m%d}"
    assert response["Content-Disposition"] == f'attachment; filename="sekolah-tertinggal-semua-{day}.csv"'
    assert len(lines) == 2
    assert lines[1].startswith(f"{figures.npsn},{figures.name},{figures.regency_id},SD,10,0,0,6,4,")
    event = AuditEvent.objects.get(action="download_behind_schools_csv")
    assert event.actor == dinas_kab


def test_behind_xlsx_download_is_audited(client, figures, pusdatin):
    from openpyxl import load_workbook

    client.force_login(pusdatin)
    response = client.get(reverse("dashboard:behind_xlsx"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("npsn", "nama_sekolah", "kode_kabkota")
    assert [r[0] for r in rows[1:]] == [
        figures.npsn,
        SchoolFactory._meta.model.objects.exclude(npsn=figures.npsn).first().npsn,
    ]
    assert AuditEvent.objects.filter(action="download_behind_schools_xlsx", actor=pusdatin).count() == 1


def test_dirty_schools_are_refreshed_on_a_signed_in_read(client, figures, dinas_kab):
    Recipient.objects.filter(school=figures, status="RESIDU").update(status="AKTIF", reason="")
    services.mark_dirty([figures.npsn])
    client.force_login(dinas_kab)
    response = client.get(reverse("dashboard:region", args=[figures.regency_id]))
    assert response.context["funnel"].aktif == 10


def test_unknown_region_is_404(client, db):
    assert client.get(reverse("dashboard:region", args=["999999"])).status_code == 404
    assert client.get(reverse("dashboard:region", args=["020501"])).status_code == 404  # kecamatan


def test_english_page_translates_nothing_personal(client, figures):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200


def test_refresh_command_prints_json(figures, capsys):
    from django.core.management import call_command

    call_command("refresh_dashboard", "--json")
    out = capsys.readouterr().out.strip().splitlines()[-1]
    import json

    data = json.loads(out)
    assert data["schools"] == 2
    assert data["school_rows"] == 3


def test_regency_page_lists_at_most_100_schools_unless_asked(client, figures, dinas_kab, monkeypatch):
    from verval.dashboard import views

    monkeypatch.setattr(views, "SCHOOL_ROWS", 1)
    client.force_login(dinas_kab)
    url = reverse("dashboard:region", args=[figures.regency_id])
    other = SchoolFactory()
    Recipient.objects.bulk_create([RecipientFactory.build(school=other, status="AKTIF")])
    services.refresh_all()
    response = client.get(url)
    assert len(response.context["body"]) > 0
    body = response.content.decode()
    assert "Menampilkan 1 dari 2 sekolah" in body
    assert body.count(reverse("dashboard:school", args=[figures.npsn])) == 1  # lowest % aktif first
    body = client.get(url, {"semua": "1"}).content.decode()
    assert reverse("dashboard:school", args=[other.npsn]) in body


def test_percentages_are_written_with_the_unit_against_the_figure():
    from verval.dashboard.templatetags.dashboard_tags import pct1

    assert pct1(12.1, ".") == "12,1%"
    assert pct1(1234.56, ",") == "1,234.6%"
    assert pct1(None) == "–"


def test_the_dashboard_does_not_load_htmx_which_it_does_not_use_signed_in_or_not(client, figures, pusdatin):
    public = client.get(reverse("dashboard:public")).content.decode()
    assert "htmx.min.js" not in public and "hx-headers" not in public
    client.force_login(pusdatin)
    # Loaded by the pages with hx-* attributes alone (decision 0087): the number check is one.
    signed_in = client.get(reverse("dashboard:public")).content.decode()
    assert "htmx.min.js" not in signed_in and "hx-headers" not in signed_in
    assert "htmx.min.js" in client.get(reverse("registry:phone_check")).content.decode()


def test_map_legend_is_html_beside_the_map_so_it_stays_legible_on_a_phone(client, figures):
    html = client.get(reverse("dashboard:public")).content.decode()
    legend = html[html.index('<ul class="dash-legend">') :]
    legend = legend[: legend.index("</ul>")]
    assert legend.count("<li>") == 6 and "0–20%" in legend and "tanpa data" in legend
    svg = html[html.index('<svg class="dash-map"') :]
    assert 'class="legend"' not in svg[: svg.index("</svg>")]


def test_breakdown_of_the_filtered_dimension_says_it_lists_every_group_and_marks_the_chosen_one(
    client, figures
):
    body = client.get("/", {"jenis": "PD"}).content.decode()
    note = "semua kelompok ditampilkan, yang dipilih ditandai; filter lain tetap berlaku"
    assert f'Per jenis <small class="muted">· {note}</small>' in body
    assert body.count('class="chosen" aria-current="true"') == 1
    assert note not in client.get("/").content.decode()


def test_regency_page_narrows_its_school_list_to_one_kecamatan_and_keeps_it_in_its_links(
    client, figures, dinas_kab, monkeypatch
):
    from verval.dashboard import views

    monkeypatch.setattr(views, "SCHOOL_ROWS", 1)
    west = SchoolFactory(npsn="20199997", name="SD Negeri Leuwiliang", region_id="020502")
    west2 = SchoolFactory(npsn="20199996", name="SD Negeri Leuwiliang Dua", region_id="020502")
    Recipient.objects.bulk_create(
        [
            RecipientFactory.build(school=west, status="AKTIF"),
            RecipientFactory.build(school=west2, status="RESIDU"),
        ]
    )
    services.refresh_all()
    client.force_login(dinas_kab)
    url = reverse("dashboard:region", args=[figures.regency_id])
    response = client.get(url, {"kecamatan": "020502", "jenis": "PD"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Per sekolah di Kec. Leuwiliang" in body
    assert '<option value="020502" selected>Kec. Leuwiliang</option>' in body
    assert figures.name not in body  # a school of Kec. Nanggung
    assert "Menampilkan 1 dari 2 sekolah" in body
    assert 'href="?jenis=PD&amp;kecamatan=020502&amp;semua=1"' in body
    every = client.get(url, {"kecamatan": "020502", "jenis": "PD", "semua": "1"}).content.decode()
    assert west.name in every and west2.name in every and figures.name not in every
    # The figures above the list stay the kabupaten/kota's: 10 + 2 recipients, not the 2 of the kecamatan.
    assert response.context["funnel"].imported == 12


def test_regency_page_answers_404_for_a_kecamatan_of_another_regency_or_none(
    client, figures, dinas_prov, other_school
):
    client.force_login(dinas_prov)
    url = reverse("dashboard:region", args=[figures.regency_id])
    assert client.get(url, {"kecamatan": other_school.region_id}).status_code == 404
    assert client.get(url, {"kecamatan": "999999"}).status_code == 404
    assert client.get(url, {"kecamatan": figures.regency_id}).status_code == 404
    empty = client.get(url, {"kecamatan": "020503"}).content.decode()
    assert "Tidak ada sekolah dengan data di Kec. Pamijahan." in empty


def test_regency_page_with_a_kecamatan_runs_as_many_queries_for_many_schools(
    client, figures, dinas_kab, django_assert_max_num_queries
):
    client.force_login(dinas_kab)
    url = reverse("dashboard:region", args=[figures.regency_id])
    client.get(url, {"kecamatan": "020501"})
    with django_assert_max_num_queries(REGENCY_PAGE_QUERIES):
        client.get(url, {"kecamatan": "020501", "jenis": "PD"})
    for _ in range(30):
        Recipient.objects.bulk_create([RecipientFactory.build(school=SchoolFactory(), status="AKTIF")])
    services.refresh_all()
    with django_assert_max_num_queries(REGENCY_PAGE_QUERIES):
        response = client.get(url, {"kecamatan": "020501", "jenis": "PD", "semua": "1"})
    assert len(response.context["body"]) > 0 and "Menampilkan" not in response.content.decode()
