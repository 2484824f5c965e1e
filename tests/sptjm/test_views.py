from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period, rasterise
from verval.core import files
from verval.core.models import AuditEvent
from verval.registry.models import Recipient
from verval.sptjm.models import Disbursement, Sptjm


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_school_prints_downloads_and_uploads_through_the_web(operator, school, period, send_scan):
    aktif(school, 3)
    web = _login(operator)
    page = web.get(f"/sekolah/{school.npsn}/sptjm/")
    assert page.status_code == 200
    assert "3 penerima aktif perlu dicantumkan" in page.content.decode()
    assert "25 Sep 2020 23.59 WIB" in page.content.decode()  # upload deadline shown

    response = web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    assert response.status_code == 302
    sptjm = Sptjm.objects.get()
    assert Recipient.objects.filter(locked=True).count() == 3
    pdf = web.get(f"/sptjm/{sptjm.pk}/dokumen.pdf")
    body = b"".join(pdf.streaming_content)
    assert body == files.absolute(sptjm.pdf_path).read_bytes()
    assert AuditEvent.objects.filter(action="download_sptjm_pdf").count() == 1

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = send_scan(web, sptjm, SimpleUploadedFile("scan.png", rasterise(body)), sptjm.version)
    assert "kode QR cocok" in upload.content.decode()
    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.qr_verdict) == ("DIUNGGAH", "QR_COCOK")


def test_a_scan_sent_twice_from_one_form_is_stored_once_and_both_answers_say_it_was_received(
    operator, school, period, send_scan
):  # type: ignore[no-untyped-def]
    # A double click on "Unggah" on a slow line: the second send carried the version the first
    # had just changed and answered "SPTJM sudah diubah orang lain", although the scan was stored.
    from django.core.files.uploadedfile import SimpleUploadedFile

    aktif(school, 2)
    web = _login(operator)
    web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    sptjm = Sptjm.objects.get()
    scan = rasterise(files.absolute(sptjm.pdf_path).read_bytes())
    form = sptjm.version
    answers = [
        send_scan(web, sptjm, SimpleUploadedFile("scan.png", scan), form).content.decode() for _ in range(2)
    ]
    for html in answers:
        assert "Pindaian diterima; kode QR cocok dengan dokumen. Menunggu pemeriksaan Pusdatin." in html
        assert "diubah orang lain" not in html
    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.upload_count, sptjm.version) == ("DIUNGGAH", 1, form + 1)
    assert AuditEvent.objects.filter(action="upload_sptjm_scan").count() == 1
    assert sorted(p.name for p in files.absolute(sptjm.scan_path).parent.iterdir()) == [
        files.absolute(sptjm.scan_path).name
    ]
    # Another file on that stale form is still refused.
    other = send_scan(
        web,
        sptjm,
        SimpleUploadedFile("lain.png", rasterise(files.absolute(sptjm.pdf_path).read_bytes(), dpi=120)),
        form,
    ).content.decode()
    assert "SPTJM sudah diubah orang lain sejak halaman dibuka. Muat ulang halaman." in other


def test_sptjm_page_warns_before_printing_that_a_shared_number_would_be_locked(
    operator, dinas_kab, school, period
):  # type: ignore[no-untyped-def]
    # The school page asks to replace a number used by more than 3 recipients; printing locked it
    # onto the statement without a word, and then it could no longer be replaced.
    from django.utils import timezone

    from verval.registry.models import SharedNumber

    shared = aktif(school, 4, phone_raw="081299990000", phone_e164="+6281299990000")
    aktif(school, 2)
    SharedNumber.objects.create(
        phone_e164="+6281299990000", recipients=4, schools=1, level="SEKOLAH", computed_at=timezone.now()
    )
    html = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    assert "6 penerima aktif perlu dicantumkan pada SPTJM." in html
    assert (
        '<p class="warn" role="note">4 di antaranya memakai nomor yang dipakai lebih dari 3 penerima. Setelah '
        "SPTJM dicetak, nomornya terkunci dan tidak dapat diganti: periksa dulu di data sekolah. "
        f'<a href="/sekolah/{school.npsn}/?bersama=1">Tampilkan penerima dengan nomor bersama</a></p>'
    ) in html
    assert (
        "nomor yang dipakai lebih dari"
        not in _login(dinas_kab).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    )
    Recipient.objects.filter(pk__in=[r.pk for r in shared[1:]]).update(
        phone_raw="", phone_e164="", status="FORMAT_SALAH"
    )
    SharedNumber.objects.all().delete()
    assert (
        "nomor yang dipakai lebih dari"
        not in _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    )


