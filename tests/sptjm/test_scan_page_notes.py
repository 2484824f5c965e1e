"""The page warnings of a scan after the upload (decision 0092): the school's SPTJM page names the
pages while the scan awaits review or was returned, and Pusdatin's review queue marks the scans
with a page warning and filters to them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif
from tests.sptjm.test_long_document_scan import _upload
from verval.sptjm import actions

pytestmark = pytest.mark.django_db


def _notes(html: str) -> list[str]:
    """The page notes of the school's card, as text."""
    block = re.search(r'<div class="page-notes" role="note">(.*?)</div>', html, re.S)
    if block is None:
        return []
    return [
        re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)
    ]


def _helps(html: str) -> list[str]:
    block = re.search(r'<div class="page-notes" role="note">(.*?)</div>', html, re.S)
    assert block is not None
    return re.findall(r'<a href="([^"]+)">', block.group(1))


def _print(operator, school, period, recipients):  # type: ignore[no-untyped-def]
    aktif(school, recipients)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    return sptjm


def test_school_page_names_pages_two_and_five_missing_from_the_scan_awaiting_review(
    client, operator, school, period
):  # type: ignore[no-untyped-def]
    sptjm = _print(operator, school, period, 200)  # six pages
    _upload(operator, sptjm, 1, 3, 4, 6)
    client.force_login(operator)

    html = client.get(reverse("sptjm:school", args=[school.npsn])).content.decode()

    assert _notes(html) == [
        "Halaman 2, 5 tidak terbaca pada pindaian: kode QR dokumen ini terbaca pada 4 dari 6 halaman "
        "yang dicetak. Pindaian tetap diterima, tetapi periksa apakah halaman itu terlewat atau kurang "
        "jelas, lalu unggah ulang bila perlu. Apa artinya?"
    ]
    assert _helps(html) == ["/bantuan/sekolah/#unggah-QR_HALAMAN_KURANG"]
    assert (
        "Pusdatin tetap memeriksa pindaian ini. Bila halaman itu memang terlewat, ganda atau tidak urut, "
        "pindai lagi seluruh halaman, masing-masing sekali dan berurutan dari halaman 1, lalu unggah ulang."
    ) in html


def test_school_page_keeps_the_page_notes_of_a_returned_scan_and_says_to_scan_again(
    client, operator, pusdatin, school, period
):  # type: ignore[no-untyped-def]
    sptjm = _print(operator, school, period, 120)  # four pages
    _upload(operator, sptjm, 1, 3, 2, 3, 4)
    sptjm.refresh_from_db()
    actions.return_sptjm(
        actor=pusdatin, sptjm_id=sptjm.pk, reason="Halaman 3 dua kali.", version=sptjm.version
    )
    client.force_login(operator)

    html = client.get(reverse("sptjm:school", args=[school.npsn])).content.decode()

    assert [n.split(" ", 2)[:2] for n in _notes(html)] == [["Halaman", "3"], ["Halaman", "2"]]
    assert _notes(html)[0].startswith("Halaman 3 terpindai lebih dari sekali.")
    assert _notes(html)[1].startswith("Halaman 2 terpindai sesudah halaman bernomor lebih besar")
    assert _helps(html) == [
        "/bantuan/sekolah/#unggah-QR_HALAMAN_GANDA",
        "/bantuan/sekolah/#unggah-QR_HALAMAN_TIDAK_URUT",
    ]
    assert (
        "Sebelum mengunggah ulang, pindai lagi seluruh halaman dokumen yang ditandatangani, masing-masing "
        "sekali dan berurutan dari halaman 1."
    ) in html


def test_school_page_has_no_page_notes_for_a_whole_scan_or_once_approved(
    client, operator, pusdatin, school, period
):  # type: ignore[no-untyped-def]
    sptjm = _print(operator, school, period, 120)
    _upload(operator, sptjm, 1, 2, 3, 4)
    client.force_login(operator)
    assert _notes(client.get(reverse("sptjm:school", args=[school.npsn])).content.decode()) == []

    _upload(operator, sptjm, 1, 2, 4)
    assert _notes(client.get(reverse("sptjm:school", args=[school.npsn])).content.decode())[0].startswith(
        "Halaman 3 tidak terbaca"
    )
    sptjm.refresh_from_db()
    actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk, version=sptjm.version)
    assert (
        'class="page-notes"' not in client.get(reverse("sptjm:school", args=[school.npsn])).content.decode()
    )


def _queue_rows(html: str) -> dict[str, list[str]]:
    """Each row of the queue: the document number, and the page marks beside its QR verdict."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        number = re.search(r'<a href="[^"]+">([^<]+)</a>', row)
        if number:
            rows[number.group(1)] = re.findall(r'<span class="label page-mark">([^<]+)</span>', row)
    return rows


def test_review_queue_marks_scans_with_page_warnings_and_filters_to_them(
    client, operator, pusdatin, school, period
):  # type: ignore[no-untyped-def]
    short = _print(operator, school, period, 200)  # six pages: 2, 4 and 5 not read, 6 twice
    _upload(operator, short, 1, 3, 6, 6)
    whole_school = SchoolFactory(npsn="20100002")
    whole_operator = UserFactory(role="OPERATOR", school=whole_school, username="operator.utuh")
    whole = _print(whole_operator, whole_school, period, 20)
    _upload(whole_operator, whole, 1, 2)  # both of its pages
    client.force_login(pusdatin)

    everything = client.get(reverse("sptjm:review_queue")).content.decode()
    assert _queue_rows(everything) == {
        short.number: ["3 halaman tidak terbaca", "1 halaman terpindai ganda"],
        whole.number: [],
    }
    assert "2 SPTJM menunggu pemeriksaan." in everything

    filtered = client.get(reverse("sptjm:review_queue"), {"halaman": "1"}).content.decode()
    assert _queue_rows(filtered) == {short.number: ["3 halaman tidak terbaca", "1 halaman terpindai ganda"]}
    assert "1 dari 2 SPTJM yang menunggu pemeriksaan sesuai saringan." in filtered
    assert '<option value="1" selected>Ada halaman tidak terbaca, ganda atau tidak urut</option>' in filtered


def test_review_queue_page_filter_counts_a_scan_of_an_old_print_by_the_pages_read(
    pusdatin, operator, school, period
):  # type: ignore[no-untyped-def]
    """A document printed before decision 0084 keeps only the count of pages read."""
    from verval.sptjm import selectors
    from verval.sptjm.models import Sptjm
    from verval.sptjm.templatetags.sptjm_tags import page_marks

    sptjm = _print(operator, school, period, 120)
    _upload(operator, sptjm, 1, 2, 3, 4)
    Sptjm.objects.filter(pk=sptjm.pk).update(
        scan_pages={
            "printed_pages": 4,
            "pages_with_qr": 2,
            "warnings": [["QR_HALAMAN_KURANG", {"found": 2, "pages": 4}]],
        }
    )
    queued = list(selectors.review_queue(pusdatin, pages=True))
    assert [d.pk for d in queued] == [sptjm.pk]
    assert page_marks(queued[0]) == ["2 halaman tidak terbaca"]
    Sptjm.objects.filter(pk=sptjm.pk).update(scan_pages={"warnings": [["QR_TIDAK_DITEMUKAN", {}]]})
    assert list(selectors.review_queue(pusdatin, pages=True)) == []
