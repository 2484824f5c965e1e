"""The school's SPTJM page names the recipients excluded in the period (DIKECUALIKAN), under which
rule, why and what the school can do; numbers in full for the school's operator only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import jobs
from verval.phones import mask
from verval.sptjm import actions, selectors
from verval.sptjm.models import Disbursement, UsageReport

SHARED = "+6281233334444"


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _disburse(pusdatin, period):  # type: ignore[no-untyped-def]
    job = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    return jobs.run(job.pk)


@pytest.fixture
def excluded(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    """Four recipients on one number: the fourth approved is excluded (MAKS_3_PAKET)."""
    shared = aktif(school, 4, phone_raw="081233334444", phone_e164=SHARED)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    row = Disbursement.objects.get(status="DIKECUALIKAN")
    assert row.rule == "MAKS_3_PAKET"
    return next(r for r in shared if r.pk == row.recipient_id)


def test_operator_sees_who_was_excluded_under_which_rule_why_and_what_to_do(
    operator, excluded, school, period
):
    page = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/?periode={period.code}").content.decode()

    assert (
        '<section aria-labelledby="h-excl" id="dikecualikan"><h2 id="h-excl">Penerima yang dikecualikan periode ini</h2>'
        in page
    )
    assert (
        '<h3><span class="label s-DIKECUALIKAN">Satu nomor paling banyak menerima 3 paket per periode</span> '
        '<span class="small muted">MAKS_3_PAKET · 1 penerima</span></h3>'
    ) in page
    assert (
        "<p>Nomor ini sudah menerima 3 paket pada periode ini untuk penerima lain. Satu nomor paling banyak "
        "menerima 3 paket per periode; paket diberikan menurut urutan persetujuan SPTJM.</p>"
    ) in page
    assert "<strong>Yang dapat dilakukan sekolah:</strong> Ganti dengan nomor ponsel penerima sendiri" in page
    assert (f'<td class="lead" data-label="Nama">{excluded.name}</td><td data-label="Kategori">') in page
    # The school's own operator fixes the number: it is shown in full.
    assert (
        '<td class="nowrap" data-label="Nomor">0812-3333-4444</td><td data-label="Provider">Telkomsel</td>'
        in page
    )
    assert '<a href="#dikecualikan">' in page


@pytest.mark.parametrize("reader", ["dinas_kab", "dinas_prov", "pusdatin"])
def test_dinas_and_pusdatin_reading_the_school_see_the_exclusions_with_numbers_masked(
    request, reader, excluded, school, period
):  # type: ignore[no-untyped-def]
    page = (
        _login(request.getfixturevalue(reader))
        .get(f"/sekolah/{school.npsn}/sptjm/?periode={period.code}")
        .content.decode()
    )

    assert f'<td class="lead" data-label="Nama">{excluded.name}</td>' in page
    assert f'<td class="nowrap" data-label="Nomor">{mask(SHARED)}</td>' in page
    assert mask(SHARED) == "0812****4444"
    assert "0812-3333-4444" not in page
    assert "081233334444" not in page
    assert "MAKS_3_PAKET · 1 penerima" in page


def test_operator_of_another_school_cannot_read_the_exclusions(other_operator, excluded, school, period):
    with pytest.raises(PermissionDenied):
        selectors.school_page(other_operator, school.npsn, period.code)
    assert _login(other_operator).get(f"/sekolah/{school.npsn}/sptjm/").status_code == 403


def test_exclusions_of_another_period_are_not_listed(operator, excluded, school, period):
    later = make_period("2020-10A", "2020", date(2020, 10, 1))

    page = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/?periode={later.code}").content.decode()

    assert 'id="dikecualikan"' not in page
    assert excluded.name not in page


def test_page_without_exclusions_has_no_exclusion_section(operator, pusdatin, school, period):
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)

    page = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/?periode={period.code}").content.decode()

    assert 'id="dikecualikan"' not in page
    assert 'href="#dikecualikan"' not in page


def test_low_usage_exclusion_names_the_previous_period_and_the_minimum(operator, pusdatin, school, period):
    low, _ok = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    # Usage counts only for a delivered package (decision 0021).
    Disbursement.objects.filter(recipient=low, period=period).update(status="BERHASIL")
    UsageReport.objects.create(
        period=period,
        provider="telkomsel",
        recipient_id=low.pk,
        phone_e164=low.phone_e164,
        usage_gb=Decimal("0.4"),
    )
    p2021 = make_period("2021-03", "2021", date(2021, 3, 1))
    assert _disburse(pusdatin, p2021).counts["by_rule"] == {"PEMAKAIAN_RENDAH": 1}

    page = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/?periode={p2021.code}").content.decode()

    assert "PEMAKAIAN_RENDAH · 1 penerima" in page
    assert (
        f"<p>Menurut laporan provider, nomor ini memakai kurang dari 1 GB pada periode sebelumnya ({period.name}). "
        "Kebijakan periode ini tidak memberi paket kepada nomor dengan pemakaian serendah itu.</p>"
    ) in page
    assert "periode berikutnya menilai pemakaian periode ini." in page
    assert f'<td class="lead" data-label="Nama">{low.name}</td>' in page


def test_exclusion_texts_follow_the_page_language(operator, excluded, school, period):
    client = _login(operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = client.get(f"/sekolah/{school.npsn}/sptjm/?periode={period.code}").content.decode()

    assert "This number already carries 3 packages this period for other recipients." in page
    assert "Replace it in the school data with the recipient&#x27;s own number" in page


def test_every_exclusion_rule_has_an_explanation_and_what_to_do(period):
    from verval.sptjm.models import ExclusionRule

    texts = selectors.exclusion_help(period)

    assert set(texts) == set(ExclusionRule.values)
    assert all(t.message and t.action and "{" not in t.message + t.action for t in texts.values())


def test_many_exclusions_are_shown_a_page_at_a_time(operator, excluded, school, period):
    more = aktif(school, 120, status="RESIDU")  # recipients only needed as rows' owners
    Disbursement.objects.bulk_create(
        [
            Disbursement(
                recipient=r,
                period=period,
                provider="telkomsel",
                school=school,
                phone_e164=SHARED,
                category="DIKDASMEN",
                package_gb=Decimal(35),
                status="DIKECUALIKAN",
                rule="MAKS_3_PAKET",
            )
            for r in more
        ]
    )
    client = _login(operator)

    first = client.get(f"/sekolah/{school.npsn}/sptjm/?periode={period.code}").content.decode()
    second = client.get(
        f"/sekolah/{school.npsn}/sptjm/?periode={period.code}&dikecualikan=2"
    ).content.decode()

    assert "Menampilkan 1–100 dari 121" in first
    assert "MAKS_3_PAKET · 121 penerima" in first
    assert (
        f'href="/sekolah/{school.npsn}/sptjm/?periode={period.code}&amp;dikecualikan=2#dikecualikan" rel="next"'
        in first
    )
    assert "Menampilkan 101–121 dari 121" in second
    row = '<td class="lead" data-label="Nama">'
    assert (first.count(row), second.count(row)) == (100, 21)
