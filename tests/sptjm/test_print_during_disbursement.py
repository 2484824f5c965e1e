"""A school prints its SPTJM while a disbursement run or a provider's injection results hold the
period (decision 0121). Both take the period's row lock so that one writer of a period's
disbursement works at a time; a print inserts the document and its items, whose foreign keys to
the period take a key-share lock on that row. Under `FOR UPDATE` every school's print waited for
the run or the results file to commit (tens of seconds at a million recipients) and, after the
save's brief wait (decision 0041), was refused `SEDANG_DIPROSES`; under `FOR NO KEY UPDATE` the
writers still exclude each other (tests/sptjm/test_concurrency.py) and the print goes through.
PostgreSQL only: SQLite has no row locks (one writer at a time for the whole file)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rowlocks import Actor, wait_until_waiting
from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.core.models import Job
from verval.registry.models import Recipient
from verval.sptjm import actions, services
from verval.sptjm.models import Disbursement, DisbursementBatch, Sptjm

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Paused:
    """Wraps a step of a job's runner: the real step runs, then the job waits, its transaction
    (and the period's lock) still open, until released."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.reached, self.release = threading.Event(), threading.Event()

    def __call__(self, **kw: Any) -> Any:
        result = self.real(**kw)
        self.reached.set()
        self.release.wait(60)
        return result


@pytest.fixture
def paused_job(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, Job], Paused]]:
    started: list[tuple[Paused, Actor]] = []

    def start(step: str, job: Job) -> Paused:
        pause = Paused(getattr(services, step))
        monkeypatch.setattr(services, step, pause)
        runner = Actor(lambda: jobs.run(job.pk)).start()
        started.append((pause, runner))
        assert pause.reached.wait(60)
        return pause

    yield start
    for pause, runner in started:
        pause.release.set()
        runner.join()
        assert runner.error is None and runner.result.state == "SUCCEEDED", runner.error or runner.result


def _print(operator: Any, school: Any, period: Any) -> Sptjm:
    sptjm, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert created is True
    return sptjm


def test_a_school_prints_its_sptjm_while_a_disbursement_run_holds_the_period(
    paused_job, pusdatin, operator, school, period
):
    aktif(school, 3)
    job = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    paused_job("disburse", job)

    sptjm = _print(operator, school, period)  # refused SEDANG_DIPROSES under FOR UPDATE

    assert (sptjm.status, sptjm.rows) == ("DICETAK", 3)
    assert Recipient.objects.filter(school=school, locked=True).count() == 3


def test_a_school_prints_its_sptjm_while_a_providers_injection_results_are_applied(
    paused_job, pusdatin, operator, school, other_school, other_operator, period, tmp_path: Path
):
    covered = aktif(school, 2)
    approve_all(operator, pusdatin, school, period)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    batch = DisbursementBatch.objects.get()
    results = tmp_path / "hasil.csv"
    results.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        + "".join(
            f"{r.pk},{Disbursement.objects.get(recipient=r).phone_e164[1:]},BERHASIL,\n" for r in covered
        )
    )
    aktif(other_school, 4)
    job = actions.create_injection_job(actor=None, batch=batch, path=results)
    paused_job("apply_injection_results", job)

    sptjm = _print(other_operator, other_school, period)  # refused SEDANG_DIPROSES under FOR UPDATE

    assert (sptjm.status, sptjm.rows) == ("DICETAK", 4)
    assert Recipient.objects.filter(school=other_school, locked=True).count() == 4


def test_a_second_disbursement_run_still_waits_for_the_one_that_holds_the_period(
    paused_job, pusdatin, operator, school, period
):
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    first = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    second = actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    pause = paused_job("disburse", first)
    waiting = Actor(lambda: jobs.run(second.pk)).start()
    wait_until_waiting(1)  # behind the first run's lock on the period row
    pause.release.set()
    done = waiting.join().result

    assert (done.state, done.counts["scheduled"]) == ("SUCCEEDED", 0)
    assert Disbursement.objects.count() == 3
