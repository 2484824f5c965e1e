from django_tasks import task

from verval.core import jobs


@task()
def run_job_task(job_id: str) -> str:
    """Worker entry point for every bulk job; the job row says what to run. A worker stopped by
    force in the middle puts the job back in the queue for the next one."""
    return jobs.run(job_id, requeue_on_interrupt=True).state


@task()
def demo_sptjm_round_task(keep_npsn: str, period_code: str = "") -> dict[str, object]:
    """The demo's SPTJM, disbursement and injection steps for a few schools (verval demo), in the
    period of that code. Without one (a task queued before the code was passed), the period
    `verval demo` makes this month."""
    from verval.core.demo import demo_period_code, sptjm_round

    return sptjm_round(keep_npsn=keep_npsn, period_code=period_code or demo_period_code())
