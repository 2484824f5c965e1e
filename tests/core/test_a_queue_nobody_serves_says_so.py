"""A queue no live worker serves says so (decision 0082): each `verval worker` beats a file naming
its queues; a job waiting in a queue without a live worker says so on its page (and what to do),
`verval jobs` and Pusdatin's page name the queue and the command to run, and `/healthz` answers
"degraded" (still 200). The database task backend (the tests' default runs tasks at once)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from verval.core import jobs, queues, workers
from verval.core.management.commands import worker as worker_command
from verval.core.models import Job
from verval.dashboard import tasks as dashboard_tasks

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": list(queues.ALL)}}
NO_INTERACTIVE = (
    "Tidak ada pekerja latar yang melayani antrean cepat, jadi pekerjaan ini belum dapat berjalan."
)
WAITS = (
    "Pekerjaan ini tetap menunggu dan berjalan sendiri begitu pekerja antrean itu dijalankan lagi; "
    "tidak perlu mengunggah ulang atau memulai pekerjaan baru."
)


@pytest.fixture
def db_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = DB_TASKS
    settings.VERVAL = {**settings.VERVAL, "JOB_RECOVER_EVERY_SECONDS": 10**6}


def _ready_task(queue: str, waited: timedelta) -> str:
    """A task waiting in `queue` (READY) since `waited` ago, as the database backend stores it."""
    row = DBTaskResult.objects.create(
        task_path="verval.core.tasks.run_job_task",
        args_kwargs={"args": ["x"], "kwargs": {}},
        queue_name=queue,
        backend_name="default",
        priority=0,
    )
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - waited)
    return str(row.pk)


def _queued(actor, kind: str, waited: timedelta) -> Job:  # type: ignore[no-untyped-def]
    """A job handed to its queue `waited` ago, its task still waiting there."""
    job = jobs.create_job(actor=actor, kind=kind)
    task_id = _ready_task(queues.for_kind(kind), waited)
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - waited, task_id=task_id)
    job.refresh_from_db()
    return job


def _worker_file(served: tuple[str, ...], *, beat_ago: float, stopped: bool = False) -> None:
    """A worker's heartbeat file as `workers.Heartbeat` writes it, `beat_ago` seconds old."""
    beat = workers.Heartbeat(served)
    beat.beat(stopped=stopped)
    data = json.loads(beat.path.read_text())
    data["beat"] -= beat_ago
    if stopped:
        data["stopped"] = data["beat"]
    beat.path.write_text(json.dumps(data))


def test_a_workers_queue_option_names_the_queues_it_serves():  # type: ignore[no-untyped-def]
    assert workers.served_queues("*") == ("default", "interactive")
    assert workers.served_queues("interactive") == ("interactive",)
    assert workers.served_queues("default,interactive") == ("default", "interactive")
    assert workers.served_queues("*", "interactive") == ("default",)


def test_a_live_heartbeat_serves_its_queues_and_a_stopped_one_is_remembered_as_last_seen(db_tasks, db):  # type: ignore[no-untyped-def]
    beat = workers.Heartbeat(("interactive",)).start()
    try:
        states = workers.queue_states()
        assert (states["interactive"].workers, states["default"].workers) == (1, 0)
        assert states["default"].last_seen is None
    finally:
        beat.stop()
    states = workers.queue_states()
    assert states["interactive"].workers == 0
    assert states["interactive"].last_seen is not None
    assert abs((timezone.now() - states["interactive"].last_seen).total_seconds()) < 5


def test_a_worker_not_heard_from_for_the_silent_time_no_longer_serves_its_queue(db_tasks, db):  # type: ignore[no-untyped-def]
    _worker_file(("default", "interactive"), beat_ago=workers.silent_seconds() + 5)
    _worker_file(("default",), beat_ago=3)
    states = workers.queue_states()
    assert (states["default"].workers, states["interactive"].workers) == (1, 0)
    assert workers.unserved("interactive") == states["interactive"]
    assert workers.unserved("default") is None


