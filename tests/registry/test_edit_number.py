"""Inline correction of one number: who may, locking, optimistic locking, history and audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import RecipientFactory
from verval.core.models import AuditEvent
from verval.registry import actions
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def aktif(school):  # type: ignore[no-untyped-def]
    return RecipientFactory(
        school=school,
        name="Budi Santoso",
        phone_raw="081211112222",
        phone_e164="+6281211112222",
        status="AKTIF",
        needs_validation=False,
    )


def _edit_url(r):  # type: ignore[no-untyped-def]
    return f"/sekolah/{r.school_id}/penerima/{r.pk}/ubah/"


def test_operator_edits_own_number(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "0813-2468-1357" in html and 'class="label s-BELUM_VERVAL"' in html

    r = Recipient.objects.get(pk=aktif.pk)
    assert (r.phone_raw, r.phone_e164, r.operator) == ("0813-2468-1357", "+6281324681357", "telkomsel")
    assert (r.status, r.reason, r.needs_validation, r.version) == ("BELUM_VERVAL", "", True, 2)
    assert r.confirmed_by_id == operator.pk and r.confirmed_at is not None

    h = NumberHistory.objects.get(recipient=r)
    assert (h.action, h.from_status, h.to_status, h.reason, h.phone_before, h.phone_after, h.actor_id) == (
        "change_number",
        "AKTIF",
        "BELUM_VERVAL",
        "",
        "0812****2222",
        "0813****1357",
        operator.pk,
    )
    a = AuditEvent.objects.get(action="change_number")
    assert (a.object_type, a.object_id, a.school_id, a.actor_id) == (
        "recipient",
        str(r.pk),
        r.school_id,
        operator.pk,
    )
    assert a.before == {"phone": "0812****2222", "status": "AKTIF", "reason": "", "version": 1}
    assert a.after == {"phone": "0813****1357", "status": "BELUM_VERVAL", "reason": "", "version": 2}


def test_edit_without_javascript_redirects_to_school_page(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    form = client.get(_edit_url(aktif))
    assert form.status_code == 200 and 'name="versi" value="1"' in form.content.decode()
    response = client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1"})
    assert response.status_code == 302 and response["Location"] == f"/sekolah/{aktif.school_id}/"
    assert Recipient.objects.get(pk=aktif.pk).phone_e164 == "+6281324681357"


def test_invalid_number_is_stored_with_its_reason_for_the_validation_run(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "021-5551234", "versi": "1"}, **HX)
    assert response.status_code == 200
    r = Recipient.objects.get(pk=aktif.pk)
    assert (r.phone_raw, r.phone_e164, r.status, r.reason, r.needs_validation) == (
        "021-5551234",
        "",
        "BELUM_VERVAL",
        "TELEPON_RUMAH",
        True,
    )
    assert "Pemeriksaan awal:" in response.content.decode()
    # Confirming a failing number is refused, so typing one does not count as confirming it.
    assert (r.confirmed_at, r.confirmed_by_id) == (None, None)
    assert "dikonfirmasi sekolah" not in response.content.decode()


def test_same_number_typed_differently_changes_nothing(operator, aktif):  # type: ignore[no-untyped-def]
    r = actions.change_number(
        actor=operator, recipient_id=aktif.pk, new_raw="+62 812-1111-2222", expected_version=1
    )
    assert (r.version, r.status) == (1, "AKTIF")
    assert NumberHistory.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_operator_cannot_edit_number_of_other_school(client, other_operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(other_operator)
    assert client.get(_edit_url(aktif)).status_code == 403
    assert client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1"}).status_code == 403
    # Through its own school's URL the other school's record does not exist either.
    own_url = f"/sekolah/{other_operator.school_id}/penerima/{aktif.pk}/ubah/"
    assert client.post(own_url, {"nomor": "081324681357", "versi": "1"}).status_code == 403
    with pytest.raises(PermissionDenied):
        actions.change_number(
            actor=other_operator, recipient_id=aktif.pk, new_raw="081324681357", expected_version=1
        )
    r = Recipient.objects.get(pk=aktif.pk)
    assert (r.phone_e164, r.version, r.status) == ("+6281211112222", 1, "AKTIF")
    assert NumberHistory.objects.count() == 0


@pytest.mark.parametrize("who", ["dinas_kab", "dinas_prov", "pusdatin"])
def test_dinas_and_pusdatin_read_but_cannot_edit(client, request, aktif, who):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(f"/sekolah/{aktif.school_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/ubah/" not in html and 'name="pilih"' not in html
    assert client.get(_edit_url(aktif)).status_code == 403
    assert client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1"}).status_code == 403
    assert (
        client.post(f"/sekolah/{aktif.school_id}/verifikasi/", {"pilih": f"{aktif.pk}.1"}).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        actions.change_number(actor=user, recipient_id=aktif.pk, new_raw="081324681357", expected_version=1)
    assert Recipient.objects.get(pk=aktif.pk).version == 1


def test_provider_cannot_open_a_school_page(client, provider_user, aktif):  # type: ignore[no-untyped-def]
    client.force_login(provider_user)
    assert client.get(f"/sekolah/{aktif.school_id}/").status_code == 403


def test_locked_record_is_refused_with_a_clear_message(client, operator, aktif):  # type: ignore[no-untyped-def]
    Recipient.objects.filter(pk=aktif.pk).update(locked=True)
    with pytest.raises(actions.RecordLocked):
        actions.change_number(
            actor=operator, recipient_id=aktif.pk, new_raw="081324681357", expected_version=1
        )
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1"})
    assert response.status_code == 409
    assert "terkunci karena sudah tercantum pada SPTJM" in response.content.decode()
    # The edit page says so before anything is typed, and offers no save.
    page = client.get(_edit_url(aktif)).content.decode()
    assert "terkunci karena sudah tercantum pada SPTJM" in page and "<button disabled" in page
    assert Recipient.objects.get(pk=aktif.pk).phone_e164 == "+6281211112222"


def test_second_editor_with_the_same_version_is_refused_and_first_kept(client, operator, aktif):  # type: ignore[no-untyped-def]
    first = actions.change_number(
        actor=operator, recipient_id=aktif.pk, new_raw="081324681357", expected_version=1
    )
    assert first.version == 2
    with pytest.raises(actions.VersionConflict):
        actions.change_number(
            actor=operator, recipient_id=aktif.pk, new_raw="085711112222", expected_version=1
        )
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "085711112222", "versi": "1"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx: the message travels in the form
    assert "sudah diubah oleh orang lain" in html and "Muat ulang data ini" in html
    assert client.post(_edit_url(aktif), {"nomor": "085711112222", "versi": "1"}).status_code == 409
    r = Recipient.objects.get(pk=aktif.pk)
    assert (r.phone_e164, r.version) == ("+6281324681357", 2)
    assert NumberHistory.objects.filter(recipient=r).count() == 1


def test_the_same_number_sent_twice_from_one_form_is_saved_once_without_a_conflict(client, operator, aktif):  # type: ignore[no-untyped-def]
    # A double click without JavaScript, or a second tab: the second send found the first one's
    # new version and said "sudah diubah oleh orang lain", although the number is the one typed.
    client.force_login(operator)
    first = client.post(_edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"})
    second = client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1"}, follow=True)
    assert (first.status_code, second.status_code) == (302, 200)
    html = second.content.decode()
    assert "sudah diubah oleh orang lain" not in html
    assert "Nomor tersimpan. Nomor akan diperiksa ulang pada validasi berikutnya." in html
    r = Recipient.objects.get(pk=aktif.pk)
    assert (r.phone_e164, r.version) == ("+6281324681357", 2)
    assert NumberHistory.objects.filter(recipient=r).count() == 1
    assert AuditEvent.objects.filter(action="change_number", object_id=str(r.pk)).count() == 1


def test_an_inline_save_sends_the_lists_counts_again(client, operator, school, aktif):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, phone_raw="0812-1", phone_e164="", status="FORMAT_SALAH")
    client.force_login(operator)
    html = client.post(_edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"}, **HX).content.decode()
    counts = html[html.index('<div id="summary-counts" class="contents" hx-swap-oob="innerHTML">') :]
    assert '<a class="card" href="?status=BELUM_VERVAL"><b>1</b>' in counts
    assert '<a class="card" href="?status=AKTIF"><b>0</b>' in counts
    assert '<a class="card" href="?status=FORMAT_SALAH"><b>1</b>' in counts
    # The same number again changes no count: none sent.
    again = client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "2"}, **HX).content.decode()
    assert "Nomor sama, tidak ada perubahan" in again and "summary-counts" not in again


def test_conditional_update_refuses_a_change_that_raced_past_the_check(operator, aktif, monkeypatch):  # type: ignore[no-untyped-def]
    """Another transaction bumps the version between our read and our UPDATE."""
    real = actions._apply_number

    def racing(recipient, new, expected, now, actor):  # type: ignore[no-untyped-def]
        Recipient.objects.filter(pk=recipient.pk).update(version=5)
        return real(recipient, new, expected, now, actor)

    monkeypatch.setattr(actions, "_apply_number", racing)
    with pytest.raises(actions.VersionConflict):
        actions.change_number(
            actor=operator, recipient_id=aktif.pk, new_raw="081324681357", expected_version=1
        )
    assert Recipient.objects.get(pk=aktif.pk).phone_e164 == "+6281211112222"


def test_history_page_lists_changes_with_masked_numbers(client, operator, dinas_kab, aktif):  # type: ignore[no-untyped-def]
    actions.change_number(actor=operator, recipient_id=aktif.pk, new_raw="081324681357", expected_version=1)
    client.force_login(dinas_kab)
    response = client.get(f"/sekolah/{aktif.school_id}/penerima/{aktif.pk}/riwayat/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<span class="nowrap">0812****2222</span> → <span class="nowrap">0813****1357</span>' in html
        and "Nomor diubah" in html
    )
    assert "081324681357" not in html and "0813-2468-1357" not in html


def test_live_check_returns_the_verdict_on_post_and_a_get_leads_to_the_check_page(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    # A GET (no number: numbers never travel in an address) leads to Cek nomor (decision 0096).
    response = client.get("/cek-nomor/satu/")
    assert (response.status_code, response["Location"]) == (302, "/cek-nomor/")
    ok = client.post("/cek-nomor/satu/", {"nomor": "0812 3456 7891"}, **HX).content.decode()
    assert "0812-3456-7891" in ok and "Telkomsel" in ok
    bad = client.post("/cek-nomor/satu/", {"nomor": "8.1234E+11"}, **HX).content.decode()
    assert "notasi ilmiah" in bad


def test_cancel_edit_returns_the_display_row(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(f"/sekolah/{aktif.school_id}/penerima/{aktif.pk}/", **HX).content.decode()
    assert html.startswith(f'<tr id="r{aktif.pk}">') and "0812-1111-2222" in html and "/ubah/" in html
    assert client.get(f"/sekolah/{aktif.school_id}/penerima/{aktif.pk}/").status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_edits_on_postgresql_keep_exactly_one(school):  # type: ignore[no-untyped-def]
    import threading

    from django.db import connection

    from tests.factories import UserFactory

    operator = UserFactory(role="OPERATOR", school=school, username="op-race")
    r = RecipientFactory(school=school, phone_raw="081211112222", phone_e164="+6281211112222")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(number: str) -> None:
        try:
            barrier.wait()
            actions.change_number(actor=operator, recipient_id=r.pk, new_raw=number, expected_version=1)
            outcomes.append("ok")
        except actions.VersionConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("081324681357", "085711112222")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    stored = Recipient.objects.get(pk=r.pk)
    assert stored.version == 2 and stored.phone_e164 in {"+6281324681357", "+6285711112222"}
    assert NumberHistory.objects.filter(recipient=r).count() == 1


def test_typing_the_same_number_again_says_nothing_changed(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "+62 812-1111-2222", "versi": "1"}, **HX)
    html = response.content.decode()
    assert "Nomor sama, tidak ada perubahan" in html and "Tersimpan" not in html
    saved = client.post(_edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"}, **HX).content.decode()
    assert "Tersimpan" in saved and "Nomor sama" not in saved
    assert "✓ dikonfirmasi sekolah" in saved


def test_standalone_edit_page_posts_as_a_plain_form(client, operator, aktif):  # type: ignore[no-untyped-def]
    # Opened on its own (a new tab), there is no table row for htmx to swap.
    client.force_login(operator)
    html = client.get(_edit_url(aktif)).content.decode()
    form = html[html.index('<form method="post" action="/sekolah/') :]
    form = form[: form.index(">")]
    assert "hx-post" not in form and "hx-target" not in form
    inline = client.get(_edit_url(aktif), **HX).content.decode()
    assert 'hx-target="closest tr"' in inline


def test_saving_over_a_number_the_provider_found_active_asks_first(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(_edit_url(aktif), **HX).content.decode()
    assert 'data-confirm="Provider menyatakan nomor ini aktif. Ganti dengan nomor yang Anda ketik?"' in html
    aktif.status = "BELUM_VERVAL"
    aktif.save()
    assert "data-confirm" not in client.get(_edit_url(aktif), **HX).content.decode()


def test_htmx_request_after_the_session_expired_is_refused_401_with_nothing_to_swap(client, aktif):  # type: ignore[no-untyped-def]
    # app.js says next to the control that nothing was sent and links to the sign-in page
    # (decision 0069); the page and what was typed stay.
    page = f"http://testserver/sekolah/{aktif.school_id}/?status=RESIDU"
    response = client.post(
        _edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"}, HTTP_HX_CURRENT_URL=page, **HX
    )
    assert response.status_code == 401
    assert response["HX-Reswap"] == "none"
    assert response.content == b""
    assert not response.has_header("Location")
    assert not response.has_header("HX-Redirect")
    assert NumberHistory.objects.filter(recipient=aktif).count() == 0
    assert client.get(f"/sekolah/{aktif.school_id}/penerima/{aktif.pk}/", **HX).status_code == 401
    assert client.post(_edit_url(aktif), {"nomor": "0813"}).status_code == 302  # without htmx: as before


SAVED_BUT_INVALID = (
    "Nomor tersimpan, tetapi bukan nomor ponsel yang sah dan akan ditolak pada validasi berikutnya."
)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (
            "12345",
            "Nomor ini nomor layanan (misalnya 112, 14xxx, 0800, 0807), bukan nomor ponsel pribadi. "
            "Ganti dengan nomor ponsel pribadi (diawali 08) milik siswa/guru atau orang tua/wali.",
        ),
        (
            "021-7654321",
            "Nomor ini nomor telepon rumah/kantor (telepon tetap), bukan nomor ponsel. "
            "Ganti dengan nomor ponsel (diawali 08) milik siswa/guru atau orang tua/wali.",
        ),
    ],
)
def test_saving_a_number_the_engine_refuses_warns_with_the_reason_without_javascript(
    client, operator, aktif, typed, reason
):  # type: ignore[no-untyped-def]
    from django.contrib.messages import get_messages

    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": typed, "versi": "1"})
    assert response.status_code == 302
    shown = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert shown == [("warning", f"{SAVED_BUT_INVALID} {reason}")]
    assert Recipient.objects.get(pk=aktif.pk).phone_raw == typed  # saved all the same (decision 0005)


def test_saving_a_number_the_engine_refuses_with_htmx_says_so_on_the_row(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.post(_edit_url(aktif), {"nomor": "12345", "versi": "1"}, **HX).content.decode()
    assert (
        '<small class="warn" role="alert">Tersimpan, tetapi bukan nomor ponsel yang sah</small>'
        "<br><small>Pemeriksaan awal: Nomor ini nomor layanan (misalnya 112, 14xxx, 0800, 0807), bukan "
        "nomor ponsel pribadi. <b>Ganti dengan nomor ponsel pribadi (diawali 08) milik siswa/guru atau "
        "orang tua/wali.</b></small>"
    ) in html
    assert 'class="okay" role="status"' not in html


def test_a_valid_number_saved_without_javascript_still_says_saved(client, operator, aktif):  # type: ignore[no-untyped-def]
    from django.contrib.messages import get_messages

    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1"})
    shown = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert shown == [("success", "Nomor tersimpan. Nomor akan diperiksa ulang pada validasi berikutnya.")]


def test_saving_without_javascript_returns_to_the_filtered_page_of_the_list(client, operator, school):  # type: ignore[no-untyped-def]
    import re

    from tests.registry.helpers import make_recipients

    make_recipients(school, 120)
    client.force_login(operator)
    page = client.get(f"/sekolah/{school.npsn}/?status=BELUM_VERVAL&hal=2").content.decode()
    links = re.findall(
        r'href="(/sekolah/\d+/penerima/[0-9a-f-]+/ubah/)\?status=BELUM_VERVAL&amp;hal=2"', page
    )
    assert len(links) == 50
    form = client.get(links[0] + "?status=BELUM_VERVAL&hal=2").content.decode()
    assert '<input type="hidden" name="kembali" value="status=BELUM_VERVAL&amp;hal=2">' in form
    assert f'<a href="/sekolah/{school.npsn}/?status=BELUM_VERVAL&amp;hal=2">« ' in form
    response = client.post(
        links[0], {"nomor": "081324681357", "versi": "1", "kembali": "status=BELUM_VERVAL&hal=2"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/sekolah/{school.npsn}/?status=BELUM_VERVAL&hal=2"


def test_the_way_back_to_the_list_carries_only_its_filters_never_a_name_a_number_or_another_site(
    client, operator, aktif
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    crafted = "q=Budi&nomor=081211112222&next=https://evil.example/&status=RESIDU&jenis=PD&hal=3"
    response = client.post(_edit_url(aktif), {"nomor": "081324681357", "versi": "1", "kembali": crafted})
    assert response["Location"] == f"/sekolah/{aktif.school_id}/?status=RESIDU&jenis=PD&hal=3"
    response = client.post(
        _edit_url(aktif), {"nomor": "0857-1111-2222", "versi": "2", "kembali": "//evil.example/"}
    )
    assert response["Location"] == f"/sekolah/{aktif.school_id}/"


def test_edit_links_of_a_search_result_keep_its_filters_but_not_the_term_or_page(client, operator, school):  # type: ignore[no-untyped-def]
    from tests.registry.helpers import make_recipients

    make_recipients(school, 120)
    client.force_login(operator)
    html = client.post(
        f"/sekolah/{school.npsn}/", {"q": "Siswa", "status": "BELUM_VERVAL", "hal": "2"}
    ).content.decode()
    assert html.count('/ubah/?status=BELUM_VERVAL" hx-get=') == 50
    assert "q=" not in html and "Siswa&" not in html