def test_pusdatin_reviews_the_scan_beside_the_data(operator, pusdatin, school, period, send_scan):
    aktif(school, 2)
    web = _login(operator)
    web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    sptjm = Sptjm.objects.get()
    from django.core.files.uploadedfile import SimpleUploadedFile

    send_scan(web, sptjm, SimpleUploadedFile("s.pdf", files.absolute(sptjm.pdf_path).read_bytes()))
    admin = _login(pusdatin)

    queue = admin.get("/pusdatin/sptjm/")
    assert sptjm.number in queue.content.decode()
    review = admin.get(f"/pusdatin/sptjm/{sptjm.pk}/")
    assert f'<iframe class="scan" src="/sptjm/{sptjm.pk}/pindaian/"' in review.content.decode()
    scan = admin.get(f"/sptjm/{sptjm.pk}/pindaian/")
    assert scan["Content-Type"] == "application/pdf"
    assert scan["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in scan["Content-Security-Policy"]
    assert AuditEvent.objects.filter(action="download_sptjm_scan", actor=pusdatin).count() == 1

    returned = admin.post(
        f"/pusdatin/sptjm/{sptjm.pk}/kembalikan/",
        {"alasan": "Cap sekolah tidak ada", "version": sptjm.version + 1},
    )
    assert returned.status_code == 302
    sptjm.refresh_from_db()
    assert sptjm.status == "DIKEMBALIKAN"
    assert "Cap sekolah tidak ada" in web.get(f"/sekolah/{school.npsn}/sptjm/").content.decode()


def test_other_school_and_provider_cannot_see_documents_or_scans(
    operator, other_operator, provider_user, dinas_kab, other_dinas_kab, school, period
):
    aktif(school, 1)
    _login(operator).post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    sptjm = Sptjm.objects.get()
    for user in (other_operator, provider_user, other_dinas_kab):
        web = _login(user)
        assert web.get(f"/sptjm/{sptjm.pk}/dokumen.pdf").status_code == 403
        assert web.get(f"/sekolah/{school.npsn}/sptjm/").status_code == 403
    # The document lists every number in full: its Dinas follows the status, the PDF is for the
    # school and Pusdatin (docs/security.md, masking).
    assert _login(dinas_kab).get(f"/sptjm/{sptjm.pk}/dokumen.pdf").status_code == 403
    assert _login(operator).get(f"/sptjm/{sptjm.pk}/dokumen.pdf").status_code == 200
    dinas_page = _login(dinas_kab).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    assert sptjm.number in dinas_page
    assert 'name="pindaian"' not in dinas_page and "dokumen.pdf" not in dinas_page
    assert _login(dinas_kab).post(f"/sptjm/{sptjm.pk}/batal/").status_code == 403
    assert (
        _login(other_operator)
        .post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
        .status_code
        == 403
    )
    assert _login(operator).get("/pusdatin/sptjm/").status_code == 403


def test_dinas_sees_its_late_schools(dinas_kab, operator, school, other_school, db):
    make_period("2020-09A", sptjm_upload_deadline=date(2020, 9, 25))
    aktif(school, 1)
    aktif(other_school, 1)  # another regency: not listed
    page = _login(dinas_kab).get("/dinas/sptjm/")
    text = page.content.decode()
    assert page.status_code == 200
    assert school.npsn in text
    assert other_school.npsn not in text
    assert "1 sekolah di wilayah Anda" in text


def test_school_sptjm_state_for_dashboard(dinas_kab, operator, pusdatin, school, other_school, period):
    from verval.sptjm.selectors import school_sptjm_state

    aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    state = school_sptjm_state(dinas_kab, [school.npsn, other_school.npsn])
    assert list(state) == [school.npsn]
    assert state[school.npsn]["status"] == "DISETUJUI"
    assert state[school.npsn]["late"] is False


def test_pusdatin_button_and_cli_disburse(operator, pusdatin, school, period, capsys):
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    admin = _login(pusdatin)
    assert "Buat batch penyaluran" in admin.get("/pusdatin/").content.decode()

    call_command("disburse", "--period", period.code, "--json")
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out["state"], out["scheduled"], out["excluded"]) == ("SUCCEEDED", 2, 0)
    assert Disbursement.objects.count() == 2
    page = admin.get(f"/pusdatin/penyaluran/?periode={period.code}")
    assert page.status_code == 200
    recon = admin.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.csv")
    assert recon.content.decode().splitlines()[1].startswith("telkomsel,2,0,0,2,0,70,0,0,,,,,")
    assert AuditEvent.objects.filter(action="download_reconciliation").count() == 1


def test_cli_refuses_unknown_period(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("disburse", "--period", "nope")


def test_dinas_school_list_names_the_sptjm_state(dinas_kab, operator, pusdatin, school, period):
    aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    html = _login(dinas_kab).get("/dinas/").content.decode()
    assert '<span class="label s-DISETUJUI">Disetujui</span>' in html


def test_print_page_says_how_many_listed_numbers_the_school_has_not_confirmed(operator, school, period):
    from django.utils import timezone

    aktif(school, 3)
    aktif(school, 2, confirmed_at=timezone.now())
    html = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    assert "5 penerima aktif perlu dicantumkan pada SPTJM." in html
    assert "3 di antaranya belum Anda verifikasi." in html
    assert f'href="/sekolah/{school.npsn}/?status=AKTIF"' in html
