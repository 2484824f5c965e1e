"""Two operators of one school on the same rows at the same moment, on PostgreSQL with real
connections (decision 0042): each call runs on a connection of its own, queued behind a third
that holds the rows, so that they surely overlap. SPEC §9: no lost updates."""

from __future__ import annotations

import contextlib
import threading

import pytest

from tests.factories import RecipientFactory, UserFactory
from tests.rowlocks import Actor, JobHoldsRows, wait_until_waiting
from verval.registry import actions, bulk
from verval.registry.models import NumberHistory, Recipient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(settings):  # type: ignore[no-untyped-def]
    """The users' saves wait for the holder (decision 0041's wait, long enough for the test)."""
    settings.VERVAL = {**settings.VERVAL, "EDIT_LOCK_WAIT_MS": 30000}


@pytest.fixture
def colleague(school):  # type: ignore[no-untyped-def]
    return UserFactory(role="OPERATOR", school=school, username="operator.kedua")


def test_two_operators_confirming_the_same_rows_at_once_confirm_each_row_once(
    operator, colleague, school, patient
):
    rows = [RecipientFactory(school=school, status="MENUNGGU_PROVIDER") for _ in range(3)]
    seen = {str(r.pk): r.version for r in rows}
    with JobHoldsRows([r.pk for r in rows]):
        calls = [
            Actor(
                lambda who=who: actions.confirm_recipients(
                    actor=who, recipient_ids=seen, expected_versions=seen
                )
            )
            for who in (operator, colleague)
        ]
        for call in calls:
            call.start()
        wait_until_waiting(2)
    results = [c.join().result for c in calls]

    assert sorted((r.confirmed, r.refused) for r in results) == [(0, {"VERSI_BERUBAH": 3}), (3, {})]
    assert NumberHistory.objects.filter(action="confirm").count() == 3
    assert sorted(set(Recipient.objects.values_list("version", flat=True))) == [2]


def test_two_operators_confirming_the_same_rows_from_pages_that_show_their_numbers_both_hear_it_is_done(
    operator, colleague, school, patient
):
    # With the numbers the pages showed, the second click is no one's conflict (decision 0058).
    rows = [RecipientFactory(school=school, status="MENUNGGU_PROVIDER") for _ in range(3)]
    seen = {str(r.pk): r.version for r in rows}
    shown = {str(r.pk): r.number_tag for r in rows}
    with JobHoldsRows([r.pk for r in rows]):
        calls = [
            Actor(
                lambda who=who: actions.confirm_recipients(
                    actor=who, recipient_ids=seen, expected_versions=seen, shown_numbers=shown
                )
            )
            for who in (operator, colleague)
        ]
        for call in calls:
            call.start()
        wait_until_waiting(2)
    results = [c.join().result for c in calls]

    assert sorted((r.confirmed, r.unchanged, r.refused) for r in results) == [(0, 3, {}), (3, 0, {})]
    assert NumberHistory.objects.filter(action="confirm").count() == 3
    assert sorted(set(Recipient.objects.values_list("version", flat=True))) == [2]


def test_a_correction_file_and_an_edit_of_the_same_row_at_once_keep_one_number_and_tell_the_other(
    operator, colleague, school, patient
):
    r = RecipientFactory(school=school, phone_raw="081377451902", phone_e164="+6281377451902")
    with JobHoldsRows([r.pk]):
        by_file = Actor(
            lambda: actions.bulk_correct(
                actor=operator,
                school_npsn=school.npsn,
                rows=[bulk.UploadRow(2, str(r.pk), "081324681357", str(r.version))],
            )
        ).start()
        by_hand = Actor(
            lambda: actions.change_number(
                actor=colleague, recipient_id=r.pk, new_raw="085261904417", expected_version=r.version
            )
        ).start()
        wait_until_waiting(2)
    outcome = by_file.join().result
    by_hand.join()

    r.refresh_from_db()
    assert r.version == 2
    if by_hand.error is None:
        assert r.phone_e164 == "+6285261904417"
        assert outcome.counts["changed"] == 0
        assert [(i.line, i.code) for i in outcome.issues] == [(2, "VERSI_BERUBAH")]
    else:
        assert isinstance(by_hand.error, actions.VersionConflict)
        assert (r.phone_e164, outcome.counts["changed"]) == ("+6281324681357", 1)
    assert NumberHistory.objects.filter(recipient=r).count() == 1


def test_two_correction_files_listing_the_same_rows_in_opposite_orders_both_finish(
    operator, colleague, school, monkeypatch
):
    """Each file locks its rows as it applies them. In file order, each held the row the other
    wanted next: PostgreSQL broke the deadlock by failing one with a system error."""
    a, b = (RecipientFactory(school=school) for _ in range(2))
    real = actions._apply_number
    first_done = threading.Barrier(2, timeout=3)

    def apply_number(recipient, *args):  # type: ignore[no-untyped-def]
        ok = real(recipient, *args)
        if not getattr(first_done, "passed", False):
            # Both files have applied their first row before either goes on (in row order
            # the second file waits for the first row instead, and this wait ends unmet).
            with contextlib.suppress(threading.BrokenBarrierError):
                first_done.wait()
            first_done.passed = True  # type: ignore[attr-defined]
        return ok

    monkeypatch.setattr(actions, "_apply_number", apply_number)

    def upload(who, order):  # type: ignore[no-untyped-def]
        rows = [bulk.UploadRow(n + 2, str(r.pk), f"08132468{n}{i}57", "1") for n, (i, r) in enumerate(order)]
        return lambda: actions.bulk_correct(actor=who, school_npsn=school.npsn, rows=rows)

    files = [
        Actor(upload(operator, [(1, a), (2, b)])).start(),
        Actor(upload(colleague, [(3, b), (4, a)])).start(),
    ]
    outcomes = [f.join() for f in files]

    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.result.counts["changed"] for o in outcomes) == [0, 2]
    assert NumberHistory.objects.filter(action="bulk_correction").count() == 2
