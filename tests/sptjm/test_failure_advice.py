"""What a failed injection asks of the school follows the provider's reason (decision 0034), on
the school list (rows and banner), the school's SPTJM page and the operator's home page; and a
residue row says what to do for each provider answer (SPEC §4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.sptjm.conftest import aktif, make_period
from verval.sptjm.models import Disbursement
from verval.sptjm.reasons import failure_kind

SYSTEM = (
    "Gangguan di sistem provider, bukan masalah nomor: jangan ganti nomornya, sekolah tidak perlu "
    "berbuat apa-apa. Kuota dikirim lagi oleh provider atau pada penyaluran berikutnya."
)
GRACE = (
    "Nomor dalam masa tenggang: minta pemiliknya mengisi pulsa agar nomor aktif kembali. Nomor tidak "
    "perlu diganti; kuota dikirim lagi pada penyaluran berikutnya."
)
REPLACE = "Ganti dengan nomor yang aktif."


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _failed(recipient, period, reason):  # type: ignore[no-untyped-def]
    return Disbursement.objects.create(
        recipient=recipient,
        period=period,
        provider="telkomsel",
        school=recipient.school,
        phone_e164=recipient.phone_e164,
        category=recipient.category,
        package_gb=Decimal("35"),
        status="GAGAL",
        reason=reason,
    )


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("Gagal sistem injeksi, coba lagi", "SISTEM"),
        ("Timeout server provider", "SISTEM"),
        ("Nomor dalam masa tenggang", "MASA_TENGGANG"),
        ("MASA_TENGGANG", "MASA_TENGGANG"),
        ("Nomor tidak aktif saat injeksi", "NOMOR"),
        ("Nomor tidak aktif di sistem", "NOMOR"),
        ("TIDAK_TERDAFTAR", "NOMOR"),
        ("Bukan pelanggan", "NOMOR"),
        ("Kode 17", "LAINNYA"),
        ("", "LAINNYA"),
    ],
)
def test_failure_kind_reads_the_words_providers_use(note, kind):  # type: ignore[no-untyped-def]
    assert failure_kind(note) == kind


def test_failed_injection_rows_say_what_to_do_after_the_providers_reason(operator, school):  # type: ignore[no-untyped-def]
    period = make_period()
    system, grace, inactive = aktif(school, 3)
    _failed(system, period, "Gagal sistem injeksi, coba lagi")
    _failed(grace, period, "Nomor dalam masa tenggang")
    _failed(inactive, period, "Nomor tidak aktif saat injeksi")

    html = _login(operator).get(f"/sekolah/{school.npsn}/?injeksi=gagal").content.decode()

    head = f"Injeksi kuota gagal ({period.name}):"
    assert f"{head} Gagal sistem injeksi, coba lagi <b>{SYSTEM}</b>" in html
    assert f"{head} Nomor dalam masa tenggang <b>{GRACE}</b>" in html
    assert f"{head} Nomor tidak aktif saat injeksi <b>{REPLACE}</b>" in html
    assert html.count(REPLACE) == 1


def test_school_banner_does_not_ask_to_replace_numbers_when_the_provider_failed(operator, school):  # type: ignore[no-untyped-def]
    period = make_period()
    for r in aktif(school, 2):
        _failed(r, period, "Gagal sistem injeksi, coba lagi")

    html = _login(operator).get(f"/sekolah/{school.npsn}/").content.decode()

    assert (
        "2 penerima gagal menerima injeksi kuota dan belum berhasil sesudahnya. Alasan dari provider "
        "dan yang perlu dilakukan tertera pada barisnya."
    ) in html
    assert (
        "<li>2 gagal karena gangguan sistem provider: nomornya tidak perlu diganti, sekolah tidak perlu "
        "berbuat apa-apa.</li>"
    ) in html
    assert "ganti nomornya dengan" not in html.lower()
    assert "ganti dengan nomor yang aktif" not in html.lower()


def test_school_banner_counts_failures_by_what_they_ask(operator, school):  # type: ignore[no-untyped-def]
    period = make_period()
    a, b, c, d = aktif(school, 4)
    _failed(a, period, "Nomor tidak aktif")
    _failed(b, period, "Nomor tidak aktif")
    _failed(c, period, "Masa tenggang")
    changed = _failed(d, period, "Nomor tidak aktif")
    changed.phone_e164 = "+6281311112222"  # the school has replaced the number since
    changed.save(update_fields=["phone_e164"])

    html = _login(operator).get(f"/sekolah/{school.npsn}/").content.decode()

    assert (
        '<ul class="small"><li>2 nomor tidak aktif atau tidak dikenal provider: ganti dengan nomor yang aktif.</li>'
        "<li>1 nomor dalam masa tenggang: minta pemiliknya mengisi pulsa; nomornya tidak perlu diganti.</li>"
        "<li>1 nomor sudah diganti: dikirim lagi setelah tervalidasi dan tercantum pada SPTJM yang disetujui.</li></ul>"
    ) in html


def test_sptjm_page_gives_each_failed_injection_the_advice_of_its_reason(operator, dinas_kab, school):  # type: ignore[no-untyped-def]
    period = make_period()
    system, grace = aktif(school, 2)
    _failed(system, period, "Gagal sistem injeksi, coba lagi")
    _failed(grace, period, "Nomor dalam masa tenggang")

    for user in (operator, dinas_kab):
        html = _login(user).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

        assert f"Gagal sistem injeksi, coba lagi<br><small><b>{SYSTEM}</b></small>" in html
        assert f"Nomor dalam masa tenggang<br><small><b>{GRACE}</b></small>" in html
        assert "Perbaiki nomor penerima di bawah ini" not in html
        assert (
            "<li>1 nomor dalam masa tenggang: minta pemiliknya mengisi pulsa; nomornya tidak perlu diganti.</li>"
        ) in html


def test_operator_home_says_what_failed_injections_ask_by_reason(operator, school):  # type: ignore[no-untyped-def]
    period = make_period()
    a, b = aktif(school, 2)
    _failed(a, period, "Gagal sistem injeksi, coba lagi")
    _failed(b, period, "Nomor dalam masa tenggang")

    html = _login(operator).get("/beranda/").content.decode()

    assert "2 penerima gagal menerima injeksi kuota." in html
    assert "Ganti nomornya dengan nomor yang aktif" not in html
    assert (
        "<li>1 nomor dalam masa tenggang: minta pemiliknya mengisi pulsa; nomornya tidak perlu diganti.</li>"
        "<li>1 gagal karena gangguan sistem provider: nomornya tidak perlu diganti, sekolah tidak perlu "
        "berbuat apa-apa.</li>"
    ) in html
    assert "<li>Gagal sistem injeksi, coba lagi: 1</li>" in html


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (
            "TIDAK_AKTIF",
            "Nomor tidak aktif menurut provider. <b>Pastikan nomor masih dipakai dan isi ulang pulsa, atau "
            "ganti dengan nomor yang aktif.</b>",
        ),
        (
            "MASA_TENGGANG",
            "Nomor dalam masa tenggang. <b>Minta pemilik mengisi ulang pulsa agar nomor aktif kembali, lalu "
            "konfirmasi ulang nomor ini.</b>",
        ),
        (
            "BUKAN_PELANGGAN",
            "Provider menyatakan nomor ini bukan pelanggannya. <b>Pastikan nomor benar; jika benar, "
            "konfirmasi ulang dan Pusdatin akan memeriksa penyalurannya.</b>",
        ),
        (
            "TIDAK_TERDAFTAR",
            "Nomor tidak terdaftar di provider. <b>Periksa kembali setiap digit nomor dengan pemiliknya, "
            "lalu perbaiki atau ganti nomor.</b>",
        ),
    ],
)
def test_residue_rows_say_what_to_do_for_each_provider_answer(operator, school, code, text):  # type: ignore[no-untyped-def]
    aktif(school, 1, status="RESIDU", reason=code)

    html = _login(operator).get(f"/sekolah/{school.npsn}/?status=RESIDU").content.decode()

    assert f"<br><small>{text}</small>" in html
