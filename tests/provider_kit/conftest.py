"""Fixtures the provider kit's tests against a real server share."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from verval.exchange import actions


@pytest.fixture(autouse=True)
def _fresh_api_counters():  # type: ignore[no-untyped-def]
    """The API's rate and address counters live in the cache, which outlives a test's rollback:
    every test starts with none, as a provider's first call of the day would."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def published(school):  # type: ignore[no-untyped-def]
    """Telkomsel's one published batch of six numbers waiting for it, and their recipients."""
    recipients = [
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", phone_raw=f"0812{70000000 + i:08d}")
        for i in range(6)
    ]
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    return batch, recipients