def test_the_worker_command_beats_its_queues_and_marks_its_file_stopped_when_it_ends(
    db_tasks, monkeypatch, db
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda self: None)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker_command.connections, "close_all", lambda: None)
    call_command(
        "worker",
        "--queue-name",
        "interactive",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        stdout=StringIO(),
    )
    (path,) = (workers.files.root() / "workers").glob("*.json")
    data = json.loads(path.read_text())
    assert data["queues"] == ["interactive"]
    assert data["stopped"] == data["beat"]
    assert workers.queue_states()["interactive"].workers == 0


def test_a_dead_workers_file_is_forgotten_after_a_week(db_tasks, db):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=8 * 24 * 3600)
    _worker_file(("interactive",), beat_ago=6 * 24 * 3600)
    assert workers.forget_dead() == 1
    states = workers.queue_states()
    assert (states["default"].last_seen, states["interactive"].last_seen is not None) == (None, True)


def test_a_job_waiting_in_a_queue_without_a_worker_says_so_and_what_to_do(
    db_tasks, client, pusdatin, dinas_kab
):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=2)  # the heavy queue's worker runs; the interactive one does not
    mine = _queued(dinas_kab, "export_behind", timedelta(minutes=2))
    client.force_login(dinas_kab)
    page = client.get(f"/pekerjaan/{mine.pk}/progres/").content.decode()
    assert f"{NO_INTERACTIVE} {WAITS} Beri tahu Pusdatin agar pekerja antrean ini dijalankan." in page
    assert 'hx-trigger="every 10s"' in page

    theirs = _queued(pusdatin, "export_behind", timedelta(minutes=2))
    client.force_login(pusdatin)
    page = client.get(f"/pekerjaan/{theirs.pk}/progres/").content.decode()
    assert (
        f"{NO_INTERACTIVE} {WAITS} Jalankan pekerja antrean ini di server: "
        "<code>verval worker --queue-name interactive</code> (atau unit systemd-nya, lihat panduan pemasangan)."
    ) in page


def test_a_queue_whose_worker_stopped_says_since_when(db_tasks, client, pusdatin):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=300, stopped=True)
    job = _queued(pusdatin, "validate", timedelta(minutes=2))
    client.force_login(pusdatin)
    page = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "Tidak ada pekerja latar yang melayani antrean pekerjaan besar sejak " in page
    assert "(5\xa0menit yang lalu), jadi pekerjaan ini belum dapat berjalan." in page
    assert "verval worker --queue-name default" in page


def test_a_job_just_queued_or_in_a_served_queue_only_says_it_waits(db_tasks, client, pusdatin):  # type: ignore[no-untyped-def]
    just = _queued(pusdatin, "validate", timedelta(seconds=5))
    _worker_file(("interactive",), beat_ago=1)
    served = _queued(pusdatin, "export_behind", timedelta(minutes=10))
    client.force_login(pusdatin)
    for job in (just, served):
        page = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
        assert "Tidak ada pekerja latar" not in page
        assert "Menunggu giliran di antrean" in page
        assert 'hx-trigger="every 5s"' in page


def test_verval_jobs_names_a_queue_without_a_worker_and_the_command_to_start_one(db_tasks, pusdatin):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=1)
    waiting = _queued(pusdatin, "export_behind", timedelta(seconds=125))
    out = StringIO()
    call_command("jobs", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        "queue default: 1 worker(s) alive, 0 job(s) waiting",
        "queue interactive: NO WORKER (never seen); 1 job(s) wait there, the oldest for 125 s. "
        "Start one on the server: verval worker --queue-name interactive (docs/deployment.md, Two queues)",
    ]
    assert lines[-1].startswith(str(waiting.pk))
    assert lines[-1].endswith("  (no worker serves its queue)")

    out = StringIO()
    call_command("jobs", "--json", stdout=out)
    body = json.loads(out.getvalue().splitlines()[-1])
    assert [(q["queue"], q["workers"], q["jobs_waiting"], q["last_seen"]) for q in body["queues"]] == [
        ("default", 1, 0, body["queues"][0]["last_seen"]),
        ("interactive", 0, 1, None),
    ]
    assert body["queues"][0]["seconds_since_seen"] in (1, 2)
    assert [(j["id"], j["no_worker"]) for j in body["jobs"]] == [(str(waiting.pk), True)]


