"""The schools-to-chase list marks a school whose SPTJM came back from Pusdatin and was not
uploaded again as late (TERLAMBAT) once the upload deadline has passed, as the late page
(`/dinas/sptjm/`) counts it (decision 0109: 76 late schools on the late page, 75 marked late in
the list of the kabupaten's walk)."""

from __future__ import annotations

from datetime import date

from verval.dashboard.models import SchoolSummary
from verval.dashboard.selectors import behind_reasons


def _returned() -> SchoolSummary:
    # Printed, uploaded, returned: the summary's counts of the period's documents by status, and
    # the school's SchoolSptjm row the refresh copies into it (decision 0119).
    return SchoolSummary(
        imported=10,
        aktif=8,
        residu=1,
        sptjm_printed=1,
        sptjm_uploaded=0,
        sptjm_returned=1,
        sptjm_state="DIKEMBALIKAN",
    )


def test_a_returned_sptjm_not_uploaded_again_is_late_after_the_upload_deadline() -> None:
    reasons = behind_reasons(_returned(), {"print": date(2020, 9, 20), "upload": date(2020, 9, 25)})

    assert reasons == ["SPTJM_DIKEMBALIKAN", "TERLAMBAT"]


def test_a_returned_sptjm_is_not_late_before_the_upload_deadline() -> None:
    reasons = behind_reasons(_returned(), {"print": date(2020, 9, 20), "upload": date(2099, 9, 25)})

    assert reasons == ["SPTJM_DIKEMBALIKAN"]


def test_a_printed_sptjm_not_uploaded_is_still_late_once_after_the_upload_deadline() -> None:
    summary = SchoolSummary(imported=10, aktif=8, sptjm_printed=1, sptjm_state="DICETAK")

    reasons = behind_reasons(summary, {"print": date(2020, 9, 20), "upload": date(2020, 9, 25)})

    assert reasons == ["BELUM_UNGGAH", "TERLAMBAT"]
