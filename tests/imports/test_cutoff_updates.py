"""Idempotence, newer cutoffs (added/changed/unchanged/removed), locked records, encodings, XLSX."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from tests.factories import RecipientFactory, SchoolFactory
from tests.imports.helpers import NPSN, NPSN2, csv_text, many, student, teacher, uid, write
from verval.core.models import AuditEvent, Job
from verval.imports import services
from verval.imports.actions import import_file
from verval.imports.synth import write_cutoff
from verval.reference.models import School
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db


def _snapshot():  # type: ignore[no-untyped-def]
    return sorted(
        Recipient.objects.values_list("id", "version", "updated_at", "row_hash", "active", "status")
    )


def test_same_file_twice_changes_nothing(tmp_path):  # type: ignore[no-untyped-def]
    path = write(tmp_path / "a.csv", many(50) + [teacher(1), teacher(2)])
    first = import_file(path)
    assert (first.counts["added"], first.counts["schools_added"]) == (52, 1)
    before = _snapshot()
    schools = list(School.objects.values_list("npsn", "updated_at"))
    second = import_file(path)
    assert second.state == Job.State.SUCCEEDED
    assert {k: second.counts[k] for k in ("added", "changed", "unchanged", "removed", "refused")} == {
        "added": 0, "changed": 0, "unchanged": 52, "removed": 0, "refused": 0,
    }  # fmt: skip
    assert (second.counts["schools_added"], second.counts["schools_changed"]) == (0, 0)
    assert _snapshot() == before
    assert list(School.objects.values_list("npsn", "updated_at")) == schools
    assert NumberHistory.objects.count() == 0
    assert AuditEvent.objects.filter(action="import_dapodik").count() == 2


def test_newer_cutoff_reports_added_changed_unchanged_removed(tmp_path):  # type: ignore[no-untyped-def]
    other = [student(900 + i, npsn=NPSN2, nama_sekolah="SD NEGERI 2 NANGGUNG") for i in range(3)]
    import_file(write(tmp_path / "a.csv", many(40) + other))
    Recipient.objects.filter(id=uid(1)).update(status="AKTIF")
    Recipient.objects.filter(id=uid(2)).update(status="AKTIF")
    rows = many(40)
    rows[1]["nama"] = "Siswa Satu Baru"  # name changed: status kept
    rows[2]["nomor_telepon_seluler"] = "0857-1111-2222"  # number changed
    rows[3]["nomor_telepon_seluler"] = "+62 812 1000 0003"  # same number, typed differently
    del rows[5]  # removed from the school
    rows.append(student(41))  # new
    # The second school is not in this (partial) cutoff: its recipients stay active.
    job = import_file(write(tmp_path / "b.csv", rows))
    c = job.counts
    assert (c["added"], c["changed"], c["unchanged"], c["removed"], c["refused"], c["numbers_changed"]) == (
        1,
        2,
        37,
        1,
        0,
        1,
    )
    r1 = Recipient.objects.get(id=uid(1))
    assert (r1.name, r1.status, r1.version) == ("Siswa Satu Baru", "AKTIF", 2)
    r2 = Recipient.objects.get(id=uid(2))
    assert (r2.phone_e164, r2.operator, r2.status, r2.needs_validation, r2.version) == (
        "+6285711112222", "indosat", "BELUM_VERVAL", True, 2,
    )  # fmt: skip
    h = NumberHistory.objects.get(recipient=r2)
    assert (h.from_status, h.to_status, h.phone_before, h.phone_after, h.job_id) == (
        "AKTIF", "BELUM_VERVAL", "0812****0002", "0857****2222", job.pk,
    )  # fmt: skip
    assert Recipient.objects.get(id=uid(5)).active is False
    assert Recipient.objects.filter(school_id=NPSN2, active=True).count() == 3
    # Listed again later: reactivated, counted as changed.
    rows.append(student(5))
    again = import_file(write(tmp_path / "c.csv", rows))
    assert (again.counts["changed"], again.counts["added"]) == (1, 0)
    assert Recipient.objects.get(id=uid(5)).active is True


def test_number_change_of_a_locked_record_is_refused_and_the_number_kept(tmp_path):  # type: ignore[no-untyped-def]
    import_file(write(tmp_path / "a.csv", many(40)))
    Recipient.objects.filter(id=uid(7)).update(locked=True, status="AKTIF")
    rows = many(40)
    rows[7]["nomor_telepon_seluler"] = "081399998888"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert (job.counts["refused"], job.counts["changed"], job.counts["unchanged"]) == (1, 0, 39)
    issue = job.issues.get()
    assert (issue.line, issue.code, issue.value) == (9, "TERKUNCI_SPTJM", "0813****8888")
    r = Recipient.objects.get(id=uid(7))
    assert (r.phone_e164, r.status) == ("+6281210000007", "AKTIF")
    # Unlocked later: the same cutoff now applies the number.
    Recipient.objects.filter(id=uid(7)).update(locked=False)
    job = import_file(write(tmp_path / "b.csv", rows))
    assert job.counts["numbers_changed"] == 1


def test_recipient_without_row_hash_keeps_its_status_when_the_number_is_the_same(tmp_path):  # type: ignore[no-untyped-def]
    school = SchoolFactory(npsn=NPSN)
    r = RecipientFactory(id=uid(3), school=school, phone_raw="081210000003", status="AKTIF")
    job = import_file(write(tmp_path / "a.csv", [student(3)]))
    assert (job.counts["changed"], job.counts["numbers_changed"]) == (1, 0)
    r.refresh_from_db()
    assert (r.status, r.name) == ("AKTIF", "Siswa 3")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_bom_windows1252_and_utf16_with_bom_are_read_right(tmp_path, encoding):  # type: ignore[no-untyped-def]
    rows = many(3) + [student(10, nama="José Muñoz"), teacher(11, nama="Renée Siregar, S.Pd.")]
    job = import_file(write(tmp_path / "a.csv", rows, encoding=encoding))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert job.counts["added"] == 5
    assert set(Recipient.objects.values_list("name", flat=True)) >= {"José Muñoz", "Renée Siregar, S.Pd."}
    assert Recipient.objects.get(id=uid(0)).phone_e164 == "+6281210000000"


def test_crlf_line_endings_and_quoted_line_breaks(tmp_path):  # type: ignore[no-untyped-def]
    text = csv_text(many(20) + [student(30, nama_sekolah="SD NEGERI 1\nNANGGUNG")]).replace("\n", "\r\n")
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode())
    job = import_file(path)
    assert (job.state, job.counts["added"]) == (Job.State.SUCCEEDED, 21)


def test_xlsx_cutoff_imports_like_csv(tmp_path):  # type: ignore[no-untyped-def]
    write_cutoff(tmp_path / "a.xlsx", 300, 20, seed=3, regencies=1, schools=3)
    write_cutoff(tmp_path / "a.csv", 300, 20, seed=3, regencies=1, schools=3)
    job = import_file(tmp_path / "a.xlsx")
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert (job.counts["rows"], job.counts["added"] + job.counts["refused"]) == (320, 320)
    snapshot = sorted(Recipient.objects.values_list("id", "row_hash", "phone_e164", "nisn"))
    again = import_file(tmp_path / "a.csv")
    assert again.counts["unchanged"] == job.counts["added"]
    assert sorted(Recipient.objects.values_list("id", "row_hash", "phone_e164", "nisn")) == snapshot


def test_crash_mid_import_leaves_the_database_as_before(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    import_file(write(tmp_path / "a.csv", many(30)))
    before = _snapshot()
    schools = School.objects.count()
    from verval.imports import reader, services

    monkeypatch.setattr(reader, "BLOCK", 1024)  # many batches
    calls = {"n": 0}
    real = services._Importer._stage

    def stage(self, rows, tick):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        real(self, rows, tick)
        if calls["n"] == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(services._Importer, "_stage", stage)
    rows = many(60)
    rows[0]["nomor_telepon_seluler"] = "085700000001"
    job = import_file(write(tmp_path / "b.csv", rows + [student(99, npsn="20255555")]))
    assert (job.state, job.error_code) == (Job.State.FAILED, "KESALAHAN_SISTEM")
    assert _snapshot() == before
    assert School.objects.count() == schools
    assert NumberHistory.objects.count() == 0
    # The job can be run again once the cause is gone.
    monkeypatch.setattr(services._Importer, "_stage", real)
    job = import_file(tmp_path / "b.csv")
    assert (job.counts["added"], job.counts["numbers_changed"]) == (31, 1)


def test_synth_cutoff_imports_with_few_refusals(tmp_path):  # type: ignore[no-untyped-def]
    write_cutoff(tmp_path / "s.csv", 3000, 200, seed=5, regencies=2, schools=15)
    job = import_file(tmp_path / "s.csv")
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert (job.counts["rows"], job.counts["added"], job.counts["refused"]) == (3200, 3200, 0)
    assert job.counts["schools_added"] == 15
    assert School.objects.filter(regency_id__in=Recipient.objects.values("school__regency_id")).count() == 15
    assert connection.vendor in ("sqlite", "postgresql")


def _recipient_indexes() -> set[str]:
    """The registry's indexes and constraints, and on PostgreSQL every constraint that points at
    it from another table (the first load drops and rebuilds those too)."""
    with connection.cursor() as c:
        names = set(connection.introspection.get_constraints(c, "registry_recipient"))
        if connection.vendor == "postgresql":
            c.execute(
                "SELECT conrelid::regclass::text || '.' || conname || ' ' || pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE confrelid = 'registry_recipient'::regclass"
            )
            names |= {row[0] for row in c.fetchall()}
        return names


def test_first_load_rebuilds_the_registry_indexes(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from verval.imports import services

    monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", 10)
    before = _recipient_indexes()
    assert "registry_recipient_pkey" in before or connection.vendor == "sqlite"
    # The SPTJM item's key to its recipient (the disbursement lines carry none, decision 0048).
    assert len([n for n in before if n.startswith("sptjm_")]) == (
        1 if connection.vendor == "postgresql" else 0
    )
    rows = many(30)
    rows.insert(10, dict(rows[4]))  # a repeated id is refused before the primary key is rebuilt
    job = import_file(write(tmp_path / "a.csv", rows))
    assert (job.state, job.counts["added"], job.counts["refused"]) == (Job.State.SUCCEEDED, 30, 1)
    assert _recipient_indexes() == before
    assert Recipient.objects.filter(school_id=NPSN, status="BELUM_VERVAL").count() == 30


@pytest.mark.postgres
def test_copy_refused_by_the_server_leaves_the_database_as_before(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The staging COPY is fed from a thread; an error the server raises there fails the job and
    rolls everything back, on a first load (indexes dropped later) and on a second one."""
    from verval.imports import reader, services

    monkeypatch.setattr(reader, "BLOCK", 1024)  # many batches, many writes
    good = services._STAGE_COPY
    monkeypatch.setattr(services, "_STAGE_COPY", good.replace("FORMAT csv", "FORMAT text"))
    job = import_file(write(tmp_path / "a.csv", many(60)))
    assert (job.state, job.error_code) == (Job.State.FAILED, "KESALAHAN_SISTEM")
    assert (Recipient.objects.count(), School.objects.count()) == (0, 0)
    monkeypatch.setattr(services, "_STAGE_COPY", good)
    assert import_file(tmp_path / "a.csv").counts["added"] == 60
    before = _snapshot()
    monkeypatch.setattr(services, "_STAGE_COPY", good.replace("FORMAT csv", "FORMAT text"))
    rows = many(60)
    rows[0]["nomor_telepon_seluler"] = "085700000001"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert (job.state, job.error_code) == (Job.State.FAILED, "KESALAHAN_SISTEM")
    assert _snapshot() == before


