"""A results file saved by Excel ("CSV UTF-8": a byte order mark, CRLF line ends) is read as any
other (decision 0059: the web reports now carry the mark, and a file a person edited and saves
again carries it too); the providers' API report keeps its bytes, without the mark."""

from __future__ import annotations

import pytest

from tests.exchange.helpers import dump_rows

pytestmark = pytest.mark.django_db


def test_results_file_saved_by_excel_with_a_bom_is_applied_and_the_api_report_has_no_bom(
    client, tsel_batch, tsel_token
):  # type: ignore[no-untyped-def]
    rows = dump_rows(tsel_batch)
    text = "pd_id,no_ponsel,status\r\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\r\n" for r in rows)
    headers = {"Authorization": f"Bearer {tsel_token}"}

    answer = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=b"\xef\xbb\xbf" + text.encode(),
        content_type="text/csv",
        headers=headers,
    )

    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["state"], data["counts"]["applied"], data["counts"]["unanswered"]) == ("SUCCEEDED", 10, 0)
    report = client.get(f"/api/v1/jobs/{data['job_id']}/issues", headers=headers)
    assert b"".join(report.streaming_content) == b"baris,kolom,kode,pesan,message,nilai\r\n"
