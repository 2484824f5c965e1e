"""`verval demo` leaves the provider whose token it prints real work for the provider kit: one
unanswered delta dump, one unanswered disbursement batch, its subscriber export and the exact
commands to run (decision 0057)."""

from __future__ import annotations

import gzip
import json
import re
import shlex

import pytest
from django.core.management import call_command

from verval.core import demo, files
from verval.exchange.models import DumpBatch, DumpItem
from verval.exchange.simulator import DjangoClientTransport
from verval.registry.models import NumberHistory, Recipient
from verval.sptjm.models import DisbursementBatch, Sptjm
from verval_provider import cli

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_api_counters():  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def in_process(monkeypatch):  # type: ignore[no-untyped-def]
    """The printed commands talk to the API in-process (same kit code, django.test.Client)."""
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: DjangoClientTransport())


def _printed_command(lines: list[str], subcommand: str) -> list[str]:
    (line,) = [line for line in lines if f"verval-provider {subcommand} " in line]
    argv = shlex.split(line)
    assert argv[0] == demo.kit_program()
    return argv[1:]


def _run_kit(capsys, argv: list[str]) -> tuple[int, dict]:  # type: ignore[no-untyped-def,type-arg]
    capsys.readouterr()
    code = cli.main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_demo_leaves_the_printed_provider_a_dump_its_subscriber_export_answers(in_process, capsys):  # type: ignore[no-untyped-def]
    call_command("demo", "--students", "900", "--teachers", "100", "--port", "8765")
    lines = capsys.readouterr().out.splitlines()

    # Exactly one batch waits for an answer, the demo provider's: the numbers its schools corrected.
    (batch,) = DumpBatch.objects.filter(state=DumpBatch.State.OPEN)
    assert (batch.provider, batch.rows) == ("telkomsel", demo.KIT_CORRECTIONS)
    corrected = set(
        NumberHistory.objects.filter(action="change_number").values_list("recipient_id", flat=True)
    )
    in_batch = set(DumpItem.objects.filter(batch=batch).values_list("recipient_id", flat=True))
    assert in_batch == corrected
    assert (
        Recipient.objects.filter(pk__in=in_batch, status="MENUNGGU_PROVIDER").count() == demo.KIT_CORRECTIONS
    )
    operator_school = Recipient.objects.filter(school__operators__username="operator").values("school_id")
    assert not Recipient.objects.filter(pk__in=in_batch, school_id__in=operator_school).exists()

    # The subscriber export is in the kit's documented format and knows the batch's numbers.
    subscribers = demo.kit_paths()["subscribers"]
    assert subscribers.is_relative_to(files.root())
    text = subscribers.read_text(encoding="utf-8")
    assert text.startswith("msisdn,status\n") and text.endswith("\n")
    rows = [line.split(",") for line in text.splitlines()[1:]]
    assert all(re.fullmatch(r"62\d{8,13}", msisdn) for msisdn, _ in rows)
    assert {status for _, status in rows} == {"active", "grace", "inactive"}
    states = dict(rows)
    with gzip.open(files.absolute(batch.file_path), "rt", encoding="utf-8") as fh:
        numbers = [line.split(",")[3] for line in fh.read().splitlines()[1:]]
    expected_active = sum(states.get(n) == "active" for n in numbers)
    assert 0 < expected_active < demo.KIT_CORRECTIONS

    # What `make run` prints: the export, the batch and the exact sync command with the token.
    assert f"  Subscriber export of telkomsel (the simulator's): {subscribers}" in lines
    assert f"  Dump batch waiting for telkomsel's answer: {batch.id} ({demo.KIT_CORRECTIONS} rows)" in lines
    sync_argv = _printed_command(lines, "sync")
    assert sync_argv[:4] == ["sync", "--url", "http://127.0.0.1:8765", "--token"]
    assert sync_argv[5:] == [
        "--subscribers",
        str(subscribers),
        "--workdir",
        str(demo.kit_paths()["workdir"]),
    ]

    # The eight schools' round was played; the demo provider's second hand-over is left unanswered.
    assert Sptjm.objects.filter(status="DISETUJUI").count() == 8
    (waiting,) = DisbursementBatch.objects.exclude(state=DisbursementBatch.State.SELESAI)
    assert (waiting.provider, waiting.seq, waiting.pending) == ("telkomsel", 2, waiting.rows)

    # Running the printed command answers the batch: its recipients are AKTIF or RESIDU.
    code, report = _run_kit(capsys, sync_argv)
    assert code == 0
    (answered,) = report["batches"]
    assert (answered["batch"], answered["state"]) == (batch.id, "SUCCEEDED")
    assert answered["counts"]["applied"] == demo.KIT_CORRECTIONS
    assert DumpBatch.objects.get(pk=batch.pk).state == DumpBatch.State.COMPLETE
    by_status = {
        status: Recipient.objects.filter(pk__in=in_batch, status=status).count()
        for status in ("AKTIF", "RESIDU", "MENUNGGU_PROVIDER")
    }
    assert by_status == {
        "AKTIF": expected_active,
        "RESIDU": demo.KIT_CORRECTIONS - expected_active,
        "MENUNGGU_PROVIDER": 0,
    }
    assert _run_kit(capsys, sync_argv)[1]["batches"] == []  # nothing new

    # The printed pull-disbursements shares the workdir the demo injected the first batch from,
    # so once the second batch is injected, the recap of the whole period can be sent.
    pull_argv = _printed_command(lines, "pull-disbursements")
    code, pulled = _run_kit(capsys, pull_argv)
    assert code == 0
    assert sorted((b["seq"], b["downloaded"]) for b in pulled["batches"]) == [(1, False), (2, True)]
    (second,) = [b for b in pulled["batches"] if b["seq"] == 2]
    assert second["id"] == str(waiting.pk)
    with gzip.open(second["file"], "rt", encoding="utf-8") as fh:
        lines_sent = fh.read().splitlines()[1:]
    results = demo.kit_paths()["workdir"] / "hasil-demo.csv"
    results.write_text(
        "pd_id,no_ponsel,status\n"
        + "".join(f"{line.split(',')[0]},{line.split(',')[1]},BERHASIL\n" for line in lines_sent)
    )
    common = pull_argv[1:]  # --url, --token, --workdir as printed
    code, answer = _run_kit(
        capsys, ["upload-injection", *common, "--batch", second["id"], "--results", str(results)]
    )
    assert (code, answer["counts"]["berhasil"]) == (0, waiting.rows)
    code, sent = _run_kit(capsys, ["send-recap", *common, "--period", waiting.period_id])
    assert (code, sent["reconciliation"]["ok"]) == (0, True)

    # `make run` again (`verval demo --if-empty`) prints the commands without promising work
    # that is done: no dump waits, the round's batches are all answered.
    again = demo.kit_lines(url="http://127.0.0.1:8765", token="vp_again")
    assert [line for line in again if not line.startswith("    ")] == [
        f"  Subscriber export of telkomsel (the simulator's): {subscribers}",
        "  No dump batch waits for telkomsel's answer; the provider kit answers the next one:",
        "  Every disbursement batch of telkomsel is answered; the provider kit fetches the next one:",
    ]
