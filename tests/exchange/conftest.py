from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from verval.exchange import actions


@pytest.fixture
def waiting(school):  # type: ignore[no-untyped-def]
    """Ten recipients waiting for Telkomsel and three for Indosat."""
    tsel = [
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", needs_validation=False) for _ in range(10)
    ]
    isat = [
        RecipientFactory(
            school=school,
            status="MENUNGGU_PROVIDER",
            needs_validation=False,
            operator="indosat",
            phone_raw=f"0815{20000000 + i:08d}",
        )
        for i in range(3)
    ]
    return {"telkomsel": tsel, "indosat": isat}


@pytest.fixture
def tsel_batch(waiting):  # type: ignore[no-untyped-def]
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    return batch


@pytest.fixture
def tsel_token(db):  # type: ignore[no-untyped-def]
    return actions.issue_token(actor=None, provider="telkomsel")[1]


@pytest.fixture
def isat_token(db):  # type: ignore[no-untyped-def]
    return actions.issue_token(actor=None, provider="indosat")[1]


@pytest.fixture(autouse=True)
def _fresh_api_counters():  # type: ignore[no-untyped-def]
    """The provider API counts calls per token and failed calls per address in the cache
    (rate limits, the audit cap): every test starts from zero, whatever ran before it."""
    from django.core.cache import cache

    cache.clear()
