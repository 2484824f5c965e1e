"""The file store asks "does a row name this file?" of the scans in `sptjm-scans/` (decision 0120):
by an index on `Sptjm.scan_path` and `Job.input_path`, a chunk of paths at a time, never a read of
a whole table per file; `verval files` reads the folder once."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from verval.core import actions, files, retention
from verval.core.models import Job
from verval.reference.models import Period, QuotaPolicy
from verval.sptjm.models import Sptjm

pytestmark = pytest.mark.django_db


def _scan(name: str, *, days_old: float, content: bytes | None = None) -> str:
    relative = f"sptjm-scans/{name}.pdf"
    path = files.absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content or f"%PDF-1.4 {name}".encode())
    when = (timezone.now() - timedelta(days=days_old)).timestamp()
    os.utime(path, (when, when))
    return relative


def _refused_check(relative: str) -> Job:
    """A scan check refused 30 days ago whose file stayed (decision 0107: the prune takes it)."""
    return Job.objects.create(
        kind="sptjm_scan",
        state=Job.State.REFUSED,
        error_code="QR_DOKUMEN_LAIN",
        finished_at=timezone.now() - timedelta(days=30),
        input_path=relative,
    )


def _indexed_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {c["columns"][0] for c in found.values() if c["index"] and len(c["columns"]) == 1}


def test_a_documents_scan_path_and_a_jobs_input_path_are_indexed():  # type: ignore[no-untyped-def]
    assert "scan_path" in _indexed_columns(Sptjm._meta.db_table)
    assert "input_path" in _indexed_columns(Job._meta.db_table)


@pytest.mark.postgres
def test_postgresql_finds_a_scan_by_its_path_through_the_index_not_a_read_of_the_table():  # type: ignore[no-untyped-def]
    paths = ["sptjm-scans/a.pdf", "sptjm-scans/b.pdf"]
    with connection.cursor() as cursor:
        # A test table is tiny: a read of it is what the planner would take. Forbid it, so that
        # only an index can answer (without one, the plan is still a sequential scan).
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = [
            Sptjm.objects.filter(scan_path__in=paths).order_by().values("scan_path").explain(),
            Job.objects.filter(input_path__in=paths).order_by().values("input_path").explain(),
            Sptjm.objects.filter(scan_path__startswith="sptjm-scans/")
            .order_by()
            .values("scan_path")
            .explain(),
        ]

    assert ["Seq Scan" in plan for plan in plans] == [False, False, False]
    assert "sptjm_scan_path" in plans[0] and "job_input_path" in plans[1] and "sptjm_scan_path" in plans[2]


def test_a_prune_asks_the_documents_once_for_all_its_unaccepted_scans_not_once_per_file(school):  # type: ignore[no-untyped-def]
    refused = [_refused_check(_scan(f"refused-{n}", days_old=0.1)) for n in range(4)]
    held = _scan("held", days_old=0.1)
    _refused_check(held)  # its check refused, and still a document's scan: it stays
    Sptjm.objects.create(
        number="SPTJM/2026-1/x/1",
        school=school,
        period=Period.objects.create(
            code="2026-1",
            name="2026-1",
            policy=QuotaPolicy.objects.create(code="P", name="P"),
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        ),
        seq=1,
        status="DIUNGGAH",
        content_sha256="0" * 64,
        pdf_path="sptjm/x.pdf",
        pdf_sha256="0" * 64,
        printed_at=timezone.now(),
        scan_path=held,
    )

    with CaptureQueriesContext(connection) as queries:
        counts = actions.prune_files(actor=None)

    # The plan's look (one chunk) and the look just before the deletes (one chunk): two, whatever
    # the number of files (it was one more per file, each a read of the whole table).
    of_documents = [q["sql"] for q in queries.captured_queries if 'FROM "sptjm_sptjm"' in q["sql"]]
    assert len(of_documents) == 2
    assert counts["kinds"] == {
        "sptjm-scans": {"files": 4, "bytes": sum(len(f"%PDF-1.4 refused-{n}") for n in range(4))}
    }
    assert [files.absolute(j.input_path).exists() for j in refused] == [False] * 4
    assert files.absolute(held).is_file()


def test_verval_files_reads_the_scans_folder_once(monkeypatch):  # type: ignore[no-untyped-def]
    _scan("named", days_old=3)
    Job.objects.create(kind="sptjm_scan", state=Job.State.SUCCEEDED, input_path="sptjm-scans/named.pdf")
    lost = _scan("lost", days_old=3)
    scans = (files.root() / retention.SCANS).resolve()
    reads = []
    scandir = os.scandir

    def counting(path="."):  # type: ignore[no-untyped-def]
        if Path(path).resolve() == scans:
            reads.append(path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    out = StringIO()
    call_command("files", "--json", stdout=out)

    listed = json.loads(out.getvalue().strip().splitlines()[-1])
    assert len(reads) == 1
    assert listed["kinds"]["sptjm-scans"]["files"] == 2
    assert listed["orphan_scans"] == {
        "files": 1,
        "bytes": files.absolute(lost).stat().st_size,
        "keep_days": 1,
    }


def test_orphans_are_found_with_one_read_of_each_table_whatever_the_number_of_files(monkeypatch):  # type: ignore[no-untyped-def]
    """The question is asked of every file of the folder: one pass over the rows of the folder
    (decision 0120 measured `IN` lists 5–10 times slower at 200,000 scans), not a query per chunk
    of the few-path look-ups' size. A guard: the code before decision 0120 did the same."""
    monkeypatch.setattr(retention, "LOOKUP_CHUNK", 2, raising=False)
    named = [_scan(f"named-{n}", days_old=3) for n in range(4)]
    for relative in named[:2]:
        Job.objects.create(kind="sptjm_scan", state=Job.State.SUCCEEDED, input_path=relative)
    for relative in named[2:]:
        _refused_check(relative)
    lost = [_scan(f"lost-{n}", days_old=3) for n in range(3)]
    _scan("young", days_old=0.5)

    with CaptureQueriesContext(connection) as queries:
        found = retention.orphan_scans(timezone.now())

    assert sorted(c.relative for c in found) == lost
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "core_job"' in q["sql"] or 'FROM "sptjm_sptjm"' in q["sql"]
    ]
    assert len(reads) == 2


def test_the_few_paths_the_prune_asks_about_go_a_chunk_at_a_time(school, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(retention, "LOOKUP_CHUNK", 2)
    paths = [f"sptjm-scans/{n}.pdf" for n in range(5)]
    for relative in paths[:2]:
        Job.objects.create(kind="sptjm_scan", state=Job.State.REFUSED, input_path=relative)

    with CaptureQueriesContext(connection) as queries:
        by_documents = retention.documents_naming(paths)
        by_any_row = retention.named_scans(paths)

    assert (by_documents, by_any_row) == (set(), set(paths[:2]))
    # Five paths, two a query: three of the documents, then three of the documents and three of the jobs.
    assert len(queries.captured_queries) == 9
