"""The Pusdatin upload runs the import as a job; only Pusdatin may use it; the CLI contract."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.imports.helpers import csv_text, many, student, write
from verval.core.models import AuditEvent, Job
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db


def _upload(client, rows, name="cutoff.csv"):  # type: ignore[no-untyped-def]
    f = SimpleUploadedFile(name, csv_text(rows).encode(), content_type="text/csv")
    return client.post(reverse("imports:upload"), {"file": f})


def test_pusdatin_upload_creates_a_job_that_succeeds(client, pusdatin, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, many(30) + [student(99, nisn="1")])
    job = Job.objects.get(kind="import_dapodik")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.state, job.counts["added"], job.counts["refused"], job.created_by) == (
        "SUCCEEDED",
        30,
        1,
        pusdatin,
    )
    assert (
        job.input_name == "cutoff.csv"
        and job.input_path.startswith("imports/")
        and len(job.input_sha256) == 64
    )
    assert Recipient.objects.count() == 30
    page = client.get(reverse("core:job", args=[job.pk]))
    assert page.status_code == 200 and b"NISN_TIDAK_VALID" in page.content
    report = client.get(reverse("core:job_issues_csv", args=[job.pk]))
    body = b"".join(report.streaming_content).decode()
    assert body.splitlines()[0] == "\ufeffbaris,kolom,kode,pesan,message,nilai"
    assert body.splitlines()[1].startswith("32,nisn,NISN_TIDAK_VALID,")
    assert AuditEvent.objects.filter(action="download_job_report", actor=pusdatin).count() == 1
    assert AuditEvent.objects.filter(action="import_dapodik", actor=pusdatin).count() == 1
    listing = client.get(reverse("imports:jobs"))
    assert listing.status_code == 200 and b"cutoff.csv" in listing.content


def test_pusdatin_page_shows_the_upload_form(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    page = client.get(reverse("core:pusdatin"))
    assert page.status_code == 200
    assert reverse("imports:upload").encode() in page.content
    assert reverse("imports:jobs").encode() in page.content


@pytest.mark.parametrize("who", ["operator", "dinas_kab", "provider_user"])
def test_only_pusdatin_may_upload_a_cutoff(client, request, who):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))
    assert _upload(client, many(5)).status_code == 403
    assert client.get(reverse("imports:jobs")).status_code == 403
    assert not Job.objects.exists()


def test_upload_refused_file_shows_the_error(client, pusdatin, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    f = SimpleUploadedFile("x.csv", b"jenis;id;nama\nPD;1;A\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:upload"), {"file": f})
    job = Job.objects.get()
    assert (job.state, job.error_code) == ("REFUSED", "PEMISAH_SALAH")
    page = client.get(reverse("core:job", args=[job.pk]))
    assert b"PEMISAH_SALAH" in page.content


def test_command_prints_summary_and_json_last(tmp_path, capsys, pusdatin):  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.csv", many(20))
    call_command("import_dapodik", str(path), "--user", "pusdatin")
    out = capsys.readouterr().out
    assert "added" in out and "20" in out
    call_command("import_dapodik", str(path), "--json")
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (data["state"], data["added"], data["unchanged"], data["removed"], data["refused"]) == (
        "SUCCEEDED",
        0,
        20,
        0,
        0,
    )
    assert Job.objects.filter(created_by=pusdatin).count() == 1


def test_command_exits_2_when_the_file_is_refused(tmp_path, capsys):  # type: ignore[no-untyped-def]
    from django.core.management import CommandError

    path = tmp_path / "a.csv"
    path.write_text("jenis;id;nama\n")
    with pytest.raises(CommandError) as exc:
        call_command("import_dapodik", str(path), "--json")
    assert exc.value.returncode == 2
    captured = capsys.readouterr()
    assert "PEMISAH_SALAH" in captured.err
    line = json.loads(captured.out.strip().splitlines()[-1])
    assert (line["state"], line["error_code"], line["issues"]) == ("REFUSED", "PEMISAH_SALAH", 1)
    assert Recipient.objects.count() == 0


@pytest.mark.parametrize(("name", "message"), [("missing.csv", "file not found"), ("", "not a regular file")])
def test_command_exits_2_with_one_line_when_the_path_is_not_a_file(tmp_path, name, message):  # type: ignore[no-untyped-def]
    from django.core.management import CommandError

    path = tmp_path / name if name else tmp_path
    # From the command line Django prints "Refused: <code>: <message>" and exits with returncode.
    with pytest.raises(CommandError) as exc:
        call_command("import_dapodik", str(path))
    assert (str(exc.value), exc.value.returncode) == (f"BERKAS_TIDAK_DITEMUKAN: {message}: {path}", 2)
    assert Job.objects.count() == 0