def test_healthz_is_degraded_while_tasks_wait_in_a_queue_without_a_worker(db_tasks, client, settings, db):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _worker_file(("default",), beat_ago=2)
    _ready_task("interactive", timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["queues_without_worker"]) == ("degraded", ["interactive"])
    assert body["queues"]["default"] == {"workers": 1, "tasks_waiting": 0, "oldest_task_waiting_seconds": 0}
    assert (body["queues"]["interactive"]["workers"], body["queues"]["interactive"]["tasks_waiting"]) == (
        0,
        1,
    )
    assert 300 <= body["queues"]["interactive"]["oldest_task_waiting_seconds"] < 360

    _worker_file(("interactive",), beat_ago=0)
    body = client.get("/healthz").json()
    assert (body["status"], body["queues_without_worker"]) == ("ok", [])


def test_healthz_stays_ok_for_a_queue_without_a_worker_while_nothing_waits_there(
    db_tasks, client, settings, db
):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _worker_file(("default",), beat_ago=2)
    body = client.get("/healthz").json()
    assert (body["status"], body["queues"]["interactive"]["workers"]) == ("ok", 0)


def test_pusdatins_page_warns_of_a_queue_without_a_worker(db_tasks, client, pusdatin):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=2)
    _queued(pusdatin, "export_behind", timedelta(minutes=3))
    client.force_login(pusdatin)
    page = client.get("/pusdatin/").content.decode()
    assert (
        "Antrean cepat (pemeriksaan pindaian dan cetak SPTJM sekolah, ekspor Excel, berkas koreksi sekolah, "
        "pembaruan dasbor sekolah) tidak dilayani pekerja latar mana pun. Belum pernah ada pekerja antrean "
        "ini yang terlihat. 1 pekerjaan menunggu di sana: Ekspor Excel sekolah tertinggal (1). Jalankan "
        "pekerjanya di server: <code>verval worker --queue-name interactive</code>"
    ) in page
    assert "Antrean pekerjaan besar (impor" not in page

    _worker_file(("interactive",), beat_ago=0)
    assert "queue-no-worker" not in client.get("/pusdatin/").content.decode()


def test_pusdatins_warning_names_the_schools_sptjm_scan_checks_and_prints_waiting_without_a_worker(
    db_tasks, client, pusdatin
):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=2)
    _queued(pusdatin, "sptjm_scan", timedelta(minutes=4))
    _queued(pusdatin, "sptjm_scan", timedelta(minutes=3))
    _queued(pusdatin, "sptjm_print", timedelta(minutes=2))
    client.force_login(pusdatin)

    page = client.get("/pusdatin/").content.decode()

    assert (
        "Antrean cepat (pemeriksaan pindaian dan cetak SPTJM sekolah, ekspor Excel, berkas koreksi sekolah, "
        "pembaruan dasbor sekolah) tidak dilayani pekerja latar mana pun. Belum pernah ada pekerja antrean "
        "ini yang terlihat. 3 pekerjaan menunggu di sana: Pemeriksaan pindaian SPTJM (2), Pencetakan SPTJM "
        "(1). Jalankan pekerjanya di server: <code>verval worker --queue-name interactive</code>"
    ) in page
    out = StringIO()
    call_command("jobs", "--json", stdout=out)
    queues_json = json.loads(out.getvalue().splitlines()[-1])["queues"]
    assert [(q["queue"], q["jobs_waiting"], q["jobs_waiting_by_kind"]) for q in queues_json] == [
        ("default", 0, {}),
        ("interactive", 3, {"sptjm_print": 1, "sptjm_scan": 2}),
    ]


