"""The SPTJM page in English says, next to its print and download buttons, that the SPTJM itself
is printed in Indonesian (decision 0065: the PDF is a legal declaration; decision 0067); the
Indonesian page needs no such line."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.translation import trans_real

from tests.sptjm.conftest import aktif
from verval.sptjm import actions

pytestmark = pytest.mark.django_db

MSGID = "Dokumen SPTJM dicetak dalam bahasa Indonesia."
ENGLISH = "The SPTJM document is printed in Indonesian."


@pytest.fixture
def english_note(monkeypatch: pytest.MonkeyPatch) -> None:
    # The translator adds the English to the catalog after makemessages (docs/i18n.md); the test
    # puts it in for its own run so that it holds before and after.
    catalog = trans_real.translation("en")._catalog  # type: ignore[attr-defined]
    monkeypatch.setitem(catalog._catalogs[0], MSGID, ENGLISH)


def _sptjm_page(operator, school, language: str) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(operator)
    return str(client.get(f"/sekolah/{school.npsn}/sptjm/").content.decode())


def test_english_sptjm_page_says_the_sptjm_is_printed_in_indonesian_beside_the_print_button(
    operator, school, period, english_note
):  # type: ignore[no-untyped-def]
    aktif(school, 2)

    page = _sptjm_page(operator, school, "en")

    assert (
        '<button>Print SPTJM</button> <span class="small muted">Printing locks the listed records.</span> '
        f'<span class="small muted">{ENGLISH}</span></form>'
    ) in page


def test_english_sptjm_page_says_so_beside_the_download_of_a_printed_sptjm(
    operator, school, period, english_note
):  # type: ignore[no-untyped-def]
    aktif(school, 2)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    page = _sptjm_page(operator, school, "en")

    assert (
        f'<a class="button secondary" href="/sptjm/{sptjm.pk}/dokumen.pdf">Download the SPTJM (PDF) to print</a> '
        f'<span class="small muted">{ENGLISH}</span></p>'
    ) in page


def test_indonesian_sptjm_page_has_no_such_line(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 2)
    before = _sptjm_page(operator, school, "id")
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    after = _sptjm_page(operator, school, "id")

    assert "Cetak SPTJM" in before and "Unduh SPTJM (PDF) untuk dicetak" in after
    assert (MSGID in before, MSGID in after) == (False, False)