def test_stored_row_hash_is_the_documented_row_hash(tmp_path):  # type: ignore[no-untyped-def]
    """The hash computed while staging (polars + hashlib, on both databases) is services.row_hash()
    of the stored values: new rows, a teacher (no grade), an invalid number."""
    from verval.imports.services import row_hash

    rows = many(3) + [teacher(1), student(7, nomor_telepon_seluler="12ab")]
    import_file(write(tmp_path / "a.csv", rows))
    recipients = list(Recipient.objects.all())
    assert len(recipients) == 5
    for r in recipients:
        key = r.phone_e164 or r.phone_raw
        assert r.row_hash == row_hash(r.kind, r.category, r.name, r.nisn, r.nik, r.grade, r.school_id, key), (
            r.name
        )


# The import applies these around its own transaction when it owns it (worker, command, and the
# SQLite run of tests/sptjm/test_whole_flow.py); the tests' own database is in memory, which has
# no memory map, so the pragmas are checked here on a file database.


def test_sqlite_import_pragmas_turn_off_the_memory_map_and_put_it_back(tmp_path):  # type: ignore[no-untyped-def]
    # A file database (the tests' own is in memory, which has no memory map).
    db = sqlite3.connect(tmp_path / "file.sqlite3")
    db.execute("CREATE TABLE t (x)")
    cur = db.cursor()
    cur.execute("PRAGMA mmap_size=268435456")
    cur.execute("PRAGMA temp_store=MEMORY")

    def current() -> tuple[int, int]:
        return cur.execute("PRAGMA temp_store").fetchone()[0], cur.execute("PRAGMA mmap_size").fetchone()[0]

    with services.sqlite_import_pragmas(cur):
        assert current() == (1, 0)
    assert current() == (2, 268435456)
    with pytest.raises(RuntimeError), services.sqlite_import_pragmas(cur):
        raise RuntimeError("import failed")
    assert current() == (2, 268435456)
    db.close()


