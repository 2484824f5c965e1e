"""The provider kit's disbursement side: pull batches, upload the provider's own injection results,
send the recap of a whole period (docs/provider-kit.md, "Disbursement"), and the simulator on it."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.sptjm.conftest import aktif, aktif_pinned, approve_all, make_period
from verval.core import jobs
from verval.core.models import Job
from verval.exchange import actions as exchange_actions
from verval.exchange.simulator import DjangoClientTransport
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch, ProviderRecap, UsageReport
from verval_provider import cli
from verval_provider.client import ApiClient
from verval_provider.disbursement import DisbursementStore, period_recap


@pytest.fixture
def period(db):  # type: ignore[no-untyped-def]
    return make_period()


@pytest.fixture
def token(db) -> str:  # type: ignore[no-untyped-def]
    return exchange_actions.issue_token(actor=None, provider="telkomsel")[1]


@pytest.fixture
def in_process(monkeypatch):  # type: ignore[no-untyped-def]
    """The command line talks to the API in-process (same client code, django.test.Client)."""
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: DjangoClientTransport())


def _disburse(pusdatin, period):  # type: ignore[no-untyped-def]
    job = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    return jobs.run(job.pk)


def _kit(capsys, token: str, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = cli.main([args[0], "--url", "http://verval.test", "--token", token, *args[1:], "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


def _batch_rows(path: Path) -> list[list[str]]:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    return [line.split(",") for line in lines[1:]]


def _results(path: Path, rows: list[str]) -> Path:
    path.write_text("pd_id,no_ponsel,status,keterangan,kuota_gb,waktu\n" + "".join(r + "\n" for r in rows))
    return path


def _answer_all(batch_file: Path, out: Path, failed: int = 0) -> Path:
    """The provider's own platform: every row BERHASIL (kuota_gb left empty) but the first `failed`."""
    # The platform's own clock (Asia/Jakarta, no offset): a time before the batch was made is refused.
    at = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M:%S")
    rows = []
    for i, (pd_id, msisdn, _gb, _cat) in enumerate(_batch_rows(batch_file)):
        if i < failed:
            rows.append(f"{pd_id},{msisdn},GAGAL,Nomor tidak aktif,,{at}")
        else:
            rows.append(f"{pd_id},{msisdn},BERHASIL,,,{at}")
    return _results(out, rows)


# ------------------------------------------------------------------ the recap covers the period


def test_simulated_recap_after_a_second_disbursement_run_covers_the_whole_period(
    operator, pusdatin, school, period
):
    from verval.sptjm.simulator import simulate_injection

    aktif_pinned(school, 1, 2, 3, 4, 5)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    simulate_injection(period.code, fail_share=0.2, seed=1)
    aktif_pinned(school, 6, 7, 18)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)

    out = simulate_injection(period.code, fail_share=0.2, seed=1)

    assert (out["batches"], out["berhasil"], out["gagal"]) == (1, 2, 1)
    report = out["providers"]["telkomsel"]["periods"][period.code]
    assert report["recap"] == {"sent": 8, "injected": 6, "failed": 2, "gb": "210"}
    assert (report["reconciliation"]["flags"], report["reconciliation"]["ok"]) == ([], True)
    recap = ProviderRecap.objects.get(period=period, provider="telkomsel")
    assert (recap.sent, recap.injected, recap.failed, recap.gb) == (8, 6, 2, Decimal("210"))
    assert Disbursement.objects.filter(status="BERHASIL").count() == 6


