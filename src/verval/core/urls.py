from django.urls import path

from verval.core import views

app_name = "core"
urlpatterns = [
    path("pusdatin/", views.pusdatin, name="pusdatin"),
    path("pusdatin/periode/baru/", views.period_create, name="period_create"),
    path("pusdatin/periode/<str:code>/ubah/", views.period_edit, name="period_edit"),
    path("pusdatin/periode/<str:code>/buka/", views.period_open, name="period_open"),
    path("pusdatin/periode/<str:code>/tutup/", views.period_close, name="period_close"),
    path("dinas/", views.dinas, name="dinas"),
    path("dinas/sekolah.csv", views.dinas_export, name="dinas_export"),
    path("dinas/sekolah.xlsx", views.dinas_export_xlsx, name="dinas_export_xlsx"),
    path("jejak-audit/", views.audit_log, name="audit"),
    path("jejak-audit/audit.csv", views.audit_csv, name="audit_csv"),
    path("pekerjaan/<uuid:job_id>/", views.job_detail, name="job"),
    path("pekerjaan/<uuid:job_id>/progres/", views.job_progress, name="job_progress"),
    path("pekerjaan/<uuid:job_id>/laporan.csv", views.job_issues_csv, name="job_issues_csv"),
    path("pekerjaan/<uuid:job_id>/laporan.xlsx", views.job_issues_xlsx, name="job_issues_xlsx"),
    path("pekerjaan/<uuid:job_id>/jalankan-ulang/", views.job_requeue, name="job_requeue"),
    path("pekerjaan/<uuid:job_id>/batalkan/", views.job_cancel, name="job_cancel"),
]
