from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def register_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/register.html", {})
