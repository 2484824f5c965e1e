"""`curl -d @hasil.csv` drops the file's line breaks: the server receives every row glued onto the
header. It is refused whole as cut off, with a message that names curl -d and --data-binary,
not as a header of unknown columns (decision 0063)."""

from __future__ import annotations

import pytest

from tests.exchange.helpers import dump_rows
from verval.core.models import Job
from verval.exchange.models import DumpItem

ONE_LINE = {
    "code": "BERKAS_TERPOTONG",
    "message": "Berkas terpotong: berkas tidak memuat satu pun ganti baris, sehingga seluruh isinya "
    "terbaca sebagai satu baris judul. Jika dikirim dengan curl -d, kirim ulang dengan --data-binary "
    "@berkas.csv (curl -d membuang ganti baris).",
    "message_en": "The file is cut off: it holds no line break at all, so all of it reads as one header "
    "line. Sent with curl -d? Send it again with --data-binary @file.csv (curl -d drops the line breaks).",
}


def _results(batch) -> str:  # type: ignore[no-untyped-def]
    return "pd_id,no_ponsel,status\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in dump_rows(batch)
    )


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_results_whose_line_breaks_curl_d_dropped_are_refused_naming_data_binary(
    client, tsel_batch, tsel_token, line_end
):  # type: ignore[no-untyped-def]
    glued = _results(tsel_batch).replace("\n", line_end).replace(line_end, "")

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=glued.encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {tsel_token}"},
    )

    assert r.status_code == 422
    answer = r.json()
    assert {k: answer[k] for k in ONE_LINE} == ONE_LINE
    assert Job.objects.get().state == Job.State.REFUSED
    assert DumpItem.objects.exclude(result="").count() == 0


def test_the_same_results_sent_with_their_line_breaks_are_applied(client, tsel_batch, tsel_token):  # type: ignore[no-untyped-def]
    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=_results(tsel_batch).encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {tsel_token}"},
    )

    assert r.status_code == 200
    assert r.json()["counts"]["applied"] == len(dump_rows(tsel_batch))


def test_a_lone_wrong_header_without_a_line_break_is_still_named_as_a_wrong_header(
    client, tsel_batch, tsel_token
):  # type: ignore[no-untyped-def]
    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=b"msisdn,status",
        content_type="text/csv",
        headers={"Authorization": f"Bearer {tsel_token}"},
    )

    assert r.status_code == 422
    assert r.json()["code"] == "KOLOM_SALAH"
