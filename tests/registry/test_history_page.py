"""The history page says why in words: phone-rule and provider residue reasons, never raw codes."""

from __future__ import annotations

import pytest

from tests.factories import RecipientFactory
from verval.registry import actions, selectors

pytestmark = pytest.mark.django_db


def test_history_shows_each_reason_as_the_sentence_the_school_reads(client, operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(school=school, status="RESIDU", reason="TIDAK_AKTIF", needs_validation=False)
    actions.confirm_recipients(actor=operator, recipient_ids=[r.pk], expected_versions={str(r.pk): 1})
    actions.change_number(actor=operator, recipient_id=r.pk, new_raw="12345", expected_version=2)
    actions.change_number(actor=operator, recipient_id=r.pk, new_raw="", expected_version=3)
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/penerima/{r.pk}/riwayat/").content.decode()
    assert "Dikonfirmasi ulang (residu)<br><small>Nomor tidak aktif menurut provider.</small>" in html
    assert (
        "Nomor diubah<br><small>Nomor ini nomor layanan (misalnya 112, 14xxx, 0800, 0807), bukan nomor "
        "ponsel pribadi.</small>"
    ) in html
    assert (
        "Nomor diubah<br><small>Nomor ponsel kosong atau diisi keterangan seperti &#x27;tidak ada&#x27; / &#x27;-&#x27;.</small>"
        in html
    )
    for code in ("TIDAK_AKTIF", "NOMOR_LAYANAN", "KOSONG"):
        assert f"<small>{code}</small>" not in html


def test_an_unknown_history_reason_is_shown_as_its_code() -> None:
    found = selectors.history_reason("ALASAN_BARU")
    assert found == selectors.ReasonText("ALASAN_BARU", "ALASAN_BARU", "")
    assert selectors.history_reason("") is None
