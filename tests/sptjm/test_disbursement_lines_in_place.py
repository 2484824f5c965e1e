"""A provider's injection results rewrite disbursement lines in place (HOT updates on
PostgreSQL: no index names a column the results change) and the lines carry no database foreign
keys; `verval stats` counts the lines whose recipient, SPTJM item or job is missing, and the
ingest holds its job row until it commits
(docs/decisions/0048-disbursement-lines-written-in-place.md)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch, SptjmItem
from verval.sptjm.selectors import orphan_lines
from verval.sptjm.services import apply_injection_results

# What an injection result writes on a line (services._INJECTION_UPDATE).
CHANGED_BY_RESULTS = {
    "status",
    "reason",
    "reported_gb",
    "reported_at",
    "result_job_id",
    "is_duplicate",
    "updated_at",
}


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert job.state == "SUCCEEDED", job.error_message_en


def _results_file(tmp_path: Path, batch: DisbursementBatch) -> Path:
    """Every line of the batch: the first GAGAL with a reason, the others BERHASIL."""
    lines = ["pd_id,no_ponsel,status,keterangan"]
    for i, d in enumerate(Disbursement.objects.filter(batch=batch).order_by("recipient_id")):
        lines.append(
            f"{d.recipient_id},{d.phone_e164[1:]}," + ("GAGAL,Nomor tidak aktif" if i == 0 else "BERHASIL,")
        )
    path = tmp_path / "hasil.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _indexes() -> dict[tuple[str, ...], str]:
    """columns -> "primary key", "unique" or "index", for every index of the lines' table."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Disbursement._meta.db_table)
    return {
        tuple(c["columns"]): "primary key" if c["primary_key"] else "unique" if c["unique"] else "index"
        for c in constraints.values()
        if c["index"] or c["unique"] or c["primary_key"]
    }


def test_no_index_of_the_lines_names_a_column_that_injection_results_change(db):
    assert _indexes() == {
        ("id",): "primary key",
        ("recipient_id", "period_id", "attempts"): "unique",
        ("recipient_id", "period_id"): "unique",  # one current row (partial: is_current)
        ("period_id", "phone_e164"): "index",
        ("period_id", "provider"): "index",
        ("school_id", "period_id"): "index",
        ("batch_id",): "index",
        ("sptjm_item_id",): "index",
    }
    assert not CHANGED_BY_RESULTS & {column for columns in _indexes() for column in columns}


@pytest.mark.postgres
def test_no_index_of_the_lines_is_predicated_on_a_column_that_results_change_and_pages_keep_room(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sptjm_disbursement' "
            "AND indexdef LIKE '%% WHERE %%'"
        )
        partial = cursor.fetchall()
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'sptjm_disbursement'")
        (options,) = cursor.fetchone()
    assert partial == [
        (
            "disbursement_one_current",
            "CREATE UNIQUE INDEX disbursement_one_current ON public.sptjm_disbursement "
            "USING btree (recipient_id, period_id) WHERE is_current",
        )
    ]
    assert options == ["fillfactor=50"]


@pytest.mark.postgres
def test_injection_results_rewrite_every_changed_line_in_place(
    operator, pusdatin, school, period, tmp_path: Path
):
    aktif(school, 5)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get(period=period)
    path = _results_file(tmp_path, batch)

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'sptjm_disbursement'"
            )
            return cursor.fetchone()

    before = updates()
    counts, issues = apply_injection_results(actor=None, batch=batch, path=path)
    after = updates()

    assert (issues, counts["berhasil"], counts["gagal"]) == ([], 4, 1)
    # Five lines changed, five heap-only updates: no index entry written.
    assert (after[0] - before[0], after[1] - before[1]) == (5, 5)


def test_a_line_carries_no_database_foreign_key(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Disbursement._meta.db_table)
    assert [c["columns"] for c in constraints.values() if c["foreign_key"]] == []


def _line(period, recipient, **kw):  # type: ignore[no-untyped-def]
    values = {
        "recipient_id": recipient.pk,
        "period": period,
        "provider": "telkomsel",
        "school_id": recipient.school_id,
        "phone_e164": recipient.phone_e164,
        "category": "DIKDASMEN",
        "package_gb": Decimal("35"),
        "status": "DIJADWALKAN",
    }
    values.update(kw)
    return Disbursement.objects.create(**values)


def _stats_orphans() -> dict[str, int]:
    out = StringIO()
    call_command("stats", "--json", stdout=out)
    return json.loads(out.getvalue().splitlines()[-1])["disbursement_orphans"]


def test_stats_count_no_orphan_lines_after_a_run_and_its_results(
    operator, pusdatin, school, period, tmp_path: Path
):
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get(period=period)
    job = actions.create_injection_job(actor=None, batch=batch, path=_results_file(tmp_path, batch))
    assert jobs.run(job.pk).state == "SUCCEEDED"

    assert Disbursement.objects.filter(result_job=job).count() == 3
    assert Disbursement.objects.filter(sptjm_item__isnull=False).count() == 3
    assert orphan_lines() == {"recipient": 0, "sptjm_item": 0, "result_job": 0}
    assert _stats_orphans() == {"recipient": 0, "sptjm_item": 0, "result_job": 0}


def test_stats_count_lines_whose_recipient_sptjm_item_or_job_does_not_exist(
    operator, pusdatin, school, period
):
    (r,) = aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    item = SptjmItem.objects.get(recipient=r)
    _line(period, r, sptjm_item=item)  # every row it names exists
    # Written by hand, as only a raw write could: the database no longer refuses them.
    _line(period, r, recipient_id=uuid.uuid4(), attempts=1)
    _line(period, r, attempts=2, is_current=False, sptjm_item_id=item.pk + 1000)
    _line(period, r, attempts=3, is_current=False, result_job_id=uuid.uuid4())
    _line(period, r, attempts=4, is_current=False, sptjm_item_id=item.pk + 1001, result_job_id=uuid.uuid4())

    assert orphan_lines() == {"recipient": 1, "sptjm_item": 2, "result_job": 2}
    assert _stats_orphans() == {"recipient": 1, "sptjm_item": 2, "result_job": 2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_injection_ingest_holds_its_job_row_until_commit_without_blocking_its_heartbeat(
    operator, pusdatin, school, period, tmp_path: Path
):
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get(period=period)
    job = actions.create_injection_job(actor=None, batch=batch, path=_results_file(tmp_path, batch))

    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            apply_injection_results(actor=None, batch=batch, path=_results_file(tmp_path, batch), job=job)
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
                # The worker's heartbeat (an UPDATE of no key column) goes through at once.
                cursor.execute("UPDATE core_job SET heartbeat_at = now() WHERE id = %s", [job.pk])
                assert cursor.rowcount == 1
                # What a DELETE of the job needs is held until the lines naming it commit.
                with pytest.raises(OperationalError, match="could not obtain lock"):
                    cursor.execute("SELECT 1 FROM core_job WHERE id = %s FOR UPDATE NOWAIT", [job.pk])
        assert Disbursement.objects.filter(result_job=job).count() == 2
    finally:
        other.close()
