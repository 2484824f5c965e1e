from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def public(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/public.html", {})
