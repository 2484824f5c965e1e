"""A refused row's value is stored masked wherever a number sits, whatever made the refusal
(decision 0086): the job report, `--json` output and the provider API read it from there."""

from __future__ import annotations

import pytest

from tests.registry.helpers import make_recipients
from verval.core import jobs
from verval.core.jobs import RowIssue
from verval.core.models import JobIssue
from verval.registry import actions, bulk

pytestmark = pytest.mark.django_db


def test_a_number_in_a_refused_rows_value_is_stored_masked_and_ids_and_short_codes_whole():  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=None, kind="import_dapodik")

    jobs.save_issues(
        job,
        [
            RowIssue(3, "id", "ID_TIDAK_DIKENAL", "m", "m", "6281234567890 / José"),
            RowIssue(4, "id", "ID_GANDA", "m", "m", "3f0c1c8e-0812-4345-8678-000000000000"),
            RowIssue(5, "kode_wilayah", "WILAYAH_TIDAK_DIKENAL", "m", "m", "020500"),
        ],
    )

    assert list(JobIssue.objects.filter(job=job).values_list("line", "value")) == [
        (3, "0812****7890 / José"),
        (4, "3f0c1c8e-0812-4345-8678-000000000000"),
        (5, "020500"),
    ]


def test_a_number_typed_in_the_id_column_of_a_correction_file_is_refused_with_the_number_masked(  # type: ignore[no-untyped-def]
    settings, operator, school
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.9}
    (good,) = make_recipients(school, 1)
    rows = [
        bulk.UploadRow(2, str(good.pk), "081324681357", "1"),
        bulk.UploadRow(3, "0813-2468-1358", "081324681359", "1"),  # the number pasted one column left
    ]

    outcome = actions.bulk_correct(actor=operator, school_npsn=school.npsn, rows=rows)

    assert [(i.line, i.column, i.code, i.value) for i in outcome.issues] == [
        (3, "id", "ID_TIDAK_DIKENAL", "0813****1358")
    ]
