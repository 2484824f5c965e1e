"""Rows whose number or status changed since the dump, among rows that apply (decision 0056:
the registry's checks run in the recipients' UPDATE; a stale row makes it run again exactly)."""

from __future__ import annotations

from tests.exchange.helpers import dump_rows, results_file
from verval.core import jobs
from verval.core.models import Job
from verval.exchange import actions
from verval.exchange.models import DumpItem
from verval.registry.models import Recipient


def ingest(batch, path):  # type: ignore[no-untyped-def]
    return jobs.run(actions.create_ingest_job(actor=None, batch=batch, path=path).pk)


def make_four_rows_stale(tsel_batch, rows):  # type: ignore[no-untyped-def]
    Recipient.objects.filter(pk=rows[0]["pd_id"]).update(phone_e164="+6281277777777")
    Recipient.objects.filter(pk=rows[1]["pd_id"]).update(active=False)
    Recipient.objects.filter(pk=rows[2]["pd_id"]).update(status="BELUM_VERVAL")
    DumpItem.objects.filter(batch=tsel_batch, recipient_id=rows[3]["pd_id"]).update(superseded=True)


def test_stale_rows_among_applied_ones_are_reported_and_every_other_recipient_moves_once(
    tsel_batch, tmp_path
):
    rows = dump_rows(tsel_batch)
    make_four_rows_stale(tsel_batch, rows)
    job = ingest(tsel_batch, results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]))
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["applied"], job.counts["aktif"], job.counts["stale"], job.counts["refused"]) == (
        6,
        6,
        4,
        0,
    )
    assert job.counts["by_code"] == {"NOMOR_SUDAH_DIUBAH": 2, "STATUS_SUDAH_BERUBAH": 2}
    assert [(i.line, i.column, i.code) for i in job.issues.order_by("line")] == [
        (2, "no_ponsel", "NOMOR_SUDAH_DIUBAH"),
        (3, "status", "STATUS_SUDAH_BERUBAH"),
        (4, "status", "STATUS_SUDAH_BERUBAH"),
        (5, "no_ponsel", "NOMOR_SUDAH_DIUBAH"),
    ]
    by_id = {str(r.pk): r for r in Recipient.objects.all()}
    assert [(by_id[r["pd_id"]].status, by_id[r["pd_id"]].version) for r in rows] == [
        ("MENUNGGU_PROVIDER", 1),
        ("MENUNGGU_PROVIDER", 1),
        ("BELUM_VERVAL", 1),
        ("MENUNGGU_PROVIDER", 1),
    ] + [("AKTIF", 2)] * 6
    applied = dict(DumpItem.objects.filter(batch=tsel_batch).values_list("recipient_id", "applied"))
    assert [applied[by_id[r["pd_id"]].pk] for r in rows] == [False] * 4 + [True] * 6


def test_a_file_refused_whole_still_counts_and_lists_its_stale_rows(tsel_batch, tmp_path):
    rows = dump_rows(tsel_batch)
    make_four_rows_stale(tsel_batch, rows)
    answers = [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows[:9]] + [
        (rows[9]["pd_id"], rows[9]["no_ponsel"], "SALAH")
    ]
    job = ingest(tsel_batch, results_file(tmp_path, answers))
    assert (job.state, job.error_code) == (Job.State.REFUSED, "TERLALU_BANYAK_DITOLAK")
    assert job.counts["by_code"] == {
        "NOMOR_SUDAH_DIUBAH": 2,
        "STATUS_SUDAH_BERUBAH": 2,
        "STATUS_TIDAK_VALID": 1,
    }
    assert [(i.line, i.code) for i in job.issues.order_by("line")] == [
        (2, "NOMOR_SUDAH_DIUBAH"),
        (3, "STATUS_SUDAH_BERUBAH"),
        (4, "STATUS_SUDAH_BERUBAH"),
        (5, "NOMOR_SUDAH_DIUBAH"),
        (11, "STATUS_TIDAK_VALID"),
    ]
    assert Recipient.objects.filter(version=2).count() == 0
