"""A first load into an empty registry, run the way the worker runs it: outside any transaction.

SQLite then inserts each batch straight into the registry, without row-by-row key checks and
(above REBUILD_INDEXES_ABOVE) without its secondary indexes; PostgreSQL drops its keys and
indexes too. What users see must not differ from the staged path: the same refusals, the same
indexes afterwards, the same checks back on (decisions 0009 and 0013).
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from django.db import connection

from tests.imports.helpers import many, student, teacher, write
from verval.core import files
from verval.core.jobs import Progress
from verval.core.models import Job
from verval.imports import reader, services
from verval.imports.actions import import_file
from verval.reference.models import School
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db(transaction=True)


def spread(n: int) -> str:
    """An id whose first hex digits vary with n (the helpers' ids all start alike), so that a
    SQLite first load spreads the rows over its buckets."""
    return str(uuid.UUID(int=random.Random(n).getrandbits(128), version=4))


def pupils(n: int, start: int = 0) -> list[dict[str, str]]:
    return [student(i, id=spread(i)) for i in range(start, start + n)]


def _constraints() -> dict[str, tuple[Any, ...]]:
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, "registry_recipient")
    return {
        name: (tuple(c["columns"]), c["primary_key"], c["unique"], c["index"], c["foreign_key"])
        for name, c in found.items()
    }


def _staging_schemas() -> list[str]:
    """PostgreSQL's per-import staging schemas (decision 0015) left in the database."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'imp%%'")
        return [name for (name,) in cur.fetchall()]


def test_first_load_puts_back_every_index_and_key_it_set_aside(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    before = _constraints()
    job = import_file(write(tmp_path / "a.csv", many(60)))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert job.counts["added"] == 60
    assert _constraints() == before
    assert {"recipient_school_order", "recipient_phone"} <= set(before)
    assert [c[0] for c in before.values() if c[1]] == [("id",)]
    # The school key only: `confirmed_by` has no database key, so that a first load does not
    # lock the user table (tests/imports/test_first_load_locks.py).
    assert sorted(c[4] for c in before.values() if c[4]) == [("reference_school", "npsn")]
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_keys")
            assert cur.fetchone()[0] == 1
            cur.execute("PRAGMA foreign_key_check(registry_recipient)")
            assert cur.fetchall() == []
    assert set(Recipient.objects.values_list("school_id", flat=True)) == set(
        School.objects.values_list("npsn", flat=True)
    )


def test_first_load_refuses_repeated_ids_across_batches_like_the_staged_path(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Batches of ~6 rows and buckets of ~10, so each repeat below meets its first occurrence in
    an earlier batch: an accepted row repeated, a refused row repeated by a good one, a good row
    repeated by a refused one."""
    monkeypatch.setattr(reader, "BLOCK", 1000)
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    monkeypatch.setattr(services._SqliteBuckets, "ROWS_PER_BUCKET", 10)
    rows = pupils(100)
    rows.insert(10, student(900, id=spread(900), npsn="2021"))  # line 12: refused, NPSN
    rows.insert(11, student(901, id=spread(901)))  # line 13: accepted
    rows += pupils(40, start=100)
    rows.append(student(0, id=spread(0), nama="Lagi"))  # line 144: repeats line 2
    rows.append(student(900, id=spread(900)))  # line 145: a good row repeating refused line 12
    rows.append(student(901, id=spread(901), npsn="2021"))  # line 146: a refused row repeating line 13
    rows.append(student(950, id=spread(950)))  # line 147
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert sorted(job.issues.values_list("line", "code")) == [
        (12, "NPSN_TIDAK_VALID"),
        (144, "ID_GANDA"),
        (145, "ID_GANDA"),
        (146, "ID_GANDA"),
        (146, "NPSN_TIDAK_VALID"),
    ]
    assert (job.counts["rows"], job.counts["added"], job.counts["refused"]) == (146, 142, 4)
    assert Recipient.objects.count() == 142
    assert Recipient.objects.get(id=spread(0)).name == "Siswa 0"
    assert Recipient.objects.get(id=spread(901)).school_id == "20212345"
    assert not Recipient.objects.filter(id=spread(900)).exists()
    assert len({spread(n)[:2] for n in range(140)}) > 50  # the ids do spread over the buckets


def test_import_announces_its_steps_in_order(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """What the progress bar says once the rows are read: a first load ends building indexes."""
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    seen: list[str] = []
    real = Progress.step

    def step(self, code):  # type: ignore[no-untyped-def]
        seen.append(code)
        real(self, code)

    monkeypatch.setattr(Progress, "step", step)
    import_file(write(tmp_path / "a.csv", many(30)))
    assert seen == ["read", "compare", "write", "index"]
    seen.clear()
    import_file(tmp_path / "a.csv")
    assert seen == ["read", "compare", "write"]


def test_first_load_failing_while_rows_are_stored_leaves_the_database_as_it_was(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The thread that stores the rows (SQLite's inserts, PostgreSQL's COPY) fails on its third
    bucket or batch: the job fails, nothing is stored, every index and key is back."""
    monkeypatch.setattr(reader, "BLOCK", 1000)
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    monkeypatch.setattr(services._SqliteBuckets, "ROWS_PER_BUCKET", 10)
    real_init = services._Feeder.__init__

    def init(self, consume, queued=1):  # type: ignore[no-untyped-def]
        calls = []

        def failing(data):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 3:
                raise OSError("disk full")
            consume(data)

        real_init(self, failing, queued)

    monkeypatch.setattr(services._Feeder, "__init__", init)
    before = _constraints()
    job = import_file(write(tmp_path / "a.csv", pupils(60)))
    assert job.state == Job.State.FAILED
    assert (Recipient.objects.count(), School.objects.count()) == (0, 0)
    assert _constraints() == before
    assert list((files.root() / "tmp").glob("import-*")) == []  # the spilled rows are gone too
    assert _staging_schemas() == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_keys")
            assert cur.fetchone()[0] == 1


def test_first_load_with_a_bucket_of_refused_rows_only(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The last id range holds one row, refused: it is reported, and the rest is loaded."""
    monkeypatch.setattr(services._SqliteBuckets, "ROWS_PER_BUCKET", 10)
    low = [row for row in pupils(120) if int(row["id"][:2], 16) < 0x80]
    refused = student(999, id="ff" + spread(999)[2:], npsn="2021")
    job = import_file(write(tmp_path / "a.csv", [*low, refused]))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert len(low) == 49
    assert list(job.issues.values_list("line", "code")) == [(51, "NPSN_TIDAK_VALID")]
    assert (job.counts["added"], job.counts["refused"], Recipient.objects.count()) == (49, 1, 49)


def test_first_load_then_the_same_file_again_changes_nothing(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """On PostgreSQL the first load COPYs straight into the registry with the shared values as
    column defaults (decision 0015), which must be gone afterwards; the staged path that compares
    the file again must find every row unchanged."""
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    path = write(tmp_path / "a.csv", pupils(60))
    job = import_file(path)
    assert (job.state, job.counts["added"]) == (Job.State.SUCCEEDED, 60)
    one = Recipient.objects.get(id=spread(7))
    assert (one.status, one.version, one.active, one.locked, one.needs_validation, one.reason_note) == (
        "BELUM_VERVAL",
        1,
        True,
        False,
        True,
        "",
    )
    assert one.created_at == one.updated_at == one.status_changed_at
    assert job.created_at <= one.created_at <= job.finished_at
    assert (one.phone_e164, one.operator) == ("+6281210000007", "telkomsel")
    assert one.row_hash == services.row_hash(
        "PD",
        one.category,
        one.name,
        one.nisn,
        one.nik,
        one.grade,
        one.school_id,
        one.phone_e164 or one.phone_raw,
    )
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'registry_recipient' "
                "AND table_schema = current_schema() AND column_default IS NOT NULL"
            )
            assert cur.fetchall() == []
    again = import_file(path)
    assert (again.counts["unchanged"], again.counts["changed"], again.counts["added"]) == (60, 0, 0)
    assert _staging_schemas() == []
    assert Recipient.objects.get(id=spread(7)).version == 1


def _analyses_of_the_registry(path: Any) -> int:
    """How many times importing this file ran ANALYZE on the registry."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        job = import_file(path)
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    return sum(q["sql"] == "ANALYZE registry_recipient" for q in seen.captured_queries)


@pytest.mark.postgres
def test_later_import_analyses_the_registry_only_when_it_never_was(tmp_path):  # type: ignore[no-untyped-def]
    """Plans on a never-analysed registry go wrong at scale, so a later import analyses it then;
    with statistics there (a large first load and autovacuum make them) it does not again."""
    path = write(tmp_path / "a.csv", pupils(30))
    import_file(path)
    with connection.cursor() as cur:
        cur.execute("ANALYZE registry_recipient")
    assert _analyses_of_the_registry(path) == 0
    with connection.cursor() as cur:
        # The state of a registry nothing has analysed yet (the tests run as a superuser).
        cur.execute("DELETE FROM pg_statistic WHERE starelid = 'registry_recipient'::regclass")
    assert _analyses_of_the_registry(path) == 1


def test_first_load_from_xlsx_settles_a_repeated_id_by_reading_the_sheet_again(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Where PostgreSQL's first load finds a repeated id only when it builds the primary key, it
    reads that id's rows again from the file: an XLSX sheet too."""
    from openpyxl import Workbook

    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    rows = [*pupils(40), student(3, id=spread(3), nama="Lagi")]  # line 42 repeats line 5
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    book.save(tmp_path / "a.xlsx")
    job = import_file(tmp_path / "a.xlsx")
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert list(job.issues.values_list("line", "code")) == [(42, "ID_GANDA")]
    assert (job.counts["added"], job.counts["refused"], Recipient.objects.count()) == (40, 1, 40)
    assert Recipient.objects.get(id=spread(3)).name == "Siswa 3"


def test_first_load_stores_each_column_of_a_row_as_the_file_gives_it(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """SQLite binds a first load's rows column by column (decision 0047): every value lands in
    its own column, a teacher's missing grade as NULL, a name outside ASCII unchanged."""
    monkeypatch.setattr(reader, "BLOCK", 1000)
    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    monkeypatch.setattr(services._SqliteBuckets, "ROWS_PER_BUCKET", 10)
    rows = pupils(40)
    rows.insert(5, teacher(7, id=spread(907), nama="Ñoman D'Souza, S.Pd.", nik="5101136608053045"))
    rows.insert(9, student(8, id=spread(908), nama="Ayu Ṣari", nomor_telepon_seluler="0812-34"))
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert job.counts["added"] == 42
    columns = [
        "kind", "category", "name", "nisn", "nik", "grade", "school_id", "phone_raw", "phone_e164",
        "operator", "reason", "status", "needs_validation", "active", "locked", "version",
    ]  # fmt: skip
    assert list(Recipient.objects.filter(id__in=[spread(907), spread(908)]).order_by("name").values_list(*columns)) == [
        ("PD", "DIKDASMEN", "Ayu Ṣari", "0030000008", "", 3, "20212345", "0812-34", "", "", "TERLALU_PENDEK", "BELUM_VERVAL", True, True, False, 1),
        ("PTK", "PTK", "Ñoman D'Souza, S.Pd.", "", "5101136608053045", None, "20212345", "081210000007", "+6281210000007", "telkomsel", "", "BELUM_VERVAL", True, True, False, 1),
    ]  # fmt: skip
    assert Recipient.objects.get(id=spread(907)).row_hash == services.row_hash(
        "PTK", "PTK", "Ñoman D'Souza, S.Pd.", "", "5101136608053045", None, "20212345", "+6281210000007"
    )
    assert Recipient.objects.get(id=spread(908)).row_hash == services.row_hash(
        "PD", "DIKDASMEN", "Ayu Ṣari", "0030000008", "", 3, "20212345", "0812-34"
    )
