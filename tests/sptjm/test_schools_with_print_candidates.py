"""Which schools of a list still have something to print (the late-schools page of a kabupaten of
5,000 schools asks it for all of them; decision 0079 reads each school only up to its first
candidate)."""

from __future__ import annotations

from tests.factories import RecipientFactory, SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif, approve_all
from verval.reference.models import School
from verval.sptjm import actions, selectors


def test_only_schools_with_an_unlisted_unlocked_aktif_number_have_print_candidates(pusdatin, period):  # type: ignore[no-untyped-def]
    waiting, locked, no_number, residue, printed, approved, approved_then_new, empty = (
        SchoolFactory() for _ in range(8)
    )
    aktif(waiting, 2)
    aktif(locked, 1, locked=True)
    aktif(no_number, 1, phone_raw="", phone_e164="")
    RecipientFactory(school=residue, status="RESIDU", reason="TIDAK_AKTIF")
    for school in (printed, approved, approved_then_new):
        aktif(school, 2)
    printer = UserFactory(role="OPERATOR", school=printed, username="op-printed")
    actions.print_sptjm(actor=printer, npsn=printed.npsn, period_code=period.code)
    for school in (approved, approved_then_new):
        op = UserFactory(role="OPERATOR", school=school, username=f"op-{school.npsn}")
        approve_all(op, pusdatin, school, period)
    aktif(approved_then_new, 1)
    schools = School.objects.filter(
        npsn__in=[
            s.npsn for s in (waiting, locked, no_number, residue, printed, approved, approved_then_new, empty)
        ]
    )

    found = selectors.schools_with_print_candidates(schools, period)

    assert found == {waiting.npsn, approved_then_new.npsn}
