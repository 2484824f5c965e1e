from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from verval.accounts import access
from verval.registry import selectors


@login_required
def school(request: HttpRequest, npsn: str) -> HttpResponse:
    school = access.get_school_or_deny(request.user, npsn)
    recipients = selectors.school_recipients(request.user, npsn)[:100]
    return render(request, "registry/school.html", {"school": school, "recipients": recipients})
