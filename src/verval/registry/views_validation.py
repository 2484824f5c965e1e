"""Pusdatin starts the validation run; everyone sees the shared-number flags of their scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from verval.accounts import access
from verval.accounts.models import Role
from verval.core.postonly import post_only
from verval.phones import mask, national_display
from verval.registry import actions, shared


@login_required
@post_only("core:pusdatin")
def start_validation(request: HttpRequest) -> HttpResponse:
    job = actions.request_validation(actor=request.user)
    return redirect("core:job", job_id=job.pk)


SHARED_PEOPLE_SHOWN = 50  # names per number; the rest are counted ("dan N penerima lainnya")


@login_required
def shared_numbers(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN, Role.DINAS_KAB, Role.DINAS_PROV, Role.OPERATOR)
    flags = list(shared.shared_numbers_for(request.user)[:200])
    # The school's own operator fixes these numbers: it reads them in full and each name opens
    # the row's edit form in the school list (a record locked by an SPTJM has none). Everyone
    # else (Dinas, Pusdatin) reads them masked (docs/team-conventions.md, privacy).
    school_id = getattr(request.user, "school_id", None)
    own_school = school_id if school_id and access.can_edit_school(request.user, school_id) else None
    rows: list[dict[str, Any]] = []
    sharing = shared.people_sharing_many(
        request.user, [f.phone_e164 for f in flags], limit=SHARED_PEOPLE_SHOWN
    )
    # Pusdatin reads a flag's national figures (the flag is national: SPEC §5). Everyone else reads
    # the recipients and schools of its own scope, the same people the page names, and whether
    # the number is also used outside it, without a count (decision 0096): a national count beside
    # a region's names read as a contradiction and told a Dinas a figure outside its scope.
    national = getattr(request.user, "role", None) == Role.PUSDATIN
    elsewhere = (
        set()
        if national
        else shared.held_elsewhere(
            request.user, [f.phone_e164 for f in flags], {p: s.recipients for p, s in sharing.items()}
        )
    )
    for flag in flags:
        people, more, in_scope, schools = sharing[flag.phone_e164]
        for r in people:
            r.edit_url = (  # type: ignore[attr-defined]
                reverse("registry:edit", args=[r.school_id, r.pk])
                if r.school_id == own_school and not r.locked
                else ""
            )
        number = national_display(flag.phone_e164) if own_school else mask(flag.phone_e164)
        rows.append(
            {
                "flag": flag,
                "masked": number,
                "people": people,
                "more": more,
                "recipients": flag.recipients if national else in_scope,
                "schools": flag.schools if national else schools,
                "elsewhere": flag.phone_e164 in elsewhere,
            }
        )
    if not national:
        # The 200 flags are the nation's largest; within them, the scope's largest first.
        rows.sort(key=lambda row: -int(row["recipients"]))
    role = getattr(request.user, "role", None)
    scope = "national" if national else ("school" if role == Role.OPERATOR else "region")
    return render(
        request, "registry/shared_numbers.html", {"rows": rows, "own_school": own_school, "scope": scope}
    )


MAX_PASTED_NUMBERS = 2000


@login_required
def phone_check(request: HttpRequest) -> HttpResponse:
    """Paste a list of numbers, see each verdict with its reason and what to do (POST only:
    numbers never travel in a URL)."""
    from verval.phones import OPERATORS, check_many, describe

    results: list[dict[str, Any]] = []
    truncated = False
    text = ""
    if request.method == "POST":
        text = request.POST.get("numbers", "")
        lines = [line for line in text.splitlines() if line.strip()]
        truncated = len(lines) > MAX_PASTED_NUMBERS
        lines = lines[:MAX_PASTED_NUMBERS]
        for verdict in check_many(lines):
            reason = describe(verdict.reason) if verdict.reason else None
            warning = describe(verdict.warning) if verdict.warning else None
            results.append(
                {
                    "v": verdict,
                    "reason": reason,
                    "warning": warning,
                    "operator": OPERATORS.get(verdict.operator or "", ""),
                }
            )
    context = {
        "results": results,
        "text": text,
        "truncated": truncated,
        "limit": MAX_PASTED_NUMBERS,
        "valid": sum(1 for r in results if r["v"].valid),  # r["v"] is a Verdict
        "uses_htmx": True,  # the list is checked in place (decision 0087)
    }
    template = (
        "registry/_phone_check_results.html"
        if request.headers.get("HX-Request")
        else "registry/phone_check.html"
    )
    return render(request, template, context)
