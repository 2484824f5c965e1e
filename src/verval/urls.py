from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from verval.accounts import views as accounts_views
from verval.core import views as core_views
from verval.exchange.api import api
from verval.registry import views_validation

urlpatterns = [
    path("", include("verval.dashboard.urls")),
    path("", include("verval.accounts.urls")),
    path("", include("verval.core.urls")),
    path("", include("verval.registry.urls")),
    path("", include("verval.imports.urls")),
    path("", include("verval.exchange.urls")),
    path("", include("verval.sptjm.urls")),
    path("", include("verval.help.urls")),
    path("pusdatin/validasi/", views_validation.start_validation, name="validate"),
    path("nomor-bersama/", views_validation.shared_numbers, name="shared_numbers"),
    path("api/v1/", api.urls),
    # Before Django's own: "Lupa kata sandi?" also reaches accounts that never set a password.
    path("akun/password_reset/", accounts_views.ResetPasswordView.as_view(), name="password_reset"),
    # Before Django's own: a GET leads to the "Keluar" button instead of an empty 405 (decision 0096).
    path("akun/logout/", accounts_views.SignOutView.as_view(), name="logout"),
    path("akun/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (JSON, files).
    path("favicon.ico", core_views.favicon, name="favicon"),
    # For a load balancer or monitor (docs/deployment.md "Health check"); no session, no data.
    path("healthz", core_views.healthz, name="healthz"),
]

# A request Django cannot read (too many fields, a body too large) gets a page that says what
# happened and leads back, not a bare "Bad Request (400)" (decision 0082).
handler400 = "verval.core.views.bad_request"
