"""A downloaded file's name carries the programme's day, WIB, whoever downloads it and wherever the
server's clock is: deadlines end at 23.59 WIB (decision 0037), and a list named with the reader's
or UTC's day would not say which deadline day it was taken on (decision 0049)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from verval.exchange import actions as exchange_actions
from verval.reference import zones

# 17.30 UTC on 30 Nov is 00.30 WIB on 1 Dec (UTC's day is still the 30th).
AFTER_WIB_MIDNIGHT = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
# 16.30 UTC on 30 Nov is 23.30 WIB on 30 Nov but 01.30 WIT on 1 Dec (the reader's day is ahead).
BEFORE_WIB_MIDNIGHT = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)

# (the moment, the reader's zone, the WIB day the name must carry)
CASES = [
    pytest.param(AFTER_WIB_MIDNIGHT, "WIB", "20261201", id="17.30-UTC-reader-in-WIB"),
    pytest.param(BEFORE_WIB_MIDNIGHT, "WIT", "20261130", id="16.30-UTC-reader-in-WIT"),
]


def _at(monkeypatch, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def _client(user, zone: str) -> Client:  # type: ignore[no-untyped-def]
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    client = Client()
    client.force_login(user)
    return client


def test_the_file_day_is_wibs_at_1730_utc_even_where_the_active_zone_is_utc(monkeypatch):  # type: ignore[no-untyped-def]
    _at(monkeypatch, AFTER_WIB_MIDNIGHT)
    with timezone.override(UTC):  # a server, a command or a worker left in UTC
        assert zones.file_day() == "20261201"


@pytest.mark.parametrize(("moment", "zone", "day"), CASES)
def test_school_xlsx_name_carries_the_wib_day(operator, school, monkeypatch, moment, zone, day):  # type: ignore[no-untyped-def]
    client = _client(operator, zone)
    _at(monkeypatch, moment)

    response = client.get(f"/sekolah/{school.npsn}/unduh.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="verval-{school.npsn}-{day}.xlsx"'


@pytest.mark.parametrize(("moment", "zone", "day"), CASES)
def test_dinas_school_list_name_carries_the_wib_day(dinas_kab, monkeypatch, moment, zone, day):  # type: ignore[no-untyped-def]
    client = _client(dinas_kab, zone)
    _at(monkeypatch, moment)

    response = client.get("/dinas/sekolah.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="sekolah-{dinas_kab.region_id}-{day}.csv"'
    )


@pytest.mark.parametrize(("moment", "zone", "day"), CASES)
@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_behind_list_name_carries_the_wib_day(dinas_kab, monkeypatch, moment, zone, day, ext):  # type: ignore[no-untyped-def]
    client = _client(dinas_kab, zone)
    _at(monkeypatch, moment)

    response = client.get(f"/progres/tertinggal.{ext}")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="sekolah-tertinggal-semua-{day}.{ext}"'


def test_a_dump_published_at_1730_utc_is_named_and_downloaded_with_the_wib_day(school, monkeypatch):  # type: ignore[no-untyped-def]
    from tests.factories import RecipientFactory

    RecipientFactory(school=school, status="MENUNGGU_PROVIDER", phone_raw="081270000001")
    _at(monkeypatch, AFTER_WIB_MIDNIGHT)
    token = exchange_actions.issue_token(actor=None, provider="telkomsel")[1]
    with timezone.override(UTC):
        (batch,) = exchange_actions.publish_dumps(actor=None, provider="telkomsel")

    response = Client().get(f"/api/v1/batches/{batch.id}/file", headers={"Authorization": f"Bearer {token}"})

    assert batch.id == "DMP-20261201-telkomsel-0001"
    assert response["Content-Disposition"] == 'attachment; filename="DMP-20261201-telkomsel-0001.csv.gz"'
