"""Two task queues (decision 0071): registry-wide work on "default", short work a person waits for
on "interactive", each served by a worker of its own under `verval serve`, so that an export or a
school's dashboard refresh does not wait behind a national import. The tasks go through
django-tasks' database backend here (the tests' default is the immediate one), so the queue is the
one the task row holds."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from verval.core import actions, jobs, queues
from verval.core.management.commands import worker as worker_command
from verval.core.management.commands.serve import _keep_alive, start_workers
from verval.core.models import Job
from verval.dashboard.tasks import refresh_all_task, refresh_dirty_task, refresh_schools_task

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": list(queues.ALL)}}


@pytest.fixture
def db_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = DB_TASKS
    # The worker command's recovery thread must not wake during the test.
    settings.VERVAL = {**settings.VERVAL, "JOB_RECOVER_EVERY_SECONDS": 10**6}


def quick_runner(job: Job) -> dict[str, int]:
    return {"rows": 1}


def _queue_of(job: Job) -> str:
    job.refresh_from_db()
    return str(DBTaskResult.objects.get(id=job.task_id).queue_name)


def _handed_over(pusdatin, kind, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.create_job(actor=pusdatin, kind=kind)
        jobs.enqueue(job)
    return job


def test_settings_list_the_two_queues_the_code_sends_to():  # type: ignore[no-untyped-def]
    from django.conf import settings

    assert settings.TASKS["default"]["QUEUES"] == ["default", "interactive"]
    assert queues.ALL == ("default", "interactive")


def test_each_job_kind_is_handed_to_the_queue_chosen_for_it(
    db_tasks, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    landed = {
        kind: _queue_of(_handed_over(pusdatin, kind, django_capture_on_commit_callbacks))
        for kind in jobs.RUNNERS
    }

    assert landed == {
        "import_dapodik": "default",
        "validate": "default",
        "dump": "default",
        "ingest_results": "default",
        "bulk_correction": "interactive",
        "disbursement": "default",
        "ingest_injection": "default",
        "export_behind": "interactive",
        "ingest_usage": "default",
        "sptjm_scan": "interactive",
        "sptjm_print": "interactive",
    }


def test_a_schools_dashboard_refresh_is_interactive_and_the_full_refresh_heavy(db_tasks, db):  # type: ignore[no-untyped-def]
    rows = {
        "schools": refresh_schools_task.enqueue(["20100001"]).id,
        "dirty": refresh_dirty_task.enqueue().id,
        "all": refresh_all_task.enqueue(timezone.now().isoformat()).id,
    }

    assert {name: DBTaskResult.objects.get(id=task_id).queue_name for name, task_id in rows.items()} == {
        "schools": "interactive",
        "dirty": "interactive",
        "all": "default",
    }


def _work(monkeypatch, *options: str) -> None:  # type: ignore[no-untyped-def]
    # The worker would take over pytest's Ctrl-C, and close the connection that holds the test's
    # transaction (PostgreSQL); in batch mode it stops once its queues are empty.
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda self: None)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker_command.connections, "close_all", lambda: None)
    call_command("worker", *options, "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())


def _two_jobs(monkeypatch, pusdatin, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(jobs.RUNNERS, "import_dapodik", "tests.core.test_two_queues.quick_runner")
    monkeypatch.setitem(jobs.RUNNERS, "export_behind", "tests.core.test_two_queues.quick_runner")
    heavy = _handed_over(pusdatin, "import_dapodik", django_capture_on_commit_callbacks)
    export = _handed_over(pusdatin, "export_behind", django_capture_on_commit_callbacks)
    return heavy, export


def _states(*js: Job) -> list[tuple[str, str]]:
    out = []
    for job in js:
        job.refresh_from_db()
        out.append((job.state, DBTaskResult.objects.get(id=job.task_id).status))
    return out


def test_a_worker_of_the_interactive_queue_leaves_the_import_to_the_other_worker(  # type: ignore[no-untyped-def]
    db_tasks, monkeypatch, pusdatin, django_capture_on_commit_callbacks
):
    heavy, export = _two_jobs(monkeypatch, pusdatin, django_capture_on_commit_callbacks)

    _work(monkeypatch, "--queue-name", "interactive")
    assert _states(heavy, export) == [("PENDING", "READY"), ("SUCCEEDED", "SUCCESSFUL")]

    _work(monkeypatch, "--queue-name", "default")
    assert _states(heavy, export) == [("SUCCEEDED", "SUCCESSFUL"), ("SUCCEEDED", "SUCCESSFUL")]


def test_a_worker_of_the_default_queue_leaves_the_export_alone(  # type: ignore[no-untyped-def]
    db_tasks, monkeypatch, pusdatin, django_capture_on_commit_callbacks
):
    heavy, export = _two_jobs(monkeypatch, pusdatin, django_capture_on_commit_callbacks)

    _work(monkeypatch, "--queue-name", "default")

    assert _states(heavy, export) == [("SUCCEEDED", "SUCCESSFUL"), ("PENDING", "READY")]


def test_verval_worker_without_options_serves_both_queues(  # type: ignore[no-untyped-def]
    db_tasks, monkeypatch, pusdatin, django_capture_on_commit_callbacks
):
    heavy, export = _two_jobs(monkeypatch, pusdatin, django_capture_on_commit_callbacks)

    _work(monkeypatch)

    assert _states(heavy, export) == [("SUCCEEDED", "SUCCESSFUL"), ("SUCCEEDED", "SUCCESSFUL")]


def test_a_worker_for_a_misspelt_queue_is_refused(db_tasks, db):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as refused:
        call_command("worker", "--queue-name", "default,interactve", "--batch", "--no-reload")

    assert str(refused.value) == "unknown queue interactve; the queues are default, interactive"


def _abandoned(pusdatin, kind, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """A job handed to its queue whose worker then died RUNNING ten minutes ago."""
    job = _handed_over(pusdatin, kind, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", started_at=timezone.now())
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, lease_owner="old-host:4242:dead", heartbeat_at=long_ago, attempts=1
    )
    job.refresh_from_db()
    return job


def test_the_recovery_hands_a_dead_workers_job_back_to_its_own_queue(  # type: ignore[no-untyped-def]
    db_tasks, pusdatin, django_capture_on_commit_callbacks
):
    export = _abandoned(pusdatin, "export_behind", django_capture_on_commit_callbacks)
    heavy = _abandoned(pusdatin, "validate", django_capture_on_commit_callbacks)
    dead_tasks = {export.task_id, heavy.task_id}

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.recover_jobs() == {"requeued": 2, "failed": 0}

    export.refresh_from_db()
    heavy.refresh_from_db()
    assert export.task_id not in dead_tasks and heavy.task_id not in dead_tasks
    assert [(j.state, _queue_of(j)) for j in (export, heavy)] == [
        ("PENDING", "interactive"),
        ("PENDING", "default"),
    ]
    assert sorted(DBTaskResult.objects.filter(id__in=dead_tasks).values_list("queue_name", "status")) == [
        ("default", "FAILED"),
        ("interactive", "FAILED"),
    ]


def test_a_job_requeued_by_hand_goes_back_to_its_own_queue(  # type: ignore[no-untyped-def]
    db_tasks, pusdatin, django_capture_on_commit_callbacks
):
    job = _handed_over(pusdatin, "bulk_correction", django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, error_code="KESALAHAN_SISTEM")
    job.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        actions.requeue_job(actor=pusdatin, job_id=job.pk)

    assert _queue_of(job) == "interactive"


def test_an_export_cancelled_in_its_queue_is_not_run_by_the_interactive_worker(  # type: ignore[no-untyped-def]
    db_tasks, monkeypatch, pusdatin, django_capture_on_commit_callbacks
):
    ran: list[str] = []
    monkeypatch.setitem(jobs.RUNNERS, "export_behind", "tests.core.test_two_queues.quick_runner")
    monkeypatch.setattr(jobs, "import_string", lambda path: lambda job: ran.append(path) or {})
    export = _handed_over(pusdatin, "export_behind", django_capture_on_commit_callbacks)

    actions.cancel_job(actor=pusdatin, job_id=export.pk)
    _work(monkeypatch, "--queue-name", "interactive")

    export.refresh_from_db()
    assert (export.state, export.error_code, ran) == ("FAILED", "DIBATALKAN", [])
    assert DBTaskResult.objects.get(id=export.task_id).status == "SUCCESSFUL"


class FakeProcess:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.returncode = -15

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode

    def kill(self) -> None:  # pragma: no cover - only when terminate did not work
        self.returncode = -9


def test_serve_starts_a_worker_per_queue_and_restarts_the_one_that_died():  # type: ignore[no-untyped-def]
    started: list[tuple[str, FakeProcess]] = []

    def start(queue: str) -> FakeProcess:
        started.append((queue, FakeProcess(100 + len(started))))
        return started[-1][1]

    out = StringIO()
    workers = start_workers(out, start=start)
    assert [(queue, p.pid) for queue, p in started] == [("default", 100), ("interactive", 101)]

    started[1][1].returncode = -9  # the interactive worker is killed
    for worker in workers:
        worker.check()

    assert [(queue, p.pid) for queue, p in started] == [
        ("default", 100),
        ("interactive", 101),
        ("interactive", 102),
    ]
    assert [w.process.pid for w in workers] == [100, 102]
    assert out.getvalue().splitlines() == [
        "Task worker of queue default started (pid 100).",
        "Task worker of queue interactive started (pid 101).",
        "Task worker of queue interactive (pid 101) stopped (exit code -9); starting a new one. Its job, "
        "if it had one, is run again once its lease expires (decision 0022).",
        "Task worker of queue interactive started (pid 102).",
    ]

    for worker in workers:
        worker.stop()
    assert [p.returncode for _queue, p in started] == [-15, -9, -15]


def test_serve_gives_up_on_one_queues_worker_and_keeps_the_other(monkeypatch):  # type: ignore[no-untyped-def]
    started: list[tuple[str, FakeProcess]] = []

    def start(queue: str) -> FakeProcess:
        started.append((queue, FakeProcess(100 + len(started))))
        return started[-1][1]

    out = StringIO()
    heavy, interactive = start_workers(out, start=start, give_up_after=2)
    for _ in range(3):
        interactive.process.returncode = 1  # dies at once after every start
        heavy.check()
        interactive.check()

    assert (heavy.given_up, interactive.given_up, heavy.process.pid) == (False, True, 100)
    assert out.getvalue().splitlines()[-1] == (
        "Task worker of queue interactive (pid 102) stopped (exit code 1) 2 times in a row right after its "
        "start; not started again. Its jobs wait until a worker runs (`verval worker`)."
    )


def test_the_keeper_thread_checks_every_queues_worker():  # type: ignore[no-untyped-def]
    class Stop:
        rounds = 0

        def wait(self, every: float) -> bool:
            self.rounds += 1
            return self.rounds > 1  # one round of checks, then stop

    checked: list[str] = []

    class Keeper:
        def __init__(self, name: str) -> None:
            self.name = name

        def check(self) -> None:
            checked.append(self.name)

    _keep_alive([Keeper("default"), Keeper("interactive")], Stop())  # type: ignore[list-item, arg-type]

    assert checked == ["default", "interactive"]


@pytest.mark.django_db(transaction=True)
def test_a_jobs_bookkeeping_write_waits_while_sqlite_is_locked_by_another_job(monkeypatch, pusdatin):  # type: ignore[no-untyped-def]
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's writers do not lock each other out")
    monkeypatch.setattr(jobs, "BUSY_RETRY_SECONDS", 0)
    job = jobs.create_job(actor=pusdatin, kind="export_behind")
    tries: list[int] = []

    def write() -> int:
        tries.append(1)
        if len(tries) < 3:
            raise OperationalError("database is locked")
        return 7

    assert jobs.when_database_free(write, job=job, owner="host:1:abc") == 7
    assert len(tries) == 3
    assert jobs.lease_path(job).read_text().startswith('{"owner": "host:1:abc", "beat": ')


@pytest.mark.django_db(transaction=True)
def test_any_other_database_error_of_a_jobs_write_is_raised_at_once(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="export_behind")
    tries: list[int] = []

    def write() -> int:
        tries.append(1)
        raise OperationalError("no such table: core_job")

    with pytest.raises(OperationalError):
        jobs.when_database_free(write, job=job)
    assert len(tries) == 1


def test_a_jobs_write_inside_a_callers_transaction_is_not_retried(pusdatin):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=pusdatin, kind="export_behind")
    tries: list[int] = []

    def write() -> int:
        tries.append(1)
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        jobs.when_database_free(write, job=job)
    assert len(tries) == 1


def _worker_meeting(monkeypatch, error: OperationalError) -> list[str]:  # type: ignore[no-untyped-def]
    """Run `verval worker` over a db_worker whose first look for a task meets `error`."""
    looks: list[str] = []

    def look(self, **options):  # type: ignore[no-untyped-def]
        looks.append(options["queue_name"])
        if len(looks) == 1:
            raise error

    # db_worker's handle, which `verval worker` runs with its own Worker (decision 0082).
    monkeypatch.setattr(worker_command.Command, "_run_worker", look)
    monkeypatch.setattr(connection, "close", lambda: None)
    _work(monkeypatch, "--queue-name", "interactive")
    return looks


def test_an_interactive_worker_waits_out_an_imports_sqlite_lock_instead_of_dying(db_tasks, monkeypatch, db):  # type: ignore[no-untyped-def]
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's workers take tasks without waiting for each other")
    # db_worker's BEGIN EXCLUSIVE after the 30 s busy timeout, measured under a running import.
    assert _worker_meeting(monkeypatch, OperationalError("database is locked")) == [
        "interactive",
        "interactive",
    ]


def test_a_worker_still_stops_on_any_other_database_error(db_tasks, monkeypatch, db):  # type: ignore[no-untyped-def]
    with pytest.raises(OperationalError):
        _worker_meeting(monkeypatch, OperationalError("no such table: django_tasks_database_dbtaskresult"))
