from django.urls import path

from verval.imports import views

app_name = "imports"
urlpatterns = [
    path("pusdatin/impor/", views.upload, name="upload"),
    path("pusdatin/impor/riwayat/", views.job_list, name="jobs"),
]