def test_a_heartbeat_is_one_small_file_written_whole_with_no_temporary_file_left(db_tasks, db):  # type: ignore[no-untyped-def]
    beat = workers.Heartbeat(("default",))
    beat.beat()
    beat.beat()
    assert sorted(p.name for p in beat.path.parent.iterdir()) == [beat.path.name]
    assert set(json.loads(beat.path.read_text())) == {"queues", "host", "pid", "started", "beat", "stopped"}


def _waiting_refresh(task) -> None:  # type: ignore[no-untyped-def]
    """A dashboard refresh enqueued through the database backend, waiting for a worker."""
    task.enqueue(*([["20100001"]] if task is dashboard_tasks.refresh_schools_task else []))


def test_pusdatins_warning_and_verval_jobs_count_the_dashboard_refreshes_waiting_without_a_worker(
    db_tasks, client, pusdatin
):  # type: ignore[no-untyped-def]
    """The dashboard refreshes are tasks, not jobs (decision 0115): a school's waits in the quick
    queue, the full one in the heavy queue; `/healthz` counted them, the warning did not."""
    _queued(pusdatin, "sptjm_scan", timedelta(minutes=4))
    _waiting_refresh(dashboard_tasks.refresh_dirty_task)
    _waiting_refresh(dashboard_tasks.refresh_schools_task)
    _waiting_refresh(dashboard_tasks.refresh_all_task)
    _ready_task("default", timedelta(minutes=1))  # a job's task: counted by its job row, not here
    client.force_login(pusdatin)

    page = client.get("/pusdatin/").content.decode()

    assert (
        "1 pekerjaan menunggu di sana: Pemeriksaan pindaian SPTJM (1). 2 pembaruan angka dasbor menunggu "
        "di sana. Jalankan pekerjanya di server: <code>verval worker --queue-name interactive</code>"
    ) in page
    assert (
        "Belum pernah ada pekerja antrean ini yang terlihat. 1 pembaruan angka dasbor menunggu di sana. "
        "Jalankan pekerjanya di server: <code>verval worker --queue-name default</code>"
    ) in page
    out = StringIO()
    call_command("jobs", "--json", stdout=out)
    queues_json = json.loads(out.getvalue().splitlines()[-1])["queues"]
    assert [(q["queue"], q["jobs_waiting"], q["dashboard_refreshes_waiting"]) for q in queues_json] == [
        ("default", 0, 1),
        ("interactive", 1, 2),
    ]
    out = StringIO()
    call_command("jobs", stdout=out)
    lines = [line.split(". Start")[0] for line in out.getvalue().splitlines()[:2]]
    # The job was queued 240 s before the test's first request; the page and the JSON ran since.
    waited = re.search(r"the oldest for (\d+) s", lines[1])
    assert waited is not None and 240 <= int(waited.group(1)) < 300
    assert [lines[0], lines[1].replace(waited.group(0), "the oldest for N s")] == [
        "queue default: NO WORKER (never seen); no job waits there now, but 1 dashboard refresh(es) wait there",
        "queue interactive: NO WORKER (never seen); 1 job(s) wait there, the oldest for N s, "
        "and 2 dashboard refresh(es)",
    ]


def test_a_dashboard_refresh_that_ran_or_a_served_queue_is_not_counted_as_waiting(db_tasks, client, pusdatin):  # type: ignore[no-untyped-def]
    _worker_file(("default",), beat_ago=2)
    _waiting_refresh(dashboard_tasks.refresh_all_task)
    _waiting_refresh(dashboard_tasks.refresh_dirty_task)
    DBTaskResult.objects.filter(task_path=dashboard_tasks.refresh_dirty_task.module_path).update(
        status="SUCCESSFUL"
    )
    client.force_login(pusdatin)

    page = client.get("/pusdatin/").content.decode()

    assert "pembaruan angka dasbor" not in page
    out = StringIO()
    call_command("jobs", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "queue default: 1 worker(s) alive, 0 job(s) waiting, 1 dashboard refresh(es) waiting"
    )
