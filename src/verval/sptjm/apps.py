from django.apps import AppConfig


class SptjmConfig(AppConfig):
    name = "verval.sptjm"
    label = "sptjm"

    def ready(self) -> None:
        from verval.core import jobs

        # The two runners of the issue are listed in core.jobs; usage reports are ours alone.
        jobs.RUNNERS.setdefault("disbursement", "verval.sptjm.services.run_disbursement_job")
        jobs.RUNNERS.setdefault("ingest_injection", "verval.sptjm.services.run_injection_job")
        jobs.RUNNERS.setdefault("ingest_usage", "verval.sptjm.services.run_usage_job")
