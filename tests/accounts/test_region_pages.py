"""The Dinas page (schools ranked by progress, CSV export) and the Pusdatin page (find a school, periods)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import RecipientFactory, SchoolFactory
from verval.core.models import AuditEvent
from verval.reference.models import Period

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(school, other_school):  # type: ignore[no-untyped-def]
    late = SchoolFactory(npsn="20199999", name="SD Negeri Terlambat")
    RecipientFactory.create_batch(3, school=school, status="AKTIF")
    RecipientFactory(school=school, status="RESIDU")
    RecipientFactory(school=late, status="BELUM_VERVAL")
    RecipientFactory(school=late, status="AKTIF")
    RecipientFactory(school=other_school, status="AKTIF")
    return school, late


def _npsns(response):  # type: ignore[no-untyped-def]
    return [s.npsn for s in response.context["schools"]]


def test_dinas_kab_sees_its_schools_least_advanced_first(client, dinas_kab, region):  # type: ignore[no-untyped-def]
    school, late = region
    client.force_login(dinas_kab)
    response = client.get(reverse("core:dinas"))
    assert _npsns(response) == [late.npsn, school.npsn]
    rows = {s.npsn: (s.total, s.aktif, s.share_pct, s.residu) for s in response.context["schools"]}
    assert rows == {late.npsn: (2, 1, 50.0, 0), school.npsn: (4, 3, 75.0, 1)}
    assert reverse("registry:school", args=[school.npsn]) in response.content.decode()


def test_dinas_list_sorts_by_column_and_searches(client, dinas_kab, region):  # type: ignore[no-untyped-def]
    school, late = region
    client.force_login(dinas_kab)
    assert _npsns(client.get(reverse("core:dinas"), {"sort": "-share"})) == [school.npsn, late.npsn]
    assert _npsns(client.get(reverse("core:dinas"), {"sort": "-residu"})) == [school.npsn, late.npsn]
    assert _npsns(client.get(reverse("core:dinas"), {"q": "terlambat"})) == [late.npsn]
    assert _npsns(client.get(reverse("core:dinas"), {"sort": "bogus; drop"})) == [late.npsn, school.npsn]


def test_dinas_list_sorts_a_count_largest_first_on_the_first_click_and_turns_it_on_the_second(
    client, dinas_kab, region
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    links = {key: link for key, _label, link in client.get(reverse("core:dinas")).context["columns"]}
    assert links == {
        "npsn": "npsn", "name": "name", "total": "-total", "aktif": "-aktif", "share": "-share", "residu": "-residu",
    }  # fmt: skip
    sorted_by_residue = client.get(reverse("core:dinas"), {"sort": "-residu"})
    assert {key: link for key, _label, link in sorted_by_residue.context["columns"]}["residu"] == "residu"
    assert 'href="?q=&amp;sort=residu"' in sorted_by_residue.content.decode()


def test_dinas_prov_sees_schools_of_the_whole_province(client, dinas_prov, region, other_school):  # type: ignore[no-untyped-def]
    client.force_login(dinas_prov)
    assert other_school.npsn in _npsns(client.get(reverse("core:dinas")))


def test_dinas_list_is_paged(client, dinas_kab, school):  # type: ignore[no-untyped-def]
    SchoolFactory.create_batch(60)
    client.force_login(dinas_kab)
    first = client.get(reverse("core:dinas"))
    assert len(first.context["schools"]) == 50 and first.context["page"].paginator.num_pages == 2
    assert len(client.get(reverse("core:dinas"), {"hal": 2}).context["schools"]) == 11


def test_dinas_export_is_csv_of_its_schools_and_audited(client, dinas_kab, region, other_school):  # type: ignore[no-untyped-def]
    school, late = region
    client.force_login(dinas_kab)
    response = client.get(reverse("core:dinas_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["npsn"] for r in rows] == [late.npsn, school.npsn]
    assert rows[1] == {
        "npsn": school.npsn,
        "nama_sekolah": school.name,
        "bentuk": "SD",
        "kabupaten_kota": "Kab. Bogor",
        "penerima": "4",
        "aktif": "3",
        "persen_aktif": "75.0",
        "residu": "1",
        "kecamatan": "Kec. Nanggung",
    }
    assert (
        AuditEvent.objects.filter(
            action="download_region_school_list", actor=dinas_kab, region_code="020500"
        ).count()
        == 1
    )


def test_pusdatin_finds_a_school_by_npsn_or_name(client, pusdatin, region):  # type: ignore[no-untyped-def]
    school, late = region
    client.force_login(pusdatin)
    by_npsn = client.get(reverse("core:pusdatin"), {"q": late.npsn})
    assert [s.npsn for s in by_npsn.context["found"]] == [late.npsn]
    by_name = client.get(reverse("core:pusdatin"), {"q": "Terlambat"})
    assert [s.npsn for s in by_name.context["found"]] == [late.npsn]
    assert reverse("registry:school", args=[late.npsn]) in by_name.content.decode()


def _period_data(**kw):  # type: ignore[no-untyped-def]
    data = {
        "code": "2020-10-T1",
        "name": "Oktober 2020 tahap 1",
        "policy": "2020",
        "starts_on": "2020-10-01",
        "ends_on": "2020-10-31",
        "sptjm_print_deadline": "2020-10-10",
        "sptjm_upload_deadline": "2020-10-15",
        "handover_on": "2020-10-20",
    }
    data.update(kw)
    return data


def test_pusdatin_creates_edits_opens_and_closes_a_period(client, pusdatin):  # type: ignore[no-untyped-def]
    from verval.reference.models import QuotaPolicy

    policy = QuotaPolicy.objects.order_by("code").first()
    client.force_login(pusdatin)
    assert client.post(reverse("core:period_create"), _period_data(policy=policy.code)).status_code == 302
    period = Period.objects.get(code="2020-10-T1")
    assert (str(period.handover_on), period.is_open, period.policy_id) == ("2020-10-20", False, policy.code)
    client.post(
        reverse("core:period_edit", args=[period.code]),
        _period_data(policy=policy.code, name="Oktober I", code="LAIN"),
    )
    period.refresh_from_db()
    assert period.name == "Oktober I" and not Period.objects.filter(code="LAIN").exists()
    client.post(reverse("core:period_open", args=[period.code]))
    assert Period.objects.get(code=period.code).is_open is True
    november = {
        "starts_on": "2020-11-01",
        "ends_on": "2020-11-30",
        "sptjm_print_deadline": "2020-11-10",
        "sptjm_upload_deadline": "2020-11-15",
        "handover_on": "2020-11-20",
    }
    client.post(
        reverse("core:period_create"), _period_data(policy=policy.code, code="2020-10-T2", **november)
    )
    client.post(reverse("core:period_open", args=["2020-10-T2"]))
    assert list(Period.objects.filter(is_open=True).values_list("code", flat=True)) == ["2020-10-T2"]
    client.post(reverse("core:period_close", args=["2020-10-T2"]))
    assert not Period.objects.filter(is_open=True).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="period").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "create_period",
        "update_period",
        "open_period",
        "create_period",
        "close_period",
        "open_period",
        "close_period",
    ]


def test_period_end_before_start_is_refused(client, pusdatin):  # type: ignore[no-untyped-def]
    from verval.reference.models import QuotaPolicy

    client.force_login(pusdatin)
    data = _period_data(policy=QuotaPolicy.objects.first().code, ends_on="2020-09-01")
    response = client.post(reverse("core:period_create"), data)
    assert "Tanggal selesai harus sesudah tanggal mulai." in response.content.decode()
    assert not Period.objects.exists()


def test_period_edit_form_shows_the_stored_dates_in_the_date_boxes(client, pusdatin):  # type: ignore[no-untyped-def]
    # Rendered in the Indonesian format (22-10-2020), a date box shows nothing and saving the
    # name alone then failed, or lost the deadlines.
    client.force_login(pusdatin)
    client.post(reverse("core:period_create"), _period_data())
    html = client.get(reverse("core:period_edit", args=["2020-10-T1"])).content.decode()
    for name, value in (
        ("starts_on", "2020-10-01"),
        ("sptjm_upload_deadline", "2020-10-15"),
        ("handover_on", "2020-10-20"),
    ):
        assert f'type="date" name="{name}" value="{value}"' in html
    assert (
        client.post(
            reverse("core:period_edit", args=["2020-10-T1"]), _period_data(name="Oktober I")
        ).status_code
        == 302
    )
    period = Period.objects.get(code="2020-10-T1")
    assert (period.name, str(period.sptjm_print_deadline), str(period.handover_on)) == (
        "Oktober I",
        "2020-10-10",
        "2020-10-20",
    )


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"sptjm_print_deadline": "2020-10-16"}, "Urutan jadwal: batas cetak SPTJM, lalu batas unggah SPTJM"),
        ({"handover_on": "2020-10-12"}, "Urutan jadwal: batas cetak SPTJM, lalu batas unggah SPTJM"),
        ({"handover_on": "2020-11-02"}, "Tenggat tidak boleh sesudah tanggal selesai periode."),
        ({"sptjm_print_deadline": "2020-09-30"}, "Tenggat tidak boleh sebelum tanggal mulai periode."),
    ],
)
def test_period_deadlines_out_of_order_are_refused(client, pusdatin, dates, message):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    response = client.post(reverse("core:period_create"), _period_data(**dates))
    assert message in response.content.decode()
    assert not Period.objects.exists()


def test_period_without_some_deadlines_keeps_the_order_of_the_others(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    data = _period_data(sptjm_upload_deadline="", handover_on="2020-10-11")
    assert client.post(reverse("core:period_create"), data).status_code == 302


def test_unknown_period_is_not_found_for_pusdatin_and_refused_for_others(client, pusdatin, operator):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    assert client.get(reverse("core:period_edit", args=["TIDAKADA"])).status_code == 404
    client.force_login(operator)
    assert client.get(reverse("core:period_edit", args=["TIDAKADA"])).status_code == 403