@pytest.mark.parametrize(
    ("first", "second", "usage_added", "recap"),
    [
        # Every row of the second run GAGAL: 1 run in 125 of the test above when its pd_ids were
        # random (0.2 ** 3), the one failure seen in 126 runs.
        ((1, 2, 3, 5, 6), (4, 18, 29), [5, None], {"sent": 8, "injected": 5, "failed": 3, "gb": "175"}),
        # Every row of the first run GAGAL (0.2 ** 5).
        ((4, 18, 29, 31, 33), (1, 2, 3), [None, 3], {"sent": 8, "injected": 3, "failed": 5, "gb": "105"}),
    ],
)
def test_a_simulated_run_whose_rows_all_fail_sends_no_usage_and_still_sends_the_whole_recap(
    operator, pusdatin, school, period, first, second, usage_added, recap
):
    # The usage file of such a run had no row, the kit refused to send it (KitFileError) and the
    # simulation stopped before the recap.
    from verval.sptjm.simulator import simulate_injection

    runs = []
    for numbers in (first, second):
        aktif_pinned(school, *numbers)
        approve_all(operator, pusdatin, school, period)
        _disburse(pusdatin, period)
        runs.append(simulate_injection(period.code, fail_share=0.2, seed=1))

    reports = [run["providers"]["telkomsel"]["periods"][period.code] for run in runs]
    assert [r["usage"].get("added") for r in reports] == usage_added
    assert reports[1]["recap"] == recap
    assert (reports[1]["reconciliation"]["flags"], reports[1]["reconciliation"]["ok"]) == ([], True)
    saved = ProviderRecap.objects.get(period=period, provider="telkomsel")
    assert (saved.sent, saved.injected, saved.failed, str(saved.gb.normalize())) == (
        8,
        recap["injected"],
        recap["failed"],
        recap["gb"],
    )
    assert UsageReport.objects.filter(period=period).count() == recap["injected"]


def test_provider_recap_from_the_command_line_matches_after_two_runs_in_a_period(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    work = str(tmp_path / "kit")
    aktif(school, 4)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)

    code, pulled = _kit(capsys, token, "pull-disbursements", "--workdir", work)
    assert (code, pulled["count"]) == (0, 1)
    (first,) = pulled["batches"]
    # The state after this download (decision 0063: it said TERBIT, the listing's before it).
    assert (first["seq"], first["rows"], first["downloaded"], first["state"]) == (1, 4, True, "DIAMBIL")
    assert DisbursementBatch.objects.get(pk=first["id"]).state == "DIAMBIL"
    results = _answer_all(Path(first["file"]), tmp_path / "hasil-1.csv", failed=1)
    code, answer = _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        first["id"],
        "--results",
        str(results),
    )
    assert (code, answer["state"], answer["counts"]["berhasil"], answer["counts"]["gagal"]) == (
        0,
        "SUCCEEDED",
        3,
        1,
    )
    assert answer["checked"] == {"rows": 4, "berhasil": 3, "gagal": 1, "other_status": 0, "bad_pd_id": 0}
    code, sent = _kit(capsys, token, "send-recap", "--workdir", work, "--period", period.code)
    assert (code, sent["recap"], sent["reconciliation"]["ok"]) == (
        0,
        {"sent": 4, "injected": 3, "failed": 1, "gb": "105"},
        True,
    )

    # A second disbursement run in the same period: new recipients in a second batch.
    aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    code, pulled = _kit(capsys, token, "pull-disbursements", "--workdir", work, "--period", period.code)
    assert [(b["seq"], b["downloaded"]) for b in pulled["batches"]] == [(1, False), (2, True)]
    second = pulled["batches"][1]
    results = _answer_all(Path(second["file"]), tmp_path / "hasil-2.csv")
    code, answer = _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        second["id"],
        "--results",
        str(results),
    )
    assert code == 0
    code, sent = _kit(capsys, token, "send-recap", "--workdir", work, "--period", period.code)

    assert code == 0
    assert sent["recap"] == {"sent": 6, "injected": 5, "failed": 1, "gb": "175"}
    assert (sent["reconciliation"]["flags"], sent["reconciliation"]["sent"]) == ([], 6)
    recap = ProviderRecap.objects.get(period=period, provider="telkomsel")
    assert (recap.sent, recap.injected, recap.failed, recap.gb) == (6, 5, 1, Decimal("175"))


