"""The provider's home page counts its disbursement batches waiting for it — not downloaded yet,
and downloaded without all their injection results — and says where they are read and answered
(decision 0136; its cards were about dumps only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from verval.sptjm.models import DisbursementBatch

pytestmark = pytest.mark.django_db

TO_DOWNLOAD = '<div class="card"><span>Batch penyaluran belum diunduh</span><b>{}</b></div>'
TO_ANSWER = '<div class="card"><span>Batch penyaluran menunggu hasil injeksi</span><b>{}</b></div>'
WHERE = (
    "Batch penyaluran diunduh dan hasil injeksinya diunggah lewat API provider (GET "
    "/api/v1/disbursements/batches) atau perangkat verval-provider. "
    '<a class="tap" href="/api/v1/docs">Dokumentasi API provider</a>'
)


def _batch(period, provider: str, seq: int, state: str, pending: int) -> None:  # type: ignore[no-untyped-def]
    DisbursementBatch.objects.create(
        period=period,
        provider=provider,
        seq=seq,
        rows=10,
        file_path=f"disbursements/{provider}-{seq}.csv.gz",
        sha256="0" * 64,
        state=state,
        pending=pending,
    )


def test_the_provider_home_counts_its_batches_to_download_and_to_answer_and_says_where(  # type: ignore[no-untyped-def]
    client, provider_user, period
):
    _batch(period, "telkomsel", 1, "TERBIT", 10)
    _batch(period, "telkomsel", 2, "TERBIT", 10)
    _batch(period, "telkomsel", 3, "DIAMBIL", 10)  # downloaded, no result yet
    _batch(period, "telkomsel", 4, "DIAMBIL", 3)  # some results, three lines without one
    _batch(period, "telkomsel", 5, "SELESAI", 0)
    _batch(period, "indosat", 1, "TERBIT", 10)  # another provider's: not counted
    _batch(period, "indosat", 2, "DIAMBIL", 7)
    client.force_login(provider_user)

    html = client.get(reverse("accounts:home")).content.decode()

    assert TO_DOWNLOAD.format(2) in html and TO_ANSWER.format(2) in html
    assert "13 baris penyaluran yang sudah diunduh belum diberi hasil injeksi. " + WHERE in html


def test_a_provider_with_nothing_waiting_reads_zeros_and_where_batches_come(client, provider_user, period):  # type: ignore[no-untyped-def]
    _batch(period, "telkomsel", 1, "SELESAI", 0)
    _batch(period, "indosat", 1, "TERBIT", 10)
    client.force_login(provider_user)

    html = client.get(reverse("accounts:home")).content.decode()

    assert TO_DOWNLOAD.format(0) in html and TO_ANSWER.format(0) in html
    assert f'<p class="small">{WHERE}</p>' in html and "baris penyaluran" not in html


def test_only_the_provider_home_has_the_disbursement_cards(client, pusdatin, period):  # type: ignore[no-untyped-def]
    _batch(period, "telkomsel", 1, "TERBIT", 10)
    client.force_login(pusdatin)

    assert "Batch penyaluran belum diunduh" not in client.get(reverse("accounts:home")).content.decode()
