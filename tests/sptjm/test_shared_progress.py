"""A scan check or a large print in progress is the school's, not only its sender's (decision 0107):
every reader of the school's SPTJM page sees it with who started it, since when and where it
stands in the queue; the school's other operators also see its outcome; a second upload of another
file is refused while a check runs, the same file and a second print join the running job; an
operator of another school, or the Dinas of another region, sees nothing of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from tests.factories import UserFactory
from tests.sptjm.conftest import aktif, own_pdf
from verval.accounts import access
from verval.core import files, jobs
from verval.core.models import AuditEvent, Job
from verval.core.when import format_when
from verval.sptjm import actions
from verval.sptjm.models import Sptjm

CHECKING = "Kode QR setiap halaman sedang dibaca; saat banyak sekolah mengunggah"
NO_OTHER_SCAN = (
    "Selama pemeriksaan ini berjalan, pindaian lain untuk dokumen ini tidak diterima: tunggu hasilnya."
)
PREPARING = "Dokumen sebesar ini disusun di latar belakang;"


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _at(moment) -> str:  # type: ignore[no-untyped-def]
    with translation.override("id"):
        return format_when(moment)


def _stored_scans() -> list[str]:
    folder = files.root() / "sptjm-scans"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def colleague(school):  # type: ignore[no-untyped-def]
    """A second operator account of the same school."""
    return UserFactory(role="OPERATOR", school=school, username="operator-b")


def _sent(operator, printed) -> Job:  # type: ignore[no-untyped-def]
    """The operator's scan received through the page; its check waits in the queue."""
    response = _login(operator).post(
        f"/sptjm/{printed.pk}/unggah/", {"pindaian": own_pdf(printed), "version": printed.version}
    )
    assert response.status_code == 302
    return Job.objects.filter(kind="sptjm_scan", created_by=operator).latest("created_at")


# ------------------------------------------------------------------ a scan check in progress


@pytest.mark.parametrize(
    ("reader", "heading", "told_to_wait", "job_link"),
    [
        ("operator", "Pindaian yang diunggah {at} sedang diperiksa.", True, True),
        ("colleague", "Pindaian yang diunggah operator lain sekolah ini {at} sedang diperiksa.", True, False),
        ("dinas_kab", "Pindaian yang diunggah operator sekolah {at} sedang diperiksa.", False, False),
        ("dinas_prov", "Pindaian yang diunggah operator sekolah {at} sedang diperiksa.", False, False),
        ("pusdatin", "Pindaian yang diunggah operator sekolah {at} sedang diperiksa.", False, True),
    ],
)
def test_every_reader_of_the_school_sees_a_scan_check_in_progress_with_who_sent_it_and_since_when(  # type: ignore[no-untyped-def]
    request, reader, heading, told_to_wait, job_link, operator, colleague, school, printed
):
    job = _sent(operator, printed)
    user = request.getfixturevalue(reader)

    html = _login(user).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert f"<strong>{heading.format(at=_at(job.created_at))}</strong> {CHECKING}" in html
    assert '<p class="small job-wait">Menunggu giliran: pekerjaan ini yang berikutnya.</p>' in html
    assert (NO_OTHER_SCAN in html) is told_to_wait
    assert (f'<a href="/pekerjaan/{job.pk}/">Lihat kemajuan pemeriksaan</a>' in html) is job_link
    assert (
        f'<a href="/sekolah/{school.npsn}/sptjm/">Muat ulang halaman ini untuk melihat hasilnya</a>' in html
    )
    # Read-only readers get no form to send another scan.
    assert (f'action="/sptjm/{printed.pk}/unggah/"' in html) is (reader in ("operator", "colleague"))


@pytest.mark.parametrize("outsider", ["other_operator", "other_dinas_kab", "provider_user"])
def test_a_reader_outside_the_school_sees_nothing_of_its_scan_check(  # type: ignore[no-untyped-def]
    request, outsider, operator, school, printed
):
    _sent(operator, printed)
    user = request.getfixturevalue(outsider)

    response = _login(user).get(f"/sekolah/{school.npsn}/sptjm/")

    assert response.status_code == 403
    assert "sedang diperiksa" not in response.content.decode()
    assert list(access.school_work_for(user, school.npsn)) == []


def test_an_operator_of_another_school_sees_no_check_on_its_own_schools_page(  # type: ignore[no-untyped-def]
    operator, other_operator, other_school, printed
):
    _sent(operator, printed)

    html = _login(other_operator).get(f"/sekolah/{other_school.npsn}/sptjm/").content.decode()

    assert "sedang diperiksa" not in html
    assert "Menunggu giliran" not in html


