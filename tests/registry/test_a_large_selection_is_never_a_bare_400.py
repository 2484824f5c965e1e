"""A form's fields and Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000; decision 0082). The one form
that posts a field per row is a school's list ("Verifikasi nomor yang dipilih"): its largest page
(500 rows) ticked whole goes through and every row is confirmed. A request over the limit (a
hand-made one, or a page size added later) gets a page that says nothing was saved and leads back
to the form's page, not Django's bare "Bad Request (400)"."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.registry.helpers import make_recipients
from verval.registry import selectors
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db


def test_the_largest_page_of_a_schools_list_ticked_whole_is_confirmed(client, operator, school):  # type: ignore[no-untyped-def]
    largest = max(selectors.PAGE_SIZES)
    make_recipients(school, largest)
    client.force_login(operator)
    page = client.get(f"/sekolah/{school.npsn}/?n={largest}").content.decode()
    form = re.search(r'<form id="c" method="post"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None
    ticks = re.findall(r'<input type="checkbox" form="c" name="pilih" value="([^"]+)"', page)
    # Every field the browser sends: the ticks, and the form's own inputs (CSRF token, way back).
    own = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1))
    assert len(ticks) == largest
    assert len(ticks) + len(own) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = client.post(f"/sekolah/{school.npsn}/verifikasi/", {"pilih": ticks, **dict(own)}, follow=True)
    assert response.status_code == 200
    assert f"{largest} data diverifikasi." in response.content.decode()
    assert Recipient.objects.filter(school=school, confirmed_by=operator).count() == largest


def test_more_fields_than_django_reads_answer_a_page_that_says_so_and_leads_back(client, operator, school):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    too_many = [
        f"00000000-0000-0000-0000-{n:012d}.1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
    ]
    response = client.post(
        f"/sekolah/{school.npsn}/verifikasi/",
        {"pilih": too_many},
        HTTP_REFERER=f"http://testserver/sekolah/{school.npsn}/?n=500",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>Permintaan tidak dapat dibaca</h1>" in page
    assert "Isian Anda tidak diproses dan tidak ada yang berubah." in page
    assert "Formulir itu mengirim terlalu banyak isian sekaligus (lebih dari 1.000)." in page
    assert f'<a class="button" href="/sekolah/{school.npsn}/?n=500">Buka lagi halamannya</a>' in page
    assert not Recipient.objects.filter(confirmed_by=operator).exists()


def test_a_request_for_a_host_the_site_does_not_serve_keeps_the_bare_400(client):  # type: ignore[no-untyped-def]
    response = client.get("/", HTTP_HOST="not-ours.example")
    assert (response.status_code, response.content) == (400, b"Bad Request (400)")
