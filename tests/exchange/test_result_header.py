"""A provider file refused for its header (KOLOM_SALAH) says what is wrong with it: the shared
reader (verval.exchange.resultfile) names unexpected, missing and doubled columns and the header
expected, for match results as for injection results and usage reports."""

from __future__ import annotations

import pytest

from verval.core.jobs import JobRefused
from verval.exchange.resultfile import MATCH_RESULTS, iter_rows


def _refusal(tmp_path, text: str) -> JobRefused:  # type: ignore[no-untyped-def]
    path = tmp_path / "hasil.csv"
    path.write_text(text)
    with pytest.raises(JobRefused) as refused:
        list(iter_rows(path, MATCH_RESULTS, []))
    return refused.value


def test_a_match_results_header_names_the_unexpected_and_missing_columns(tmp_path):  # type: ignore[no-untyped-def]
    refused = _refusal(tmp_path, "id,nomor,status\nx,6281234567890,AKTIF\n")

    assert refused.code == "KOLOM_SALAH"
    assert refused.message == (
        "Judul kolom tidak sesuai format. Kolom tidak dikenal: id, nomor. "
        "Kolom wajib yang tidak ada: pd_id, no_ponsel. Judul yang diharapkan: pd_id,no_ponsel,status[,keterangan]"
    )
    assert refused.message_en == (
        "The header does not match the format. Unexpected column(s): id, nomor. "
        "Missing column(s): pd_id, no_ponsel. Expected header: pd_id,no_ponsel,status[,keterangan]"
    )


def test_a_header_with_many_unknown_columns_names_the_first_ten_each_cut_short(tmp_path):  # type: ignore[no-untyped-def]
    names = [f"kolom{i}" for i in range(12)] + ["x" * 60]
    refused = _refusal(tmp_path, ",".join(["pd_id", "no_ponsel", "status", *names]) + "\na,b,c\n")

    assert refused.message_en == (
        "The header does not match the format. Unexpected column(s): "
        + ", ".join(names[:10])
        + ", … (+3). Expected header: pd_id,no_ponsel,status[,keterangan]"
    )
    empty = _refusal(tmp_path, "pd_id,,no_ponsel,status\na,b,c,d\n")
    assert 'Unexpected column(s): "".' in empty.message_en
    long = _refusal(tmp_path, "pd_id,no_ponsel,status," + "y" * 60 + "\na,b,c,d\n")
    assert f"Unexpected column(s): {'y' * 40}." in long.message_en
