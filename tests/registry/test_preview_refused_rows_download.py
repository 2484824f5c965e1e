"""A correction file with a few refused rows (not enough to refuse it whole) offers its refused
rows as a file before it is applied, as a file refused whole does (CONVENTIONS: "with the full
error report downloadable"; decision 0113). The operator fixes them in the file it uploaded."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.registry.helpers import make_recipients
from tests.registry.test_bulk_correction import _download, _fill, _upload
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def few_refused(client, operator, school):  # type: ignore[no-untyped-def]
    """25 rows, two corrections and one refused (4 %, under the 5 % that refuses a file)."""
    rows = make_recipients(school, 25)
    client.force_login(operator)
    data = _fill(
        _download(client, school.npsn),
        {str(rows[0].pk): "0813111122O3", str(rows[1].pk): "081324681300", str(rows[2].pk): "081324681301"},
    )
    job = _upload(client, school.npsn, data)
    assert job.state == "PENDING"
    return job


def test_a_preview_with_a_few_refused_rows_links_their_report_above_the_rows(client, school, few_refused):  # type: ignore[no-untyped-def]
    html = client.get(f"/sekolah/{school.npsn}/koreksi/{few_refused.pk}/").content.decode()

    base = f"/sekolah/{school.npsn}/koreksi/{few_refused.pk}"
    assert "Terapkan 2 perubahan" in html
    assert (
        f'<p><a href="{base}/ditolak.csv">Unduh daftar baris yang ditolak (CSV)</a> · '
        f'<a href="{base}/ditolak.xlsx">Unduh Excel</a></p>'
    ) in html


def test_the_refused_rows_of_a_preview_download_as_csv_masked_and_audited(client, school, few_refused):  # type: ignore[no-untyped-def]
    response = client.get(f"/sekolah/{school.npsn}/koreksi/{few_refused.pk}/ditolak.csv")

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="laporan-bulk_correction-{few_refused.pk}.csv"'
    )
    assert response.content.decode("utf-8-sig").splitlines() == [
        "baris,kolom,kode,pesan,message,nilai",
        '2,nomor_koreksi,KARAKTER_TIDAK_SAH,"Nomor berisi huruf atau tanda yang bukan bagian nomor telepon. '
        "Tulis hanya angka: 10 sampai 13 angka yang diawali 08. Hapus huruf, nama, dan keterangan (HP, WA, "
        'dll.).","The number contains letters or symbols that are not part of a phone number. Type digits '
        'only: 10 to 13 digits starting with 08. Remove letters, names and notes (HP, WA, etc.).",0813***1223',
    ]
    assert (
        AuditEvent.objects.filter(
            action="download_job_report", object_id=str(few_refused.pk), note="format=csv preview"
        ).count()
        == 1
    )


def test_the_refused_rows_of_a_preview_download_as_excel(client, school, few_refused):  # type: ignore[no-untyped-def]
    response = client.get(f"/sekolah/{school.npsn}/koreksi/{few_refused.pk}/ditolak.xlsx")

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["laporan"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["baris", "kolom", "kode", "pesan", "message", "nilai"]
    assert [r[:3] for r in rows[1:]] == [[2, "nomor_koreksi", "KARAKTER_TIDAK_SAH"]]