NAMES_TYPED = {
    "Siti\r\nAminah": "Siti Aminah",  # a line break inside a quoted field, or Alt+Enter in a cell
    "Budi\t\tSantoso, S.Pd.": "Budi Santoso, S.Pd.",
    "Ani  \n  Lestari": "Ani Lestari",
    "Dewi\u00a0 Sartika": "Dewi Sartika",
    "Ni Luh Putu Ayu": "Ni Luh Putu Ayu",
}


@pytest.mark.parametrize(("form", "rebuild_above"), [("csv", None), ("xlsx", None), ("csv", 10)])
def test_names_with_line_breaks_or_tabs_are_stored_with_single_spaces_and_the_same_file_again_changes_nothing(
    tmp_path, monkeypatch, form, rebuild_above
):  # type: ignore[no-untyped-def]
    from tests.imports.helpers import write_xlsx

    if rebuild_above:  # a first load without keys (on PostgreSQL: COPYed into the registry)
        monkeypatch.setattr(services, "REBUILD_INDEXES_ABOVE", rebuild_above)
    school = "SD NEGERI 1\r\nNANGGUNG"
    rows = many(40, nama_sekolah=school) + [
        student(100 + i, nama=typed, nama_sekolah=school) for i, typed in enumerate(NAMES_TYPED)
    ]
    path = (write if form == "csv" else write_xlsx)(tmp_path / f"a.{form}", rows)
    first = import_file(path)
    assert (first.state, first.counts["added"], first.counts["refused"]) == (Job.State.SUCCEEDED, 45, 0)
    stored = dict(Recipient.objects.filter(id__in=[uid(100 + i) for i in range(5)]).values_list("id", "name"))
    assert sorted(stored.values()) == sorted(NAMES_TYPED.values())
    assert School.objects.get(npsn=NPSN).name == "SD NEGERI 1 NANGGUNG"
    before = _snapshot()
    schools = list(School.objects.values_list("npsn", "name", "updated_at"))
    again = import_file(path)
    assert {k: again.counts[k] for k in ("added", "changed", "unchanged", "removed", "refused")} == {
        "added": 0, "changed": 0, "unchanged": 45, "removed": 0, "refused": 0,
    }  # fmt: skip
    assert (again.counts["schools_added"], again.counts["schools_changed"]) == (0, 0)
    assert _snapshot() == before
    assert list(School.objects.values_list("npsn", "name", "updated_at")) == schools


