from django_tasks import task

from verval.core import jobs


@task()
def run_job_task(job_id: str) -> str:
    """Worker entry point for every bulk job; the job row says what to run."""
    return jobs.run(job_id).state
