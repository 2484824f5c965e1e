"""A provider that puts its numbers in the wrong columns (a number as pd_id, a number as status)
gets them back masked, never in full: in the 422 answer, GET /jobs/{id}, the issues CSV and the
stored report, from the fast (polars) reader and the row-by-row one alike."""

from __future__ import annotations

import pytest

from tests.exchange.helpers import dump_rows
from verval.core.models import JobIssue


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# A quoted note sends the file to the row-by-row reader; without one the fast reader takes it.
@pytest.mark.parametrize("note", ["", '"catatan, dengan koma"'], ids=["fast", "row_by_row"])
def test_numbers_in_the_pd_id_and_status_columns_are_masked_wherever_the_refusal_shows(
    client, tsel_batch, tsel_token, note
):
    rows = dump_rows(tsel_batch)
    body = (
        "pd_id,no_ponsel,status,keterangan\n"
        + "".join(
            [
                f"6281913831782,{rows[0]['no_ponsel']},AKTIF,{note}\n",  # 2 PD_ID_TIDAK_VALID
                f"{rows[1]['pd_id']},{rows[1]['no_ponsel']},6281778404110,\n",  # 3 STATUS_TIDAK_VALID
                f"{rows[2]['pd_id']},{rows[2]['no_ponsel']},AKTIF 0812-3456-7890,\n",  # 4 STATUS_TIDAK_VALID
                *(f"{r['pd_id']},{r['no_ponsel']},AKTIF,\n" for r in rows[3:]),
            ]
        )
    )
    expected = [
        (2, "pd_id", "PD_ID_TIDAK_VALID", "0819****1782"),
        (3, "status", "STATUS_TIDAK_VALID", "0817****4110"),
        (4, "status", "STATUS_TIDAK_VALID", "AKTIF 0812****7890"),
    ]

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers=auth(tsel_token),
    )
    job = client.get(f"/api/v1/jobs/{r.json()['job_id']}", headers=auth(tsel_token)).json()
    report = b"".join(client.get(r.json()["issues_url"], headers=auth(tsel_token)).streaming_content).decode()

    assert (r.status_code, r.json()["code"]) == (422, "TERLALU_BANYAK_DITOLAK")  # 3 of 10 refused
    assert [(i["line"], i["column"], i["code"], i["value"]) for i in r.json()["rows"]] == expected
    assert [(i["line"], i["column"], i["code"], i["value"]) for i in job["issues"]] == expected
    assert list(JobIssue.objects.order_by("line").values_list("line", "column", "code", "value")) == expected
    assert [line.rsplit(",", 1)[1] for line in report.splitlines()[1:]] == [e[3] for e in expected]
    for full in ("6281913831782", "6281778404110", "0812-3456-7890"):
        assert full not in r.content.decode() + report


def test_an_unknown_pd_id_whose_digit_groups_look_like_a_number_is_given_back_whole(
    client, tsel_batch, tsel_token, settings
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.9}
    rows = dump_rows(tsel_batch)
    unknown = "12345678-1234-4234-8234-081234567890"
    body = f"pd_id,no_ponsel,status\n{unknown},{rows[0]['no_ponsel']},AKTIF\n"
    body += "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows[1:])

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers=auth(tsel_token),
    )

    assert r.status_code == 200, r.content
    assert [(i["code"], i["value"]) for i in r.json()["issues"]] == [("PD_ID_TIDAK_DIKENAL", unknown)]