def test_a_waiting_check_says_how_many_jobs_are_ahead_and_a_running_one_since_when(  # type: ignore[no-untyped-def]
    operator, other_operator, other_school, period, colleague, school, printed
):
    # Another school's scan check and an export were queued first on the same queue.
    aktif(other_school, 1)
    theirs, _ = actions.print_sptjm(actor=other_operator, npsn=other_school.npsn, period_code=period.code)
    _sent(other_operator, theirs)
    Job.objects.create(kind="export_behind", state="PENDING", queued_at=timezone.now())
    job = _sent(operator, printed)

    waiting = _login(colleague).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert '<p class="small job-wait">Menunggu giliran: 2 pekerjaan lain di depannya.</p>' in waiting

    started = timezone.now() - timedelta(seconds=30)
    Job.objects.filter(pk=job.pk).update(state="RUNNING", started_at=started)

    running = _login(colleague).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert f'<p class="small job-wait">Sedang dikerjakan sejak {_at(started)}.</p>' in running
    assert "Menunggu giliran" not in running


def test_a_refused_check_is_told_to_the_schools_other_operator_but_not_to_the_dinas(  # type: ignore[no-untyped-def]
    operator, colleague, dinas_kab, school, printed, send_scan
):
    send_scan(
        _login(operator), printed, SimpleUploadedFile("rusak.pdf", b"%PDF-1.4\nnot a pdf"), printed.version
    )
    job = Job.objects.get(kind="sptjm_scan")
    assert job.state == "REFUSED"

    theirs = _login(colleague).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    dinas = _login(dinas_kab).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    refused = (
        f"Pindaian yang diunggah {_at(job.created_at)} ditolak:</strong> Berkas pindaian tidak dapat dibaca."
    )
    assert refused in theirs
    assert "ditolak:" not in dinas
    assert "sedang diperiksa" not in dinas


# ------------------------------------------------------------------ a second upload meanwhile


def test_another_operators_different_scan_is_refused_while_a_check_runs_and_nothing_is_kept(  # type: ignore[no-untyped-def]
    operator, colleague, school, printed
):
    first = _sent(operator, printed)
    kept = _stored_scans()
    other = SimpleUploadedFile(
        "lain.pdf", files.absolute(printed.pdf_path).read_bytes() + b"\n% another scan\n"
    )

    response = _login(colleague).post(
        f"/sptjm/{printed.pk}/unggah/", {"pindaian": other, "version": printed.version}, follow=True
    )

    html = response.content.decode()
    assert list(Job.objects.filter(kind="sptjm_scan").values_list("pk", flat=True)) == [first.pk]
    assert _stored_scans() == kept
    assert Sptjm.objects.get(pk=printed.pk).status == "DICETAK"
    assert not AuditEvent.objects.filter(action="upload_sptjm_scan").exists()
    assert (
        "Pindaian lain untuk SPTJM ini sedang diperiksa (diunggah oleh Anda atau operator lain sekolah ini). "
        "Berkas ini tidak disimpan." in html
    )
    assert '<a href="/bantuan/sekolah/#unggah-PINDAIAN_SEDANG_DIPERIKSA">' in html


def test_the_same_scan_sent_again_by_another_operator_joins_the_running_check(  # type: ignore[no-untyped-def]
    operator, colleague, school, printed, django_capture_on_commit_callbacks
):
    first = _sent(operator, printed)
    kept = _stored_scans()

    web = _login(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            f"/sptjm/{printed.pk}/unggah/",
            {"pindaian": own_pdf(printed, "again.pdf"), "version": printed.version},
        )
    html = web.get(response["Location"]).content.decode()

    assert list(Job.objects.filter(kind="sptjm_scan").values_list("pk", "state")) == [(first.pk, "PENDING")]
    assert _stored_scans() == kept
    assert (
        "Berkas yang sama sudah diterima dan sedang diperiksa; tidak diperiksa dua kali. "
        "Hasilnya tampil pada dokumen di bawah." in html
    )
    assert jobs.run(first.pk).state == "SUCCEEDED"
    assert AuditEvent.objects.filter(action="upload_sptjm_scan").count() == 1


