"""Retention of signed scans (decisions 0038, 0095, 0107). A scan is a scan check's input, and
finished jobs' inputs are pruned by age: the scan a check accepted is the school's signed
statement and is never offered, even once a later scan replaced it. A scan its check did not
accept (refused, failed, abandoned, cancelled) was never a document's scan: it goes
`RETENTION_REFUSED_SCAN_DAYS` (7) after its job ended, through `verval files --prune`, its job
marked as for every pruned input."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from verval.core import files, jobs, retention
from verval.core.models import AuditEvent, Job
from verval.sptjm import actions
from verval.sptjm.models import Sptjm


def _own_pdf(sptjm: Sptjm, tail: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile("scan.pdf", files.absolute(sptjm.pdf_path).read_bytes() + tail)


def _received(operator, printed, tail: bytes = b"") -> Job:  # type: ignore[no-untyped-def]
    job, created = actions.receive_scan(actor=operator, sptjm_id=printed.pk, upload=_own_pdf(printed, tail))
    assert created
    return job


def _ended(job: Job, state: str, code: str, days_ago: float) -> Job:
    Job.objects.filter(pk=job.pk).update(
        state=state, error_code=code, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    return Job.objects.get(pk=job.pk)


def _offered() -> set[str]:
    return {c.relative for c in retention.plan()}


def test_file_retention_never_offers_a_scan_a_check_accepted_even_once_replaced(  # type: ignore[no-untyped-def]
    operator, printed
):
    first = _received(operator, printed)
    jobs.run(first.pk)
    second = _received(operator, printed, b"\n% the second scan\n")
    jobs.run(second.pk)
    printed.refresh_from_db()
    # Both checks long finished, past every rule a job's input has.
    Job.objects.update(finished_at=timezone.now() - timedelta(days=400))

    offered = _offered()

    # The first accepted scan is no document's scan any more, and still the school's signed upload
    # at the time (its audit row names its hash): accepted checks' inputs are never offered.
    assert printed.scan_path == Job.objects.get(pk=second.pk).input_path
    assert offered.isdisjoint({first.input_path, second.input_path})
    assert files.absolute(first.input_path).is_file()


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("FAILED", jobs.ABANDONED),  # its worker died three times: never read to its end
        ("FAILED", jobs.CANCELLED),  # cancelled while it waited
        ("REFUSED", "QR_DOKUMEN_LAIN"),  # refused, and its own deletion did not happen
    ],
)
def test_a_scan_its_check_did_not_accept_is_offered_seven_days_after_the_check_ended(  # type: ignore[no-untyped-def]
    operator, printed, state, code
):
    job = _received(operator, printed)
    _ended(job, state, code, days_ago=6.9)

    assert job.input_path not in _offered()

    _ended(job, state, code, days_ago=7.1)

    [candidate] = [c for c in retention.plan() if c.relative == job.input_path]
    assert (candidate.kind, candidate.job_id, candidate.unaccepted_scan) == ("sptjm-scans", job.pk, True)
    assert candidate.size == files.absolute(job.input_path).stat().st_size


def test_the_prune_deletes_an_abandoned_checks_scan_marks_its_job_and_counts_it(  # type: ignore[no-untyped-def]
    operator, pusdatin, printed
):
    accepted = _received(operator, printed)
    jobs.run(accepted.pk)
    printed.refresh_from_db()
    abandoned = _ended(_received(operator, printed, b"\n% b\n"), "FAILED", jobs.ABANDONED, days_ago=8)
    size = files.absolute(abandoned.input_path).stat().st_size
    Job.objects.filter(pk=accepted.pk).update(finished_at=timezone.now() - timedelta(days=400))

    out = StringIO()
    call_command("files", "--prune", "--yes", "--json", stdout=out)

    answer = json.loads(out.getvalue().strip().splitlines()[-1])
    assert answer["kinds"] == {"sptjm-scans": {"files": 1, "bytes": size}}
    assert not files.absolute(abandoned.input_path).exists()
    assert files.absolute(printed.scan_path).is_file()  # the accepted scan stays
    assert Job.objects.get(pk=abandoned.pk).input_deleted is True
    event = AuditEvent.objects.get(action="prune_files")
    assert event.after["kinds"] == {"sptjm-scans": {"files": 1, "bytes": size}}
    assert event.after["rules"]["sptjm-scans-unaccepted"] == 7


def test_a_refused_checks_path_that_a_document_names_as_its_scan_is_never_offered(  # type: ignore[no-untyped-def]
    operator, printed
):
    job = _received(operator, printed)
    _ended(job, "FAILED", jobs.ABANDONED, days_ago=30)
    # Whatever the job row says, a path a document holds as its scan is that document's evidence.
    Sptjm.objects.filter(pk=printed.pk).update(scan_path=job.input_path)

    assert job.input_path not in _offered()


def test_the_refused_scan_rule_follows_its_setting(operator, printed, settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "RETENTION_REFUSED_SCAN_DAYS": 30}
    job = _ended(_received(operator, printed), "FAILED", jobs.ABANDONED, days_ago=8)

    assert job.input_path not in _offered()
    assert retention.rules()["sptjm-scans-unaccepted"] == 30


def test_a_path_outside_the_scans_folder_is_never_pruned_as_an_unaccepted_scan(operator, printed):  # type: ignore[no-untyped-def]
    job = _ended(_received(operator, printed), "FAILED", jobs.ABANDONED, days_ago=8)
    # A row naming the printed PDF, or a path that climbs out of the folder, is not a scan.
    Job.objects.filter(pk=job.pk).update(input_path=printed.pdf_path)
    assert printed.pdf_path not in _offered()
    Job.objects.filter(pk=job.pk).update(input_path=f"sptjm-scans/../{printed.pdf_path}")
    assert retention.deletable(f"sptjm-scans/../{printed.pdf_path}", unaccepted_scan=True) is None
    assert _offered() == set()


def test_the_files_listing_names_the_rule_of_a_scan_its_check_did_not_accept(operator, printed):  # type: ignore[no-untyped-def]
    _received(operator, printed)

    out = StringIO()
    call_command("files", stdout=out)

    [row] = [line for line in out.getvalue().splitlines() if line.startswith("sptjm-scans ")]
    assert row.endswith("never pruned; a scan its check did not accept: 7 days")
