"""The results of /cek-nomor/: the reason in words, its code only small (phone review item 5)."""

from __future__ import annotations

import pytest

from verval.phones import describe

pytestmark = pytest.mark.django_db


def test_phone_check_labels_a_refused_number_with_its_indonesian_reason_and_keeps_the_code_small(
    client, operator
):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.post("/cek-nomor/", {"numbers": "0812abc34567\n"}, HTTP_HX_REQUEST="true").content.decode()
    reason = describe("KARAKTER_TIDAK_SAH")
    assert reason is not None
    assert '<span class="label s-FORMAT_SALAH">Tidak valid</span>' in html
    assert f'<strong class="check-reason">{reason.message_id}</strong>' in html
    assert "<code>KARAKTER_TIDAK_SAH</code>" in html
    assert ">KARAKTER_TIDAK_SAH</span>" not in html  # no longer the label


def test_phone_check_results_are_a_stacked_table_with_labelled_cells(client, operator):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    html = client.post(
        "/cek-nomor/", {"numbers": "0812-3456-7891\n"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert '<table class="stack checked">' in html
    for label in ("Ditulis", "Bentuk baku", "Operator", "Hasil"):
        assert f'data-label="{label}"' in html
