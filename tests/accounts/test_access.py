"""The scoping helper: each role sees its own scope and a user of another scope gets nothing."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory, UserFactory
from verval.accounts import access

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_schools(school, other_school):  # type: ignore[no-untyped-def]
    mine = RecipientFactory.create_batch(3, school=school)
    theirs = RecipientFactory.create_batch(2, school=other_school)
    return mine, theirs


def _ids(qs):  # type: ignore[no-untyped-def]
    return sorted(str(pk) for pk in qs.values_list("pk", flat=True))


def test_operator_sees_only_recipients_of_own_school(operator, two_schools):  # type: ignore[no-untyped-def]
    mine, _ = two_schools
    assert _ids(access.recipients_for(operator)) == sorted(str(r.pk) for r in mine)


def test_operator_of_other_school_gets_nothing_of_this_school(other_operator, school, two_schools):  # type: ignore[no-untyped-def]
    assert access.recipients_for(other_operator).filter(school=school).count() == 0
    assert list(access.schools_for(other_operator).values_list("npsn", flat=True)) == [
        other_operator.school_id
    ]


def test_dinas_kab_sees_schools_of_its_regency_only(dinas_kab, school, other_school, two_schools):  # type: ignore[no-untyped-def]
    assert list(access.schools_for(dinas_kab).values_list("npsn", flat=True)) == [school.npsn]
    assert access.recipients_for(dinas_kab).count() == 3


def test_dinas_prov_sees_every_school_of_its_province(dinas_prov, school, other_school, two_schools):  # type: ignore[no-untyped-def]
    assert sorted(access.schools_for(dinas_prov).values_list("npsn", flat=True)) == sorted(
        [school.npsn, other_school.npsn]
    )
    assert access.recipients_for(dinas_prov).count() == 5


def test_dinas_of_other_province_gets_nothing(two_schools):  # type: ignore[no-untyped-def]
    outsider = UserFactory(role="DINAS_PROV", region_id="010000", username="dki")
    assert access.schools_for(outsider).count() == 0
    assert access.recipients_for(outsider).count() == 0


def test_pusdatin_sees_everything(pusdatin, two_schools):  # type: ignore[no-untyped-def]
    assert access.recipients_for(pusdatin).count() == 5


def test_provider_sees_no_school_data(provider_user, two_schools):  # type: ignore[no-untyped-def]
    assert access.recipients_for(provider_user).count() == 0
    assert access.schools_for(provider_user).count() == 0


def test_inactive_user_sees_nothing(operator, two_schools):  # type: ignore[no-untyped-def]
    operator.is_active = False
    operator.save()
    assert access.recipients_for(operator).count() == 0


def test_only_own_operator_can_edit_school(operator, other_operator, dinas_kab, pusdatin, school):  # type: ignore[no-untyped-def]
    assert access.can_edit_school(operator, school) is True
    assert access.can_edit_school(other_operator, school) is False
    assert access.can_edit_school(dinas_kab, school) is False
    assert access.can_edit_school(pusdatin, school) is False


def test_nobody_can_edit_a_missing_school(operator, pusdatin):  # type: ignore[no-untyped-def]
    assert access.can_edit_school(operator, None) is False
    assert access.can_edit_school(pusdatin, pusdatin.school_id) is False


def test_get_school_or_deny_refuses_other_school(other_operator, school):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        access.get_school_or_deny(other_operator, school.npsn)
