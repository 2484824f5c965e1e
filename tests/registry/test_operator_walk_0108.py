"""What the school operator's walk of decision 0108 found: the live check of a number the school
already uses, an empty search that said "no data", the refused rows of a correction file on a phone,
and flash messages that were list items with a live role."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from tests.registry.helpers import make_recipients

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SIBLING = "+6285239110495"


def _on(school, e164: str, n: int, **kw):  # type: ignore[no-untyped-def]
    return [RecipientFactory(school=school, phone_raw=e164, phone_e164=e164, **kw) for _ in range(n)]


def test_the_live_check_of_a_row_says_how_many_others_of_the_school_use_the_number_typed(  # type: ignore[no-untyped-def]
    client, operator, school
):
    _on(school, SIBLING, 1)
    editing = RecipientFactory(school=school)
    client.force_login(operator)
    html = client.post(
        "/cek-nomor/satu/", {"nomor": "0852-3911-0495", "penerima": str(editing.pk)}, **HX
    ).content.decode()
    assert "✓ Format benar: 0852-3911-0495 (Telkomsel)" in html
    assert (
        '<small class="muted shared-hint">Nomor ini juga dipakai 1 penerima lain di sekolah ini (misalnya '
        "saudara kandung). Satu nomor boleh dipakai paling banyak 3 penerima.</small>"
    ) in html


def test_the_live_check_warns_when_saving_would_put_a_number_over_the_limit_of_three(  # type: ignore[no-untyped-def]
    client, operator, school
):
    _on(school, SIBLING, 3)
    editing = RecipientFactory(school=school)
    client.force_login(operator)
    html = client.post(
        "/cek-nomor/satu/", {"nomor": "085239110495", "penerima": str(editing.pk)}, **HX
    ).content.decode()
    assert (
        '<small class="warn shared-hint">Nomor ini sudah dipakai 3 penerima lain di sekolah ini. Bila '
        "disimpan, nomor ini dipakai lebih dari 3 penerima dan ditandai sebagai nomor bersama: pastikan "
        "nomor ini memang milik penerima ini atau orang tua/walinya.</small>"
    ) in html


def test_the_live_check_does_not_count_the_row_itself_nor_other_schools(  # type: ignore[no-untyped-def]
    client, operator, school, other_school
):
    (editing,) = _on(school, SIBLING, 1)
    _on(other_school, SIBLING, 5)
    client.force_login(operator)
    html = client.post(
        "/cek-nomor/satu/", {"nomor": "0852-3911-0495", "penerima": str(editing.pk)}, **HX
    ).content.decode()
    assert "✓ Format benar" in html and "shared-hint" not in html


def test_the_live_check_says_nothing_of_another_schools_row_or_to_a_reader(  # type: ignore[no-untyped-def]
    client, operator, dinas_kab, school, other_school
):
    _on(other_school, SIBLING, 2)
    theirs = RecipientFactory(school=other_school)
    client.force_login(operator)
    html = client.post("/cek-nomor/satu/", {"nomor": "0852-3911-0495", "penerima": str(theirs.pk)}, **HX)
    assert "shared-hint" not in html.content.decode()
    _on(school, SIBLING, 2)
    mine = RecipientFactory(school=school)
    client.force_login(dinas_kab)
    html = client.post("/cek-nomor/satu/", {"nomor": "0852-3911-0495", "penerima": str(mine.pk)}, **HX)
    assert "✓ Format benar" in html.content.decode() and "shared-hint" not in html.content.decode()
    bad = client.post("/cek-nomor/satu/", {"nomor": "0852-3911-0495", "penerima": "bukan-uuid"}, **HX)
    assert bad.status_code == 200 and "shared-hint" not in bad.content.decode()


def test_the_row_editor_sends_its_recipient_with_the_live_check(client, operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(school=school)
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/penerima/{r.pk}/ubah/", **HX).content.decode()
    assert f"""hx-vals='{{"penerima": "{r.pk}"}}'""" in html


def test_a_search_that_finds_nobody_says_so_and_leads_back_to_the_whole_list(client, operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 3)
    client.force_login(operator)
    html = client.post(f"/sekolah/{school.npsn}/", {"q": "tidak ada orangnya"}).content.decode()
    assert (
        '<p id="results-status" class="small muted" role="status">Tidak ada penerima yang cocok.</p>'
    ) in html
    assert (
        "Tidak ada penerima yang cocok dengan saringan atau pencarian ini. "
        f'<a href="/sekolah/{school.npsn}/">Tampilkan semua penerima</a>'
    ) in html
    assert "Menampilkan 0–0 dari 0" not in html and "Verifikasi nomor yang dipilih" not in html


def test_a_filter_that_finds_nobody_says_so_and_the_whole_list_keeps_its_count(client, operator, school):  # type: ignore[no-untyped-def]
    make_recipients(school, 3)
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/?status=RESIDU").content.decode()
    assert "Tidak ada penerima yang cocok dengan saringan atau pencarian ini." in html
    whole = client.get(f"/sekolah/{school.npsn}/").content.decode()
    assert "Menampilkan 1–3 dari 3" in whole and "Verifikasi nomor yang dipilih" in whole
    assert "Tidak ada penerima yang cocok" not in whole


def test_a_flash_message_is_a_paragraph_with_its_live_role_not_a_list_item(client, operator, school):  # type: ignore[no-untyped-def]
    (r,) = make_recipients(school, 1)
    client.force_login(operator)
    response = client.post(
        f"/sekolah/{school.npsn}/penerima/{r.pk}/ubah/",
        {"nomor": "0857-2231-4409", "versi": r.version},
        follow=True,
    )
    html = response.content.decode()
    assert (
        '<div class="messages"><p class="msg-success" role="status">Nomor tersimpan. Nomor akan diperiksa '
        "ulang pada validasi berikutnya.</p></div>"
    ) in html
    assert '<ul class="messages">' not in html
