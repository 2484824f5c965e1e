"""Figures and labels written one way on the dashboard and the Dinas/Pusdatin pages (decision 0060)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import RecipientFactory
from verval.core.jobs import COUNT_LABELS
from verval.dashboard import services
from verval.registry.models import NumberStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_of_four_active(school):  # type: ignore[no-untyped-def]
    RecipientFactory.create_batch(3, school=school, status="AKTIF")
    RecipientFactory(school=school, status="RESIDU", reason="TIDAK_AKTIF")
    services.refresh_all()
    return school


def test_dinas_list_and_dashboard_write_a_schools_share_the_same_way(client, dinas_kab, three_of_four_active):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    dinas = client.get(reverse("core:dinas")).content.decode()
    regency = client.get(reverse("dashboard:region", args=[three_of_four_active.regency_id])).content.decode()
    assert "</progress> 75,0%</td>" in dinas
    assert (
        '<meter min="0" max="100" value="75.0" class="dash-meter" aria-hidden="true"></meter> 75,0%</td>'
        in regency
    )
    # No figure on either page is followed by a space (plain or no-break) and its percent sign.
    for page in (dinas, regency):
        assert not re.search(r"\d[ \u00a0]%", page)


def test_english_writes_a_share_with_a_decimal_point_and_no_space(client, dinas_kab, three_of_four_active):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "</progress> 75.0%</td>" in client.get(reverse("core:dinas")).content.decode()


def test_dashboard_and_job_pages_name_the_number_statuses_as_the_registry_does(client, three_of_four_active):  # type: ignore[no-untyped-def]
    body = client.get(reverse("dashboard:region", args=[three_of_four_active.province_id])).content.decode()
    legend = body[body.index('<ul class="dash-legend dash-sm"') :]
    legend = legend[: legend.index("</ul>")]
    shown = re.findall(r"</span>([^<]+)</li>", legend)
    assert shown == [
        NumberStatus.AKTIF.label,
        NumberStatus.RESIDU.label,
        NumberStatus.MENUNGGU_PROVIDER.label,
        NumberStatus.FORMAT_SALAH.label,
        NumberStatus.BELUM_VERVAL.label,
    ]
    assert shown == [
        "Aktif",
        "Residu",
        "Proses validasi provider",
        "Format tidak valid",
        "Belum diverifikasi",
    ]
    assert (str(COUNT_LABELS["format_salah"]), str(COUNT_LABELS["menunggu_provider"])) == (
        NumberStatus.FORMAT_SALAH.label,
        NumberStatus.MENUNGGU_PROVIDER.label,
    )


def test_status_chart_legend_wraps_instead_of_running_off_the_chart():
    from verval.dashboard.charts import stacked_bars_svg

    segments = [(code, label) for code, label in NumberStatus.choices]
    svg = str(stacked_bars_svg([{"label": "SD", "total": 1, "parts": {"AKTIF": 1}}], segments, title="t"))
    xs = [int(x) for x in re.findall(r'<rect x="(\d+)" y="\d+" width="10"', svg)]
    labels = re.findall(r'font-size="11" fill="#1b1f23">([^<]+)</text>', svg)
    ends = [x + 14 + 7 * len(label) for x, label in zip(xs, labels, strict=True)]
    assert max(ends) <= 640
    assert sorted(set(re.findall(r'<rect x="\d+" y="(\d+)" width="10"', svg))) == ["24", "6"]