def test_name_is_measured_after_its_white_space_is_collapsed(tmp_path):  # type: ignore[no-untyped-def]
    name = "A" * 70 + " \r\n " + "B" * 79  # 153 characters typed, 150 stored
    job = import_file(write(tmp_path / "a.csv", [*many(40), student(100, nama=name)]))
    assert (job.counts["added"], job.counts["refused"]) == (41, 0)
    assert Recipient.objects.get(id=uid(100)).name == "A" * 70 + " " + "B" * 79


def _locked_with_changed_numbers(tmp_path, locked: int):  # type: ignore[no-untyped-def]
    """100 students imported; the first `locked` of them on a printed SPTJM, each with another
    number in the next cutoff."""
    import_file(write(tmp_path / "a.csv", many(100)))
    Recipient.objects.filter(id__in=[uid(i) for i in range(locked)]).update(locked=True, status="AKTIF")
    rows = many(100)
    for i in range(locked):
        rows[i]["nomor_telepon_seluler"] = f"0857{20000000 + i:08d}"
    return rows


def test_rows_refused_for_a_printed_sptjm_do_not_count_toward_the_wrong_file_share(tmp_path):  # type: ignore[no-untyped-def]
    rows = _locked_with_changed_numbers(tmp_path, 10)  # 10 % of the rows, over the 5 % limit
    rows[50]["nama"] = "Siswa Lima Puluh"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert job.state == Job.State.SUCCEEDED
    c = job.counts
    assert (c["refused"], c["changed"], c["unchanged"], c["numbers_changed"]) == (10, 1, 89, 0)
    assert sorted(job.issues.values_list("line", "code")) == [(i + 2, "TERKUNCI_SPTJM") for i in range(10)]
    # The locked records keep their numbers; the rest of the file is applied.
    assert sorted(Recipient.objects.filter(locked=True).values_list("phone_e164", flat=True)) == [
        f"+62812{10000000 + i:08d}" for i in range(10)
    ]
    assert Recipient.objects.get(id=uid(50)).name == "Siswa Lima Puluh"


