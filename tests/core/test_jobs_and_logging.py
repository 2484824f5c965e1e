"""Job states, whole-input refusal, re-running a dead job; numbers masked in logs; CSP on pages."""

from __future__ import annotations

import logging
import re

import pytest
from django.utils import timezone

from tests.factories import RecipientFactory
from verval.core import jobs
from verval.core.logging import MaskPhoneNumbersFilter, mask_text
from verval.core.models import Job, JobIssue
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db


def _refusing_runner(job):  # type: ignore[no-untyped-def]
    Recipient.objects.update(name="changed")
    raise jobs.JobRefused(
        code="TERLALU_BANYAK_DITOLAK",
        message="Terlalu banyak baris ditolak",
        message_en="Too many rows refused",
        issues=[
            jobs.RowIssue(
                3, "npsn", "NPSN_TIDAK_VALID", "NPSN harus 8 karakter", "NPSN must be 8 characters", "123"
            )
        ],
    )


def test_refused_job_changes_nothing_and_keeps_its_report(recipient, pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    from django.db import transaction

    def runner(j):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            return _refusing_runner(j)

    job = jobs.run(job.pk, runner=runner)
    assert (job.state, job.error_code) == ("REFUSED", "TERLALU_BANYAK_DITOLAK")
    recipient.refresh_from_db()
    assert recipient.name != "changed"
    issue = JobIssue.objects.get(job=job)
    assert (issue.line, issue.column, issue.code, issue.value) == (3, "npsn", "NPSN_TIDAK_VALID", "123")
    lines = list(jobs.issues_csv(job))
    assert lines[0] == "baris,kolom,kode,pesan,message,nilai\r\n"
    assert lines[1] == "3,npsn,NPSN_TIDAK_VALID,NPSN harus 8 karakter,NPSN must be 8 characters,123\r\n"


def test_failed_job_message_carries_no_data(pusdatin):  # type: ignore[no-untyped-def]
    def runner(j):  # type: ignore[no-untyped-def]
        raise ValueError("0812-3456-7890 broke")

    job = jobs.run(jobs.create_job(actor=pusdatin, kind="validate").pk, runner=runner)
    assert job.state == "FAILED"
    assert "0812" not in job.error_message + job.error_message_en
    assert job.error_message_en == "System error; no data was changed. Contact Pusdatin."


def test_job_that_died_running_can_be_run_again(school, pusdatin):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    job = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=job.pk).update(state="RUNNING")
    job = jobs.run(job.pk)
    assert (job.state, job.counts["divalidasi"]) == ("SUCCEEDED", 1)
    assert jobs.run(job.pk).counts["divalidasi"] == 1  # a finished job is not run twice


def test_job_report_download_is_scoped_and_audited(client, pusdatin, operator):  # type: ignore[no-untyped-def]
    from verval.core.models import AuditEvent

    job = jobs.create_job(actor=pusdatin, kind="validate")
    client.force_login(operator)
    assert client.get(f"/pekerjaan/{job.pk}/laporan.csv").status_code == 403
    client.force_login(pusdatin)
    response = client.get(f"/pekerjaan/{job.pk}/laporan.csv")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="download_job_report", object_id=str(job.pk)).count() == 1


@pytest.mark.parametrize(
    "text",
    ["nomor 081234567890 salah", "+62 812-3456-7890", "6281234567890", "(0812) 3456.7890"],
)
def test_log_filter_masks_phone_numbers(text):  # type: ignore[no-untyped-def]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s", (text,), None)
    MaskPhoneNumbersFilter().filter(record)
    message = record.getMessage()
    assert "[nomor]" in message
    assert "3456" not in message and "34567890" not in message


def test_log_filter_keeps_ordinary_numbers():  # type: ignore[no-untyped-def]
    assert mask_text("imported 30000 rows in 12 s, job 42") == "imported 30000 rows in 12 s, job 42"


def test_log_filter_keeps_ids_whole_and_still_masks_a_number_beside_one():  # type: ignore[no-untyped-def]
    # The worker logs task ids; this one's middle groups read like "0812-3456-7890".
    line = "Task id=45785d2f-0812-3456-7890-de34aa668ac4 path=x state=RUNNING"
    assert mask_text(line) == line
    assert (
        mask_text("45785d2f-0812-3456-7890-de34aa668ac4 nomor 0812-3456-7890.")
        == "45785d2f-0812-3456-7890-de34aa668ac4 nomor [nomor]."
    )
    assert mask_text("081234567890/45785d2f-0812-3456-7890-de34aa668ac4") == (
        "[nomor]/45785d2f-0812-3456-7890-de34aa668ac4"
    )


def test_pages_carry_a_strict_content_security_policy(client):  # type: ignore[no-untyped-def]
    response = client.get("/masuk/")
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_api_docs_page_loads_swagger_from_our_own_static_files(client):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<script src="/static/ninja/swagger-ui-bundle\.js\?v=[0-9a-f]{12}"></script>', html)
    assert "cdn." not in html
    assert "script-src 'self';" in response["Content-Security-Policy"]


def test_running_job_shows_its_current_step_under_the_progress_bar(client, pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    job.refresh_from_db()
    progress = jobs.Progress(job)
    progress.update(400, 1000, force=True)
    progress.step("index")
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "400 / 1.000" in html
    # The bar follows the progress file while the job runs (it stood at 0 % until the job ended).
    assert '<progress max="100" value="40" aria-label="Progres">40%</progress>' in html
    assert '<p class="job-step">Membangun indeks registri…</p>' in html
    client.cookies["django_language"] = "en"
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert '<p class="job-step">Building the registry indexes…</p>' in html
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED, progress_done=1000, progress_total=1000)
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "job-step" not in html
    assert 'value="100"' in html


