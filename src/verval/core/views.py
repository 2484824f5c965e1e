from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from verval.accounts import access
from verval.accounts.models import Role
from verval.core import audit, jobs


@login_required
def pusdatin(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    recent = access.jobs_for(request.user)[:20]
    return render(request, "core/pusdatin.html", {"jobs": recent})


@login_required
def dinas(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.DINAS_PROV, Role.DINAS_KAB)
    from verval.registry.selectors import school_progress

    return render(request, "core/dinas.html", {"schools": school_progress(request.user)[:200]})


def _job(request: HttpRequest, job_id: UUID):  # type: ignore[no-untyped-def]
    return access.get_in_scope(access.jobs_for(request.user), pk=job_id)


@login_required
def job_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(request, job_id)
    done, total = jobs.read_progress(job)
    issues = job.issues.all()[:100]
    return render(request, "core/job.html", {"job": job, "done": done, "total": total, "issues": issues, "issue_count": job.issues.count()})


@login_required
def job_progress(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """htmx fragment polled while a job runs; stops polling once the job is finished."""
    job = _job(request, job_id)
    done, total = jobs.read_progress(job)
    return render(request, "core/_job_progress.html", {"job": job, "done": done, "total": total})


@login_required
def job_issues_csv(request: HttpRequest, job_id: UUID) -> StreamingHttpResponse:
    job = _job(request, job_id)
    audit.record(actor=request.user, action="download_job_report", object_type="job", object_id=job.pk, school_id=job.school_id, provider=job.provider)
    response = StreamingHttpResponse(jobs.issues_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="laporan-{job.kind}-{job.pk}.csv"'
    return response