def test_rows_refused_by_a_rule_still_refuse_the_file_over_the_share_beside_locked_rows(tmp_path):  # type: ignore[no-untyped-def]
    rows = _locked_with_changed_numbers(tmp_path, 10)
    rows[50]["nama"] = "Siswa Lima Puluh"
    for i in range(60, 66):  # 6 rows refused by a rule: 6 %
        rows[i]["nisn"] = "12345"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert (job.state, job.error_code) == (Job.State.REFUSED, "TERLALU_BANYAK_DITOLAK")
    assert job.error_message_en.startswith("6 of 100 rows (6.0%) were refused")
    assert Recipient.objects.get(id=uid(50)).name == "Siswa 50"  # nothing applied
    # 5 rows refused by a rule (5 %, not over the limit) and 10 locked: applied, 15 refused.
    rows[65]["nisn"] = "0030000065"
    job = import_file(write(tmp_path / "c.csv", rows))
    assert (job.state, job.counts["refused"]) == (Job.State.SUCCEEDED, 15)
    assert (
        sorted(job.issues.values_list("code", flat=True))
        == ["NISN_TIDAK_VALID"] * 5 + ["TERKUNCI_SPTJM"] * 10
    )


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_cutoff_without_a_nik_column_is_read_as_empty_niks(tmp_path, form):  # type: ignore[no-untyped-def]
    """SPEC §7: "nik (16 digits, optional)". A file without the column imports like one whose
    nik cells are all empty (the same rows with an empty nik column again are unchanged)."""
    from tests.imports.helpers import HEADER, write_xlsx
    from verval.imports.services import row_hash

    without = [h for h in HEADER if h != "nik"]
    rows = many(4) + [teacher(1)]
    if form == "csv":
        path = write(tmp_path / "a.csv", rows, header=without)
    else:
        path = write_xlsx(tmp_path / "a.xlsx", rows, header=without)
    job = import_file(path)
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert (job.counts["added"], job.counts["refused"]) == (5, 0)
    assert list(Recipient.objects.values_list("nik", flat=True)) == [""] * 5
    r = Recipient.objects.get(id=uid(2))
    assert r.row_hash == row_hash("PD", "DIKDASMEN", "Siswa 2", "0030000002", "", 3, NPSN, "+6281210000002")
    again = import_file(write(tmp_path / "b.csv", rows))  # with the column, every cell empty
    assert (again.counts["unchanged"], again.counts["changed"]) == (5, 0)


def test_cutoff_without_a_nik_column_clears_the_stored_niks_as_empty_cells_do(tmp_path):  # type: ignore[no-untyped-def]
    """Decision 0025: a missing column reads as empty, and an empty nik is stored (as it always
    was for an empty cell); the change is counted."""
    from tests.imports.helpers import HEADER

    rows = many(3, nik="3201010101010001")
    import_file(write(tmp_path / "a.csv", rows))
    job = import_file(write(tmp_path / "b.csv", rows, header=[h for h in HEADER if h != "nik"]))
    assert (job.counts["changed"], job.counts["numbers_changed"]) == (3, 0)
    assert list(Recipient.objects.values_list("nik", flat=True)) == [""] * 3