def test_job_page_names_the_job_and_its_counts_and_lists_the_batches_it_wrote(client, pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="dump")
    batches = [
        {
            "id": "DMP-20261129-xl-0001",
            "provider": "xl",
            "rows": 2618,
            "file": "dumps/x.csv.gz",
            "sha256": "ab" * 32,
        }
    ]
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED,
        counts={"batches": batches, "rows": 2618, "period": "2020-09-T1", "by_code": {"DUPLIKAT": 2}},
    )
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "<h1>Dump ke provider</h1>" in html
    assert '<div class="card"><dt>Jumlah baris</dt><dd><b class="fig">2.618</b></dd></div>' in html
    assert '<div class="card"><dt>Periode</dt><dd><b>2020-09-T1</b></dd></div>' in html
    assert "<p>Per kode: <code>DUPLIKAT</code> 2</p>" in html
    assert (
        '<td><a href="/pusdatin/dump/DMP-20261129-xl-0001/">DMP-20261129-xl-0001</a></td><td>xl</td>' in html
    )
    assert '<td class="num">2.618</td>' in html
    # Not the counts as Python wrote them.
    assert "{'id'" not in html and "sha256" not in html
    client.cookies["django_language"] = "en"
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "<h1>Dumps to providers</h1>" in html and "<dt>Rows</dt>" in html


def test_refused_rows_appear_in_the_polled_fragment_once_the_job_ends(client, pusdatin):  # type: ignore[no-untyped-def]
    # The page polls only its progress fragment: the refused rows used to stay "(0) Tidak ada."
    # until a manual reload.
    job = jobs.create_job(actor=pusdatin, kind="import_dapodik", input_name="cutoff.csv")
    # A worker's claim that has just beaten (a RUNNING row without one is a silent job, polled
    # less often: decision 0062).
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, lease_owner="w:1:a", heartbeat_at=timezone.now()
    )
    client.force_login(pusdatin)
    running = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "Baris yang ditolak" not in running and 'hx-trigger="every 2s"' in running
    jobs.save_issues(job, [jobs.RowIssue(7, "id", "ID_GANDA", "Id ganda.", "Duplicate id.")])
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED)
    fragment = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "<h2>Baris yang ditolak (1)</h2>" in fragment
    assert f'href="/pekerjaan/{job.pk}/laporan.csv"' in fragment
    assert '<td class="num">7</td><td>id</td><td><code>ID_GANDA</code></td><td>Id ganda.</td>' in fragment
    assert "every 2s" not in fragment


def test_a_job_that_reads_no_file_lists_no_refused_rows(client, pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="validate")
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED)
    client.force_login(pusdatin)
    assert "Baris yang ditolak" not in client.get(f"/pekerjaan/{job.pk}/").content.decode()


def test_a_dump_with_nothing_to_send_says_so_instead_of_an_empty_table(client, pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="dump")
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED, counts={"batches": [], "rows": 0})
    client.force_login(pusdatin)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "Tidak ada: tidak ada data baru untuk dikirim." in html and "<table>" not in html


def test_favicon_is_served_for_pages_without_an_icon_link(client):  # type: ignore[no-untyped-def]
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Content-Type"]) == (200, "image/svg+xml")
    assert response.content.startswith(b"<svg") and response["Cache-Control"] == "public, max-age=86400"


def test_log_filter_masks_phone_numbers_in_a_logged_traceback():  # type: ignore[no-untyped-def]
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPhoneNumbersFilter())
    log = logging.getLogger("verval.test.traceback")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError("duplicate key (phone_e164)=(+6281234567890)")
        except ValueError:
            log.exception("job failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    out = stream.getvalue()
    assert out.startswith("job failed\nTraceback (most recent call last):\n")
    assert out.rstrip().endswith("ValueError: duplicate key (phone_e164)=([nomor])")
    assert "81234567890" not in out


def test_job_of_a_file_whose_name_is_not_utf8_is_created_with_a_replacement_character():  # type: ignore[no-untyped-def]
    # What Python makes of the byte 0xFF in a command-line file name (surrogateescape).
    job = jobs.create_job(actor=None, kind="import_dapodik", input_name="cutoff\udcff.csv")
    job.refresh_from_db()
    assert job.input_name == "cutoff\ufffd.csv"


def test_api_docs_page_names_the_openapi_schema_before_the_swagger_bundle(client):  # type: ignore[no-untyped-def]
    html = client.get("/api/v1/docs").content.decode()
    schema = '<a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a>'
    assert schema in html
    assert html.index(schema) < html.index("swagger-ui-bundle.js")
    assert "sekitar 1,5 MB" in html
    assert "docs/api.md" not in client.get("/api/v1/openapi.json").content.decode()


def test_a_failed_job_keeps_the_progress_it_had_reached(pusdatin):  # type: ignore[no-untyped-def]
    def runner(j):  # type: ignore[no-untyped-def]
        jobs.Progress(j).update(40, 100, force=True)
        raise ValueError("stopped")

    job = jobs.run(jobs.create_job(actor=pusdatin, kind="validate").pk, runner=runner)
    assert (job.state, job.progress_done, job.progress_total) == ("FAILED", 40, 100)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (40, 100)
