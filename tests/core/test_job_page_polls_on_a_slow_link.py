"""The job page asks for its progress as often as it can change (decision 0080): every 2 s while a
worker runs the job, every 5 s while it waits in the queue, every minute while a correction file
awaits the school's click."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import correction_job
from verval.core import jobs
from verval.core.models import Job

pytestmark = pytest.mark.django_db


def _fragment(client, job) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()


def test_a_correction_file_awaiting_the_schools_click_is_polled_once_a_minute(client, operator, school):  # type: ignore[no-untyped-def]
    job = correction_job(operator, school)
    client.force_login(operator)

    assert jobs.liveness(job) == "preview"
    assert 'hx-trigger="every 60s"' in _fragment(client, job)
    assert 'hx-trigger="every 60s"' in client.get(f"/pekerjaan/{job.pk}/").content.decode()


def test_an_applied_correction_file_waiting_in_the_queue_is_polled_every_5_seconds(client, operator, school):  # type: ignore[no-untyped-def]
    job = correction_job(operator, school)
    # Handed to the worker a moment ago (what `jobs.enqueue` records), not yet taken.
    Job.objects.filter(pk=job.pk).update(params={"applied": True}, queued_at=timezone.now())
    job.refresh_from_db()
    client.force_login(operator)

    assert jobs.liveness(job) == "queued"
    assert 'hx-trigger="every 5s"' in _fragment(client, job)


def test_a_running_job_with_a_fresh_heartbeat_is_polled_every_2_seconds(client, operator, school):  # type: ignore[no-untyped-def]
    job = correction_job(operator, school)
    Job.objects.filter(pk=job.pk).update(
        params={"applied": True},
        queued_at=timezone.now(),
        state=Job.State.RUNNING,
        lease_owner="w:1:a",
        heartbeat_at=timezone.now(),
    )
    job.refresh_from_db()
    client.force_login(operator)

    assert jobs.liveness(job) == "alive"
    assert 'hx-trigger="every 2s"' in _fragment(client, job)


@pytest.mark.parametrize(
    ("state", "stale", "seconds"),
    [
        ("alive", False, 2),
        ("waiting", False, 2),
        ("queued", False, 5),
        ("lost", False, 5),
        ("abandoned", True, 10),
        ("alive", True, 10),
        ("preview", False, 60),
    ],
)
def test_poll_interval_follows_what_the_job_is_doing(state: str, stale: bool, seconds: int) -> None:
    assert jobs.poll_seconds(state, stale) == seconds
