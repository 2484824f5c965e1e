"""The province Dinas' journey (decision 0089): its lists span many kabupaten/kota, so each school
says which one it is in; and its home leads to the region's drill-down and the list to chase."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import RecipientFactory
from verval.dashboard import services
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db

BOGOR, SUKABUMI = "020500", "020600"


@pytest.fixture
def two_regencies(school, other_school):  # type: ignore[no-untyped-def]
    """The fixture school in Kab. Bogor and the other in Kab. Sukabumi, both of Prov. Jawa Barat,
    both behind (active numbers, no SPTJM printed)."""
    rows = [RecipientFactory.build(school=school, status="AKTIF") for _ in range(3)]
    rows += [RecipientFactory.build(school=school, status="RESIDU", reason="TIDAK_AKTIF")]
    rows += [RecipientFactory.build(school=other_school, status="AKTIF") for _ in range(2)]
    Recipient.objects.bulk_create(rows)
    services.refresh_all()
    return school, other_school


def _regency_cell(name: str, regency: str) -> str:
    return f'{name}<br><span class="small muted">{regency}</span>'


def test_province_school_list_names_the_kabupaten_kota_of_each_school(client, dinas_prov, two_regencies):  # type: ignore[no-untyped-def]
    school, other = two_regencies
    client.force_login(dinas_prov)
    response = client.get(reverse("core:dinas"), {"sort": "npsn"})
    assert [(s.npsn, s.regency_name) for s in response.context["schools"]] == sorted(
        [(school.npsn, "Kab. Bogor"), (other.npsn, "Kab. Sukabumi")]
    )
    html = response.content.decode()
    assert _regency_cell(school.name, "Kab. Bogor") in html
    assert _regency_cell(other.name, "Kab. Sukabumi") in html


def test_school_list_narrowed_to_one_kabupaten_kota_does_not_repeat_its_name(  # type: ignore[no-untyped-def]
    client, dinas_prov, dinas_kab, two_regencies
):
    school, _other = two_regencies
    client.force_login(dinas_prov)
    response = client.get(reverse("core:dinas"), {"kabkota": BOGOR})
    assert [(s.npsn, s.regency_name) for s in response.context["schools"]] == [(school.npsn, "")]
    client.force_login(dinas_kab)
    response = client.get(reverse("core:dinas"))
    assert [(s.npsn, s.regency_name) for s in response.context["schools"]] == [(school.npsn, "")]
    assert '<span class="small muted">Kab. Bogor</span>' not in response.content.decode()


def test_province_late_list_names_the_kabupaten_kota_of_each_school(client, dinas_prov, two_regencies):  # type: ignore[no-untyped-def]
    school, other = two_regencies
    client.force_login(dinas_prov)
    response = client.get(reverse("dashboard:behind"))
    assert sorted((s.school_id, where) for s, _reasons, where in response.context["items"]) == sorted(
        [(school.npsn, "Kab. Bogor"), (other.npsn, "Kab. Sukabumi")]
    )
    html = response.content.decode()
    assert f'{school.name}</a><br><span class="small muted">Kab. Bogor</span>' in html
    narrowed = client.get(reverse("dashboard:behind"), {"kabkota": SUKABUMI})
    assert [(s.school_id, where) for s, _r, where in narrowed.context["items"]] == [(other.npsn, "")]


def test_late_list_downloads_end_with_the_kabupaten_kota_name(client, dinas_prov, two_regencies):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    school, other = two_regencies
    client.force_login(dinas_prov)
    body = b"".join(client.get(reverse("dashboard:behind_csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][2] == "kode_kabkota" and rows[0][-1] == "kabupaten_kota" and len(rows[0]) == 18
    assert sorted((r[0], r[2], r[-1]) for r in rows[1:]) == sorted(
        [(school.npsn, BOGOR, "Kab. Bogor"), (other.npsn, SUKABUMI, "Kab. Sukabumi")]
    )
    response = client.get(reverse("dashboard:behind_xlsx"))
    sheet = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert sheet[0][-1] == "kabupaten_kota"
    assert sorted((r[0], r[-1]) for r in sheet[1:]) == sorted(
        [(school.npsn, "Kab. Bogor"), (other.npsn, "Kab. Sukabumi")]
    )


@pytest.mark.parametrize("who", ["dinas_prov", "dinas_kab"])
def test_dinas_home_and_school_list_lead_to_the_region_drill_down_and_the_list_to_chase(  # type: ignore[no-untyped-def]
    client, request, who, two_regencies
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    region_page = reverse("dashboard:region", args=[user.region_id])
    for url in (reverse("accounts:home"), reverse("core:dinas")):
        html = client.get(url).content.decode()
        assert f'<a href="{region_page}">Progres wilayah saya, dirinci sampai ke sekolah</a>' in html, url
        assert '<a href="/progres/tertinggal/">Sekolah yang perlu ditindaklanjuti</a>' in html, url
    assert client.get(region_page).status_code == 200
    assert client.get(reverse("dashboard:behind")).status_code == 200
    help_page = client.get(reverse("help:dinas")).content.decode()
    assert f'<a href="{region_page}">Progres wilayah saya</a>' in help_page
    assert '<a href="/progres/tertinggal/">Sekolah yang perlu ditindaklanjuti</a>' in help_page


def test_school_progress_page_leads_to_the_schools_own_list(client, dinas_prov, two_regencies):  # type: ignore[no-untyped-def]
    school, _other = two_regencies
    client.force_login(dinas_prov)
    html = client.get(reverse("dashboard:school", args=[school.npsn])).content.decode()
    data_page = reverse("registry:school", args=[school.npsn])
    assert f'<a href="{data_page}">Data peserta didik dan PTK sekolah ini</a>' in html
    assert client.get(data_page).status_code == 200
    # A region page has no such link.
    region_html = client.get(reverse("dashboard:region", args=[BOGOR])).content.decode()
    assert "Data peserta didik dan PTK sekolah ini" not in region_html


def test_export_job_page_leads_back_to_the_list_it_was_asked_from(  # type: ignore[no-untyped-def]
    client, dinas_prov, two_regencies, settings, django_capture_on_commit_callbacks
):
    # The job page of a late-schools export was a dead end for a Dinas: no menu entry leads to
    # /progres/tertinggal/, and the page linked only to the file.
    client.force_login(dinas_prov)
    settings.VERVAL = {**settings.VERVAL, "EXPORT_JOB_ROWS": 0}
    for query, back in (
        ("", "/progres/tertinggal/"),
        (f"?kabkota={BOGOR}", f"/progres/tertinggal/?kabkota={BOGOR}"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("dashboard:behind_xlsx") + query, follow=True)
        assert response.status_code == 200 and response.context["job"].kind == "export_behind"
        html = response.content.decode()
        assert (
            f'<p class="back"><a href="{back}">« Kembali ke sekolah yang perlu ditindaklanjuti</a></p>'
            in html
        )
