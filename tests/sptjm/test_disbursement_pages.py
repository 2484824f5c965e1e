"""Pusdatin's disbursement and reconciliation pages show statuses, rules and providers by name and
numbers grouped the same way everywhere."""

from __future__ import annotations

from decimal import Decimal

from django.core.management import call_command
from django.test import Client

from tests.factories import RecipientFactory
from tests.sptjm.conftest import approve_all
from verval.sptjm.models import Disbursement, ProviderRecap


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_disbursement_page_names_statuses_rules_and_providers(operator, pusdatin, school, period):
    for i in range(4):
        RecipientFactory(
            school=school,
            status="AKTIF",
            needs_validation=False,
            operator="axis",
            phone_raw=f"08381234{i:04d}",
            phone_e164=f"+628381234{i:04d}",
        )
    approve_all(operator, pusdatin, school, period)
    call_command("disburse", "--period", period.code)
    rows = list(Disbursement.objects.order_by("id"))
    Disbursement.objects.filter(pk=rows[0].pk).update(status="BERHASIL")
    Disbursement.objects.filter(pk=rows[1].pk).update(status="GAGAL", reason="Nomor tidak aktif")
    Disbursement.objects.filter(pk=rows[2].pk).update(status="DIKECUALIKAN", rule="MAKS_3_PAKET", batch=None)

    page = _login(pusdatin).get(f"/pusdatin/penyaluran/?periode={period.code}").content.decode()

    assert (
        '<div class="cards"><div class="card"><b>1</b><span class="label s-DIJADWALKAN">Dijadwalkan</span></div>'
        '<div class="card"><b>1</b><span class="label s-BERHASIL">Berhasil</span></div>'
        '<div class="card"><b>1</b><span class="label s-GAGAL">Gagal</span></div>'
        '<div class="card"><b>1</b><span class="label s-DIKECUALIKAN">Dikecualikan</span></div></div>'
    ) in page
    assert (
        "<p>Dikecualikan menurut aturan: Satu nomor paling banyak menerima 3 paket per periode (1)</p>"
    ) in page
    assert (
        '<tr><td class="lead full" data-label="Provider">AXIS</td><td class="num" data-label="#">1</td>'
        '<td class="num" data-label="Jumlah baris">4</td><td class="num" data-label="GB">140</td>'
    ) in page
    for code in ("BERHASIL", "GAGAL", "DIKECUALIKAN", "MAKS_3_PAKET", "axis"):
        assert f">{code}<" not in page
        assert f"{code} 1" not in page


def test_disbursement_page_without_any_disbursement_says_so(pusdatin, period):
    page = _login(pusdatin).get(f"/pusdatin/penyaluran/?periode={period.code}").content.decode()
    assert '<p class="muted">Belum ada penyaluran.</p>' in page
    assert 'class="cards"' not in page


def test_reconciliation_groups_the_provider_recap_like_our_own_figures(pusdatin, period):
    ProviderRecap.objects.create(
        period=period, provider="indosat", sent=2150, injected=2150, failed=0, gb=Decimal("75250")
    )

    page = _login(pusdatin).get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi/").content.decode()

    assert (
        '<td class="num" data-label="Rekap: dikirim">2.150</td><td class="num" data-label="Rekap: berhasil">2.150</td>'
        '<td class="num" data-label="Rekap: gagal">0</td><td class="num" data-label="Rekap: GB">75.250</td>'
    ) in page
    assert '<tr><td class="lead full" data-label="Provider">Indosat Ooredoo</td>' in page
    assert ">2150<" not in page


def test_reconciliation_row_without_a_recap_shows_dashes(operator, pusdatin, school, period):
    RecipientFactory(school=school, status="AKTIF", needs_validation=False)
    approve_all(operator, pusdatin, school, period)
    call_command("disburse", "--period", period.code)

    page = _login(pusdatin).get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi/").content.decode()

    assert '<tr><td class="lead full" data-label="Provider">Telkomsel</td>' in page
    assert (
        '<td class="num" data-label="Rekap: dikirim">–</td><td class="num" data-label="Rekap: berhasil">–</td>'
        '<td class="num" data-label="Rekap: gagal">–</td><td class="num" data-label="Rekap: GB">–</td>'
    ) in page


def test_reconciliation_page_names_difference_flags_in_the_page_language(operator, pusdatin, school, period):
    RecipientFactory(school=school, status="AKTIF", needs_validation=False)
    approve_all(operator, pusdatin, school, period)
    call_command("disburse", "--period", period.code)
    ProviderRecap.objects.create(period=period, provider="telkomsel", sent=2, injected=0, failed=0, gb=0)
    client = _login(pusdatin)
    url = f"/pusdatin/penyaluran/{period.code}/rekonsiliasi/"

    indonesian = client.get(url).content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    csv_text = client.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.csv").content.decode()

    assert (
        '<span class="error">Jumlah dikirim berbeda dengan rekap provider; '
        "Ada baris yang belum dilaporkan hasilnya</span>"
    ) in indonesian
    assert (
        '<span class="error">Rows sent differ from the provider recap; Some rows have no injection result yet</span>'
    ) in english
    for page in (indonesian, english):
        assert "TERKIRIM_BERBEDA" not in page
        assert "HASIL_BELUM_LENGKAP" not in page
    assert csv_text.splitlines()[1].endswith(",TERKIRIM_BERBEDA HASIL_BELUM_LENGKAP")
