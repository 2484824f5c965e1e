"""A provider's recap (SPEC §3 step 12) is refused when its figures cannot be true: NaN or
infinite, negative, or more injected and failed rows than sent; the error names the figure."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.exchange.actions import issue_token
from verval.sptjm import actions
from verval.sptjm.models import ProviderRecap
from verval.sptjm.reasons import ActionRefused


@pytest.fixture
def scheduled(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 4)
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)


def _put(period, recap):  # type: ignore[no-untyped-def]
    _, token = issue_token(actor=None, provider="telkomsel")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.put(
        f"/api/v1/reports/{period.code}/recap", data=json.dumps(recap), content_type="application/json"
    )


def test_a_recap_with_more_injected_and_failed_than_sent_is_refused_with_the_figures(scheduled, period):
    response = _put(period, {"sent": 4, "injected": 4, "failed": 1, "gb": "140"})

    body = response.json()
    assert (response.status_code, body["code"]) == (400, "REKAP_TIDAK_KONSISTEN")
    assert body["message_en"] == (
        "Inconsistent recap: injected (4) + failed (1) exceeds sent (4); each row sent is either injected or failed."
    )
    assert body["message"] == (
        "Rekap tidak konsisten: injected (4) + failed (1) melebihi sent (4); "
        "setiap baris yang dikirim hanya berhasil atau gagal."
    )
    assert [(r["column"], r["code"]) for r in body["rows"]] == [("sent", "REKAP_TIDAK_KONSISTEN")]
    assert not ProviderRecap.objects.exists()


def test_a_recap_with_gb_but_nothing_injected_is_refused(scheduled, period):
    response = _put(period, {"sent": 4, "injected": 0, "failed": 4, "gb": "35"})

    assert (response.status_code, response.json()["code"]) == (400, "REKAP_TIDAK_KONSISTEN")
    assert response.json()["message_en"] == (
        "Inconsistent recap: gb is 35 while injected is 0; without an injection no quota was delivered."
    )


@pytest.mark.parametrize(
    ("recap", "field"),
    [
        ({"sent": 4, "injected": 3, "failed": 1, "gb": "-5"}, "gb"),
        ({"sent": 4, "injected": 3, "failed": -1, "gb": "105"}, "failed"),
        ({"sent": -4, "injected": 3, "failed": 1, "gb": "105"}, "sent"),
    ],
)
def test_a_recap_with_a_negative_figure_is_refused_naming_the_figure(scheduled, period, recap, field):
    response = _put(period, recap)

    body = response.json()
    assert (response.status_code, body["code"]) == (400, "REKAP_TIDAK_VALID")
    assert body["message_en"].startswith(f"Invalid recap: {field} must be a number from 0 to ")
    assert [(r["column"], r["code"]) for r in body["rows"]] == [(field, "REKAP_TIDAK_VALID")]


def test_a_recap_gb_of_negative_zero_is_stored_as_zero(scheduled, period):
    response = _put(period, {"sent": 4, "injected": 0, "failed": 4, "gb": "-0"})

    assert response.status_code == 200, response.content
    assert response.json()["recap_gb"] == "0"
    assert str(ProviderRecap.objects.get().gb) == "0.00"


@pytest.mark.parametrize("gb", ["NaN", "nan", "sNaN", "inf", "-Infinity", Decimal("NaN"), float("nan")])
def test_a_recap_recorded_with_a_gb_that_is_not_a_number_is_refused_not_a_server_error(period, gb):
    with pytest.raises(ActionRefused) as refused:
        actions.record_recap(
            actor=None, period=period, provider="telkomsel", sent=4, injected=3, failed=1, gb=gb
        )

    assert (refused.value.code, refused.value.field) == ("REKAP_TIDAK_VALID", "gb")
    assert not ProviderRecap.objects.exists()
