"""An SPTJM lists each recipient as the row it locks (decision 0121).

The soak (bench/soak_deadline.py) found printed documents whose locked recipients held another
number than the document lists: the print read its recipients without a lock, and a Dapodik
import, a correction file or the other operator's save committed before the print's own update
locked the rows. Here the other operator's save commits right after the print's read, on a
connection of its own. PostgreSQL only: on SQLite the print's transaction is the one writer from
its start (IMMEDIATE), so nothing commits between its read and its update."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import UserFactory
from tests.rowlocks import Actor
from tests.sptjm.conftest import aktif
from verval.registry import actions as registry_actions
from verval.registry.models import Recipient
from verval.sptjm import actions, selectors
from verval.sptjm.models import SptjmItem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_number_saved_by_the_other_operator_while_the_sptjm_prints_is_the_number_it_lists(
    operator, school, period, monkeypatch
):
    first, second, third = aktif(school, 3)
    colleague = UserFactory(role="OPERATOR", school=school, username="operator-b")
    real = selectors.print_candidates
    reads: list[int] = []

    def read_then_the_other_saves(npsn: str, p: Any) -> list[Recipient]:
        rows = list(real(npsn, p))
        reads.append(len(rows))
        if len(reads) == 1:  # after the print's first read, before it locks anything
            save = Actor(
                lambda: registry_actions.change_number(
                    actor=colleague,
                    recipient_id=second.pk,
                    new_raw="081311112222",
                    expected_version=second.version,
                )
            )
            assert save.start().join().error is None
        return rows

    monkeypatch.setattr(selectors, "print_candidates", read_then_the_other_saves)

    sptjm, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    assert created is True
    stored = Recipient.objects.get(pk=second.pk)
    assert (stored.phone_e164, stored.locked) == ("+6281311112222", False)  # no longer AKTIF: not listed
    listed = dict(SptjmItem.objects.filter(sptjm=sptjm).values_list("recipient_id", "phone_e164"))
    assert listed == {
        first.pk: Recipient.objects.get(pk=first.pk).phone_e164,
        third.pk: Recipient.objects.get(pk=third.pk).phone_e164,
    }
    assert reads == [3, 2]
    assert Recipient.objects.filter(school=school, locked=True).count() == 2
