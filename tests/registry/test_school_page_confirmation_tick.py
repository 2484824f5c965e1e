"""The school's confirmation on a row of the school page (decision 0113): beside "Belum
diverifikasi" (SPEC §4's label of BELUM_VERVAL) it says that Pusdatin's validation still waits,
and it is not shown beside a FORMAT_SALAH or RESIDU verdict that came after it and asks the
school to act again."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import RecipientFactory

pytestmark = pytest.mark.django_db


def _status_cell(html: str, recipient) -> str:  # type: ignore[no-untyped-def]
    row = html.split(f'<tr id="r{recipient.pk}">', 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="st">', 1)[1].split("</td>", 1)[0]


def test_a_confirmed_row_says_what_still_waits_and_a_row_refused_after_its_confirmation_shows_no_tick(
    operator, school
):  # type: ignore[no-untyped-def]
    now = timezone.now()
    waiting = RecipientFactory(school=school, name="Ani", status="BELUM_VERVAL", confirmed_at=now)
    active = RecipientFactory(school=school, name="Budi", status="AKTIF", confirmed_at=now)
    residue = RecipientFactory(
        school=school, name="Citra", status="RESIDU", reason="TIDAK_AKTIF", confirmed_at=now
    )
    untouched = RecipientFactory(school=school, name="Dewi", status="BELUM_VERVAL")
    client = Client()
    client.force_login(operator)

    html = client.get(f"/sekolah/{school.npsn}/").content.decode()

    assert _status_cell(html, waiting).startswith(
        '<span class="label s-BELUM_VERVAL">Belum diverifikasi</span> '
        '<small class="okay">✓ dikonfirmasi sekolah, menunggu validasi Pusdatin</small>'
    )
    assert _status_cell(html, active).startswith(
        '<span class="label s-AKTIF">Aktif</span> <small class="okay">✓ dikonfirmasi sekolah</small>'
    )
    assert "dikonfirmasi sekolah" not in _status_cell(html, residue)
    assert "dikonfirmasi sekolah" not in _status_cell(html, untouched)


def test_the_operators_help_says_what_the_tick_means(operator):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)

    html = client.get(reverse("help:operator")).content.decode()

    assert (
        "<p>Tanda ✓ dikonfirmasi sekolah berarti sekolah sudah memeriksa nomornya; pada nomor yang Belum "
        "diverifikasi, validasi Pusdatin masih ditunggu. Tanda itu tidak tampil pada nomor Format tidak valid "
        "atau Residu: perbaiki nomornya atau konfirmasi ulang.</p>"
    ) in html
