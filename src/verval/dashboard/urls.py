from django.urls import path

from verval.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.public, name="public"),
    path("progres/data.json", views.public_json, name="public_json"),
    path("progres/saya/", views.mine, name="mine"),
    path("progres/wilayah/<str:code>/", views.region, name="region"),
    path("progres/sekolah/<str:npsn>/", views.school, name="school"),
    path("progres/tertinggal/", views.behind, name="behind"),
    path("progres/tertinggal.csv", views.behind_csv, name="behind_csv"),
    path("progres/tertinggal.xlsx", views.behind_xlsx, name="behind_xlsx"),
    path("progres/tertinggal/ekspor/<uuid:job_id>.xlsx", views.behind_export_file, name="behind_export_file"),
]
