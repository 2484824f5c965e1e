"""Retention of signed scans (decisions 0038, 0095, 0107). A scan is a scan check's input, and
finished jobs' inputs are pruned by age: the scan a check accepted is the school's signed
statement and is never offered, even once a later scan replaced it. A scan its check did not
accept (refused, failed, abandoned, cancelled) was never a document's scan: it goes
`RETENTION_REFUSED_SCAN_DAYS` (7) after its job ended, through `verval files --prune`, its job
marked as for every pruned input."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from verval.core import actions as core_actions
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


# --- scans no row names (decision 0115) -----------------------------------------------------------


def _orphan(printed, days_old: float, tail: bytes = b"\n% lost\n") -> str:  # type: ignore[no-untyped-def]
    """A scan stored as `receive_scan` stores it, whose row never committed (a crash between the
    store and the commit), last written `days_old` days ago."""
    relative, _sha, _size = files.save_upload("sptjm-scans", _own_pdf(printed, tail), suffix=".pdf")
    _age(relative, days_old)
    return relative


def _age(relative: str, days_old: float) -> None:
    when = (timezone.now() - timedelta(days=days_old)).timestamp()
    os.utime(files.absolute(relative), (when, when))


def test_a_scan_no_row_names_is_pruned_once_a_day_old_and_audited_as_its_own_kind(  # type: ignore[no-untyped-def]
    operator, printed
):
    accepted = _received(operator, printed)
    jobs.run(accepted.pk)
    printed.refresh_from_db()
    refused = _ended(_received(operator, printed, b"\n% b\n"), "FAILED", jobs.ABANDONED, days_ago=1)
    _age(printed.scan_path, 400)
    _age(refused.input_path, 400)
    young = _orphan(printed, days_old=0.9)
    lost = _orphan(printed, days_old=1.1, tail=b"\n% lost too\n")
    size = files.absolute(lost).stat().st_size

    assert [(c.kind, c.relative, c.orphan_scan) for c in retention.plan()] == [
        ("sptjm-scans-orphaned", lost, True)
    ]
    out = StringIO()
    call_command("files", "--prune", "--yes", "--json", stdout=out)

    answer = json.loads(out.getvalue().strip().splitlines()[-1])
    assert answer["kinds"] == {"sptjm-scans-orphaned": {"files": 1, "bytes": size}}
    assert not files.absolute(lost).exists()
    for kept in (printed.scan_path, refused.input_path, young):
        assert files.absolute(kept).is_file()
    event = AuditEvent.objects.get(action="prune_files")
    assert event.after["kinds"] == {"sptjm-scans-orphaned": {"files": 1, "bytes": size}}
    assert event.after["rules"]["sptjm-scans-orphaned"] == 1


def test_a_scan_being_received_is_never_pruned_even_with_the_grace_set_to_nothing(  # type: ignore[no-untyped-def]
    operator, printed, settings, monkeypatch
):
    """The window the grace exists for: `receive_scan` has stored the file and its job row is not
    yet written, and a `verval files --prune --yes` runs right then."""
    settings.VERVAL = {**settings.VERVAL, "RETENTION_ORPHAN_SCAN_DAYS": 0}
    create_job = jobs.create_job
    pruned = []

    def prune_then_create(**kwargs):  # type: ignore[no-untyped-def]
        stored = files.absolute(kwargs["input_path"])
        assert stored.is_file() and not Job.objects.filter(input_path=kwargs["input_path"]).exists()
        pruned.append(core_actions.prune_files(actor=None))
        assert stored.is_file()
        return create_job(**kwargs)

    monkeypatch.setattr(jobs, "create_job", prune_then_create)

    job = _received(operator, printed)

    assert retention.orphan_scan_days() == 1
    assert pruned == [{"kinds": {}, "files": 0, "bytes": 0}]
    assert files.absolute(job.input_path).is_file()
    assert jobs.run(job.pk).state == "SUCCEEDED"


def test_a_replaced_scan_the_one_step_upload_accepted_is_never_offered(operator, printed):  # type: ignore[no-untyped-def]
    """`upload_scan` (the demo's path, and the web's before decision 0095) replaces a document's
    scan without a job: the first file is then named by no row but its upload's audit row (its
    SHA-256). It was the school's signed statement: it stays."""
    actions.upload_scan(actor=operator, sptjm_id=printed.pk, upload=_own_pdf(printed))
    first = Sptjm.objects.get(pk=printed.pk).scan_path
    actions.upload_scan(actor=operator, sptjm_id=printed.pk, upload=_own_pdf(printed, b"\n% again\n"))
    second = Sptjm.objects.get(pk=printed.pk).scan_path
    assert first != second and not retention.named_scans([first])
    _age(first, 400)
    _age(second, 400)

    assert retention.orphan_scans(timezone.now()) == []
    assert _offered() == set()


def test_only_files_directly_in_the_scans_folder_and_older_than_the_setting_are_offered(  # type: ignore[no-untyped-def]
    printed, settings
):
    settings.VERVAL = {**settings.VERVAL, "RETENTION_ORPHAN_SCAN_DAYS": 3}
    two_days = _orphan(printed, days_old=2)
    four_days = _orphan(printed, days_old=4, tail=b"\n% four\n")
    nested = files.absolute("sptjm-scans/sub/x.pdf")
    nested.parent.mkdir(parents=True)
    nested.write_bytes(b"%PDF-1.4 not ours to judge")
    _age("sptjm-scans/sub/x.pdf", 400)
    part = files.absolute("sptjm-scans/y.pdf.part")
    part.write_bytes(b"%PDF-1.4 half written")
    _age("sptjm-scans/y.pdf.part", 0.5)

    assert [c.relative for c in retention.orphan_scans(timezone.now())] == [four_days]
    assert two_days not in _offered()


def test_the_files_listing_counts_the_scans_no_row_names_without_naming_them(operator, printed):  # type: ignore[no-untyped-def]
    _received(operator, printed)
    lost = [_orphan(printed, days_old=2, tail=f"\n% {n}\n".encode()) for n in range(2)]
    _orphan(printed, days_old=0.5, tail=b"\n% being received\n")
    size = sum(files.absolute(p).stat().st_size for p in lost)

    out = StringIO()
    call_command("files", stdout=out)

    text = out.getvalue()
    [row] = [line for line in text.splitlines() if line.startswith("sptjm-scans-orphaned ")]
    assert row.split()[1] == "2"
    assert row.endswith("of sptjm-scans, named by no row and older than 1 day(s): deleted by --prune --yes")
    assert all(Path(p).name not in text for p in lost)
    out = StringIO()
    call_command("files", "--json", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["orphan_scans"] == {
        "files": 2,
        "bytes": size,
        "keep_days": 1,
    }


def test_an_orphan_a_row_names_by_the_time_of_the_delete_stays(operator, printed, monkeypatch):  # type: ignore[no-untyped-def]
    lost = _orphan(printed, days_old=2)
    planned = retention.plan()
    assert [c.relative for c in planned] == [lost]
    monkeypatch.setattr(retention, "plan", lambda now=None: planned)
    Job.objects.create(kind="sptjm_scan", state=Job.State.SUCCEEDED, input_path=lost)

    assert core_actions.prune_files(actor=None)["files"] == 0
    assert files.absolute(lost).is_file()
