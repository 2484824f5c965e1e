"""Applying a school's correction file reports its progress and can be cancelled (decision 0039):
the apply passes a checkpoint after every BULK_CORRECTION_BATCH_ROWS corrections, where the bar
moves and a cancel request of the operator who uploaded the file (or of Pusdatin) rolls the whole
apply back; after its last checkpoint only the commit is left, and the page says so."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.registry.helpers import make_recipients
from verval.core import actions, jobs
from verval.core.models import AuditEvent, Job, JobIssue
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db

BY_OPERATOR = (
    "Penerapan berkas koreksi ini dibatalkan oleh operator sekolah; tidak ada koreksi dari berkas ini "
    "yang diterapkan dan data tidak diubah. Unggah berkasnya lagi bila koreksinya masih diperlukan."
)
BY_OPERATOR_EN = (
    "The school's operator cancelled applying this correction file; none of its corrections were "
    "applied and no data was changed. Upload the file again if the corrections are still needed."
)
BY_PUSDATIN = (
    "Penerapan berkas koreksi ini dibatalkan oleh Pusdatin; tidak ada koreksi dari berkas ini yang "
    "diterapkan dan data tidak diubah. Unggah berkasnya lagi bila koreksinya masih diperlukan."
)


@pytest.fixture(autouse=True)
def _two_corrections_a_batch(settings):  # type: ignore[no-untyped-def]
    """Two corrections between checkpoints, and a look for a cancel request at every checkpoint
    (1 s apart by default), so that a six-row file passes several checkpoints without waiting."""
    settings.VERVAL = {**settings.VERVAL, "BULK_CORRECTION_BATCH_ROWS": 2, "JOB_CANCEL_CHECK_SECONDS": 0}


def _file_correcting_all_but_the_first(client, school):  # type: ignore[no-untyped-def]
    """The school's download with a new number on every row but the first (six rows: five
    corrections, at rows 2-6 of the file)."""
    wb = load_workbook(io.BytesIO(client.get(f"/sekolah/{school.npsn}/unduh.xlsx").content))
    ws = wb["Data"]
    header = [c.value for c in ws[1]]
    fix = header.index("nomor_koreksi") + 1
    for row in range(3, ws.max_row + 1):
        ws.cell(row=row, column=fix).value = f"0813900000{row:02d}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _uploaded_and_applied(client, school, data, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Upload and click "Terapkan"; the hand-over to the worker is held back, so that the test
    runs the job as the worker would (`jobs.run`)."""
    response = client.post(
        f"/sekolah/{school.npsn}/koreksi/", {"berkas": SimpleUploadedFile("koreksi.xlsx", data)}
    )
    assert response.status_code == 302
    job = Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/sekolah/{school.npsn}/koreksi/{job.pk}/terapkan/").status_code == 302
    return job


def _at_checkpoints(monkeypatch, callback):  # type: ignore[no-untyped-def]
    """Call `callback(progress, file)` after every progress update of the run, with what the
    job page's progress file then holds."""
    real = jobs.Progress.update

    def update(self, done, total=None, force=False):  # type: ignore[no-untyped-def]
        real(self, done, total, force)
        callback(self, json.loads(self.path.read_text()))

    monkeypatch.setattr(jobs.Progress, "update", update)


def _numbers(recipients):  # type: ignore[no-untyped-def]
    return [
        Recipient.objects.filter(pk=r.pk)
        .values_list("phone_raw", "phone_e164", "status", "needs_validation", "version")
        .get()
        for r in recipients
    ]


def _job_audit(job):  # type: ignore[no-untyped-def]
    return list(
        AuditEvent.objects.filter(object_type="job", object_id=str(job.pk), action__startswith="job_")
        .order_by("id")
        .values_list("action", "actor", "note")
    )