def test_recap_counts_the_failed_line_and_the_retried_line_of_a_row_the_school_fixed(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    work = str(tmp_path / "kit")
    ok, bad = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    _kit(capsys, token, "pull-disbursements", "--workdir", work)
    first = DisbursementBatch.objects.get()
    batch_file = DisbursementStore.at(work).batch_file({"id": str(first.pk), "period": period.code})
    _results(
        tmp_path / "h1.csv",
        [f"{ok.pk},{ok.phone_e164[1:]},BERHASIL,,35,", f"{bad.pk},{bad.phone_e164[1:]},GAGAL,Tidak aktif,,"],
    )
    assert batch_file.exists()
    _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        str(first.pk),
        "--results",
        str(tmp_path / "h1.csv"),
    )
    type(bad).objects.filter(pk=bad.pk).update(phone_e164="+6281377778888", status="AKTIF")
    approve_all(operator, pusdatin, school, period)
    assert _disburse(pusdatin, period).counts["retried"] == 1
    code, pulled = _kit(capsys, token, "pull-disbursements", "--workdir", work)
    second = pulled["batches"][1]
    _results(tmp_path / "h2.csv", [f"{bad.pk},6281377778888,BERHASIL,,,"])
    _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        second["id"],
        "--results",
        str(tmp_path / "h2.csv"),
    )

    code, sent = _kit(capsys, token, "send-recap", "--workdir", work, "--period", period.code)

    # The server counts batch lines (decision 0021): the failed line and the retried one.
    assert sent["recap"] == {"sent": 3, "injected": 2, "failed": 1, "gb": "70"}
    assert (code, sent["reconciliation"]["flags"]) == (0, [])


def test_recap_keeps_berhasil_against_a_later_gagal_and_the_first_of_duplicate_rows(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    work = str(tmp_path / "kit")
    recipients = aktif(school, 50)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    batch = str(DisbursementBatch.objects.get().pk)
    first, second = recipients[0], recipients[1]
    rows = [f"{r.pk},{r.phone_e164[1:]},BERHASIL,,," for r in recipients]
    _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        batch,
        "--results",
        str(_results(tmp_path / "a.csv", rows)),
    )
    # Later: a GAGAL for a row already BERHASIL (the server refuses it as a contradiction), and a
    # file naming one pd_id twice (the server applies its first row).
    later = [
        f"{first.pk},{first.phone_e164[1:]},GAGAL,Salah,,",
        f"{second.pk},{second.phone_e164[1:]},BERHASIL,,20,",
        f"{second.pk},{second.phone_e164[1:]},BERHASIL,,5,",
        *rows[2:],
    ]
    code, answer = _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        batch,
        "--results",
        str(_results(tmp_path / "b.csv", later)),
    )
    assert (code, answer["counts"]["refused"]) == (0, 2)

    code, sent = _kit(capsys, token, "send-recap", "--workdir", work, "--period", period.code)

    assert sent["recap"] == {"sent": 50, "injected": 50, "failed": 0, "gb": str(49 * 35 + 20)}
    assert Disbursement.objects.get(recipient=second).reported_gb == Decimal("20")
    # The recap GB is the provider's own (kuota_gb); the server flags only the row difference.
    assert sent["reconciliation"]["flags"] == ["GB_BERBEDA", "GB_BARIS_BERBEDA"]
    assert code == 1


# ------------------------------------------------------------------ what the commands refuse


def test_send_recap_sends_nothing_while_rows_of_the_period_have_no_result(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    work = str(tmp_path / "kit")
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)

    code, out = _kit(capsys, token, "send-recap", "--workdir", work, "--period", period.code)

    assert (code, out["sent"], out["pending"]) == (1, False, 3)
    assert out["recap"] == {"sent": 3, "injected": 0, "failed": 0, "gb": "0"}
    assert not ProviderRecap.objects.exists()
    # The batch was not in the workdir: the recap downloaded it to count what was sent.
    assert DisbursementBatch.objects.get().state == "DIAMBIL"

    code, out = _kit(
        capsys, token, "send-recap", "--workdir", work, "--period", period.code, "--allow-pending"
    )
    assert (code, out["sent"]) == (1, True)
    assert out["reconciliation"]["flags"] == ["HASIL_BELUM_LENGKAP"]


