"""Pusdatin starts the validation run; everyone sees the shared-number flags of their scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from verval.accounts import access
from verval.accounts.models import Role
from verval.core import jobs
from verval.phones import mask
from verval.registry import shared


@login_required
@require_POST
def start_validation(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    job = jobs.create_job(actor=request.user, kind="validate")
    jobs.enqueue(job)
    return redirect("core:job", job_id=job.pk)


@login_required
def shared_numbers(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN, Role.DINAS_KAB, Role.DINAS_PROV, Role.OPERATOR)
    flags = list(shared.shared_numbers_for(request.user)[:200])
    rows = []
    for flag in flags:
        people = shared.recipients_sharing(request.user, flag.phone_e164)[:50]
        rows.append({"flag": flag, "masked": mask(flag.phone_e164), "people": people})
    return render(request, "registry/shared_numbers.html", {"rows": rows})
