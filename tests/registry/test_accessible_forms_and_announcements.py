"""The school page's forms and live regions for screen readers (decision 0050): errors named in
the field's description, the list's count and a saved row read out through regions that stay on
the page while htmx swaps the list or the row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import RecipientFactory

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


def test_edit_form_describes_the_number_with_its_verdict_and_hint(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(_edit_url(aktif)).content.decode()
    assert f'aria-describedby="v{aktif.pk} h{aktif.pk}" hx-post' in html
    assert f'<p class="small muted" id="h{aktif.pk}">Nomor yang disimpan akan diperiksa ulang' in html
    assert "aria-invalid" not in html


def test_inline_editor_checks_the_number_on_any_input_and_is_live_once_inserted(client, operator, aktif):  # type: ignore[no-untyped-def]
    """Decision 0052: on input (typed, pasted, dictated, suggested) without "changed", and htmx
    settles at once, so the editor it inserts listens before the browser can show it."""
    client.force_login(operator)
    school_page = client.get(f"/sekolah/{aktif.school_id}/").content.decode()
    row_editor = client.get(_edit_url(aktif), **HX).content.decode()
    assert '"defaultSettleDelay": 0}' in school_page
    assert f'hx-trigger="input delay:300ms" hx-target="#v{aktif.pk}"' in row_editor
    assert f'<output id="v{aktif.pk}" class="verdict" aria-live="polite"></output>' in row_editor


def test_edit_refused_for_a_changed_record_names_the_error_in_the_numbers_description(
    client, operator, aktif
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "081398765432", "versi": "7"})
    html = response.content.decode()
    assert response.status_code == 409
    assert f'aria-describedby="v{aktif.pk} h{aktif.pk} e{aktif.pk}" hx-post' in html
    assert f'<p class="error" role="alert" id="e{aktif.pk}">' in html


def test_edit_with_a_number_too_long_marks_the_number_invalid(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(_edit_url(aktif), {"nomor": "0" * 101, "versi": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    assert f'aria-describedby="v{aktif.pk} h{aktif.pk} e{aktif.pk}" aria-invalid="true" hx-post' in html
    assert (
        f'<p class="error" role="alert" id="e{aktif.pk}">Isian tidak lengkap; muat ulang halaman.</p>' in html
    )


def test_refused_upload_marks_the_file_field_invalid_and_describes_it_with_the_error(
    client, operator, school
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    response = client.post(
        f"/sekolah/{school.npsn}/koreksi/", {"berkas": SimpleUploadedFile("koreksi.csv", b"id,versi\n")}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-invalid="true" aria-describedby="id_berkas_error">' in html
    assert (
        '<div id="id_berkas_error" role="alert"><p class="error">Unggah berkas .xlsx yang diunduh dari halaman ini.</p></div>'
        in html
    )


def test_school_page_count_is_a_status_region_outside_the_swapped_list(client, operator, school, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/").content.decode()
    region = '<p id="results-status" class="small muted" role="status">Menampilkan 1–1 dari 1</p>'
    assert region in html
    assert html.index(region) < html.index('<div id="results">')
    assert '<p id="row-status" class="sr-only" role="status"></p>' in html
    assert "hx-swap-oob" not in html


def test_filtered_list_answer_updates_the_count_region_out_of_band(client, operator, school, aktif):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, status="RESIDU", reason="TIDAK_AKTIF")
    client.force_login(operator)
    html = client.post(
        f"/sekolah/{school.npsn}/", {"status": "RESIDU"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    ).content.decode()
    assert html.endswith('<p id="results-status" hx-swap-oob="innerHTML">Menampilkan 1–1 dari 1</p>\n')
    assert html.count("Menampilkan 1–1 dari 1") == 1


def test_saved_row_is_read_out_through_the_lists_row_status(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.post(_edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"}, **HX).content.decode()
    assert '<p id="row-status" hx-swap-oob="innerHTML">Budi Santoso: Tersimpan</p>' in html
    assert '<small class="okay">Tersimpan</small>' in html
    assert 'role="status"' not in html


def test_same_number_saved_again_is_read_out_as_unchanged(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.post(_edit_url(aktif), {"nomor": "0812 1111 2222", "versi": "1"}, **HX).content.decode()
    assert (
        '<p id="row-status" hx-swap-oob="innerHTML">Budi Santoso: Nomor sama, tidak ada perubahan</p>' in html
    )


def test_a_cancelled_inline_edit_announces_nothing(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.get(f"/sekolah/{aktif.school_id}/penerima/{aktif.pk}/", **HX).content.decode()
    assert "hx-swap-oob" not in html


def test_messages_after_a_redirect_are_alerts_when_they_warn_and_statuses_otherwise(client, operator, aktif):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    saved = client.post(
        _edit_url(aktif), {"nomor": "0813-2468-1357", "versi": "1"}, follow=True
    ).content.decode()
    assert (
        '<p class="msg-success" role="status">Nomor tersimpan. Nomor akan diperiksa ulang pada validasi berikutnya.</p>'
        in saved
    )
    invalid = client.post(_edit_url(aktif), {"nomor": "12345", "versi": "2"}, follow=True).content.decode()
    assert (
        '<p class="msg-warning" role="alert">Nomor tersimpan, tetapi bukan nomor ponsel yang sah' in invalid
    )