def test_send_recap_dry_run_counts_without_sending(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    work = str(tmp_path / "kit")
    code, pulled = _kit(capsys, token, "pull-disbursements", "--workdir", work)
    (batch,) = pulled["batches"]
    _kit(
        capsys,
        token,
        "upload-injection",
        "--workdir",
        work,
        "--batch",
        batch["id"],
        "--results",
        str(_answer_all(Path(batch["file"]), tmp_path / "h.csv")),
    )

    code, out = _kit(capsys, token, "send-recap", "--workdir", work, "--period", period.code, "--dry-run")

    assert (code, out["sent"], out["recap"]["sent"]) == (0, False, 1)
    assert not ProviderRecap.objects.exists()


def test_upload_injection_refuses_a_file_it_cannot_read_and_sends_nothing(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    (r,) = aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    batch = str(DisbursementBatch.objects.get().pk)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(f"id;msisdn;hasil\n{r.pk};{r.phone_e164[1:]};OK\n")
    cut = tmp_path / "cut.csv"
    cut.write_text(f"pd_id,no_ponsel,status\n{r.pk},{r.phone_e164[1:]},BERHA")

    code, out = _kit(
        capsys,
        token,
        "upload-injection",
        "--batch",
        batch,
        "--results",
        str(wrong),
        "--workdir",
        str(tmp_path / "k"),
    )
    assert (code, out["error"]) == (2, "BERKAS_TIDAK_TERBACA")
    assert (
        out["detail"]
        == "results wrong.csv: not comma-separated (expected pd_id,no_ponsel,status[,keterangan][,kuota_gb][,waktu])"
    )
    code, out = _kit(
        capsys,
        token,
        "upload-injection",
        "--batch",
        batch,
        "--results",
        str(cut),
        "--workdir",
        str(tmp_path / "k"),
    )
    assert (code, out["detail"]) == (
        2,
        "results cut.csv: cut off: its last line has no line end (a complete file ends with a line break)",
    )
    assert r.phone_e164[1:] not in capsys.readouterr().err
    assert not Job.objects.filter(kind="ingest_injection").exists()


def test_upload_injection_of_a_file_refused_whole_exits_1_and_is_not_counted(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    recipients = aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    batch = str(DisbursementBatch.objects.get().pk)
    rows = [f"{r.pk},{r.phone_e164[1:]},DISUNTIK,,," for r in recipients]  # no such status
    work = str(tmp_path / "k")

    code, out = _kit(
        capsys,
        token,
        "upload-injection",
        "--batch",
        batch,
        "--results",
        str(_results(tmp_path / "h.csv", rows)),
        "--workdir",
        work,
    )

    assert (code, out["state"], out["error"]) == (1, "REFUSED", "TERLALU_BANYAK_DITOLAK")
    assert out["checked"]["other_status"] == 3
    assert DisbursementStore.at(work).ledger(period.code) == []
    assert Disbursement.objects.filter(status="DIJADWALKAN").count() == 3


def test_kit_commands_name_an_unknown_batch_and_an_unreachable_server(
    token, in_process, capsys, tmp_path, db
):
    results = _results(tmp_path / "h.csv", ["00000000-0000-0000-0000-000000000001,6281200000000,BERHASIL,,,"])
    code, out = _kit(
        capsys,
        token,
        "upload-injection",
        "--batch",
        "nope",
        "--results",
        str(results),
        "--workdir",
        str(tmp_path),
    )
    assert (code, out["status"], out["error"]) == (2, 404, "TIDAK_DITEMUKAN")

    code = cli.main(["pull-disbursements", "--url", "verval.test", "--token", token])
    assert code == 2
    assert "--url must be an http:// or https:// address" in capsys.readouterr().err


def test_upload_usage_from_the_command_line(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    (r,) = aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    Disbursement.objects.filter(recipient=r).update(status="BERHASIL")  # usage is taken for delivered rows
    usage = tmp_path / "pemakaian.csv"
    usage.write_text(f"pd_id,no_ponsel,pemakaian_gb\n{r.pk},{r.phone_e164[1:]},3.5\n")

    code, out = _kit(capsys, token, "upload-usage", "--period", period.code, "--usage", str(usage))

    assert (code, out["state"], out["counts"]["added"]) == (0, "SUCCEEDED", 1)


def test_simulate_injection_from_the_command_line_sends_a_period_recap(
    operator, pusdatin, school, period, token, in_process, capsys, tmp_path
):
    aktif(school, 4)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)

    code, out = _kit(
        capsys, token, "simulate-injection", "--workdir", str(tmp_path / "k"), "--fail-share", "0"
    )

    assert code == 0
    assert out["periods"][period.code]["reconciliation"]["ok"] is True
    assert Disbursement.objects.filter(status="BERHASIL").count() == 4


def test_recap_waits_for_a_results_job_still_running_and_settles_it_once_finished(tmp_path):
    """A large results file is applied as a job (202): the kit records it as running and, on the
    recap, asks the server how it ended (here a stub of the API)."""
    store = DisbursementStore.at(tmp_path)
    pd_id = "5b0c3c1e-0000-4000-8000-000000000001"
    batch_file = tmp_path / "b.csv.gz"
    batch_file.write_bytes(
        gzip.compress(f"pd_id,no_ponsel,kuota_gb,kategori\n{pd_id},6281200000001,35,DIKDASMEN\n".encode())
    )
    import hashlib

    batch = {
        "id": "b1",
        "period": "P1",
        "seq": 1,
        "rows": 1,
        "total_gb": "35",
        "sha256": hashlib.sha256(batch_file.read_bytes()).hexdigest(),
        "state": "DIAMBIL",
    }
    batch_file.replace(store.batch_file(batch))
    store.save_listing(batch)
    store.record(
        "P1", "b1", _results(tmp_path / "h.csv", [f"{pd_id},6281200000001,BERHASIL,,,"]), "job-1", "RUNNING"
    )
    job_state = {"state": "RUNNING"}

    def transport(method, path, headers, body=None):  # type: ignore[no-untyped-def]
        data = [batch] if path.startswith("/api/v1/disbursements/batches") else job_state
        return 200, {}, iter([json.dumps(data).encode()])

    client = ApiClient("vp_x", transport)
    running = period_recap(client, tmp_path, "P1")
    assert (running.running, running.pending, running.complete) == (["job-1"], 1, False)

    job_state["state"] = "SUCCEEDED"
    done = period_recap(client, tmp_path, "P1")
    assert (done.running, done.complete, done.recap) == (
        [],
        True,
        {"sent": 1, "injected": 1, "failed": 0, "gb": "35"},
    )
    assert [e["state"] for e in store.ledger("P1")] == ["SUCCEEDED"]


@pytest.mark.parametrize(
    ("finished", "kept"),
    [("SUCCEEDED", True), ("REFUSED", False)],
)
def test_a_recorded_upload_is_kept_only_when_the_server_applied_it(tmp_path, finished, kept):  # type: ignore[no-untyped-def]
    store = DisbursementStore.at(tmp_path)
    copy = store.record("P1", "b1", _results(tmp_path / "h.csv", []), "job-1", "PENDING")
    store.settle("P1", "job-1", finished)
    assert copy.exists() is kept
    assert len(store.applied("P1")) == int(kept)


@pytest.mark.django_db(transaction=True)
def test_provider_engineer_round_over_http(live_server, operator, pusdatin, school, capsys, tmp_path):  # type: ignore[no-untyped-def]
    """The documented round against a running server: pull, upload own results, send the recap."""
    period = make_period()
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    token = exchange_actions.issue_token(actor=None, provider="telkomsel")[1]
    common = ["--url", live_server.url, "--token", token, "--workdir", str(tmp_path / "kit")]

    assert cli.main(["pull-disbursements", *common]) == 0
    (batch,) = DisbursementBatch.objects.all()
    batch_file = DisbursementStore.at(tmp_path / "kit").batch_file(
        {"id": str(batch.pk), "period": period.code}
    )
    results = _answer_all(batch_file, tmp_path / "hasil.csv.gz.src", failed=1)
    gz = tmp_path / "hasil.csv.gz"
    gz.write_bytes(gzip.compress(results.read_bytes()))
    assert cli.main(["upload-injection", *common, "--batch", str(batch.pk), "--results", str(gz)]) == 0
    assert cli.main(["send-recap", *common, "--period", period.code]) == 0

    out = capsys.readouterr().out
    assert f"{period.code}: 1 batch; recap sent 3, injected 2, failed 1, GB 70" in out
    assert "sent; reconciliation: ok" in out
    recap = ProviderRecap.objects.get(period=period, provider="telkomsel")
    assert (recap.sent, recap.injected, recap.failed, recap.gb) == (3, 2, 1, Decimal("70"))


def test_send_recap_names_a_period_the_server_does_not_have(token, in_process, capsys, tmp_path, db):  # type: ignore[no-untyped-def]
    code, out = _kit(capsys, token, "send-recap", "--workdir", str(tmp_path), "--period", "2099-01")

    assert (code, out["status"], out["error"]) == (2, 404, "PERIODE_TIDAK_DIKENAL")
    assert out["message"] == (
        "HTTP 404 PERIODE_TIDAK_DIKENAL: the server has no period 2099-01: check --period "
        "(pull-disbursements prints the period of each of your batches, e.g. 2020-09A)"
    )
    assert not ProviderRecap.objects.exists()


@pytest.mark.parametrize("command", ["send-recap", "pull-disbursements"])
def test_a_period_typed_in_another_case_is_refused_naming_the_servers_periods(
    token, in_process, capsys, tmp_path, db, command
):  # type: ignore[no-untyped-def]
    # Decision 0063: pull-disbursements answered "no disbursement batches", exit 0, for a typo.
    period = make_period()

    code, out = _kit(capsys, token, command, "--workdir", str(tmp_path), "--period", period.code.lower())

    assert (code, out["status"], out["error"]) == (2, 404, "PERIODE_TIDAK_DIKENAL")
    assert out["message"] == (
        f"HTTP 404 PERIODE_TIDAK_DIKENAL: the server has no period {period.code.lower()}: check --period "
        f"(pull-disbursements prints the period of each of your batches, e.g. 2020-09A); the server's "
        f"periods: {period.code}"
    )


def test_upload_usage_names_a_period_the_server_does_not_have(token, in_process, capsys, tmp_path, db):  # type: ignore[no-untyped-def]
    usage = tmp_path / "pemakaian.csv"
    usage.write_text("pd_id,no_ponsel,pemakaian_gb\n00000000-0000-0000-0000-000000000001,6281200000000,3.5\n")

    code, out = _kit(capsys, token, "upload-usage", "--period", "2099-01", "--usage", str(usage))

    assert (code, out["status"], out["error"]) == (2, 404, "TIDAK_DITEMUKAN")
    assert out["message"] == (
        "HTTP 404 TIDAK_DITEMUKAN: the server has no period 2099-01: check --period "
        "(pull-disbursements prints the period of each of your batches, e.g. 2020-09A)"
    )


def test_upload_injection_names_the_line_it_cannot_parse_without_a_number(
    token, in_process, capsys, tmp_path, db
):  # type: ignore[no-untyped-def]
    wide = tmp_path / "wide.csv"
    wide.write_text(
        "pd_id,no_ponsel,status\n"
        "00000000-0000-0000-0000-000000000001,6281211112222,BERHASIL\n"
        "00000000-0000-0000-0000-000000000002,6281233334444,BERHASIL,x,y\n"
    )

    code, out = _kit(capsys, token, "upload-injection", "--batch", "b", "--results", str(wide))

    assert (code, out["error"]) == (2, "BERKAS_TIDAK_TERBACA")
    assert out["detail"] == "results wide.csv: not a CSV the kit can read (line 3 has 5 fields, the header 3)"


def test_upload_injection_names_an_unknown_batch_and_where_to_find_the_ids(
    token, in_process, capsys, tmp_path, db
):  # type: ignore[no-untyped-def]
    results = _results(tmp_path / "h.csv", ["00000000-0000-0000-0000-000000000001,6281200000000,BERHASIL,,,"])
    args = ["--batch", "DMP-20200915-telkomsel-0001", "--results", str(results), "--workdir", str(tmp_path)]

    code = cli.main(["upload-injection", "--url", "http://verval.test", "--token", token, *args])

    assert code == 2
    assert capsys.readouterr().err == (
        "verval-provider upload-injection: HTTP 404 TIDAK_DITEMUKAN: no disbursement batch "
        "DMP-20200915-telkomsel-0001 of yours on this server "
        "(a dump batch: those are answered by sync or upload-results): "
        "check --batch (pull-disbursements prints the id of each of your batches)\n"
    )


def test_disbursement_commands_refused_for_want_of_a_token_still_print_the_json_line(monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("VERVAL_PROVIDER_TOKEN", raising=False)

    code = cli.main(["pull-disbursements", "--url", "http://verval.test", "--json"])

    assert code == 2
    captured = capsys.readouterr()
    assert (
        captured.err == "verval-provider pull-disbursements: --token or VERVAL_PROVIDER_TOKEN is required\n"
    )
    assert json.loads(captured.out.splitlines()[-1]) == {
        "state": "REFUSED",
        "error_code": "ARGUMEN_TIDAK_SAH",
        "error": "ARGUMEN_TIDAK_SAH",
        "message": "--token or VERVAL_PROVIDER_TOKEN is required",
        "exit_code": 2,
    }


@pytest.mark.parametrize(
    "url", ["https://verval.example.go.id/api/v1", "https://verval.example.go.id/api/v1/"]
)
def test_a_url_given_with_the_api_base_is_refused_with_the_address_to_give(url, capsys):  # type: ignore[no-untyped-def]
    code = cli.main(["send-recap", "--url", url, "--token", "vp_x", "--period", "2020-09A"])

    assert code == 2
    assert capsys.readouterr().err == (
        "verval-provider send-recap: --url is the server's address without /api/v1 (the kit adds it), "
        "e.g. https://verval.example.go.id\n"
    )


def test_upload_injection_of_a_mistyped_batch_id_names_the_form_and_echoes_no_digits(
    token, in_process, capsys, tmp_path, db
):  # type: ignore[no-untyped-def]
    results = _results(tmp_path / "h.csv", ["00000000-0000-0000-0000-000000000001,6281200000000,BERHASIL,,,"])
    args = ["--batch", "0B9C5D1E6F3A", "--results", str(results), "--workdir", str(tmp_path)]

    code = cli.main(["upload-injection", "--url", "http://verval.test", "--token", token, *args])

    assert code == 2
    assert capsys.readouterr().err == (
        "verval-provider upload-injection: HTTP 404 TIDAK_DITEMUKAN: no disbursement batch of yours on "
        "this server has that id; a disbursement batch id is a UUID such as "
        "0b9c5d1e-6f3a-4e2b-9c7d-1a2b3c4d5e6f: check --batch (pull-disbursements prints the id of each "
        "of your batches)\n"
    )


@pytest.mark.parametrize("tail", ["?x=1", "#x", "/manifest"])
def test_upload_injection_of_an_id_with_a_slash_query_or_fragment_reaches_no_other_endpoint(
    tail, operator, pusdatin, school, period, token, capsys, tmp_path, monkeypatch
):  # type: ignore[no-untyped-def]
    # Unquoted, `<id>?x=1` and `<id>#x` asked for the batch <id> itself (urllib drops a fragment)
    # and `<id>/manifest` for its manifest: an id the engineer did not type was answered. The
    # in-process transport decodes the path as a WSGI server does, so %2F alone would not do.
    (r,) = aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    _disburse(pusdatin, period)
    batch = str(DisbursementBatch.objects.get().pk)
    paths: list[str] = []
    server = DjangoClientTransport()

    def recording(method, path, headers, body=None):  # type: ignore[no-untyped-def]
        paths.append(path)
        return server(method, path, headers, body)

    monkeypatch.setattr(cli, "UrllibTransport", lambda url: recording)
    results = _results(tmp_path / "h.csv", [f"{r.pk},{r.phone_e164[1:]},BERHASIL,,,"])

    code, out = _kit(
        capsys,
        token,
        "upload-injection",
        "--batch",
        batch + tail,
        "--results",
        str(results),
        "--workdir",
        str(tmp_path / "k"),
    )

    assert (code, out["status"], out["error"]) == (2, 404, "TIDAK_DITEMUKAN")
    quoted = {"?x=1": "%3Fx%3D1", "#x": "%23x", "/manifest": "%252Fmanifest"}[tail]
    assert paths[0] == f"/api/v1/disbursements/batches/{batch}{quoted}"
    assert not Job.objects.filter(kind="ingest_injection").exists()
    assert Disbursement.objects.get().status == "DIJADWALKAN"
