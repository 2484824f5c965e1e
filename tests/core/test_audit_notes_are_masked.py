"""Numbers in audit rows are masked, also in the note, which often holds what a person typed
(decision 0086)."""

from __future__ import annotations

import pytest

from verval.core import audit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("note", "stored"),
    [
        ("Baris 3: nomor 0812-3456-7890 tidak terbaca", "Baris 3: nomor 0812****7890 tidak terbaca"),
        ("nomor +62 812 3456 7890 dan (0813) 2468.1357", "nomor 0812****7890 dan 0813****1357"),
        ("cutoff-081234567890.csv", "cutoff-0812****7890.csv"),
        ("０８１２３４５６７８９０ salah", "0812****7890 salah"),
        # A token's prefix, a count, a region code and a job id are not numbers: kept whole.
        ("token 81234567", "token 81234567"),
        ("format=xlsx rows=81234567", "format=xlsx rows=81234567"),
        ("format=csv kabkota=020600 kecamatan=020601", "format=csv kabkota=020600 kecamatan=020601"),
        ("job 3f0a0812-3456-7890-a1b2-0812345678ab", "job 3f0a0812-3456-7890-a1b2-0812345678ab"),
    ],
)
def test_an_audit_rows_note_is_stored_with_its_numbers_masked_and_the_rest_as_typed(pusdatin, note, stored):  # type: ignore[no-untyped-def]
    row = audit.record(actor=pusdatin, action="reject_registration", note=note)

    row.refresh_from_db()
    assert row.note == stored
