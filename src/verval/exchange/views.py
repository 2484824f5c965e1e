from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from verval.accounts import access
from verval.accounts.models import PROVIDER_CODES, Role, provider_name
from verval.core.numbers import grouped
from verval.core.postonly import post_only
from verval.exchange import actions, selectors
from verval.exchange.models import NumberFormat
from verval.phones import mask


@login_required
def batches(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    provider = request.GET.get("provider", "")
    qs = selectors.batches_for(request.user)
    if provider in PROVIDER_CODES:
        qs = qs.filter(provider=provider)
    return render(
        request,
        "exchange/batches.html",
        {
            "overview": selectors.provider_overview(request.user),
            "batches": qs[:200],
            "provider": provider,
            "providers": PROVIDER_CODES,
            "number_formats": NumberFormat.choices,
        },
    )


@login_required
def batch_detail(request: HttpRequest, batch_id: str) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    batch: Any = access.get_in_scope(selectors.batches_for(request.user), pk=batch_id)
    conflicts = [
        {"item": i, "phone": mask(i.phone)} for i in selectors.contradictions(request.user, batch)[:500]
    ]
    # Contradictions of files refused whole: recorded with the number already masked.
    refused = selectors.refused_contradictions(request.user, batch)
    routing = [
        {"item": i, "phone": mask(i.phone)} for i in selectors.routing_questions(request.user, batch)[:500]
    ]
    return render(
        request,
        "exchange/batch.html",
        {
            "batch": batch,
            "conflicts": conflicts,
            "refused_conflicts": refused[:500],
            "refused_conflicts_total": refused.count(),
            "routing": routing,
        },
    )


@login_required
@post_only("exchange:batches")
def publish(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    provider = request.POST.get("provider") or None
    if provider and provider not in PROVIDER_CODES:
        provider = None
    job = actions.request_dump(actor=request.user, provider=provider)
    return redirect("core:job", job_id=job.pk)


def _token_provider(request: HttpRequest) -> str | None:
    """The provider a Pusdatin token or number-format form names, or None (with a message) when
    it names none."""
    access.require_role(request.user, Role.PUSDATIN)
    provider = request.POST.get("provider", "")
    if provider not in PROVIDER_CODES:
        messages.error(request, _("Provider tidak dikenal."))
        return None
    return provider


@login_required
@post_only("exchange:batches")
def rotate_token(request: HttpRequest) -> HttpResponse:
    provider = _token_provider(request)
    if provider is None:
        return redirect("exchange:batches")
    row, token = actions.issue_token(actor=request.user, provider=provider)
    # Post/redirect/get: reloading the answer to the POST issued yet another token (and so
    # revoked the one just shown). The token waits in the session for the one GET that shows it.
    request.session[_NEW_TOKEN] = {"provider": provider_name(row.provider), "token": token}
    return redirect("exchange:new_token")


@login_required
@post_only("exchange:batches")
def revoke_tokens(request: HttpRequest) -> HttpResponse:
    provider = _token_provider(request)
    if provider is None:
        return redirect("exchange:batches")
    revoked = actions.revoke_tokens(actor=request.user, provider=provider)
    messages.success(
        request,
        ngettext(
            "%(n)s token %(provider)s dicabut: provider ini tidak dapat memakai API sampai diberi token baru.",
            "%(n)s token %(provider)s dicabut: provider ini tidak dapat memakai API sampai diberi token baru.",
            revoked,
        )
        % {"n": grouped(revoked), "provider": provider_name(provider)},
    )
    return redirect("exchange:batches")


@login_required
@post_only("exchange:batches")
def set_number_format(request: HttpRequest) -> HttpResponse:
    provider = _token_provider(request)
    if provider is None:
        return redirect("exchange:batches")
    number_format = request.POST.get("number_format", "")
    if number_format not in NumberFormat.values:
        messages.error(request, _("Format nomor tidak dikenal."))
        return redirect("exchange:batches")
    done = actions.set_number_format(actor=request.user, provider=provider, number_format=number_format)
    label = NumberFormat(number_format).label
    if not done["changed"]:
        messages.info(
            request,
            _("Format nomor %(provider)s sudah %(format)s.")
            % {"provider": provider_name(provider), "format": label},
        )
    elif done["unfinished_batches"]:
        messages.success(
            request,
            ngettext(
                "Format nomor %(provider)s: %(format)s, mulai batch berikutnya. %(n)s batch yang belum "
                "lengkap tetap memakai format lamanya; jawabannya diterima dalam format apa pun.",
                "Format nomor %(provider)s: %(format)s, mulai batch berikutnya. %(n)s batch yang belum "
                "lengkap tetap memakai format lamanya; jawabannya diterima dalam format apa pun.",
                done["unfinished_batches"],
            )
            % {
                "provider": provider_name(provider),
                "format": label,
                "n": grouped(done["unfinished_batches"]),
            },
        )
    else:
        messages.success(
            request,
            _("Format nomor %(provider)s: %(format)s, mulai batch berikutnya.")
            % {"provider": provider_name(provider), "format": label},
        )
    return redirect("exchange:batches")


_NEW_TOKEN = "verval_new_provider_token"


@login_required
def new_token(request: HttpRequest) -> HttpResponse:
    access.require_role(request.user, Role.PUSDATIN)
    shown = request.session.pop(_NEW_TOKEN, None)
    if shown is None:
        messages.info(
            request,
            _("Token sudah ditampilkan sekali. Bila hilang, buat token baru (yang lama tidak berlaku lagi)."),
        )
        return redirect("exchange:batches")
    response = render(request, "exchange/token.html", shown)
    response["Cache-Control"] = "no-store"
    return response
