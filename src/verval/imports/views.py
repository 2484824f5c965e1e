from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from verval.accounts import access
from verval.accounts.models import Role
from verval.core.client import client_ip
from verval.core.postonly import post_only
from verval.imports import actions
from verval.imports.forms import CutoffUploadForm


@login_required
@post_only("core:pusdatin")
def upload(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    form = CutoffUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("core:pusdatin")
    job = actions.start_upload(actor=request.user, upload=form.cleaned_data["file"], ip=client_ip(request))
    return redirect("core:job", job_id=job.pk)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    jobs = access.jobs_for(request.user).filter(kind=actions.KIND)[:100]
    return render(request, "imports/jobs.html", {"jobs": jobs})
