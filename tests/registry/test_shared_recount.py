"""A shared-number flag follows the school's corrections at once, not only the next validation run."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from verval.registry import actions, bulk
from verval.registry.models import Recipient, SharedNumber
from verval.registry.services import recount_shared_numbers

pytestmark = pytest.mark.django_db

SHARED = "+6285512346986"


def _sharing(school, n):  # type: ignore[no-untyped-def]
    return [
        RecipientFactory(school=school, phone_raw="085512346986", phone_e164=SHARED, status="BELUM_VERVAL")
        for _ in range(n)
    ]


def _flag(number: str = SHARED) -> tuple[int, str] | None:
    row = SharedNumber.objects.filter(phone_e164=number).values_list("recipients", "level").first()
    return (row[0], row[1]) if row else None


def test_correcting_numbers_one_by_one_lowers_the_flag_and_clears_it_at_the_limit(operator, school):  # type: ignore[no-untyped-def]
    people = _sharing(school, 12)
    recount_shared_numbers()
    assert _flag() == (12, "TIDAK_RASIONAL")
    for i, person in enumerate(people[:2]):
        actions.change_number(
            actor=operator, recipient_id=person.pk, new_raw=f"08121111000{i}", expected_version=1
        )
    assert _flag() == (10, "SEKOLAH")
    for i, person in enumerate(people[2:9]):
        actions.change_number(
            actor=operator, recipient_id=person.pk, new_raw=f"08122222000{i}", expected_version=1
        )
    assert _flag() is None  # 3 left: allowed


def test_edits_that_push_a_number_past_the_limit_flag_it_without_a_validation_run(operator, school):  # type: ignore[no-untyped-def]
    _sharing(school, 3)
    fourth = RecipientFactory(school=school, phone_raw="081299990000", phone_e164="+6281299990000")
    recount_shared_numbers()
    assert _flag() is None
    actions.change_number(
        actor=operator, recipient_id=fourth.pk, new_raw="0855-1234-6986", expected_version=1
    )
    assert _flag() == (4, "SEKOLAH")
    assert _flag("+6281299990000") is None


def test_a_bulk_correction_recounts_the_old_and_the_new_numbers(operator, school):  # type: ignore[no-untyped-def]
    people = _sharing(school, 11)
    recount_shared_numbers()
    rows = [bulk.UploadRow(i + 2, str(p.pk), "081377770000", "1") for i, p in enumerate(people[:8])]
    outcome = actions.bulk_correct(actor=operator, school_npsn=school.npsn, rows=rows)
    assert outcome.counts["changed"] == 8
    assert _flag() is None  # 3 left on the old number
    assert _flag("+6281377770000") == (8, "SEKOLAH")
    assert Recipient.objects.filter(phone_e164="+6281377770000").count() == 8
