"""SPTJM deadlines (docs/decisions/0018-sptjm-deadlines.md): a print or upload after the period's
deadline is accepted, and the document records, at that moment, the deadline in force and how many
days late it came. The deadline day itself is on time (until 23:59:59 WIB). The school, the Dinas
and Pusdatin (review queue with a filter, review page) see the mark; the audit rows carry it.

The period fixture (tests/sptjm/conftest.py) has print deadline 20 Sep 2020, upload 25 Sep 2020."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.factories import SchoolFactory
from tests.sptjm.conftest import aktif
from verval.core.models import AuditEvent
from verval.reference.models import Period
from verval.sptjm import actions, selectors
from verval.sptjm.models import Sptjm, days_late

WIB = ZoneInfo("Asia/Jakarta")


class Clock:
    """timezone.now() fixed at a moment in Jakarta time (what "today" is for the deadlines)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def at(self, *parts: int) -> datetime:
        moment = datetime(*parts, tzinfo=WIB)  # type: ignore[misc]
        self._monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _blank_scan() -> SimpleUploadedFile:
    """A JPEG without a QR: accepted with a warning, enough to move the document to DIUNGGAH."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buf, format="JPEG")
    return SimpleUploadedFile("pindaian.jpg", buf.getvalue())


def _print(operator, school, period) -> Sptjm:  # type: ignore[no-untyped-def]
    aktif(school, 2)
    sptjm, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert created is True
    return sptjm


def _upload(operator, sptjm: Sptjm) -> Sptjm:  # type: ignore[no-untyped-def]
    return actions.upload_scan(actor=operator, sptjm_id=sptjm.pk, upload=_blank_scan()).sptjm


def _audit(action: str, sptjm: Sptjm) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(sptjm.pk)).order_by("id"))


# ------------------------------------------------------------------ the count of days


def test_deadline_day_counts_as_on_time_until_midnight_in_jakarta():
    deadline = date(2020, 9, 20)

    assert days_late(deadline, datetime(2020, 9, 20, 0, 0, tzinfo=WIB)) == 0
    assert days_late(deadline, datetime(2020, 9, 20, 23, 59, 59, tzinfo=WIB)) == 0
    assert days_late(deadline, datetime(2020, 9, 21, 0, 0, tzinfo=WIB)) == 1
    # 17:30 UTC on the deadline day is 00:30 WIB the next day: late.
    assert days_late(deadline, datetime(2020, 9, 20, 17, 30, tzinfo=ZoneInfo("UTC"))) == 1
    assert days_late(deadline, datetime(2020, 9, 10, 9, 0, tzinfo=WIB)) == 0
    assert days_late(deadline, datetime(2020, 10, 1, 9, 0, tzinfo=WIB)) == 11


def test_no_deadline_is_never_late():
    assert days_late(None, datetime(2030, 1, 1, tzinfo=WIB)) == 0


# ------------------------------------------------------------------ print


def test_print_before_deadline_is_recorded_on_time(clock, operator, school, period):
    clock.at(2020, 9, 15, 10, 0)

    sptjm = _print(operator, school, period)

    sptjm.refresh_from_db()
    assert (sptjm.print_deadline, sptjm.print_late_days) == (date(2020, 9, 20), 0)
    assert sptjm.printed_late is False
    assert sptjm.is_late is False
    [event] = _audit("print_sptjm", sptjm)
    assert (event.after["print_deadline"], event.after["late_days"]) == ("2020-09-20", 0)


def test_print_on_the_deadline_day_is_on_time(clock, operator, school, period):
    clock.at(2020, 9, 20, 23, 30)

    sptjm = _print(operator, school, period)

    sptjm.refresh_from_db()
    assert (sptjm.print_deadline, sptjm.print_late_days) == (date(2020, 9, 20), 0)
    assert sptjm.is_late is False


def test_print_after_deadline_is_accepted_and_recorded_late(clock, operator, school, period):
    clock.at(2020, 9, 23, 8, 0)

    sptjm = _print(operator, school, period)

    sptjm.refresh_from_db()
    assert sptjm.status == "DICETAK"
    assert sptjm.rows == 2
    assert (sptjm.print_deadline, sptjm.print_late_days) == (date(2020, 9, 20), 3)
    assert sptjm.printed_late is True
    assert sptjm.is_late is True
    [event] = _audit("print_sptjm", sptjm)
    assert (event.after["print_deadline"], event.after["late_days"]) == ("2020-09-20", 3)


def test_print_without_a_deadline_records_none_and_is_not_late(clock, operator, school):
    period = Period.objects.create(
        code="2020-10A",
        name="Tahap 2020-10A",
        policy_id="2020",
        starts_on=date(2020, 10, 1),
        ends_on=date(2020, 10, 28),
        is_open=True,
    )
    clock.at(2020, 10, 27, 12, 0)

    sptjm = _print(operator, school, period)

    sptjm.refresh_from_db()
    assert (sptjm.print_deadline, sptjm.print_late_days) == (None, 0)
    assert sptjm.is_late is False
    [event] = _audit("print_sptjm", sptjm)
    assert (event.after["print_deadline"], event.after["late_days"]) == (None, 0)


def test_print_mark_keeps_the_deadline_in_force_when_printed(clock, operator, pusdatin, school, period):
    from verval.reference.actions import save_period

    clock.at(2020, 9, 23, 8, 0)
    sptjm = _print(operator, school, period)
    save_period(  # Pusdatin extends the print deadline afterwards
        actor=pusdatin,
        code=period.code,
        name=period.name,
        policy=period.policy,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        sptjm_print_deadline=date(2020, 9, 24),
        sptjm_upload_deadline=date(2020, 9, 25),
    )

    again, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    assert (again.pk, created) == (sptjm.pk, False)
    again.refresh_from_db()
    assert (again.print_deadline, again.print_late_days) == (date(2020, 9, 20), 3)


# ------------------------------------------------------------------ upload


def test_upload_before_deadline_is_recorded_on_time(clock, operator, school, period):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    clock.at(2020, 9, 24, 10, 0)

    uploaded = _upload(operator, sptjm)

    uploaded.refresh_from_db()
    assert uploaded.status == "DIUNGGAH"
    assert (uploaded.upload_deadline, uploaded.upload_late_days) == (date(2020, 9, 25), 0)
    assert uploaded.is_late is False
    [event] = _audit("upload_sptjm_scan", uploaded)
    assert (event.after["upload_deadline"], event.after["late_days"]) == ("2020-09-25", 0)


def test_upload_on_the_deadline_day_is_on_time(clock, operator, school, period):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    clock.at(2020, 9, 25, 23, 59)

    uploaded = _upload(operator, sptjm)

    uploaded.refresh_from_db()
    assert (uploaded.upload_deadline, uploaded.upload_late_days) == (date(2020, 9, 25), 0)
    assert uploaded.is_late is False


def test_upload_after_deadline_is_recorded_late(clock, operator, school, period):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    clock.at(2020, 9, 27, 9, 0)

    uploaded = _upload(operator, sptjm)

    uploaded.refresh_from_db()
    assert uploaded.status == "DIUNGGAH"
    assert (uploaded.upload_deadline, uploaded.upload_late_days) == (date(2020, 9, 25), 2)
    assert (uploaded.printed_late, uploaded.uploaded_late, uploaded.is_late) == (False, True, True)
    [event] = _audit("upload_sptjm_scan", uploaded)
    assert (event.after["upload_deadline"], event.after["late_days"]) == ("2020-09-25", 2)


def test_upload_without_a_deadline_records_none_and_is_not_late(clock, operator, school, period):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    Period.objects.filter(pk=period.pk).update(sptjm_upload_deadline=None)
    clock.at(2020, 9, 27, 9, 0)

    uploaded = _upload(operator, sptjm)

    uploaded.refresh_from_db()
    assert (uploaded.upload_deadline, uploaded.upload_late_days) == (None, 0)
    assert uploaded.is_late is False
    [event] = _audit("upload_sptjm_scan", uploaded)
    assert (event.after["upload_deadline"], event.after["late_days"]) == (None, 0)


def test_upload_is_judged_against_the_deadline_in_force_at_upload(clock, operator, school, period):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    Period.objects.filter(pk=period.pk).update(sptjm_upload_deadline=date(2020, 9, 28))  # extended
    clock.at(2020, 9, 27, 9, 0)

    uploaded = _upload(operator, sptjm)

    uploaded.refresh_from_db()
    assert (uploaded.upload_deadline, uploaded.upload_late_days) == (date(2020, 9, 28), 0)


def test_reupload_after_a_return_is_judged_again_and_each_upload_audited(
    clock, operator, pusdatin, school, period
):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    clock.at(2020, 9, 24, 10, 0)
    first = _upload(operator, sptjm)
    clock.at(2020, 9, 26, 10, 0)
    actions.return_sptjm(actor=pusdatin, sptjm_id=sptjm.pk, reason="Meterai tidak ada", version=first.version)
    clock.at(2020, 9, 28, 10, 0)

    second = _upload(operator, sptjm)

    second.refresh_from_db()
    assert second.upload_count == 2
    assert (second.upload_deadline, second.upload_late_days) == (date(2020, 9, 25), 3)
    assert [(e.before["late_days"], e.after["late_days"]) for e in _audit("upload_sptjm_scan", sptjm)] == [
        (None, 0),
        (0, 3),
    ]


def test_approval_audit_names_the_deadline_marks_pusdatin_accepted(clock, operator, pusdatin, school, period):
    clock.at(2020, 9, 22, 10, 0)
    sptjm = _print(operator, school, period)
    clock.at(2020, 9, 26, 10, 0)
    _upload(operator, sptjm)

    actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk)

    [event] = _audit("approve_sptjm", sptjm)
    assert event.after["status"] == "DISETUJUI"
    assert (event.after["print_late_days"], event.after["upload_late_days"]) == (2, 1)


# ------------------------------------------------------------------ review queue filter


@pytest.fixture
def queue(clock, operator, other_operator, school, other_school, period):  # type: ignore[no-untyped-def]
    """Three uploaded documents: on time, printed late, uploaded late (oldest upload first)."""
    third_school = SchoolFactory()
    from tests.factories import UserFactory

    third_operator = UserFactory(role="OPERATOR", school=third_school, username="operator3")
    clock.at(2020, 9, 15, 10, 0)
    on_time = _print(operator, school, period)
    clock.at(2020, 9, 21, 10, 0)
    printed_late = _print(other_operator, other_school, period)
    clock.at(2020, 9, 18, 10, 0)
    uploaded_late = _print(third_operator, third_school, period)
    clock.at(2020, 9, 22, 10, 0)
    on_time = _upload(operator, on_time)
    clock.at(2020, 9, 23, 10, 0)
    printed_late = _upload(other_operator, printed_late)
    clock.at(2020, 9, 26, 10, 0)
    uploaded_late = _upload(third_operator, uploaded_late)
    return on_time, printed_late, uploaded_late


def test_review_queue_filter_lists_late_documents_only_or_the_others(pusdatin, queue):
    on_time, printed_late, uploaded_late = queue

    assert [d.pk for d in selectors.review_queue(pusdatin)] == [on_time.pk, printed_late.pk, uploaded_late.pk]
    assert [d.pk for d in selectors.review_queue(pusdatin, late=True)] == [printed_late.pk, uploaded_late.pk]
    assert [d.pk for d in selectors.review_queue(pusdatin, late=False)] == [on_time.pk]


def test_review_queue_page_marks_late_documents_and_filters_them(pusdatin, queue):
    on_time, printed_late, uploaded_late = queue
    admin = _login(pusdatin)

    everything = admin.get("/pusdatin/sptjm/").content.decode()
    late_only = admin.get("/pusdatin/sptjm/?terlambat=1").content.decode()
    others = admin.get("/pusdatin/sptjm/?terlambat=0").content.decode()

    assert "3 SPTJM menunggu pemeriksaan." in everything
    assert everything.count('<span class="label s-TERLAMBAT">') == 2
    assert '<span class="label s-TERLAMBAT">cetak terlambat 1 hari</span>' in everything
    assert '<span class="label s-TERLAMBAT">unggah terlambat 1 hari</span>' in everything
    assert '<span class="muted">tepat waktu</span>' in everything

    assert "2 dari 3 SPTJM yang menunggu pemeriksaan sesuai saringan." in late_only
    assert '<option value="1" selected>' in late_only
    assert printed_late.number in late_only
    assert uploaded_late.number in late_only
    assert on_time.number not in late_only

    assert "1 dari 3 SPTJM yang menunggu pemeriksaan sesuai saringan." in others
    assert on_time.number in others
    assert printed_late.number not in others
    assert uploaded_late.number not in others


def test_review_queue_ignores_an_unknown_filter_value(pusdatin, queue):
    page = _login(pusdatin).get("/pusdatin/sptjm/?terlambat=ya").content.decode()

    assert "3 SPTJM menunggu pemeriksaan." in page
    assert '<option value="" selected>' in page


def test_pusdatin_page_links_to_the_late_part_of_the_queue(pusdatin, queue):
    page = _login(pusdatin).get("/pusdatin/").content.decode()

    assert '<a href="/pusdatin/sptjm/?terlambat=1">2 terlambat</a>' in page


def test_review_page_shows_both_marks_with_their_deadlines(pusdatin, queue):
    _, printed_late, uploaded_late = queue
    admin = _login(pusdatin)

    late_print = admin.get(f"/pusdatin/sptjm/{printed_late.pk}/").content.decode()
    late_upload = admin.get(f"/pusdatin/sptjm/{uploaded_late.pk}/").content.decode()

    assert (
        '<span class="label s-TERLAMBAT">terlambat 1 hari</span> <span class="small">(batas 20 Sep 2020 23.59 WIB)</span>'
        in late_print
    )
    assert '<span class="small muted">tepat waktu (batas 25 Sep 2020 23.59 WIB)</span>' in late_print
    assert '<span class="small muted">tepat waktu (batas 20 Sep 2020 23.59 WIB)</span>' in late_upload
    assert (
        '<span class="label s-TERLAMBAT">terlambat 1 hari</span> <span class="small">(batas 25 Sep 2020 23.59 WIB)</span>'
        in late_upload
    )


# ------------------------------------------------------------------ school and Dinas


def test_school_page_shows_the_late_print_with_its_deadline(clock, operator, school, period):
    clock.at(2020, 9, 23, 8, 0)
    _print(operator, school, period)

    page = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert (
        '<span class="label s-TERLAMBAT">terlambat 3 hari</span> <span class="small">(batas 20 Sep 2020 23.59 WIB)</span>'
        in page
    )
    assert '<span class="label s-TERLAMBAT">cetak terlambat 3 hari</span>' in page  # history row


def test_school_page_warns_before_a_late_print_and_a_late_upload(clock, operator, school, period):
    aktif(school, 1)
    clock.at(2020, 9, 27, 8, 0)
    client = _login(operator)

    before_print = client.get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    response = client.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code}, follow=True)
    after_print = response.content.decode()

    assert (
        "Batas cetak SPTJM (20 Sep 2020 23.59 WIB) sudah lewat 7 hari. SPTJM tetap dapat dicetak, tetapi "
        "dicatat terlambat dan Pusdatin melihat catatan itu saat memeriksa."
    ) in before_print
    assert (
        "SPTJM dicetak 7 hari setelah batas cetak (20 Sep 2020 23.59 WIB) dan tercatat terlambat; "
        "Pusdatin melihat catatan ini saat memeriksa."
    ) in after_print
    assert (
        "Batas unggah SPTJM (25 Sep 2020 23.59 WIB) sudah lewat 2 hari. Pindaian tetap diterima, tetapi "
        "dicatat terlambat dan Pusdatin melihat catatan itu saat memeriksa."
    ) in after_print


def test_school_page_says_nothing_of_lateness_on_time(clock, operator, school, period):
    aktif(school, 1)
    clock.at(2020, 9, 20, 12, 0)
    client = _login(operator)

    page = client.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code}, follow=True)
    html = page.content.decode()

    assert "sudah lewat" not in html
    assert "s-TERLAMBAT" not in html
    assert '<span class="small muted">tepat waktu (batas 20 Sep 2020 23.59 WIB)</span>' in html


def test_late_upload_through_the_page_warns_the_school(clock, operator, school, period, send_scan):
    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    clock.at(2020, 9, 26, 10, 0)

    response = send_scan(_login(operator), sptjm, _blank_scan(), sptjm.version)

    html = response.content.decode()
    assert (
        "Pindaian diunggah 1 hari setelah batas unggah (25 Sep 2020 23.59 WIB) dan tercatat terlambat; "
        "Pusdatin melihat catatan ini saat memeriksa."
    ) in html
    assert (
        '<span class="label s-TERLAMBAT">terlambat 1 hari</span> <span class="small">(batas 25 Sep 2020 23.59 WIB)</span>'
        in html
    )


def test_dinas_sees_late_documents_of_its_region_only(clock, dinas_kab, pusdatin, queue):
    on_time, printed_late, uploaded_late = queue  # printed_late belongs to other_school (another region)

    assert [d.pk for d in selectors.late_documents(dinas_kab, on_time.period)] == [uploaded_late.pk]
    assert sorted(d.pk for d in selectors.late_documents(pusdatin, on_time.period)) == sorted(
        [printed_late.pk, uploaded_late.pk]
    )
    page = _login(dinas_kab).get("/dinas/sptjm/").content.decode()
    assert uploaded_late.number in page
    assert printed_late.number not in page
    assert on_time.number not in page
    assert '<span class="label s-TERLAMBAT">unggah terlambat 1 hari</span>' in page


def test_late_page_says_in_your_region_to_a_dinas_and_not_to_pusdatin(clock, dinas_kab, pusdatin, queue):
    regional = _login(dinas_kab).get("/dinas/sptjm/").content.decode()
    national = _login(pusdatin).get("/dinas/sptjm/").content.decode()

    assert "1 SPTJM periode ini di wilayah Anda dicetak atau pindaiannya diunggah" in regional
    assert "2 SPTJM periode ini dicetak atau pindaiannya diunggah setelah batas waktu" in national
    assert "di wilayah Anda" not in national


def test_voided_late_document_leaves_the_dinas_list(clock, operator, pusdatin, school, period):
    clock.at(2020, 9, 23, 8, 0)
    sptjm = _print(operator, school, period)
    actions.void_sptjm(actor=operator, sptjm_id=sptjm.pk)

    assert list(selectors.late_documents(pusdatin, period)) == []


# ------------------------------------------------------------------ work a job does after the deadline


def test_a_scan_received_on_the_deadline_day_and_checked_after_midnight_is_on_time(
    clock, operator, school, period
):
    from verval.core import jobs

    clock.at(2020, 9, 15, 10, 0)
    sptjm = _print(operator, school, period)
    received = clock.at(2020, 9, 25, 23, 50)
    job, _created = actions.receive_scan(actor=operator, sptjm_id=sptjm.pk, upload=_blank_scan())
    clock.at(2020, 9, 26, 0, 20)  # the queue was long at the deadline (decision 0095)

    assert jobs.run(job.pk).state == "SUCCEEDED"

    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.uploaded_at, sptjm.upload_late_days) == ("DIUNGGAH", received, 0)
    [event] = _audit("upload_sptjm_scan", sptjm)
    assert event.after["late_days"] == 0


def test_a_large_print_asked_on_the_deadline_day_and_made_after_midnight_is_on_time(
    clock, operator, school, period, settings
):
    from verval.core import jobs

    settings.VERVAL = {**settings.VERVAL, "SPTJM_PRINT_IN_REQUEST_MAX": 1}
    aktif(school, 2)
    clock.at(2020, 9, 20, 23, 50)
    _none, _created, job = actions.request_print(actor=operator, npsn=school.npsn, period_code=period.code)
    assert job is not None
    made = clock.at(2020, 9, 21, 0, 10)  # a busy worker reached it after midnight (decision 0102)

    assert jobs.run(job.pk).state == "SUCCEEDED"

    sptjm = Sptjm.objects.get(school=school)
    # The PDF lists the records as they were when it was made; the lateness counts from the click.
    assert (sptjm.printed_at, sptjm.print_deadline, sptjm.print_late_days) == (made, date(2020, 9, 20), 0)
