"""A large SPTJM is printed by a job (decision 0102): the school's page says at once that it is
being prepared, the job prints it with the same `print_sptjm` as a small print in its request (the
same PDF, lock and audit row), a print refused by its job leaves everything as it was, and two
prints asked at once print one document."""

from __future__ import annotations

import types
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.sptjm.conftest import aktif
from verval.core import files, jobs, queues
from verval.core.models import AuditEvent, Job
from verval.registry.models import Recipient
from verval.sptjm import actions
from verval.sptjm.models import Sptjm, SptjmItem

PRINTED_AT = datetime(2020, 9, 10, 3, 0, tzinfo=UTC)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _recipients(school) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return list(Recipient.objects.filter(school=school).order_by("pk").values_list("pk", "locked", "version"))


@pytest.fixture
def large(settings):  # type: ignore[no-untyped-def]
    """Three recipients make a "large" document: the threshold lowered, not the school grown."""
    settings.VERVAL = {**settings.VERVAL, "SPTJM_PRINT_IN_REQUEST_MAX": 2}


@pytest.fixture
def fixed_clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The print's own clock (its printed_at is on the PDF: its date and the file's creation date),
    so that two prints of the same data can be compared byte for byte."""
    monkeypatch.setattr(
        actions, "timezone", types.SimpleNamespace(now=lambda: PRINTED_AT, localtime=timezone.localtime)
    )
    # The job's own row too: a job's print counts its lateness from when it was asked for.
    monkeypatch.setattr(timezone, "now", lambda: PRINTED_AT)


def test_a_large_print_is_queued_and_the_page_says_at_once_that_it_is_being_prepared(  # type: ignore[no-untyped-def]
    operator, school, period, large
):
    aktif(school, 3)
    web = _login(operator)
    before = _recipients(school)

    response = web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})

    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.kind, job.state, job.school_id, job.created_by_id, job.input_name, job.params) == (
        "sptjm_print",
        "PENDING",
        school.npsn,
        operator.pk,
        f"SPTJM {period.code} {school.npsn}",
        {"period": period.code, "rows": 3},
    )
    assert queues.for_kind(job.kind) == queues.INTERACTIVE
    assert not Sptjm.objects.exists()
    assert _recipients(school) == before
    assert not AuditEvent.objects.filter(action="print_sptjm").exists()
    html = web.get(response["Location"]).content.decode()
    assert "sedang disiapkan.</strong> Dokumen sebesar ini disusun di latar belakang;" in html
    assert f'<a href="/pekerjaan/{job.pk}/">Lihat kemajuan pencetakan</a>' in html
    assert f'<a href="/sekolah/{school.npsn}/sptjm/?periode={period.code}">Muat ulang halaman ini' in html
    assert f'action="/sekolah/{school.npsn}/sptjm/cetak/"' not in html  # no second print meanwhile
    job_page = web.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert f'<a href="/sekolah/{school.npsn}/sptjm/">« Kembali ke SPTJM sekolah</a>' in job_page

    done = jobs.run(job.pk)

    assert (done.state, done.counts) == ("SUCCEEDED", {"rows": 3})
    sptjm = Sptjm.objects.get()
    assert (sptjm.status, sptjm.rows, sptjm.printed_by_id) == ("DICETAK", 3, operator.pk)
    assert Recipient.objects.filter(school=school, locked=True).count() == 3
    html = web.get(response["Location"]).content.decode()
    assert "sedang disiapkan" not in html
    assert (
        f'<a class="button secondary" href="/sptjm/{sptjm.pk}/dokumen.pdf">Unduh SPTJM (PDF) untuk dicetak</a>'
        in html
    )


def test_the_job_prints_the_same_pdf_lock_and_audit_row_as_a_print_in_the_request(  # type: ignore[no-untyped-def]
    operator, school, period, large, fixed_clock, django_capture_on_commit_callbacks
):
    aktif(school, 3)

    def outcome(sptjm: Sptjm) -> tuple:  # type: ignore[type-arg]
        event = AuditEvent.objects.get(action="print_sptjm", object_id=str(sptjm.pk))
        return (
            files.absolute(sptjm.pdf_path).read_bytes(),
            sptjm.pdf_sha256,
            sptjm.content_sha256,
            (sptjm.number, sptjm.status, sptjm.rows, sptjm.total_gb, sptjm.printed_at, sptjm.print_late_days),
            sorted(SptjmItem.objects.filter(sptjm=sptjm).values_list("line", "recipient_id", "phone_e164")),
            _recipients(school),
            (event.actor_id, event.school_id, event.region_code, event.before, event.after),
        )

    # The print in the request, as a small document is printed, then undone.
    with transaction.atomic():
        in_request, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
        expected = outcome(in_request)
        transaction.set_rollback(True)
    assert created is True
    assert not Sptjm.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        _login(operator).post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})

    assert Job.objects.get().state == "SUCCEEDED"
    assert outcome(Sptjm.objects.get()) == expected


def test_a_print_refused_by_its_job_leaves_everything_as_it_was_and_the_page_says_why(  # type: ignore[no-untyped-def]
    operator, school, period, large
):
    aktif(school, 3)
    web = _login(operator)
    web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    job = Job.objects.get()
    # Before the worker takes it, the school's numbers are no longer AKTIF: nothing left to print.
    Recipient.objects.filter(school=school).update(status="RESIDU")
    before = _recipients(school)

    done = jobs.run(job.pk)

    assert (done.state, done.error_code) == ("REFUSED", "TIDAK_ADA_DATA")
    assert not Sptjm.objects.exists()
    assert not SptjmItem.objects.exists()
    assert _recipients(school) == before
    assert not AuditEvent.objects.filter(action="print_sptjm").exists()
    html = web.get(f"/sekolah/{school.npsn}/sptjm/?periode={period.code}").content.decode()
    assert (
        "tidak dicetak:</strong> Tidak ada data yang perlu dicantumkan pada SPTJM: semua nomor aktif sudah "
        "tercakup SPTJM. Data tidak terkunci." in html
    )


def test_two_prints_asked_at_once_print_one_document(  # type: ignore[no-untyped-def]
    operator, school, period, large
):
    aktif(school, 3)
    web = _login(operator)

    web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})

    # The second click finds the first one's job waiting: no second job.
    first = Job.objects.get()
    # Had two jobs slipped through, the second finds the first one's document, as a second
    # print_sptjm does, and prints nothing.
    second = jobs.create_job(
        actor=operator, kind="sptjm_print", school_id=school.npsn, params={"period": period.code}
    )
    assert jobs.run(first.pk).state == "SUCCEEDED"
    assert (jobs.run(second.pk).state, Job.objects.get(pk=second.pk).counts) == ("SUCCEEDED", {"rows": 3})
    sptjm = Sptjm.objects.get()
    assert sptjm.seq == 1
    assert AuditEvent.objects.filter(action="print_sptjm").count() == 1
    assert SptjmItem.objects.count() == 3


def test_a_small_print_is_still_made_in_the_request(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 3)
    web = _login(operator)

    response = web.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code}, follow=True)

    assert not Job.objects.exists()
    sptjm = Sptjm.objects.get()
    assert (sptjm.status, sptjm.rows) == ("DICETAK", 3)
    assert (
        f"SPTJM {sptjm.number} dicetak: 3 penerima, data terkunci sampai disetujui atau dibatalkan."
        in response.content.decode()
    )
