"""The operator's home page says the school's SPTJM state, the next step and its deadline, a
return with its reason; a return mails the school's operators (decision 0034)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.test import Client

from tests.sptjm.conftest import aktif, make_period
from verval.core.models import AuditEvent
from verval.reference import actions as reference_actions
from verval.sptjm import actions
from verval.sptjm.models import Sptjm


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _printed(operator, school, period):  # type: ignore[no-untyped-def]
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    return sptjm


def _uploaded(operator, school, period):  # type: ignore[no-untyped-def]
    sptjm = _printed(operator, school, period)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")
    sptjm.refresh_from_db()
    return sptjm


def test_operator_home_asks_to_print_with_the_print_deadline(operator, school):  # type: ignore[no-untyped-def]
    period = make_period(sptjm_print_deadline=date(2099, 9, 20), sptjm_upload_deadline=date(2099, 9, 25))
    aktif(school, 2)

    html = _login(operator).get("/beranda/").content.decode()

    assert (
        f"<b>{period.name}</b>: 2 penerima aktif perlu dicantumkan pada SPTJM. Langkah berikutnya: cetak "
        "SPTJM, minta kepala sekolah menandatanganinya di atas meterai Rp10.000 dan mengecapnya, lalu "
        "unggah pindaiannya. Batas cetak: 20 Sep 2099 23.59 WIB.</li>"
    ) in html
    assert f'href="/sekolah/{school.npsn}/sptjm/">Buka halaman SPTJM</a>' in html


def test_operator_home_asks_to_upload_a_printed_sptjm_and_says_how_late(operator, school):  # type: ignore[no-untyped-def]
    period = make_period(sptjm_upload_deadline=date(2020, 9, 25))
    aktif(school, 1)
    sptjm = _printed(operator, school, period)

    html = _login(operator).get("/beranda/").content.decode()

    assert f'<span class="label s-DICETAK">Dicetak</span> {sptjm.number}.' in html
    assert (
        "Langkah berikutnya: minta kepala sekolah menandatangani SPTJM di atas meterai Rp10.000 dan "
        "mengecapnya, lalu unggah pindaiannya."
    ) in html
    assert "Batas unggah: 25 Sep 2020 23.59 WIB (sudah lewat " in html


def test_operator_home_says_a_returned_sptjm_with_its_reason_and_asks_to_upload_again(
    operator, pusdatin, school
):  # type: ignore[no-untyped-def]
    period = make_period(sptjm_upload_deadline=date(2099, 9, 25))
    aktif(school, 1)
    sptjm = _uploaded(operator, school, period)
    _login(pusdatin).post(
        f"/pusdatin/sptjm/{sptjm.pk}/kembalikan/",
        {"alasan": "Meterai tidak tampak", "version": sptjm.version},
    )

    html = _login(operator).get("/beranda/").content.decode()

    assert (
        f'<li class="warn"><b>{period.name}</b>: <span class="label s-DIKEMBALIKAN">Dikembalikan</span> '
        f"{sptjm.number}. <strong>Dikembalikan Pusdatin (belum sempurna).</strong> Alasan: Meterai tidak "
        "tampak Langkah berikutnya: perbaiki sesuai alasan itu, lalu unggah pindaiannya lagi. "
        "Batas unggah: 25 Sep 2099 23.59 WIB.</li>"
    ) in html


def test_operator_home_says_an_uploaded_sptjm_waits_for_pusdatin(operator, school):  # type: ignore[no-untyped-def]
    period = make_period()
    aktif(school, 1)
    _uploaded(operator, school, period)

    html = _login(operator).get("/beranda/").content.decode()

    assert (
        "Pindaian sudah diunggah dan menunggu pemeriksaan Pusdatin; tidak ada yang perlu dilakukan sekarang."
    ) in html
    assert "Batas unggah:" not in html


def test_operator_home_shows_a_live_sptjm_of_a_closed_period(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    september = make_period("2020-09A", starts=date(2020, 9, 1))
    aktif(school, 1)
    old = _printed(operator, school, september)
    october = make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code=october.code)

    html = _login(operator).get("/beranda/").content.decode()

    assert f"<b>{september.name}</b> (periode sudah ditutup):" in html
    assert f'<span class="label s-DICETAK">Dicetak</span> {old.number}.' in html
    assert (
        f"<b>{october.name}</b>: Tidak ada penerima aktif yang perlu dicantumkan pada SPTJM.</li>"
    ) in html


def test_operator_home_says_an_approved_sptjm_leaves_nothing_to_print(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    period = make_period()
    aktif(school, 1)
    sptjm = _uploaded(operator, school, period)
    actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk)

    html = _login(operator).get("/beranda/").content.decode()

    assert f'<span class="label s-DISETUJUI">Disetujui</span> {sptjm.number}.' in html
    assert "SPTJM periode ini sudah disetujui; tidak ada yang perlu dicetak." in html


def test_operator_home_reads_the_sptjm_state_in_a_bounded_number_of_queries(
    operator, school, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    from verval.sptjm.selectors import home_sptjm

    period = make_period()
    aktif(school, 30)
    _printed(operator, school, period)

    with django_assert_max_num_queries(3):
        steps = home_sptjm(operator, school.npsn)
    assert [s.step for s in steps] == ["UNGGAH"]


@pytest.mark.django_db(transaction=False)
def test_returning_an_sptjm_mails_the_schools_operator_without_numbers_or_names(
    operator, pusdatin, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    period = make_period(sptjm_upload_deadline=date(2099, 9, 25))
    (listed,) = aktif(school, 1)
    sptjm = _uploaded(operator, school, period)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        actions.return_sptjm(
            actor=pusdatin,
            sptjm_id=sptjm.pk,
            reason=f"Nama {listed.name} tidak terbaca",
            base_url="http://x/",
        )

    assert [m.to for m in mail.outbox] == [[operator.email]]
    message = mail.outbox[0]
    assert message.subject == f"SPTJM sekolah NPSN {school.npsn} dikembalikan Pusdatin"
    assert message.body == (
        f"SPTJM {sptjm.number} (periode {period.name}) sekolah NPSN {school.npsn} dikembalikan Pusdatin "
        "(belum sempurna). Baca alasannya di halaman SPTJM sekolah, perbaiki, lalu unggah pindaiannya lagi. "
        f"Batas unggah: 25 Sep 2099 23.59 WIB.\nhttp://x/sekolah/{school.npsn}/sptjm/"
    )
    assert listed.name not in message.body and listed.phone_e164[3:] not in message.body


def test_a_number_typed_in_the_return_reason_is_masked_in_the_audit_row(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    # Decision 0086: numbers in audit rows are masked, also in what a reviewer typed; the SPTJM
    # keeps the reason as typed for the school, whose numbers it is.
    period = make_period()
    aktif(school, 1)
    sptjm = _uploaded(operator, school, period)

    actions.return_sptjm(
        actor=pusdatin, sptjm_id=sptjm.pk, reason="Baris 3: nomor 0812-3456-7890 tidak terbaca"
    )

    event = AuditEvent.objects.get(action="return_sptjm")
    assert event.note == "Baris 3: nomor 0812****7890 tidak terbaca"
    sptjm.refresh_from_db()
    assert sptjm.return_reason == "Baris 3: nomor 0812-3456-7890 tidak terbaca"


def test_returning_an_sptjm_mails_nobody_when_the_transaction_rolls_back(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    period = make_period()
    aktif(school, 1)
    sptjm = _uploaded(operator, school, period)
    mail.outbox.clear()

    actions.return_sptjm(actor=pusdatin, sptjm_id=sptjm.pk, reason="Tidak lengkap")

    # The test's transaction never commits: the mail waits for a commit (on_commit).
    assert mail.outbox == []
