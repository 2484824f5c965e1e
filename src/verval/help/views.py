"""The help pages (decision 0083): one per role, server-rendered, short, printable."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from verval.accounts import access
from verval.accounts.models import Role
from verval.help import entries
from verval.help.selectors import help_context

# Who reads which page: each role its own; Dinas and Pusdatin also the school operator's page
# (they answer its questions, and the school pages they read link to it); Pusdatin every page.
DINAS = (Role.DINAS_PROV, Role.DINAS_KAB)
READERS = {
    "operator": (Role.OPERATOR, *DINAS, Role.PUSDATIN),
    "dinas": (*DINAS, Role.PUSDATIN),
    "pusdatin": (Role.PUSDATIN,),
    "provider": (Role.PROVIDER, Role.PUSDATIN),
}
OWN_PAGE: dict[str, str] = {
    Role.OPERATOR: "operator",
    Role.DINAS_PROV: "dinas",
    Role.DINAS_KAB: "dinas",
    Role.PUSDATIN: "pusdatin",
    Role.PROVIDER: "provider",
}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """/bantuan/: the signed-in person's own help page."""
    role = str(getattr(request.user, "role", ""))
    return redirect(f"help:{OWN_PAGE.get(role, 'operator')}")


def _page(request: HttpRequest, page: str, extra: dict[str, object]) -> HttpResponse:
    access.require_role(request.user, *READERS[page])
    ctx = help_context(request.user)
    if page == "operator":
        extra = {"e": entries.operator_entries(ctx.period)}
    return render(request, f"help/{page}.html", {"help": ctx, "help_page": page, **extra})


@login_required
def operator(request: HttpRequest) -> HttpResponse:
    return _page(request, "operator", {})


@login_required
def dinas(request: HttpRequest) -> HttpResponse:
    return _page(request, "dinas", {})


@login_required
def pusdatin(request: HttpRequest) -> HttpResponse:
    return _page(request, "pusdatin", {"flags": entries.reconciliation_flags()})


@login_required
def provider(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "provider",
        {
            "results": entries.result_statuses(),
            "file_refusals": entries.result_file_refusals(),
            "injection_refusals": entries.injection_file_refusals(),
            "failure_kinds": entries.failure_kinds(),
        },
    )
