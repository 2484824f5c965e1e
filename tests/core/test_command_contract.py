"""SPEC §8 command-line contract, the same for every command that changes data
(verval.core.commands, decision 0026): with --json the last stdout line is one JSON object also
when the input or an argument is refused (exit 2) or the system fails (exit 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

from tests.sptjm.conftest import make_period
from verval.core import jobs
from verval.core.commands import DataCommand
from verval.core.models import Job


def _last_line(capsys) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _refused(code: str, message: str, **details: object) -> dict:
    return {"state": "REFUSED", "error_code": code, "error": code, "message": message, **details}


@pytest.fixture
def results(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "hasil.csv"
    path.write_text("pd_id,no_ponsel,status\n")
    return path


def test_ingest_results_with_an_unknown_batch_prints_a_refused_line_and_exits_2(db, results, capsys):
    with pytest.raises(CommandError) as refused:
        call_command("ingest_results", str(results), "--batch", "NOPE", "--json")

    assert refused.value.returncode == 2
    assert str(refused.value) == "BATCH_TIDAK_DIKENAL: batch not found: NOPE"
    assert _last_line(capsys) == _refused("BATCH_TIDAK_DIKENAL", "batch not found: NOPE", batch="NOPE")
    assert Job.objects.count() == 0


@pytest.mark.parametrize("command", ["ingest_results", "ingest_injection"])
def test_ingest_of_a_missing_file_prints_a_refused_line_and_exits_2(db, tmp_path, capsys, command):
    missing = tmp_path / "tidak-ada.csv"

    with pytest.raises(CommandError) as refused:
        call_command(command, str(missing), "--batch", "NOPE", "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused(
        "BERKAS_TIDAK_DITEMUKAN", f"file not found: {missing}", file=str(missing)
    )
    assert Job.objects.count() == 0


def test_ingest_injection_with_a_malformed_batch_id_prints_a_refused_line_and_exits_2(db, results, capsys):
    with pytest.raises(CommandError) as refused:
        call_command("ingest_injection", str(results), "--batch", "bukan-uuid", "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused(
        "BATCH_TIDAK_DIKENAL", "batch not found: bukan-uuid", batch="bukan-uuid"
    )


def test_import_dapodik_of_a_missing_file_prints_a_refused_line_and_exits_2(db, tmp_path, capsys):
    missing = tmp_path / "cutoff.csv"

    with pytest.raises(CommandError) as refused:
        call_command("import_dapodik", str(missing), "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused(
        "BERKAS_TIDAK_DITEMUKAN", f"file not found: {missing}", file=str(missing)
    )
    assert Job.objects.count() == 0


def test_import_dapodik_as_an_unknown_user_prints_a_refused_line_and_exits_2(db, results, capsys):
    with pytest.raises(CommandError) as refused:
        call_command("import_dapodik", str(results), "--user", "siapa", "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused("PENGGUNA_TIDAK_DIKENAL", "unknown user: siapa")


def test_disburse_of_a_closed_period_prints_a_refused_line_and_exits_2(db, capsys):
    closed = make_period("2020-10A", "2020", date(2020, 10, 1), is_open=False)

    with pytest.raises(CommandError) as refused:
        call_command("disburse", "--period", closed.code, "--json")

    assert refused.value.returncode == 2
    line = _last_line(capsys)
    assert line == _refused(
        "PERIODE_TIDAK_DIBUKA",
        line["message"],
        message_id=line["message_id"],
        period="2020-10A",
    )
    assert line["message"] != "" and line["message_id"] != ""
    assert not Job.objects.filter(kind="disbursement").exists()


def test_simulate_injection_of_an_unknown_period_prints_a_refused_line_and_exits_2(db, capsys):
    with pytest.raises(CommandError) as refused:
        call_command("simulate_injection", "--period", "NOPE", "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused("PERIODE_TIDAK_DIKENAL", "no period 'NOPE'", period="NOPE")


def test_synth_with_no_rows_asked_prints_a_refused_line_and_exits_2(tmp_path, capsys):
    with pytest.raises(CommandError) as refused:
        call_command("synth", "--students", "0", "--out", str(tmp_path / "x.csv"), "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused("ARGUMEN_TIDAK_SAH", "--students or --teachers must be more than 0")
    assert not (tmp_path / "x.csv").exists()


def test_a_usage_error_of_the_options_prints_a_refused_line_and_exits_2(db, results, capsys):
    with pytest.raises(CommandError) as refused:
        call_command("ingest_results", str(results), "--json")

    assert refused.value.returncode == 2
    assert _last_line(capsys) == _refused(
        "ARGUMEN_TIDAK_SAH", "the following arguments are required: --batch"
    )


def test_a_job_that_failed_prints_a_failed_line_and_exits_1(db, capsys, monkeypatch):
    monkeypatch.setitem(jobs.RUNNERS, "validate", f"{__name__}._broken_runner")

    with pytest.raises(CommandError) as failed:
        call_command("validate", "--json")

    assert failed.value.returncode == 1
    job = Job.objects.get(kind="validate")
    line = _last_line(capsys)
    assert line == {
        "state": "FAILED",
        "error_code": "KESALAHAN_SISTEM",
        "error": "KESALAHAN_SISTEM",
        "message": job.error_message_en,
        "message_id": job.error_message,
        "job": str(job.pk),
    }
    assert job.state == "FAILED"
    assert "6281217263845" not in json.dumps(line)


def _broken_runner(job):  # type: ignore[no-untyped-def]
    raise RuntimeError("a bug with +6281217263845 in its text")


def test_an_unexpected_error_prints_a_failed_line_without_its_text_and_keeps_the_traceback(
    db, capsys, monkeypatch
):
    from verval.core.management.commands import stats

    def broken(*args: object) -> dict:
        raise RuntimeError("+6281217263845")

    monkeypatch.setattr(stats, "collect", broken)

    with pytest.raises(RuntimeError):
        call_command("stats", "--json")

    out = capsys.readouterr().out
    assert "6281217263845" not in out
    assert json.loads(out.strip().splitlines()[-1]) == {
        "state": "FAILED",
        "error_code": "KESALAHAN_SISTEM",
        "error": "KESALAHAN_SISTEM",
        "message": "unexpected RuntimeError; see the log",
    }


def test_without_json_a_refusal_prints_no_json_line(db, results, capsys):
    with pytest.raises(CommandError):
        call_command("ingest_results", str(results), "--batch", "NOPE")

    assert capsys.readouterr().out == ""


def test_every_verval_command_with_json_shares_the_contract():
    """New commands that change data must be DataCommands; these three only read, serve or run
    the task worker."""
    ours = {name: app for name, app in get_commands().items() if app.startswith("verval.")}
    not_data = {"phones", "serve", "worker"}

    shared = sorted(
        name for name, app in ours.items() if isinstance(load_command_class(app, name), DataCommand)
    )

    assert shared == sorted(set(ours) - not_data)
    assert shared == [
        "audit",
        "demo",
        "disburse",
        "dump",
        "files",
        "import_dapodik",
        "ingest_injection",
        "ingest_results",
        "jobs",
        "notify",
        "period",
        "provider_format",
        "provider_token",
        "refresh_dashboard",
        "simulate_injection",
        "simulate_providers",
        "stats",
        "synth",
        "validate",
    ]


def _verval(*args: str, var_dir: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["VERVAL_VAR_DIR"] = var_dir
    return subprocess.run(
        [sys.executable, "-m", "verval.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_console_script_exits_2_with_the_json_line_for_a_missing_file(tmp_path):
    missing = tmp_path / "res.csv"

    done = _verval("ingest-results", str(missing), "--batch", "NOPE", "--json", var_dir=str(tmp_path))

    assert done.returncode == 2
    assert json.loads(done.stdout.splitlines()[-1]) == _refused(
        "BERKAS_TIDAK_DITEMUKAN", f"file not found: {missing}", file=str(missing)
    )
    assert done.stderr == f"Refused: BERKAS_TIDAK_DITEMUKAN: file not found: {missing}\n"


def test_the_console_script_exits_2_with_the_json_line_for_an_option_it_does_not_know(tmp_path):
    done = _verval("dump", "--provider", "nokia", "--json", var_dir=str(tmp_path))

    assert done.returncode == 2
    line = json.loads(done.stdout.splitlines()[-1])
    assert (line["state"], line["error_code"]) == ("REFUSED", "ARGUMEN_TIDAK_SAH")
    assert line["message"].startswith("argument --provider: invalid choice: 'nokia'")
    assert done.stderr.startswith("usage: ") and " dump [-h]" in done.stderr


def test_the_usage_line_names_a_hyphenated_command_as_it_was_typed(tmp_path):
    done = _verval("ingest-results", str(tmp_path / "res.csv"), "--json", var_dir=str(tmp_path))

    assert done.returncode == 2
    assert " ingest-results [-h] --batch BATCH" in done.stderr
    assert done.stderr.splitlines()[-1].endswith(
        " ingest-results: error: the following arguments are required: --batch"
    )
