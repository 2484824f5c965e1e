"""The plain-text lines of the exchange commands name their counts as the --json line does
(decision 0061's English names); SPEC codes stay codes (decision 0066)."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date

import pytest
from django.core.management import call_command

from tests.factories import RecipientFactory
from tests.sptjm.conftest import aktif, approve_all, make_period


def _text(*args: str) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def _rows(path: str) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _waiting(school, n: int, operator: str, prefix: str):  # type: ignore[no-untyped-def]
    for i in range(n):
        RecipientFactory(
            school=school,
            status="MENUNGGU_PROVIDER",
            needs_validation=False,
            operator=operator,
            phone_raw=f"{prefix}{30000000 + i:08d}",
        )


def _dump_json(*args: str):  # type: ignore[no-untyped-def]
    import json

    out = io.StringIO()
    call_command("dump", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_ingest_results_text_names_its_counts_as_the_json_does(school, tmp_path):  # type: ignore[no-untyped-def]
    _waiting(school, 3, "telkomsel", "0812")
    (batch,) = _dump_json()["batches"]
    results = tmp_path / "hasil.csv"
    statuses = ["AKTIF", "AKTIF", "TIDAK_AKTIF"]
    results.write_text(
        "pd_id,no_ponsel,status\n"
        + "".join(
            f"{r['pd_id']},{r['no_ponsel']},{s}\n"
            for r, s in zip(_rows(batch["path"]), statuses, strict=True)
        )
    )

    assert _text("ingest_results", str(results), "--batch", batch["id"]) == [
        "SUCCEEDED: rows 3, applied 3, active 2, residue 1, unchanged 0, stale 0, contradictions 0, "
        "refused 0, batch_state COMPLETE, unanswered 0"
    ]


def test_simulate_providers_text_ends_with_the_jsons_count_names(school):  # type: ignore[no-untyped-def]
    _waiting(school, 4, "xl", "0817")
    _dump_json()

    last = _text("simulate_providers", "--seed", "1")[-1]

    assert last == "batches 1, rows 4, applied 4, active 4, residue 0, refused 0, errors 0"


@pytest.mark.django_db
def test_simulate_injection_text_with_nothing_to_inject():  # type: ignore[no-untyped-def]
    assert _text("simulate_injection") == ["batches 0, rows 0, injected 0, failed 0, refused 0"]


def test_ingest_injection_text_names_its_counts_as_the_json_does(operator, pusdatin, school, tmp_path):  # type: ignore[no-untyped-def]
    period = make_period("2020-09A", "2020", date(2020, 9, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    out = io.StringIO()
    call_command("disburse", "--period", period.code, "--json", stdout=out)
    import json

    (batch,) = json.loads(out.getvalue())["batches"]
    first, second = _rows(batch["path"])
    results = tmp_path / "injeksi.csv"
    results.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        f"{first['pd_id']},{first['no_ponsel']},BERHASIL,\n"
        f"{second['pd_id']},{second['no_ponsel']},GAGAL,Nomor diblokir\n"
    )

    assert _text("ingest_injection", str(results), "--batch", batch["id"]) == [
        "SUCCEEDED: rows 2, injected 1, failed 1, duplicate 0, unchanged 0, refused 0, pending 0"
    ]
