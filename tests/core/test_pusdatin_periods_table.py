"""The periods table of /pusdatin/: a period never opened, dates as words (phone review items 12, 17)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.sptjm.conftest import aktif, make_period
from verval.reference import actions
from verval.reference.models import Period
from verval.reference.selectors import never_opened

pytestmark = pytest.mark.django_db


def _status_cell(html: str, code: str) -> str:
    row = html[html.index(f">{code}</td>") :]
    cell = row[row.index('data-label="Status">') :]
    return cell[: cell.index("</td>")]


def test_a_period_never_opened_is_belum_dibuka_and_one_opened_then_closed_is_ditutup(client, pusdatin):  # type: ignore[no-untyped-def]
    make_period("2026-12", is_open=False, starts=date(2026, 12, 1))
    make_period("2026-11", is_open=False, starts=date(2026, 11, 1))
    actions.open_period(actor=pusdatin, code="2026-11")
    actions.close_period(actor=pusdatin, code="2026-11")
    make_period("2026-10", starts=date(2026, 10, 1))  # open
    client.force_login(pusdatin)
    html = client.get(reverse("core:pusdatin")).content.decode()
    assert "Belum dibuka" in _status_cell(html, "2026-12") and "Ditutup" not in _status_cell(html, "2026-12")
    assert "Ditutup" in _status_cell(html, "2026-11") and "Belum dibuka" not in _status_cell(html, "2026-11")
    assert "Dibuka" in _status_cell(html, "2026-10")


def test_a_closed_period_with_a_printed_sptjm_counts_as_opened_without_an_audit_row(school, operator):  # type: ignore[no-untyped-def]
    from verval.sptjm import actions as sptjm_actions

    period = make_period("2026-09", starts=date(2026, 9, 1))  # stored open, no open_period audit
    aktif(school, 2)
    sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    Period.objects.filter(code=period.code).update(is_open=False)  # closed outside the actions
    fresh = make_period("2026-10", is_open=False, starts=date(2026, 10, 1))
    assert never_opened(Period.objects.all()) == {fresh.code}


def test_period_dates_on_pusdatin_are_indonesian_words_not_iso(client, pusdatin):  # type: ignore[no-untyped-def]
    make_period("2026-12", starts=date(2026, 12, 1), handover_on=date(2026, 12, 27))
    client.force_login(pusdatin)
    html = client.get(reverse("core:pusdatin")).content.decode()
    assert "1 Des 2026 – 28 Des 2026" in html
    assert "Batas cetak SPTJM: 20 Des 2026 23.59 WIB" in html
    assert "Batas unggah SPTJM: 25 Des 2026 23.59 WIB" in html
    assert "Serah terima ke provider: 27 Des 2026" in html
    assert "2026-12-20" not in html
