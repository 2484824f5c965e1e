from django.urls import path

from verval.registry import views, views_validation

app_name = "registry"
urlpatterns = [
    path("sekolah/<str:npsn>/", views.school, name="school"),
    path("sekolah/<str:npsn>/verifikasi/", views.confirm, name="confirm"),
    path("sekolah/<str:npsn>/penerima/<uuid:rid>/", views.row, name="row"),
    path("sekolah/<str:npsn>/penerima/<uuid:rid>/ubah/", views.edit_number, name="edit"),
    path("sekolah/<str:npsn>/penerima/<uuid:rid>/riwayat/", views.history, name="history"),
    path("sekolah/<str:npsn>/unduh.xlsx", views.download_xlsx, name="download_xlsx"),
    path("sekolah/<str:npsn>/koreksi/", views.upload, name="upload"),
    path("sekolah/<str:npsn>/koreksi/<uuid:job_id>/", views.preview, name="preview"),
    path("sekolah/<str:npsn>/koreksi/<uuid:job_id>/terapkan/", views.apply, name="apply"),
    path(
        "sekolah/<str:npsn>/koreksi/<uuid:job_id>/ditolak.csv",
        views.preview_issues,
        {"fmt": "csv"},
        name="preview_issues_csv",
    ),
    path(
        "sekolah/<str:npsn>/koreksi/<uuid:job_id>/ditolak.xlsx",
        views.preview_issues,
        {"fmt": "xlsx"},
        name="preview_issues_xlsx",
    ),
    path("cek-nomor/", views_validation.phone_check, name="phone_check"),
    path("cek-nomor/satu/", views.check_number, name="check_number"),
]