def test_applying_a_correction_file_moves_the_bar_at_every_batch_of_corrections(
    client, operator, school, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    make_recipients(school, 6)
    client.force_login(operator)
    job = _uploaded_and_applied(
        client, school, _file_correcting_all_but_the_first(client, school), django_capture_on_commit_callbacks
    )
    seen = []
    pages = {}

    def look(progress, written):  # type: ignore[no-untyped-def]
        seen.append((written["done"], written["total"], written["step"]))
        if written["done"] == 3 or written["step"] == "commit":
            pages[written["step"]] = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()

    _at_checkpoints(monkeypatch, look)

    job = jobs.run(job.pk)

    # Read, then the apply: after corrections 2 and 4 (rows 3 and 5 of six), then the commit.
    assert seen == [
        (0, 0, "read"),
        (0, 6, "read"),
        (0, 6, "write"),
        (3, 6, "write"),
        (5, 6, "write"),
        (6, 6, "commit"),
    ]
    assert (job.state, job.progress_done, job.progress_total) == (Job.State.SUCCEEDED, 6, 6)
    assert job.counts == {"rows": 6, "changed": 5, "unchanged": 0, "without_correction": 1, "refused": 0}
    during = pages["write"]
    assert "3 / 6" in during and '<progress max="100" value="50"' in during
    assert '<p class="job-step">Menyimpan ke registri…</p>' in during
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' in during
    assert (
        "Bila dibatalkan sebelum tahap menyimpan hasil, tidak ada koreksi dari berkas ini yang diterapkan."
        in during
    )
    last = pages["commit"]
    assert "6 / 6" in last
    assert '<p class="job-step">Menyimpan hasil; pembatalan tidak lagi dapat menghentikannya…</p>' in last
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' not in last
    assert not jobs.progress_path(job).exists()


def test_the_operator_cancels_the_apply_and_no_number_of_the_file_changes(
    client, operator, school, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    recipients = make_recipients(school, 6)
    client.force_login(operator)
    data = _file_correcting_all_but_the_first(client, school)
    job = _uploaded_and_applied(client, school, data, django_capture_on_commit_callbacks)
    before = _numbers(recipients)
    answers = []

    def cancel_after_the_first_batch(progress, written):  # type: ignore[no-untyped-def]
        if written["done"] == 3:  # two corrections already written in the run's transaction
            answers.append(client.post(f"/pekerjaan/{job.pk}/batalkan/", {"note": "berkas lama"}))
        elif written["done"] > 3:
            answers.append("not stopped")

    _at_checkpoints(monkeypatch, cancel_after_the_first_batch)

    job = jobs.run(job.pk)

    assert [(a.status_code, a["Location"]) for a in answers] == [(302, f"/pekerjaan/{job.pk}/")]
    assert (job.state, job.error_code, job.error_message, job.error_message_en) == (
        Job.State.FAILED,
        "DIBATALKAN",
        BY_OPERATOR,
        BY_OPERATOR_EN,
    )
    assert (job.cancel_requested_by, job.cancel_note) == (operator, "berkas lama")
    assert _numbers(recipients) == before
    assert NumberHistory.objects.count() == 0
    assert JobIssue.objects.filter(job=job).count() == 0
    assert AuditEvent.objects.filter(action="bulk_correction").count() == 0
    assert _job_audit(job) == [
        ("job_apply_preview", operator.pk, ""),
        ("job_cancel_request", operator.pk, "berkas lama"),
        ("job_cancel", operator.pk, "berkas lama"),
    ]
    cancel = AuditEvent.objects.get(action="job_cancel")
    assert (cancel.school_id, cancel.before, cancel.after) == (
        school.npsn,
        {"state": "RUNNING", "attempts": 1},
        {"state": "FAILED", "error_code": "DIBATALKAN"},
    )
    assert [p.exists() for p in (jobs.progress_path(job), jobs.lease_path(job), jobs.cancel_path(job))] == [
        False,
        False,
        False,
    ]
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    # Said as a stop the operator asked for, not as a failure with a code (decision 0044).
    assert '<span class="label s-DIBATALKAN">Dibatalkan</span>' in page
    assert f'<p class="job-stopped" role="status">{BY_OPERATOR}</p>' in page
    assert [
        s for s in ("<code>DIBATALKAN</code>", ">Gagal<", "<progress", "Baris yang ditolak") if s in page
    ] == []

    # The operator uploads the same file again: it applies whole.
    monkeypatch.undo()
    again = jobs.run(_uploaded_and_applied(client, school, data, django_capture_on_commit_callbacks).pk)
    assert (again.state, again.counts["changed"]) == (Job.State.SUCCEEDED, 5)
    assert [v for *_, v in _numbers(recipients)] == [1, 2, 2, 2, 2, 2]


def test_pusdatin_cancels_the_apply_of_a_school_correction_file(
    client, operator, pusdatin, school, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    recipients = make_recipients(school, 6)
    client.force_login(operator)
    job = _uploaded_and_applied(
        client, school, _file_correcting_all_but_the_first(client, school), django_capture_on_commit_callbacks
    )
    before = _numbers(recipients)

    def cancel(progress, written):  # type: ignore[no-untyped-def]
        if written["done"] == 5:
            actions.cancel_job(actor=pusdatin, job_id=job.pk, note="sekolah salah unggah")

    _at_checkpoints(monkeypatch, cancel)

    job = jobs.run(job.pk)

    assert (job.state, job.error_code, job.error_message) == (Job.State.FAILED, "DIBATALKAN", BY_PUSDATIN)
    assert _numbers(recipients) == before
    assert _job_audit(job) == [
        ("job_apply_preview", operator.pk, ""),
        ("job_cancel_request", pusdatin.pk, "sekolah salah unggah"),
        ("job_cancel", pusdatin.pk, "sekolah salah unggah"),
    ]


def test_a_cancel_at_the_commit_step_is_too_late_and_the_file_is_applied(
    client, operator, school, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    recipients = make_recipients(school, 6)
    client.force_login(operator)
    job = _uploaded_and_applied(
        client, school, _file_correcting_all_but_the_first(client, school), django_capture_on_commit_callbacks
    )

    def cancel_at_commit(progress, written):  # type: ignore[no-untyped-def]
        if written["step"] == "commit":
            actions.cancel_job(actor=operator, job_id=job.pk, note="terlambat")

    _at_checkpoints(monkeypatch, cancel_at_commit)

    job = jobs.run(job.pk)

    assert (job.state, job.error_code, job.counts["changed"]) == (Job.State.SUCCEEDED, "", 5)
    assert [v for *_, v in _numbers(recipients)] == [1, 2, 2, 2, 2, 2]
    assert _job_audit(job) == [
        ("job_apply_preview", operator.pk, ""),
        ("job_cancel_request", operator.pk, "terlambat"),
        ("job_cancel_too_late", operator.pk, "terlambat"),
    ]
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "tetapi terlambat: pekerjaan sudah selesai sebelum titik periksa berikutnya" in page


def test_a_cancel_after_the_apply_finished_is_refused_with_a_clear_message(
    client, operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    recipients = make_recipients(school, 6)
    client.force_login(operator)
    job = jobs.run(
        _uploaded_and_applied(
            client,
            school,
            _file_correcting_all_but_the_first(client, school),
            django_capture_on_commit_callbacks,
        ).pk
    )
    assert (
        f'action="/pekerjaan/{job.pk}/batalkan/"' not in client.get(f"/pekerjaan/{job.pk}/").content.decode()
    )

    response = client.post(f"/pekerjaan/{job.pk}/batalkan/", follow=True)

    assert response.redirect_chain == [(f"/pekerjaan/{job.pk}/", 302)]
    assert (
        '<p class="msg-error" role="alert">Pekerjaan ini sudah selesai sebelum pembatalan, sehingga hasilnya tetap berlaku.</p>'
        in response.content.decode()
    )
    job.refresh_from_db()
    assert (job.state, job.error_code, job.cancel_requested_at) == (Job.State.SUCCEEDED, "", None)
    assert [v for *_, v in _numbers(recipients)] == [1, 2, 2, 2, 2, 2]
    assert _job_audit(job) == [("job_apply_preview", operator.pk, "")]
    with pytest.raises(actions.JobActionRefused) as refused:
        actions.cancel_job(actor=operator, job_id=job.pk)
    assert refused.value.code == "PEKERJAAN_SUDAH_SELESAI"


def test_only_the_operator_who_uploaded_the_file_and_pusdatin_may_cancel_its_apply(
    client, operator, dinas_kab, school
):  # type: ignore[no-untyped-def]
    colleague = UserFactory(role="OPERATOR", school=school, username="operator.lain")
    job = jobs.create_job(actor=operator, kind="bulk_correction", school_id=school.npsn)
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now(), params={"applied": True})
    validation = jobs.create_job(actor=operator, kind="validate", school_id=school.npsn)

    for user in (colleague, dinas_kab):
        with pytest.raises(PermissionDenied):
            actions.cancel_job(actor=user, job_id=job.pk)
        client.force_login(user)
        assert client.post(f"/pekerjaan/{job.pk}/batalkan/").status_code in (403, 404)
    with pytest.raises(PermissionDenied):  # the uploader cancels its correction files, nothing else
        actions.cancel_job(actor=operator, job_id=validation.pk)
    assert [Job.objects.get(pk=j.pk).state for j in (job, validation)] == ["PENDING", "PENDING"]

    client.force_login(operator)
    assert f'action="/pekerjaan/{job.pk}/batalkan/"' in client.get(f"/pekerjaan/{job.pk}/").content.decode()
    response = client.post(f"/pekerjaan/{job.pk}/batalkan/", follow=True)

    assert "Pekerjaan dibatalkan; data tidak diubah." in response.content.decode()
    job.refresh_from_db()  # queued, no worker on it yet: cancelled at once
    assert (job.state, job.error_code, job.error_message) == ("FAILED", "DIBATALKAN", BY_OPERATOR)
    assert _job_audit(job) == [("job_cancel", operator.pk, "")]


def _stale_run_files(job):  # type: ignore[no-untyped-def]
    paths = [jobs.progress_path(job), jobs.lease_path(job), jobs.cancel_path(job)]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    return paths


def test_a_preview_refused_at_upload_expired_or_cancelled_unrun_leaves_no_run_files(
    operator, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    refused, expired, abandoned = (
        jobs.create_job(actor=operator, kind="bulk_correction", school_id=school.npsn) for _ in range(3)
    )
    Job.objects.filter(pk=expired.pk).update(created_at=timezone.now() - timedelta(hours=25))
    Job.objects.filter(pk=abandoned.pk).update(
        state=Job.State.RUNNING,
        lease_owner="host:1:dead",
        heartbeat_at=timezone.now() - timedelta(minutes=10),
        queued_at=timezone.now() - timedelta(minutes=11),
        params={"applied": True},
    )
    paths = [_stale_run_files(j) for j in (refused, expired, abandoned)]

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.refuse_before_run(
            actor=operator, job=refused, refused=jobs.JobRefused("FILE_KOSONG", "kosong", "empty")
        )
        assert actions.expire_previews() == 1
        actions.cancel_job(actor=operator, job_id=abandoned.pk)

    assert [Job.objects.get(pk=j.pk).error_code for j in (refused, expired, abandoned)] == [
        "FILE_KOSONG",
        "PRATINJAU_KEDALUWARSA",
        "DIBATALKAN",
    ]
    assert [[p.exists() for p in job_paths] for job_paths in paths] == [[False] * 3] * 3
