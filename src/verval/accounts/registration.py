"""/daftar/: an operator asks for an account for an NPSN with an SK penugasan attached."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from verval.accounts import access, actions, throttle
from verval.accounts.forms import RegistrationForm
from verval.core.client import client_ip


def register_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if throttle.registration_attempt_refused(client_ip(request)):
            # What was typed comes back (not the passwords, not the letter), with the reason.
            kept = ("npsn", "full_name", "email", "username")
            form = RegistrationForm(initial={k: request.POST.get(k, "") for k in kept})
            refused = _(
                "Terlalu banyak pendaftaran dari jaringan Anda dalam satu jam terakhir. Coba lagi "
                "dalam satu jam. Jika Anda sudah mendaftar, tunggu keputusan Dinas pendidikan."
            )
            return render(request, "accounts/register.html", {"form": form, "refused": refused}, status=429)
        form = RegistrationForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.submit_registration(
                    actor=request.user,
                    school=data["npsn"],
                    full_name=data["full_name"],
                    email=data["email"],
                    username=data["username"],
                    password=data["password1"],
                    letter=data["letter"],
                    base_url=request.build_absolute_uri("/"),
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 429 if getattr(exc, "code", None) == "throttled" else 200
                return render(request, "accounts/register.html", {"form": form}, status=status)
            else:
                school = data["npsn"]
                # The office that decides (decision 0096), named, so the operator knows whom to ask
                # about it: the province for SMA/SMK/SLB, the kabupaten/kota for the rest (0109).
                office = access.registration_office(school)
                return render(
                    request,
                    "accounts/register_done.html",
                    {"school": school, "email": data["email"], "office": office},
                )
    else:
        form = RegistrationForm()
    return render(request, "accounts/register.html", {"form": form})
