"""The Pusdatin review page: every listed row reachable, a refused return keeps the typed reason,
and codes shown as people name them."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sptjm.conftest import aktif
from verval.sptjm import actions
from verval.sptjm.models import Sptjm, SptjmItem


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _uploaded(user, school, period, rows: int, **kw) -> Sptjm:  # type: ignore[no-untyped-def]
    """A printed SPTJM of `rows` AKTIF recipients (`kw` for each) whose scan is uploaded."""
    aktif(school, rows, **kw)
    sptjm, _ = actions.print_sptjm(actor=user, npsn=school.npsn, period_code=period.code)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")
    sptjm.refresh_from_db()
    return sptjm


def _rename_line(sptjm: Sptjm, line: int, name: str) -> None:
    item = SptjmItem.objects.select_related("recipient").get(sptjm=sptjm, line=line)
    item.recipient.name = name
    item.recipient.save(update_fields=["name"])


def test_review_list_longer_than_a_page_says_what_it_shows_and_pages_on(operator, pusdatin, school, period):
    sptjm = _uploaded(operator, school, period, 501)
    _rename_line(sptjm, 500, "Penerima Baris Lima Ratus")
    _rename_line(sptjm, 501, "Penerima Baris Lima Ratus Satu")
    admin = _login(pusdatin)

    first = admin.get(f"/pusdatin/sptjm/{sptjm.pk}/").content.decode()
    second = admin.get(f"/pusdatin/sptjm/{sptjm.pk}/?hal=2").content.decode()

    assert "Daftar penerima (501)" in first
    assert '<p class="small">Menampilkan 1–500 dari 501</p>' in first
    assert "<td>Penerima Baris Lima Ratus</td>" in first
    assert "<td>Penerima Baris Lima Ratus Satu</td>" not in first
    assert f'<a href="/pusdatin/sptjm/{sptjm.pk}/?hal=2#penerima" rel="next">' in first
    assert "<span>Halaman 1 dari 2</span>" in first
    assert "Persetujuan berlaku untuk seluruh 501 penerima, di semua halaman daftar di bawah." in first

    assert '<details id="penerima" open>' in second
    assert '<p class="small">Menampilkan 501–501 dari 501</p>' in second
    assert "<td>Penerima Baris Lima Ratus Satu</td>" in second
    assert "<td>Penerima Baris Lima Ratus</td>" not in second
    assert f'<a href="/pusdatin/sptjm/{sptjm.pk}/?hal=1#penerima" rel="prev">' in second


def test_approving_from_the_second_page_approves_every_row(operator, pusdatin, school, period):
    sptjm = _uploaded(operator, school, period, 501)
    admin = _login(pusdatin)
    page = admin.get(f"/pusdatin/sptjm/{sptjm.pk}/?hal=2").content.decode()
    assert f'<input type="hidden" name="version" value="{sptjm.version}">' in page

    response = admin.post(f"/pusdatin/sptjm/{sptjm.pk}/setujui/", {"version": sptjm.version})

    assert response.status_code == 302
    assert Sptjm.objects.get(pk=sptjm.pk).status == "DISETUJUI"
    assert SptjmItem.objects.filter(sptjm=sptjm, approved=True).count() == 501


def test_review_list_that_fits_one_page_has_no_pager(operator, pusdatin, school, period):
    sptjm = _uploaded(operator, school, period, 2)
    page = _login(pusdatin).get(f"/pusdatin/sptjm/{sptjm.pk}/").content.decode()
    assert '<p class="small">Menampilkan 1–2 dari 2</p>' in page
    assert 'class="pager"' not in page
    assert "Persetujuan berlaku untuk seluruh" not in page


def test_refused_return_for_a_stale_version_keeps_the_typed_reason(operator, pusdatin, school, period):
    sptjm = _uploaded(operator, school, period, 1)
    Sptjm.objects.filter(pk=sptjm.pk).update(version=sptjm.version + 1)  # the school uploaded again
    admin = _login(pusdatin)

    response = admin.post(
        f"/pusdatin/sptjm/{sptjm.pk}/kembalikan/",
        {"alasan": "Cap & tanda tangan <tidak ada>", "version": sptjm.version},
    )

    body = response.content.decode()
    assert response.status_code == 409
    assert (
        '<p class="error" role="alert" id="alasan-error">'
        "SPTJM sudah diubah orang lain sejak halaman dibuka. Muat ulang halaman.</p>"
    ) in body
    assert (
        '<textarea id="alasan" name="alasan" rows="3" required maxlength="2000" aria-invalid="true"'
        ' aria-describedby="alasan-error">Cap &amp; tanda tangan &lt;tidak ada&gt;</textarea>'
    ) in body
    # The page was read afresh: it carries the current version, so sending again returns it.
    assert f'<input type="hidden" name="version" value="{sptjm.version + 1}">' in body
    again = admin.post(
        f"/pusdatin/sptjm/{sptjm.pk}/kembalikan/",
        {"alasan": "Cap & tanda tangan <tidak ada>", "version": sptjm.version + 1},
    )
    assert again.status_code == 302
    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.return_reason) == ("DIKEMBALIKAN", "Cap & tanda tangan <tidak ada>")


def test_refused_return_with_only_spaces_keeps_the_text_and_asks_for_a_reason(
    operator, pusdatin, school, period
):
    sptjm = _uploaded(operator, school, period, 1)

    response = _login(pusdatin).post(
        f"/pusdatin/sptjm/{sptjm.pk}/kembalikan/", {"alasan": "   ", "version": sptjm.version}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert '<p class="error" role="alert" id="alasan-error">Alasan pengembalian wajib diisi.</p>' in body
    assert 'aria-describedby="alasan-error">   </textarea>' in body
    assert Sptjm.objects.get(pk=sptjm.pk).status == "DIUNGGAH"


def test_return_refused_because_another_reviewer_approved_says_why(operator, pusdatin, school, period):
    sptjm = _uploaded(operator, school, period, 1)
    actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk)

    response = _login(pusdatin).post(
        f"/pusdatin/sptjm/{sptjm.pk}/kembalikan/", {"alasan": "Cap tidak ada", "version": sptjm.version}
    )

    assert response.status_code == 409
    assert (
        '<p class="error" role="alert">SPTJM tidak dalam status yang mengizinkan tindakan ini.</p>'
        in response.content.decode()
    )
    assert Sptjm.objects.get(pk=sptjm.pk).status == "DISETUJUI"


@pytest.mark.parametrize(
    ("operator_code", "label"), [("indosat", "Indosat Ooredoo"), ("axis", "AXIS"), ("tri", "Tri (3)")]
)
def test_review_page_names_providers_and_categories(operator, pusdatin, school, period, operator_code, label):  # type: ignore[no-untyped-def]
    sptjm = _uploaded(operator, school, period, 1, operator=operator_code)

    page = _login(pusdatin).get(f"/pusdatin/sptjm/{sptjm.pk}/").content.decode()

    assert f'<tr><td>{label}</td><td class="num">1</td><td class="num">35</td></tr>' in page  # totals
    assert (
        '<tr><td class="break-any">SD/SMP/SMA/SMK/SLB/Kesetaraan</td><td class="num">1</td><td class="num">35</td></tr>'
        in page
    )
    assert f"<td>{label}</td><td>SD/SMP/SMA/SMK/SLB/Kesetaraan</td>" in page  # the list row
    assert f"<td>{operator_code}</td>" not in page
    assert "<td>DIKDASMEN</td>" not in page


@pytest.mark.parametrize("scan_type", ["pdf", "png"])
def test_a_scan_gone_from_the_store_is_said_on_the_review_page_instead_of_framing_the_410_page(
    operator, pusdatin, school, period, scan_type
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.sptjm.conftest import rasterise
    from verval.core import files

    aktif(school, 2)
    printed, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    pdf = files.absolute(printed.pdf_path).read_bytes()
    scan = actions.upload_scan(
        actor=operator,
        sptjm_id=printed.pk,
        upload=SimpleUploadedFile("scan", pdf if scan_type == "pdf" else rasterise(pdf)),
    ).sptjm
    assert scan.scan_type == scan_type
    admin = _login(pusdatin)
    scan_url = f"/sptjm/{scan.pk}/pindaian/"
    shown = admin.get(f"/pusdatin/sptjm/{scan.pk}/").content.decode()
    assert f'src="{scan_url}"' in shown  # while the file is there, the page shows it

    files.absolute(scan.scan_path).unlink()
    html = admin.get(f"/pusdatin/sptjm/{scan.pk}/").content.decode()

    assert admin.get(scan_url).status_code == 410
    assert scan_url not in html  # neither a frame, an image nor a link to the 410 page
    assert "<iframe" not in html
    assert (
        '<p class="warn scan-gone">Berkas pindaian sudah tidak ada di penyimpanan. '
        "Kembalikan dokumen agar sekolah mengunggah pindaiannya lagi.</p>"
    ) in html
