"""`verval validate --recheck` against a school's save made while it runs, on PostgreSQL with
real connections (decision 0042). The recheck reads a chunk of numbers, runs the engine over
them, then writes the verdicts it found changed: a correction committed in between must keep its
own number's verdict."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from tests.rowlocks import Actor
from verval import phones
from verval.registry import actions
from verval.registry.services import recheck_verdicts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_number_corrected_while_a_recheck_runs_keeps_its_own_verdict(operator, pusdatin, monkeypatch):
    # Stored under an older rule that did not know the 0851 prefix: refused.
    stale = RecipientFactory(
        school=operator.school,
        phone_raw="0851-1726-3845",
        phone_e164="",
        operator="",
        reason="PREFIKS_TIDAK_DIKENAL",
        status="FORMAT_SALAH",
        needs_validation=False,
    )
    real = phones.check_series

    def check_series(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The school corrects the number after the recheck read it, before it writes.
        saved = Actor(
            lambda: actions.change_number(
                actor=operator,
                recipient_id=stale.pk,
                new_raw="0817-2233-4455",
                expected_version=stale.version,
            )
        )
        assert saved.start().join().error is None
        return real(*args, **kwargs)

    monkeypatch.setattr(phones, "check_series", check_series)
    counts = recheck_verdicts(actor=pusdatin)

    assert (counts["diperiksa_ulang"], counts["putusan_berubah"]) == (1, 0)
    stale.refresh_from_db()
    assert (stale.phone_raw, stale.phone_e164, stale.operator, stale.reason) == (
        "0817-2233-4455",
        "+6281722334455",
        "xl",
        "",
    )
