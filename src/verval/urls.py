from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from django.views.static import serve

from verval.exchange.api import api

urlpatterns = [
    path("", include("verval.dashboard.urls")),
    path("", include("verval.accounts.urls")),
    path("", include("verval.core.urls")),
    path("", include("verval.registry.urls")),
    path("", include("verval.imports.urls")),
    path("", include("verval.exchange.urls")),
    path("", include("verval.sptjm.urls")),
    path("api/v1/", api.urls),
    path("akun/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
]

if not settings.DEBUG:
    # The demo serves its own static files; production puts a web server in front (docs/deploy.md).
    urlpatterns.append(path("static/<path:path>", serve, {"document_root": settings.PACKAGE_DIR / "static", "show_indexes": False}))
