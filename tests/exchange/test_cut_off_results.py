"""A results file that does not end with a line break is cut off and refused whole, by both readers."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.exchange.helpers import dump_rows
from verval.core import jobs
from verval.core.jobs import JobRefused
from verval.core.models import Job
from verval.exchange import actions, services
from verval.exchange.models import DumpBatch, DumpItem
from verval.exchange.resultfile import MATCH_RESULTS, iter_rows
from verval.registry.models import Recipient

NO_LINE_END_EN = (
    "The file is cut off: its last line has no line end. A complete file must end with a line break."
)
NO_LINE_END_ID = (
    "Berkas terpotong: baris terakhir tidak diakhiri ganti baris. "
    "Berkas yang lengkap harus diakhiri ganti baris (line break)."
)


def _ingest(batch: DumpBatch, path: Path) -> Job:
    return jobs.run(actions.create_ingest_job(actor=None, batch=batch, path=path).pk)


def _file(tmp_path: Path, text: str, *, gz: bool) -> Path:
    path = tmp_path / ("hasil.csv.gz" if gz else "hasil.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def _complete(rows: list[dict[str, str]]) -> str:
    return "pd_id,no_ponsel,status,keterangan\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF,nomor hangus sejak Maret\n" for r in rows
    )


# Each cut leaves a last row that reads as a row: a status that is one more refused row, a
# shortened note, a whole row whose line end is missing.
CUTS = {
    "inside the status": lambda text: text[: text.rindex(",TIDAK_AKTIF,") + len(",TIDAK_AK")],
    "inside the note": lambda text: text[: -len(" sejak Maret\n")],
    "before the line end": lambda text: text[:-1],
}


@pytest.mark.parametrize("reader", ["fast", "careful"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("cut", list(CUTS))
def test_a_results_file_without_a_final_line_break_is_refused_whole_as_cut_off(
    tsel_batch, tmp_path, monkeypatch, reader, gz, cut
):  # type: ignore[no-untyped-def]
    if reader == "careful":
        monkeypatch.setattr(services, "_stage_rows_fast", lambda path, table: None)
    path = _file(tmp_path, CUTS[cut](_complete(dump_rows(tsel_batch))), gz=gz)

    job = _ingest(tsel_batch, path)

    assert (job.state, job.error_code, job.error_message_en, job.error_message) == (
        Job.State.REFUSED,
        "BERKAS_TERPOTONG",
        NO_LINE_END_EN,
        NO_LINE_END_ID,
    )
    assert job.counts == {}
    assert Recipient.objects.filter(status="RESIDU").count() == 0
    assert DumpItem.objects.exclude(result="").count() == 0
    tsel_batch.refresh_from_db()
    assert tsel_batch.state == DumpBatch.State.OPEN


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_the_same_file_with_its_final_line_break_is_applied(tsel_batch, tmp_path, gz):  # type: ignore[no-untyped-def]
    job = _ingest(tsel_batch, _file(tmp_path, _complete(dump_rows(tsel_batch)), gz=gz))

    assert (job.state, job.counts["applied"], job.counts["residu"], job.counts["refused"]) == (
        Job.State.SUCCEEDED,
        10,
        10,
        0,
    )


def test_the_fast_reader_refuses_a_cut_off_file_itself_instead_of_handing_it_to_the_careful_one(
    tsel_batch, tmp_path
):  # type: ignore[no-untyped-def]
    # Handing it over would cost a Python pass over every row only to refuse the file after it.
    path = _file(tmp_path, _complete(dump_rows(tsel_batch))[:-1], gz=False)

    with pytest.raises(JobRefused) as refused:
        services._stage_rows_fast(path, "t_unused")

    assert (refused.value.code, refused.value.message_en) == ("BERKAS_TERPOTONG", NO_LINE_END_EN)


def test_a_header_without_a_line_break_and_no_row_is_refused_as_empty(tsel_batch, tmp_path):  # type: ignore[no-untyped-def]
    job = _ingest(tsel_batch, _file(tmp_path, "pd_id,no_ponsel,status", gz=False))

    assert (job.state, job.error_code) == (Job.State.REFUSED, "BERKAS_KOSONG")


def test_a_cut_off_file_whose_header_is_wrong_is_refused_for_its_header_by_both_readers(
    tsel_batch, tmp_path, monkeypatch
):  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "id,nomor,status\nx,6281234567890,AKTIF", gz=False)
    fast = _ingest(tsel_batch, path)
    monkeypatch.setattr(services, "_stage_rows_fast", lambda path, table: None)
    careful = _ingest(tsel_batch, path)

    assert (fast.error_code, careful.error_code) == ("KOLOM_SALAH", "KOLOM_SALAH")


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_the_row_reader_reads_a_file_whose_last_line_ends_in_any_line_break(tmp_path, ending):  # type: ignore[no-untyped-def]
    path = tmp_path / "x.csv"
    path.write_bytes(f"pd_id,no_ponsel,status\na,1,AKTIF\nb,2,GAGAL{ending}".encode())

    assert list(iter_rows(path, MATCH_RESULTS, [])) == [
        (2, ["a", "1", "AKTIF", ""]),
        (3, ["b", "2", "GAGAL", ""]),
    ]


def test_the_row_reader_of_every_provider_file_refuses_a_last_line_without_line_end(tmp_path):  # type: ignore[no-untyped-def]
    # iter_rows also reads injection results and usage reports (verval.sptjm).
    path = tmp_path / "x.csv"
    path.write_bytes(b"pd_id,no_ponsel,status\na,1,AKTIF\nb,2,GAGAL")

    with pytest.raises(JobRefused) as refused:
        list(iter_rows(path, MATCH_RESULTS, []))

    assert (refused.value.code, refused.value.message_en) == ("BERKAS_TERPOTONG", NO_LINE_END_EN)
