"""Under --json a `verval` command prints one JSON object on stdout and nothing else, whatever it
also says (to stderr): scripts read stdout whole (decision 0066). Every DataCommand is run here;
a new one fails `test_every_data_command_is_run_here` until it is added."""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from tests.factories import RecipientFactory
from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core.commands import DataCommand

# Every DataCommand, by the test that runs it.
RUN_HERE = {
    "synth",
    "import_dapodik",
    "validate",
    "dump",
    "ingest_results",
    "simulate_providers",
    "disburse",
    "ingest_injection",
    "simulate_injection",
    "stats",
    "files",
    "jobs",
    "audit",
    "notify",
    "refresh_dashboard",
    "provider_format",
    "provider_token",
    "demo",
    "period",
}


def _json_alone(*args: str) -> Any:
    """The command's stdout under --json, which must be one JSON object on one line."""
    out, err = StringIO(), StringIO()
    with contextlib.suppress(CommandError):  # a refusal: its JSON line is what is looked at
        call_command(*args, "--json", stdout=out, stderr=err)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1, (args, text[:300])
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def _dump_rows(path: str) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_data_command_is_run_here():  # type: ignore[no-untyped-def]
    found = {
        name
        for name, app in get_commands().items()
        if not isinstance(app, DataCommand) and isinstance(load_command_class(app, name), DataCommand)
    }
    assert found == RUN_HERE


@pytest.mark.django_db
def test_each_data_command_prints_only_its_json_object_on_stdout(operator, pusdatin, school, tmp_path):  # type: ignore[no-untyped-def]
    cutoff = tmp_path / "cutoff.csv"
    assert _json_alone("synth", "--students", "30", "--teachers", "3", "--out", str(cutoff))["rows"] == 33
    assert _json_alone("import_dapodik", str(cutoff))["state"] == "SUCCEEDED"
    assert _json_alone("validate")["state"] == "SUCCEEDED"
    for i in range(2):
        RecipientFactory(
            school=school,
            status="MENUNGGU_PROVIDER",
            needs_validation=False,
            operator="telkomsel",
            phone_raw=f"0812{40000000 + i:08d}",
        )
    dumped = _json_alone("dump", "--provider", "telkomsel")
    (batch,) = dumped["batches"]
    results = tmp_path / "hasil.csv"
    results.write_text(
        "pd_id,no_ponsel,status\n"
        + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in _dump_rows(batch["path"]))
    )
    assert _json_alone("ingest_results", str(results), "--batch", batch["id"])["state"] == "SUCCEEDED"
    assert _json_alone("ingest_results", str(tmp_path / "missing.csv"), "--batch", batch["id"])["state"] == (
        "REFUSED"
    )
    _json_alone("dump")
    assert _json_alone("simulate_providers", "--seed", "1")["errors"] == 0

    period = make_period("2020-09A", "2020", date(2020, 9, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    disbursed = _json_alone("disburse", "--period", period.code)
    first, *_rest = disbursed["batches"]
    rows = _dump_rows(first["path"])
    injection = tmp_path / "injeksi.csv"
    injection.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        + "".join(f"{r['pd_id']},{r['no_ponsel']},BERHASIL,\n" for r in rows)
    )
    assert _json_alone("ingest_injection", str(injection), "--batch", first["id"])["state"] == "SUCCEEDED"
    _json_alone("simulate_injection", "--seed", "1")

    for args in (
        ("stats",),
        ("files",),
        ("files", "--prune"),
        ("jobs",),
        ("audit", "--limit", "5"),
        ("audit", "--user", "0812 3456 7890"),
        ("notify", "--dry-run"),
        ("refresh_dashboard",),
        ("stats", "--period", "2020-09A"),
        ("provider_format", "--provider", "telkomsel"),
        ("provider_token", "--provider", "telkomsel"),
    ):
        _json_alone(*args)


@pytest.mark.django_db
def test_each_period_subcommand_prints_only_its_json_object_on_stdout():  # type: ignore[no-untyped-def]
    make_period("2020-09A", "2020", date(2020, 9, 1))  # open: opening October closes it
    create = ("create", "2020-10A", "--name", "Tahap 2", "--policy", "2020")
    assert _json_alone("period", *create, "--starts", "2020-10-01", "--ends", "2020-10-28")["period"][
        "code"
    ] == ("2020-10A")
    assert _json_alone("period", "edit", "2020-10A", "--name", "Tahap 2 Oktober")["changed"] == ["name"]
    assert _json_alone("period", "open", "2020-10A")["closed"] == ["2020-09A"]
    assert _json_alone("period", "edit", "2020-09A", "--name", "x")["error_code"] == "PERIODE_DITUTUP"
    assert _json_alone("period", "close", "2020-10A")["changed"] is True
    assert [p["code"] for p in _json_alone("period", "list")["periods"]] == ["2020-10A", "2020-09A"]
    assert _json_alone("period", "open", "NOPE")["error_code"] == "PERIODE_TIDAK_DIKENAL"


@pytest.mark.django_db(transaction=True)
def test_demo_under_json_prints_the_json_alone_and_says_what_it_loads_on_stderr():  # type: ignore[no-untyped-def]
    out, err = StringIO(), StringIO()

    call_command(
        "demo", "--students", "40", "--teachers", "5", "--no-round", "--json", stdout=out, stderr=err
    )

    assert sorted(json.loads(out.getvalue())["accounts"]) == [
        "DINAS_KAB",
        "DINAS_PROV",
        "OPERATOR",
        "PROVIDER",
        "PUSDATIN",
    ]
    assert out.getvalue().count("\n") == 1
    assert err.getvalue().splitlines()[0] == "Loading the demo data set (40 students and 5 teachers)..."


@pytest.mark.django_db(transaction=True)
def test_demo_says_how_many_students_and_teachers_it_loads():  # type: ignore[no-untyped-def]
    out = StringIO()

    call_command("demo", "--students", "2000", "--teachers", "150", "--no-round", stdout=out)

    assert out.getvalue().splitlines()[0] == "Loading the demo data set (2,000 students and 150 teachers)..."
