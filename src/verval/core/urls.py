from django.urls import path

from verval.core import views

app_name = "core"
urlpatterns = [
    path("pusdatin/", views.pusdatin, name="pusdatin"),
    path("dinas/", views.dinas, name="dinas"),
    path("pekerjaan/<uuid:job_id>/", views.job_detail, name="job"),
    path("pekerjaan/<uuid:job_id>/progres/", views.job_progress, name="job_progress"),
    path("pekerjaan/<uuid:job_id>/laporan.csv", views.job_issues_csv, name="job_issues_csv"),
]
