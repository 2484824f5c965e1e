"""SPTJM across periods (docs/decisions/0024-sptjm-across-periods.md): a document left printed,
uploaded or returned when its period closes stays reachable (school, Pusdatin, Dinas) so its
records are never locked for good; under the 2021 policy a school with nothing to print is not
late and carried numbers count as approved on the dashboard; the failed-injection lists leave out
recipients delivered later and show on the school list and the operator's home page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import files
from verval.core.models import AuditEvent
from verval.reference import actions as reference_actions
from verval.registry.models import Recipient
from verval.sptjm import actions, selectors
from verval.sptjm.models import Disbursement, Sptjm


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _printed_then_replaced(operator, pusdatin, school, n: int = 2):  # type: ignore[no-untyped-def]
    """The school printed in September; Pusdatin opened October, which closed September."""
    old = make_period("2020-09A", starts=date(2020, 9, 1))
    aktif(school, n)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=old.code)
    new = make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code=new.code)
    return old, new, sptjm


# ------------------------------------------------------------------ 1. documents of a closed period


def test_school_page_shows_a_printed_sptjm_of_a_closed_period_with_upload_and_void(
    operator, pusdatin, school
):
    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)

    text = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert "SPTJM periode lain yang masih berlaku" in text
    assert "2 penerima terkunci oleh SPTJM di bawah ini" in text
    assert sptjm.number in text
    assert f'action="/sptjm/{sptjm.pk}/unggah/"' in text
    assert f'action="/sptjm/{sptjm.pk}/batal/"' in text
    assert "Periode SPTJM ini sudah ditutup" in text
    # The open period has nothing to print: its recipients are held by the old document.
    assert "Tidak ada penerima aktif yang perlu dicantumkan pada SPTJM." in text
    assert "0 penerima aktif" not in text


def test_school_voids_a_closed_periods_sptjm_and_prints_its_recipients_in_the_open_period(
    operator, pusdatin, school
):
    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)
    web = _login(operator)

    response = web.post(f"/sptjm/{sptjm.pk}/batal/", {"version": sptjm.version})

    assert response.status_code == 302
    assert response["Location"] == f"/sekolah/{school.npsn}/sptjm/?periode={old.code}"
    sptjm.refresh_from_db()
    assert sptjm.status == "DIBATALKAN"
    assert Recipient.objects.filter(school=school, locked=True).count() == 0
    page = web.get(response["Location"]).content.decode()
    assert "SPTJM dibatalkan; data dibuka kembali." in page
    assert "Periode ini sudah ditutup: tidak ada SPTJM baru yang dicetak untuknya." in page
    printed, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=new.code)
    assert (created, printed.rows, printed.number) == (True, 2, f"SPTJM/2020-10A/{school.npsn}/1")


def test_school_uploads_the_scan_of_a_closed_periods_sptjm(operator, pusdatin, school, send_scan):
    from django.core.files.uploadedfile import SimpleUploadedFile

    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)
    scan = files.absolute(sptjm.pdf_path).read_bytes()

    response = send_scan(
        _login(operator), sptjm, SimpleUploadedFile("s.pdf", scan), sptjm.version, follow=False
    )

    assert response["Location"] == f"/sekolah/{school.npsn}/sptjm/?periode={old.code}"
    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.qr_verdict) == ("DIUNGGAH", "QR_COCOK")


def test_the_periode_parameter_opens_a_closed_period_with_its_live_document(operator, pusdatin, school):
    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)

    text = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/?periode={old.code}").content.decode()

    assert "Belum ada periode penyaluran yang dibuka." not in text
    assert f'<option value="{old.code}" selected>' in text
    assert f'<option value="{new.code}">' in text
    assert f'action="/sptjm/{sptjm.pk}/batal/"' in text
    assert "SPTJM periode lain yang masih berlaku" not in text  # it is the period shown


def test_pusdatin_review_queue_lists_live_documents_of_closed_periods_and_voids_one(
    operator, pusdatin, school
):
    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)
    admin = _login(pusdatin)

    queue = admin.get("/pusdatin/sptjm/").content.decode()
    home = admin.get("/pusdatin/").content.decode()
    response = admin.post(f"/pusdatin/sptjm/{sptjm.pk}/batal/", {"version": sptjm.version})

    assert "1 SPTJM dari periode yang sudah ditutup masih dicetak, diunggah atau dikembalikan" in queue
    assert sptjm.number in queue
    assert f'action="/pusdatin/sptjm/{sptjm.pk}/batal/"' in queue
    assert "1 SPTJM periode yang sudah ditutup masih berlaku" in home
    assert response["Location"] == "/pusdatin/sptjm/#periode-ditutup"
    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.voided_by) == ("DIBATALKAN", pusdatin)
    assert Recipient.objects.filter(school=school, locked=True).count() == 0
    event = AuditEvent.objects.get(action="void_sptjm")
    assert event.after == {
        "status": "DIBATALKAN",
        "unlocked": 2,
        "period": old.code,
        "period_open": False,
        "by": "pusdatin",
    }


def test_pusdatin_cannot_void_a_document_of_an_open_period(operator, pusdatin, school):
    period = make_period()
    aktif(school, 1)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    page = _login(pusdatin).post(
        f"/pusdatin/sptjm/{sptjm.pk}/batal/", {"version": sptjm.version}, follow=True
    )

    assert "Periode SPTJM ini masih dibuka: hanya operator sekolah yang dapat membatalkannya." in (
        page.content.decode()
    )
    sptjm.refresh_from_db()
    assert sptjm.status == "DICETAK"


def test_closing_a_period_with_live_documents_lists_them_and_asks_again(operator, pusdatin, school):
    period = make_period()
    aktif(school, 3)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    admin = _login(pusdatin)

    asked = admin.post(f"/pusdatin/periode/{period.code}/tutup/")
    period.refresh_from_db()
    assert (asked.status_code, period.is_open) == (200, True)
    text = asked.content.decode()
    assert "Periode ini masih punya 1 SPTJM yang dicetak, diunggah atau dikembalikan." in text
    assert sptjm.number in text
    assert 'name="lanjut" value="1"' in text

    done = admin.post(f"/pusdatin/periode/{period.code}/tutup/", {"lanjut": "1"}, follow=True)
    period.refresh_from_db()
    assert period.is_open is False
    assert "1 SPTJM dari periode yang ditutup masih berlaku dan mengunci data penerimanya" in (
        done.content.decode()
    )


def test_opening_a_period_that_closes_one_with_live_documents_lists_them_first(operator, pusdatin, school):
    old = make_period("2020-09A", starts=date(2020, 9, 1))
    aktif(school, 1)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=old.code)
    new = make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    admin = _login(pusdatin)

    asked = admin.post(f"/pusdatin/periode/{new.code}/buka/")

    text = asked.content.decode()
    assert asked.status_code == 200
    assert "Membuka periode ini menutup periode 2020-09A, yang masih punya 1 SPTJM" in text
    assert sptjm.number in text
    new.refresh_from_db()
    assert new.is_open is False
    admin.post(f"/pusdatin/periode/{new.code}/buka/", {"lanjut": "1"})
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_open, new.is_open) == (False, True)


def test_closing_a_period_without_live_documents_closes_at_once(pusdatin, db):
    period = make_period()

    response = _login(pusdatin).post(f"/pusdatin/periode/{period.code}/tutup/")

    period.refresh_from_db()
    assert (response.status_code, period.is_open) == (302, False)


def test_dinas_sees_live_documents_of_closed_periods_in_its_region(
    operator, pusdatin, dinas_kab, other_dinas_kab, school
):
    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)

    mine = _login(dinas_kab).get("/dinas/sptjm/").content.decode()
    other = _login(other_dinas_kab).get("/dinas/sptjm/").content.decode()

    assert "1 SPTJM di wilayah Anda dari periode yang sudah ditutup masih dicetak" in mine
    assert sptjm.number in mine
    assert "0 SPTJM di wilayah Anda dari periode yang sudah ditutup" in other
    assert sptjm.number not in other


def test_review_page_of_a_closed_2020_period_says_approval_no_longer_disburses(operator, pusdatin, school):
    old, new, sptjm = _printed_then_replaced(operator, pusdatin, school)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")

    text = _login(pusdatin).get(f"/pusdatin/sptjm/{sptjm.pk}/").content.decode()

    assert "Menyetujuinya tidak lagi menghasilkan penyaluran kuota" in text
    assert f'action="/pusdatin/sptjm/{sptjm.pk}/setujui/"' in text
    assert f'action="/pusdatin/sptjm/{sptjm.pk}/batal/"' in text


def test_approving_a_closed_2021_periods_sptjm_covers_its_numbers_in_the_open_2021_period(
    operator, pusdatin, school
):
    old = make_period("2021-03", "2021", date(2021, 3, 1))
    listed = aktif(school, 2)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=old.code)
    new = make_period("2021-04", "2021", date(2021, 4, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code=new.code)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")
    review = _login(pusdatin).get(f"/pusdatin/sptjm/{sptjm.pk}/").content.decode()

    actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk)

    assert "Bila disetujui, nomor yang tercantum terbawa ke periode yang dibuka" in review
    new.refresh_from_db()
    assert sorted(r.pk for r in selectors.covered_recipients(new)) == sorted(r.pk for r in listed)


# ------------------------------------------------------------------ 2. late only with something to print


def test_school_whose_numbers_are_all_carried_is_not_late_under_the_2021_policy(
    operator, pusdatin, dinas_kab, school
):
    first = make_period("2021-03", "2021", date(2021, 3, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, first)
    reference_actions.open_period(
        actor=pusdatin, code=make_period("2021-04", "2021", date(2021, 4, 1), is_open=False).code
    )

    rows = selectors.late_schools(dinas_kab, selectors.current_period())
    page = _login(dinas_kab).get("/dinas/sptjm/").content.decode()
    state = selectors.school_sptjm_state(dinas_kab, [school.npsn])[school.npsn]

    assert rows == []
    assert "0 sekolah di wilayah Anda melewati batas waktu" in page
    assert (state["status"], state["carried"], state["late"]) == ("", True, False)


def test_school_with_a_new_number_to_print_is_late_under_the_2021_policy(
    operator, pusdatin, dinas_kab, school
):
    first = make_period("2021-03", "2021", date(2021, 3, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, first)
    second = make_period("2021-04", "2021", date(2021, 4, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code=second.code)
    aktif(school, 1)  # a new recipient: needs a new SPTJM

    rows = selectors.late_schools(dinas_kab, second)

    assert [(r["npsn"], r["late_print"], r["late_upload"], r["carried"]) for r in rows] == [
        (school.npsn, True, True, True)
    ]


def test_school_with_a_printed_document_not_uploaded_is_late_to_upload(operator, dinas_kab, school):
    period = make_period(sptjm_print_deadline=date(2020, 9, 20), sptjm_upload_deadline=date(2020, 9, 25))
    aktif(school, 1)
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    rows = selectors.late_schools(dinas_kab, period)

    assert [(r["status"], r["late_print"], r["late_upload"]) for r in rows] == [("DICETAK", False, True)]


def test_dashboard_funnel_counts_numbers_carried_from_an_earlier_approved_sptjm(
    operator, pusdatin, school, settings
):
    from verval.dashboard import selectors as dash
    from verval.dashboard import services
    from verval.dashboard.models import SchoolSummary

    first = make_period("2021-03", "2021", date(2021, 3, 1))
    aktif(school, 3)
    approve_all(operator, pusdatin, school, first)
    second = make_period("2021-04", "2021", date(2021, 4, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code=second.code)
    aktif(school, 1)  # not covered: not counted as approved

    services.refresh_all()
    area = dash.Area(level=0, code="", name="Indonesia")
    figures = dash.area_figures(area, dash.Filters(), second.code)
    stages = {str(s["label"]): s["value"] for s in figures["funnel"].stages()}
    summary = SchoolSummary.objects.get(school=school)
    children = dash.children_figures(area, dash.Filters(), second.code)

    assert stages["SPTJM dicetak"] == 3
    assert stages["SPTJM diunggah"] == 3
    assert stages["SPTJM disetujui"] == 3
    assert stages["— di antaranya dibawa dari SPTJM periode sebelumnya"] == 3
    assert (summary.sptjm_printed, summary.sptjm_uploaded, summary.sptjm_approved) == (3, 3, 3)
    assert children[school.province_id]["sptjm_approved"] == 3
    public = Client().get(f"/progres/data.json?periode={second.code}").json()["funnel"]
    assert (public["sptjm_approved"], public["sptjm_carried"], public["berhasil"]) == (3, 3, 0)
    # The period that approved them counts them once, as its own documents.
    first_stages = {
        str(s["label"]): s["value"]
        for s in dash.area_figures(area, dash.Filters(), first.code)["funnel"].stages()
    }
    assert first_stages["SPTJM disetujui"] == 3
    assert "— di antaranya dibawa dari SPTJM periode sebelumnya" not in first_stages


def test_dashboard_carries_nothing_under_the_2020_policy(operator, pusdatin, school):
    from verval.dashboard import selectors as dash
    from verval.dashboard import services

    first = make_period("2020-09A", starts=date(2020, 9, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, first)
    second = make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code=second.code)

    services.refresh_all()
    area = dash.Area(level=0, code="", name="Indonesia")
    stages = {
        str(s["label"]): s["value"]
        for s in dash.area_figures(area, dash.Filters(), second.code)["funnel"].stages()
    }

    assert stages["SPTJM disetujui"] == 0


# ------------------------------------------------------------------ 3. failed injections


def _line(recipient, period, status, reason="", phone=None):  # type: ignore[no-untyped-def]
    return Disbursement.objects.create(
        recipient=recipient,
        period=period,
        provider="telkomsel",
        school=recipient.school,
        phone_e164=phone or recipient.phone_e164,
        category=recipient.category,
        package_gb=Decimal("35"),
        status=status,
        reason=reason,
    )


def test_failed_list_leaves_out_recipients_delivered_in_a_later_period(operator, school):
    september = make_period("2020-09A", starts=date(2020, 9, 1), is_open=False)
    october = make_period("2020-10A", starts=date(2020, 10, 1))
    delivered_later, still_failing = aktif(school, 2)
    _line(delivered_later, september, "GAGAL", "Nomor tidak aktif")
    _line(delivered_later, october, "BERHASIL")
    _line(still_failing, september, "GAGAL", "Masa tenggang")

    failed = list(selectors.unresolved_failures(operator, school.npsn))
    text = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert [(d.recipient_id, d.reason) for d in failed] == [(still_failing.pk, "Masa tenggang")]
    assert still_failing.name in text
    assert delivered_later.name not in text


def test_recipient_failed_in_two_periods_is_listed_once_with_the_later_failure(operator, school):
    september = make_period("2020-09A", starts=date(2020, 9, 1), is_open=False)
    october = make_period("2020-10A", starts=date(2020, 10, 1))
    (recipient,) = aktif(school, 1)
    _line(recipient, september, "GAGAL", "Nomor tidak aktif")
    _line(recipient, october, "GAGAL", "Tidak terdaftar")

    failed = list(selectors.unresolved_failures(operator, school.npsn))

    assert [(d.period_id, d.reason) for d in failed] == [(october.code, "Tidak terdaftar")]


def test_failed_list_leaves_out_recipients_no_longer_in_dapodik(operator, school):
    period = make_period()
    (recipient,) = aktif(school, 1)
    _line(recipient, period, "GAGAL", "Nomor tidak aktif")
    Recipient.objects.filter(pk=recipient.pk).update(active=False)

    assert list(selectors.unresolved_failures(operator, school.npsn)) == []


def test_school_list_marks_failed_injections_with_the_reason_and_filters_them(operator, dinas_kab, school):
    period = make_period()
    failed, fine = aktif(school, 2)
    _line(failed, period, "GAGAL", "Nomor 081299998888 tidak aktif")
    _line(fine, period, "BERHASIL")
    web = _login(operator)

    everyone = web.get(f"/sekolah/{school.npsn}/").content.decode()
    only_failed = web.get(f"/sekolah/{school.npsn}/?injeksi=gagal").content.decode()
    dinas = _login(dinas_kab).get(f"/sekolah/{school.npsn}/").content.decode()

    marker = f"Injeksi kuota gagal ({period.name}): Nomor 0812****8888 tidak aktif"
    assert "1 penerima gagal menerima injeksi kuota dan belum berhasil sesudahnya." in everyone
    assert 'href="?injeksi=gagal"' in everyone
    assert everyone.count(marker) == 1
    assert "Ganti dengan nomor yang aktif." in everyone
    assert "Menampilkan 1–1 dari 1" in only_failed
    assert failed.name in only_failed and fine.name not in only_failed
    assert marker in dinas  # a reader sees the marker too (the note is masked for everyone)


def test_school_list_says_a_failed_number_was_changed_since(operator, school):
    period = make_period()
    (recipient,) = aktif(school, 1)
    _line(recipient, period, "GAGAL", "Nomor tidak aktif", phone="+6281311112222")

    text = _login(operator).get(f"/sekolah/{school.npsn}/").content.decode()

    assert "Nomor sudah diganti; dikirim lagi setelah tervalidasi dan disetujui." in text


def test_operator_home_page_counts_failed_injections_with_reasons_and_links_to_the_fix(operator, school):
    period = make_period()
    a, b, c = aktif(school, 3)
    _line(a, period, "GAGAL", "Nomor tidak aktif")
    _line(b, period, "GAGAL", "Nomor tidak aktif")
    _line(c, period, "GAGAL", "Masa tenggang")

    text = _login(operator).get("/beranda/").content.decode()

    assert "3 penerima gagal menerima injeksi kuota." in text
    assert "<li>Nomor tidak aktif: 2</li>" in text
    assert "<li>Masa tenggang: 1</li>" in text
    assert f'href="/sekolah/{school.npsn}/?injeksi=gagal"' in text


def test_operator_home_page_says_nothing_without_failed_injections(operator, school):
    make_period()
    aktif(school, 1)

    text = _login(operator).get("/beranda/").content.decode()

    assert "gagal menerima injeksi kuota" not in text
