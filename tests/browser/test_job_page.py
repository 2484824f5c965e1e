"""The job page of a school's correction refreshes its state text with its progress (htmx)."""

from __future__ import annotations

import pytest

from tests.factories import SchoolFactory, UserFactory, correction_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APPLYING = "Perubahan sedang diterapkan. Halaman ini diperbarui sendiri; tidak perlu menerapkan lagi."


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    p = ctx.new_page()
    p.set_default_timeout(15000)
    yield p
    ctx.close()


def test_applying_text_goes_away_by_itself_when_the_correction_is_done(live_server, page):  # type: ignore[no-untyped-def]
    from verval.core.models import Job

    base = live_server.url
    school = SchoolFactory(npsn="20155503", name="SD Negeri Terapkan")
    operator = UserFactory(role="OPERATOR", school=school, username="op.terapkan")
    job = correction_job(operator, school)
    Job.objects.filter(pk=job.pk).update(params={"applied": True}, queued_at=job.created_at)

    page.goto(f"{base}/masuk/")
    page.locator("#id_username").fill("op.terapkan")
    page.locator("#id_password").fill("rahasia-123")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{base}/beranda/")
    page.goto(f"{base}/pekerjaan/{job.pk}/")
    page.get_by_text(APPLYING).wait_for()

    # The worker finishes the job; the page is not reloaded.
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED, progress_done=625, progress_total=625, counts={"rows": 625, "changed": 625}
    )
    page.locator("#job-progress .label.s-SUCCEEDED", has_text="Selesai").wait_for()
    assert page.locator("#job-progress").inner_text().count("625 / 625") == 1
    assert page.get_by_text(APPLYING).count() == 0
