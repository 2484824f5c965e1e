"""The --json line of every `verval` command speaks English snake_case keys; SPEC codes stay codes,
as values and as the keys of a breakdown by code (decision 0061). The keys are asserted whole,
so a new Indonesian key (or a renamed one) fails here."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from tests.factories import RecipientFactory
from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core.commands import english_keys
from verval.core.models import Job

VALIDATE_KEYS = {
    "job",
    "state",
    "validated",
    "awaiting_provider",
    "invalid_format",
    "shared_numbers",
    "implausible_numbers",
}
INGEST_KEYS = {
    "job",
    "state",
    "batch",
    "provider",
    "rows",
    "applied",
    "active",
    "residue",
    "unchanged",
    "stale",
    "contradictions",
    "refused",
    "by_code",
    "batch_state",
    "answered",
    "unanswered",
}


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def _waiting(school, n: int, operator: str = "telkomsel", prefix: str = "0812"):  # type: ignore[no-untyped-def]
    return [
        RecipientFactory(
            school=school,
            status="MENUNGGU_PROVIDER",
            needs_validation=False,
            operator=operator,
            phone_raw=f"{prefix}{30000000 + i:08d}",
        )
        for i in range(n)
    ]


def _rows(path: str) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_validate_json_keys_are_english(school):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    RecipientFactory(
        school=school, phone_raw="021-5551234", phone_e164="", operator="", reason="TELEPON_RUMAH"
    )

    line = _json("validate")

    assert set(line) == VALIDATE_KEYS
    assert (line["state"], line["validated"], line["awaiting_provider"], line["invalid_format"]) == (
        "SUCCEEDED",
        2,
        1,
        1,
    )
    # The job keeps its stored counts (the job page labels them).
    assert Job.objects.get(pk=line["job"]).counts["divalidasi"] == 2


def test_validate_recheck_json_keys_are_english(school):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)

    line = _json("validate", "--recheck")

    assert set(line) == VALIDATE_KEYS | {"rechecked", "verdicts_changed"}
    assert (line["rechecked"], line["verdicts_changed"], line["validated"]) == (1, 0, 1)


def test_validate_text_output_uses_the_json_names(school):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school)
    out = io.StringIO()

    call_command("validate", stdout=out)

    assert out.getvalue().splitlines() == [
        "validated: 1",
        "awaiting_provider: 1",
        "invalid_format: 0",
        "shared_numbers: 0",
        "implausible_numbers: 0",
    ]


def test_dump_and_ingest_results_json_keys_are_english_and_codes_stay_codes(school, tmp_path):  # type: ignore[no-untyped-def]
    _waiting(school, 3)

    dumped = _json("dump")
    (batch,) = dumped["batches"]
    assert set(dumped) == {"job", "state", "batches", "rows"}
    assert set(batch) == {"id", "provider", "rows", "file", "sha256", "number_format", "path"}
    results = tmp_path / "hasil.csv"
    statuses = ["AKTIF", "AKTIF", "TIDAK_AKTIF"]
    results.write_text(
        "pd_id,no_ponsel,status\n"
        + "".join(
            f"{r['pd_id']},{r['no_ponsel']},{s}\n"
            for r, s in zip(_rows(batch["path"]), statuses, strict=True)
        )
    )

    line = _json("ingest_results", str(results), "--batch", batch["id"])

    assert set(line) == INGEST_KEYS
    assert (line["state"], line["applied"], line["active"], line["residue"], line["batch_state"]) == (
        "SUCCEEDED",
        3,
        2,
        1,
        "COMPLETE",
    )


def test_simulate_providers_json_keys_are_english_at_every_depth(school):  # type: ignore[no-untyped-def]
    _waiting(school, 4, operator="xl", prefix="0817")
    _json("dump")

    line = _json("simulate_providers", "--seed", "1")

    assert set(line) == {"providers", "batches", "rows", "applied", "active", "residue", "refused", "errors"}
    (xl,) = line["providers"].values()
    assert set(xl) == {"subscribers", "batches"}
    assert set(xl["subscribers"]) == {"active", "grace", "inactive", "unknown"}
    (batch,) = xl["batches"]
    assert set(batch) == {"batch", "rows", "matched", "unreadable", "job", "state", "counts"}
    assert set(batch["unreadable"]) == {"count", "first_lines", "by_kind"}
    assert set(batch["counts"]) == INGEST_KEYS - {"job", "state"}
    # A breakdown by SPEC code keeps the codes as keys.
    assert set(batch["matched"]) <= {
        "AKTIF",
        "MASA_TENGGANG",
        "TIDAK_AKTIF",
        "TIDAK_TERDAFTAR",
        "BUKAN_PELANGGAN",
    }
    assert (line["active"] + line["residue"], sum(batch["matched"].values())) == (4, 4)


@pytest.mark.django_db
def test_simulate_injection_json_keys_are_english_with_nothing_to_inject():  # type: ignore[no-untyped-def]
    assert _json("simulate_injection") == {"batches": 0, "rows": 0, "injected": 0, "failed": 0, "refused": 0}


def test_disburse_and_ingest_injection_json_keys_are_english(operator, pusdatin, school, tmp_path):  # type: ignore[no-untyped-def]
    period = make_period("2020-09A", "2020", date(2020, 9, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)

    disbursed = _json("disburse", "--period", period.code)
    (batch,) = disbursed["batches"]
    assert set(disbursed) == {
        "job",
        "state",
        "period",
        "candidates",
        "scheduled",
        "excluded",
        "retried",
        "by_rule",
        "batches",
    }
    first, second = _rows(batch["path"])
    results = tmp_path / "injeksi.csv"
    results.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        f"{first['pd_id']},{first['no_ponsel']},BERHASIL,\n"
        f"{second['pd_id']},{second['no_ponsel']},GAGAL,Nomor diblokir\n"
    )

    line = _json("ingest_injection", str(results), "--batch", batch["id"])

    assert line == {
        "job": line["job"],
        "state": "SUCCEEDED",
        "rows": 2,
        "injected": 1,
        "failed": 1,
        "duplicate": 0,
        "unchanged": 0,
        "refused": 0,
        "pending": 0,
    }


def test_english_keys_renames_identifiers_at_any_depth_and_leaves_codes_and_values():
    counts = {"aktif": 1, "by_code": {"AKTIF": 2}, "batches": [{"residu": 3, "state": "gagal"}]}

    assert english_keys(counts) == {
        "active": 1,
        "by_code": {"AKTIF": 2},
        "batches": [{"residue": 3, "state": "gagal"}],
    }
