"""The end of a job is read out once on its page, through a live region outside the polled part
(decision 0050)."""

from __future__ import annotations

import pytest

from tests.factories import correction_job
from verval.core.models import Job

pytestmark = pytest.mark.django_db


def _applied(operator, school):  # type: ignore[no-untyped-def]
    job = correction_job(operator, school)
    Job.objects.filter(pk=job.pk).update(params={"applied": True})
    return job


def test_job_page_holds_an_empty_status_region_outside_the_polled_part(client, operator, school):  # type: ignore[no-untyped-def]
    job = _applied(operator, school)
    client.force_login(operator)
    html = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    region = '<p id="job-status" class="sr-only" role="status"></p>'
    assert region in html and html.index(region) < html.index('<div id="job-progress"')
    assert "hx-swap-oob" not in html


def test_a_poll_of_a_running_job_announces_nothing(client, operator, school):  # type: ignore[no-untyped-def]
    job = _applied(operator, school)
    client.force_login(operator)
    fragment = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert "hx-swap-oob" not in fragment


def test_the_poll_that_finds_the_job_finished_announces_its_outcome(client, operator, school):  # type: ignore[no-untyped-def]
    job = _applied(operator, school)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED, progress_done=625, progress_total=625, counts={"rows": 625, "changed": 625}
    )
    client.force_login(operator)
    fragment = client.get(f"/pekerjaan/{job.pk}/progres/").content.decode()
    assert fragment.endswith('<p id="job-status" hx-swap-oob="innerHTML">Selesai 625 / 625</p>\n')
    assert 'hx-trigger="every 2s"' not in fragment
    # The page opened on a finished job says it in its body, not again in the region.
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert '<p id="job-status" class="sr-only" role="status"></p>' in page
