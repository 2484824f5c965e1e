"""`verval demo` loads a usable data set with one account per role; `verval stats` counts it."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from verval.accounts.models import User
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db(transaction=True)


def _json_last_line(out: StringIO) -> dict:  # type: ignore[type-arg]
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_demo_prints_the_provider_example_with_the_servers_port():  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("demo", "--students", "40", "--teachers", "5", "--no-round", "--port", "8765", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if "verval-provider sync" in line]
    assert lines == [
        "  e.g. verval-provider sync --url http://127.0.0.1:8765 --token <token> --subscribers FILE"
    ]


def test_demo_prints_each_accounts_scope_by_name_with_its_code():  # type: ignore[no-untyped-def]
    from verval.reference.models import Region

    out = StringIO()
    call_command("demo", "--students", "40", "--teachers", "5", "--no-round", stdout=out)
    operator = User.objects.get(username="operator")
    school = operator.school
    province = Region.objects.get(code=school.province_id)
    regency = Region.objects.get(code=school.regency_id)
    lines = [line for line in out.getvalue().splitlines() if "/ verval-demo-2020 /" in line]
    assert lines == [
        "  PUSDATIN    pusdatin    / verval-demo-2020 / seluruh Indonesia / nationwide",
        f"  DINAS_PROV  dinas.prov  / verval-demo-2020 / {province.name} ({province.code})",
        f"  DINAS_KAB   dinas.kab   / verval-demo-2020 / {regency.name} ({regency.code})",
        f"  OPERATOR    operator    / verval-demo-2020 / {school.name} (NPSN {school.npsn})",
        "  PROVIDER    telkomsel   / verval-demo-2020 / telkomsel",
    ]


def test_demo_loads_accounts_for_every_role_and_plays_a_round():  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("demo", "--students", "900", "--teachers", "100", "--json", stdout=out)
    data = _json_last_line(out)
    assert sorted(data["accounts"]) == ["DINAS_KAB", "DINAS_PROV", "OPERATOR", "PROVIDER", "PUSDATIN"]
    assert User.objects.get(username="operator").check_password("verval-demo-2020")
    operator = User.objects.get(username="operator")
    assert Recipient.objects.filter(school=operator.school).count() > 0
    # The operator's school is one where a number serves more recipients than allowed, so the
    # tour's "shared number" flag shows on its own list (synth makes a few such numbers).
    from verval.registry.models import SharedNumber

    assert SharedNumber.objects.exists()
    assert Recipient.objects.filter(
        school=operator.school, phone_e164__in=SharedNumber.objects.values("phone_e164")
    ).exists()
    # One provider round was played: the demo shows residue and active numbers.
    assert Recipient.objects.filter(status="RESIDU").count() > 0
    assert Recipient.objects.filter(status="AKTIF").count() > 0

    # ...and the rest of the round for a few schools: SPTJM approved, quota disbursed and injected;
    # the demo operator's own school is left before printing.
    from verval.sptjm.models import Disbursement, Sptjm

    assert Sptjm.objects.filter(status="DISETUJUI").count() > 0
    assert not Sptjm.objects.filter(school=operator.school).exists()
    assert Disbursement.objects.filter(status="BERHASIL").count() > 0

    # The round is named after the month it is dated in, not after 2020.
    from verval.reference.models import Period

    today = dt.date.today()
    period = Period.objects.get(is_open=True)
    assert period.code == f"{today:%Y-%m}-T1"
    assert period.name.endswith(f"{today.year} tahap 1 (demo, kebijakan kuota 2020)")
    assert period.starts_on <= today <= period.ends_on
    assert Sptjm.objects.filter(period=period, status="DISETUJUI").count() > 0

    again = StringIO()
    call_command("demo", "--if-empty", "--json", stdout=again)
    assert _json_last_line(again)["loaded"] is False
    # A second round (a second `verval demo` queues one) skips the schools already played.
    from verval.core.demo import sptjm_round

    approved = Sptjm.objects.filter(status="DISETUJUI").count()
    second = sptjm_round(keep_npsn=operator.school_id, period_code=period.code)
    assert Sptjm.objects.filter(status="DISETUJUI").count() == approved + second["sptjm_disetujui"]

    stats = StringIO()
    call_command("stats", "--json", stdout=stats)
    counts = _json_last_line(stats)
    assert counts["recipients"] == Recipient.objects.filter(active=True).count()
    assert sum(counts["number_status"].values()) == counts["recipients"]
    assert counts["number_status"]["RESIDU"] == Recipient.objects.filter(status="RESIDU", active=True).count()


def test_the_demos_queued_round_finds_its_period_by_code_after_the_period_is_renamed(monkeypatch):  # type: ignore[no-untyped-def]
    from verval.core import tasks
    from verval.reference.models import Period
    from verval.sptjm.models import Sptjm

    # The round waits in the worker's queue (ImmediateBackend would play it inside `demo`).
    queued: list[tuple[object, ...]] = []
    round_task = tasks.demo_sptjm_round_task

    class Queue:
        def enqueue(self, *args: object) -> None:
            queued.append(args)

    monkeypatch.setattr(tasks, "demo_sptjm_round_task", Queue())
    call_command("demo", "--students", "600", "--teachers", "60", "--json", stdout=StringIO())
    (args,) = queued
    # Meanwhile Pusdatin gives the period a name of its own (`verval period edit --name`).
    period = Period.objects.get(is_open=True)
    Period.objects.filter(pk=period.pk).update(name="Tahap 1 Desember")

    played = round_task.call(*args)

    assert played["sptjm_disetujui"] > 0
    assert Sptjm.objects.filter(period=period, status="DISETUJUI").count() == played["sptjm_disetujui"]


def test_a_command_on_a_database_without_tables_says_to_migrate_and_exits_1(tmp_path):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["VERVAL_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "verval.cli", "stats", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # A system error (nothing refused: the database is not ready), decision 0026.
    assert done.returncode == 1
    assert done.stderr.startswith(
        "verval: the database has no tables yet (or misses some): run `verval migrate` first"
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "state": "FAILED",
        "error_code": "BASIS_DATA_BELUM_DIMIGRASI",
        "error": "BASIS_DATA_BELUM_DIMIGRASI",
        "message": "the database has no tables yet: run `verval migrate` first",
    }
    assert "Traceback" not in done.stderr
