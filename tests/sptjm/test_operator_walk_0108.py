"""The SPTJM page while a second scan is being checked (decision 0108): the previous scan's QR
verdict is not shown as if it were the new one's."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.sptjm.conftest import aktif
from verval.core import files, jobs
from verval.core.models import Job
from verval.sptjm import actions
from verval.sptjm.models import Sptjm

pytestmark = pytest.mark.django_db

OLD_VERDICT = (
    'Pemeriksaan kode QR pindaian terakhir: <span class="label s-QR_TIDAK_DITEMUKAN">QR tidak ditemukan '
    "pada pindaian</span>"
)


def test_while_a_new_scan_is_checked_the_previous_scans_qr_verdict_is_not_shown_as_its_own(  # type: ignore[no-untyped-def]
    operator, school, period
):
    aktif(school, 2)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    # A first scan (a photo without QR) was accepted with its warning.
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH", qr_verdict="QR_TIDAK_DITEMUKAN")
    sptjm.refresh_from_db()
    web = Client()
    web.force_login(operator)
    page = f"/sekolah/{school.npsn}/sptjm/?periode={period.code}"
    assert OLD_VERDICT in web.get(page).content.decode()

    scan = SimpleUploadedFile("scan.pdf", files.absolute(sptjm.pdf_path).read_bytes())
    response = web.post(f"/sptjm/{sptjm.pk}/unggah/", {"pindaian": scan, "version": sptjm.version})
    assert response.status_code == 302

    checking = web.get(page).content.decode()
    assert "sedang diperiksa.</strong>" in checking
    assert "Pemeriksaan kode QR pindaian terakhir" not in checking

    jobs.run(Job.objects.get(kind="sptjm_scan").pk)
    done = web.get(page).content.decode()
    assert OLD_VERDICT not in done
    assert (
        "Kode QR pindaian terakhir cocok dengan nomor dan isi dokumen ini, terbaca pada 2 dari 2 halaman "
        "yang dicetak." in done
    )
