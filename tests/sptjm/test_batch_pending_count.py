"""A disbursement batch keeps the count of its lines still DIJADWALKAN on its own row, lowered by
each injection apply by the lines it answered, instead of counting its lines after every results
file (docs/decisions/0053-a-batchs-pending-lines-kept-on-its-row.md). Runs on both databases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch


def _run(pusdatin, period):  # type: ignore[no-untyped-def]
    job = jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    return job


def _file(tmp_path: Path, batch: DisbursementBatch, outcome: list[tuple[Any, str]]) -> Path:
    lines = ["pd_id,no_ponsel,status,keterangan"]
    for recipient, status in outcome:
        line = Disbursement.objects.get(batch=batch, recipient=recipient)
        note = "Nomor tidak aktif" if status == "GAGAL" else ""
        lines.append(f"{recipient.pk},{line.phone_e164[1:]},{status},{note}")
    path = tmp_path / f"hasil-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _ingest(batch: DisbursementBatch, path: Path):  # type: ignore[no-untyped-def]
    """As the worker runs an upload: the job's runner locks the batch and applies the file."""
    return jobs.run(actions.create_injection_job(actor=None, batch=batch, path=path).pk)


def _state(batch: DisbursementBatch) -> tuple[int, int, str]:
    """(count kept on the row, lines really still DIJADWALKAN, batch state)."""
    batch.refresh_from_db()
    scheduled = Disbursement.objects.filter(batch=batch, status="DIJADWALKAN").count()
    return batch.pending, scheduled, batch.state


def test_the_pending_count_and_selesai_stay_exact_through_partial_repeated_and_refused_files(
    operator, pusdatin, school, period, tmp_path: Path
):
    a, b, c, d, e, f = aktif(school, 6)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    assert (batch.rows, _state(batch)) == (6, (6, 6, "TERBIT"))

    first = _file(tmp_path, batch, [(a, "BERHASIL"), (b, "BERHASIL")])
    job = _ingest(batch, first)
    assert (job.state, job.counts["pending"], _state(batch)) == ("SUCCEEDED", 4, (4, 4, "TERBIT"))

    job = _ingest(batch, first)  # the same file again: nothing answered anew
    assert (job.counts["unchanged"], job.counts["pending"], _state(batch)) == (2, 4, (4, 4, "TERBIT"))

    # c would be answered, but a's BERHASIL cannot turn GAGAL: half the file refused, so all of it.
    job = _ingest(batch, _file(tmp_path, batch, [(c, "BERHASIL"), (a, "GAGAL")]))
    assert (job.state, job.error_code, _state(batch)) == (
        "REFUSED",
        "TERLALU_BANYAK_DITOLAK",
        (4, 4, "TERBIT"),
    )

    job = _ingest(batch, _file(tmp_path, batch, [(c, "GAGAL"), (d, "GAGAL")]))
    assert (job.counts["gagal"], job.counts["pending"], _state(batch)) == (2, 2, (2, 2, "TERBIT"))

    # c retried and injected: GAGAL to BERHASIL had already left DIJADWALKAN; e is new.
    job = _ingest(batch, _file(tmp_path, batch, [(c, "BERHASIL"), (e, "BERHASIL")]))
    assert (job.counts["berhasil"], job.counts["pending"], _state(batch)) == (2, 1, (1, 1, "TERBIT"))

    last = _file(tmp_path, batch, [(f, "GAGAL")])
    job = _ingest(batch, last)
    assert (job.counts["pending"], _state(batch)) == (0, (0, 0, "SELESAI"))

    job = _ingest(batch, last)
    assert (job.counts["unchanged"], job.counts["pending"], _state(batch)) == (1, 0, (0, 0, "SELESAI"))


def test_a_later_batch_of_the_period_starts_with_all_its_lines_pending(
    operator, pusdatin, school, period, tmp_path: Path
):
    first_ones = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    first = DisbursementBatch.objects.get()
    _ingest(first, _file(tmp_path, first, [(first_ones[0], "BERHASIL")]))
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)

    second = DisbursementBatch.objects.get(seq=2)

    assert (second.rows, _state(second), _state(first)) == (3, (3, 3, "TERBIT"), (1, 1, "TERBIT"))


def test_a_line_written_outside_a_run_is_counted_when_the_kept_count_would_go_below_zero(
    operator, pusdatin, school, period, tmp_path: Path
):
    a, b = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _run(pusdatin, period)
    batch = DisbursementBatch.objects.get()
    _ingest(batch, _file(tmp_path, batch, [(a, "BERHASIL"), (b, "BERHASIL")]))
    assert _state(batch) == (0, 0, "SELESAI")
    # As a run before this count existed wrote it (the tests of decision 0021 do): not counted.
    late, other = aktif(school, 2)
    for recipient in (late, other):
        Disbursement.objects.create(
            recipient=recipient,
            period=period,
            provider="telkomsel",
            batch=batch,
            school=school,
            phone_e164=recipient.phone_e164,
            category="DIKDASMEN",
            package_gb=Decimal("35"),
            status="DIJADWALKAN",
        )

    job = _ingest(batch, _file(tmp_path, batch, [(late, "BERHASIL")]))

    assert (job.counts["pending"], _state(batch)) == (1, (1, 1, "SELESAI"))
