"""/nomor-bersama/: the school's own operator reads its shared numbers in full and opens each
recipient's edit form from the name; Dinas and Pusdatin read them masked. The school list
filters the recipients with a shared number (`?bersama=1`)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.registry.helpers import make_recipients
from verval.registry.models import Recipient
from verval.registry.services import recount_shared_numbers

pytestmark = pytest.mark.django_db

SHARED = "+6281399990000"


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _sharing(school, n, **fields):  # type: ignore[no-untyped-def]
    rows = make_recipients(school, n, phone_raw="081399990000", phone_e164=SHARED, **fields)
    recount_shared_numbers()
    return rows


def test_operator_sees_own_shared_numbers_in_full_with_names_linked_to_their_edit_form(operator, school):  # type: ignore[no-untyped-def]
    rows = _sharing(school, 4)
    Recipient.objects.filter(pk=rows[3].pk).update(locked=True)

    html = _login(operator).get("/nomor-bersama/").content.decode()

    assert "0813-9999-0000" in html and "0813****0000" not in html
    for r in rows[:3]:
        assert (
            f'<li><a href="/sekolah/{school.npsn}/penerima/{r.pk}/ubah/">{r.name}</a> ({school.npsn})</li>'
            in html
        )
    assert f"<li>{rows[3].name} ({school.npsn}) <small>terkunci SPTJM</small></li>" in html


def test_dinas_and_pusdatin_see_shared_numbers_masked_and_names_without_links(dinas_kab, pusdatin, school):  # type: ignore[no-untyped-def]
    rows = _sharing(school, 11)

    for user in (dinas_kab, pusdatin):
        html = _login(user).get("/nomor-bersama/").content.decode()

        assert "0813****0000" in html and "0813-9999-0000" not in html
        assert f"<li>{rows[0].name} ({school.npsn})</li>" in html
        assert "/ubah/" not in html


def test_school_list_filters_recipients_with_a_shared_number(operator, school):  # type: ignore[no-untyped-def]
    shared = _sharing(school, 4)
    (alone,) = make_recipients(school, 1, start=50)
    web = _login(operator)

    everyone = web.get(f"/sekolah/{school.npsn}/").content.decode()
    only_shared = web.get(f"/sekolah/{school.npsn}/?bersama=1").content.decode()

    assert '<a href="?bersama=1">Tampilkan penerima dengan nomor bersama</a>' in everyone
    assert "Menampilkan 1–4 dari 4" in only_shared
    assert all(r.name in only_shared for r in shared) and alone.name not in only_shared
    assert '<option value="1" selected>Dipakai lebih dari batas</option>' in only_shared
