"""A queued job's page and `verval jobs` say which queue it waits in (decisions 0071, 0077), so a
job waiting behind a national import is explained."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from verval.core import jobs
from verval.core.models import Job

pytestmark = pytest.mark.django_db

HEAVY_NOTE = (
    "Menunggu giliran di antrean pekerjaan besar (impor Dapodik, validasi, dump, hasil provider, dan "
    "pekerjaan lain atas seluruh data), yang masing-masing dapat berjalan beberapa menit."
)
QUICK_NOTE = (
    "Menunggu giliran di antrean cepat untuk pekerjaan singkat (pemeriksaan pindaian dan cetak SPTJM, ekspor Excel, berkas koreksi sekolah); "
    "impor dan pekerjaan besar lain berjalan di antrean lain."
)


def _queued(actor, kind, seconds_ago, **fields):  # type: ignore[no-untyped-def]
    job = jobs.create_job(actor=actor, kind=kind)
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(seconds=seconds_ago), **fields)
    job.refresh_from_db()
    return job


def _running_import(actor):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return _queued(
        actor,
        "import_dapodik",
        60,
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        lease_owner="host:1:live",
        attempts=1,
    )


def _note(client, job):  # type: ignore[no-untyped-def]
    html = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    found = re.search(r'<p class="muted job-liveness">(.*?)</p>', html, re.S)
    return found.group(1) if found else None


def test_job_page_says_a_job_waits_in_the_heavy_queue_behind_the_running_import(client, pusdatin):  # type: ignore[no-untyped-def]
    _running_import(pusdatin)
    first = _queued(pusdatin, "validate", 30)
    second = _queued(pusdatin, "dump", 10)
    client.force_login(pusdatin)

    assert (
        _note(client, first)
        == f"{HEAVY_NOTE} 1 pekerjaan lain diantrekan lebih dulu di antrean ini dan belum selesai."
    )
    assert (
        _note(client, second)
        == f"{HEAVY_NOTE} 2 pekerjaan lain diantrekan lebih dulu di antrean ini dan belum selesai."
    )


def test_job_page_says_an_export_waits_in_the_quick_queue_not_behind_the_import(client, pusdatin):  # type: ignore[no-untyped-def]
    _running_import(pusdatin)
    export = _queued(pusdatin, "export_behind", 10)
    client.force_login(pusdatin)

    assert _note(client, export) == QUICK_NOTE
    _queued(pusdatin, "export_behind", 5)  # after it: not before it
    assert _note(client, export) == QUICK_NOTE
    assert _note(client, _queued(pusdatin, "export_behind", 1)) == (
        f"{QUICK_NOTE} 2 pekerjaan lain diantrekan lebih dulu di antrean ini dan belum selesai."
    )


def test_verval_jobs_names_the_queue_of_each_job_handed_to_the_worker(pusdatin):  # type: ignore[no-untyped-def]
    running = _running_import(pusdatin)
    export = _queued(pusdatin, "export_behind", 10)
    direct = jobs.create_job(actor=pusdatin, kind="validate")  # run by a command: never queued
    out = StringIO()
    call_command("jobs", "--json", stdout=out)
    listed = json.loads(out.getvalue().strip().splitlines()[-1])

    assert [(r["id"], r["liveness"], r["queue"]) for r in listed["jobs"]] == [
        (str(running.pk), "alive", "default"),
        (str(export.pk), "queued", "interactive"),
        (str(direct.pk), "waiting", None),
    ]
    out = StringIO()
    call_command("jobs", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "kind", "state", "liveness", "queue", "attempts", "last", "beat"]
    assert [line.split()[1:5] for line in lines[1:]] == [
        ["import_dapodik", "RUNNING", "alive", "default"],
        ["export_behind", "PENDING", "queued", "interactive"],
        ["validate", "PENDING", "waiting", "-"],
    ]