def test_a_scan_refused_or_joining_a_running_check_is_never_written_to_the_store(  # type: ignore[no-untyped-def]
    operator, colleague, printed, monkeypatch
):
    first = _sent(operator, printed)
    written: list[str] = []
    save = files.save_upload
    monkeypatch.setattr(files, "save_upload", lambda *a, **k: written.append(a[0]) or save(*a, **k))
    other = SimpleUploadedFile(
        "lain.pdf", files.absolute(printed.pdf_path).read_bytes() + b"\n% another scan\n"
    )

    refused = _login(colleague).post(
        f"/sptjm/{printed.pk}/unggah/", {"pindaian": other, "version": printed.version}, follow=True
    )
    joined = _login(colleague).post(
        f"/sptjm/{printed.pk}/unggah/",
        {"pindaian": own_pdf(printed, "again.pdf"), "version": printed.version},
    )

    assert "Berkas ini tidak disimpan." in refused.content.decode()
    assert joined.status_code == 302
    assert written == []
    assert list(Job.objects.filter(kind="sptjm_scan").values_list("pk", flat=True)) == [first.pk]


def test_a_new_scan_is_received_again_once_the_check_ended(operator, colleague, printed, send_scan):  # type: ignore[no-untyped-def]
    send_scan(
        _login(operator), printed, SimpleUploadedFile("rusak.pdf", b"%PDF-1.4\nnot a pdf"), printed.version
    )

    send_scan(_login(colleague), printed, own_pdf(printed), printed.version)

    assert list(
        Job.objects.filter(kind="sptjm_scan").order_by("created_at").values_list("state", flat=True)
    ) == [
        "REFUSED",
        "SUCCEEDED",
    ]
    assert Sptjm.objects.get(pk=printed.pk).uploaded_by == colleague


# ------------------------------------------------------------------ a large print in progress


@pytest.fixture
def large(settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "SPTJM_PRINT_IN_REQUEST_MAX": 2}


@pytest.mark.parametrize(
    ("reader", "heading", "reload", "job_link"),
    [
        ("operator", "SPTJM yang diminta {at} sedang disiapkan.", "mengunduhnya", True),
        (
            "colleague",
            "SPTJM yang diminta operator lain sekolah ini {at} sedang disiapkan.",
            "mengunduhnya",
            False,
        ),
        (
            "dinas_kab",
            "SPTJM yang diminta operator sekolah {at} sedang disiapkan.",
            "melihat hasilnya",
            False,
        ),
        (
            "dinas_prov",
            "SPTJM yang diminta operator sekolah {at} sedang disiapkan.",
            "melihat hasilnya",
            False,
        ),
        ("pusdatin", "SPTJM yang diminta operator sekolah {at} sedang disiapkan.", "melihat hasilnya", True),
    ],
)
def test_every_reader_of_the_school_sees_a_large_print_in_progress(  # type: ignore[no-untyped-def]
    request, reader, heading, reload, job_link, operator, colleague, school, period, large
):
    aktif(school, 3)
    _login(operator).post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})
    job = Job.objects.get(kind="sptjm_print")
    user = request.getfixturevalue(reader)

    html = _login(user).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()

    assert f"<strong>{heading.format(at=_at(job.created_at))}</strong> {PREPARING}" in html
    assert '<p class="small job-wait">Menunggu giliran: pekerjaan ini yang berikutnya.</p>' in html
    assert f'<a href="/sekolah/{school.npsn}/sptjm/">Muat ulang halaman ini untuk {reload}</a>' in html
    assert (f'<a href="/pekerjaan/{job.pk}/">Lihat kemajuan pencetakan</a>' in html) is job_link
    assert f'action="/sekolah/{school.npsn}/sptjm/cetak/"' not in html  # nobody prints it twice


def test_a_second_operators_print_joins_the_running_print_job(  # type: ignore[no-untyped-def]
    operator, colleague, school, period, large
):
    aktif(school, 3)
    _login(operator).post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})

    response = _login(colleague).post(
        f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code}, follow=True
    )

    [job] = Job.objects.filter(kind="sptjm_print")
    assert job.created_by == operator
    assert (
        "SPTJM ini sudah diminta dan sedang disiapkan; tidak dicetak dua kali." in response.content.decode()
    )
    assert jobs.run(job.pk).state == "SUCCEEDED"
    assert Sptjm.objects.filter(school=school).count() == 1


def test_a_print_in_progress_is_hidden_from_readers_outside_the_school(  # type: ignore[no-untyped-def]
    operator, other_operator, other_dinas_kab, school, period, large
):
    aktif(school, 3)
    _login(operator).post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code})

    for outsider in (other_operator, other_dinas_kab):
        assert _login(outsider).get(f"/sekolah/{school.npsn}/sptjm/").status_code == 403
        assert list(access.school_work_for(outsider, school.npsn)) == []
