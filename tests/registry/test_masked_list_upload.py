"""Uploading the masked list (the one a Dinas downloads, or another school's) for a bulk
correction is told apart from a file with wrong columns: the school is told to download its own."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.registry.helpers import make_recipients
from verval.core.models import Job

pytestmark = pytest.mark.django_db

MESSAGE = (
    "Ini daftar bermasker (dari Dinas/sekolah lain); unduh daftar sekolah Anda sendiri dari halaman ini."
)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _upload_preview(client, npsn, data):  # type: ignore[no-untyped-def]
    response = client.post(f"/sekolah/{npsn}/koreksi/", {"berkas": SimpleUploadedFile("daftar.xlsx", data)})
    assert response.status_code == 302
    job = Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    return client.get(f"/sekolah/{npsn}/koreksi/{job.pk}/").content.decode()


def test_uploading_the_masked_list_a_dinas_downloads_says_it_is_a_masked_list(operator, dinas_kab, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 3)
    masked = _login(dinas_kab).get(f"/sekolah/{school.npsn}/unduh.xlsx").content

    html = _upload_preview(_login(operator), school.npsn, masked)

    assert (
        f'<p class="error" role="alert">{MESSAGE} <span class="small">(<a href="/bantuan/sekolah/#koreksi-DAFTAR_BERMASKER">DAFTAR_BERMASKER</a>)</span></p>'
        in html
    )
    assert f'href="/sekolah/{school.npsn}/unduh.xlsx">Unduh daftar sekolah Anda (Excel)</a>' in html
    assert "Kolom tidak sesuai" not in html and "Terapkan" not in html


def test_another_schools_masked_list_with_correction_columns_added_is_refused_as_masked(
    operator, dinas_kab, school, other_school
):  # type: ignore[no-untyped-def]
    make_recipients(school, 2)
    wb = load_workbook(io.BytesIO(_login(dinas_kab).get(f"/sekolah/{school.npsn}/unduh.xlsx").content))
    ws = wb["Data"]
    ws.cell(row=1, column=9).value = "nomor_koreksi"
    ws.cell(row=1, column=10).value = "versi"
    ws.cell(row=2, column=9).value = "081311112222"
    out = io.BytesIO()
    wb.save(out)

    html = _upload_preview(_login(operator), school.npsn, out.getvalue())

    assert (
        f'{MESSAGE} <span class="small">(<a href="/bantuan/sekolah/#koreksi-DAFTAR_BERMASKER">DAFTAR_BERMASKER</a>)</span>'
        in html
    )


def test_the_schools_own_list_is_not_taken_for_a_masked_one(operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 2)
    web = _login(operator)
    own = web.get(f"/sekolah/{school.npsn}/unduh.xlsx").content

    html = _upload_preview(web, school.npsn, own)

    assert "DAFTAR_BERMASKER" not in html
    assert "Tidak ada yang perlu diubah." in html
