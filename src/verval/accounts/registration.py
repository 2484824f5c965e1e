"""/daftar/: an operator asks for an account for an NPSN with an SK penugasan attached."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from verval.accounts import actions
from verval.accounts.forms import RegistrationForm


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def register_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
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
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return render(
                    request, "accounts/register_done.html", {"school": data["npsn"], "email": data["email"]}
                )
    else:
        form = RegistrationForm()
    return render(request, "accounts/register.html", {"form": form})
