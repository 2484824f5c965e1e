from django.urls import path

from verval.sptjm import views

app_name = "sptjm"
urlpatterns = [
    path("sekolah/<str:npsn>/sptjm/", views.school, name="school"),
    path("sekolah/<str:npsn>/sptjm/cetak/", views.print_view, name="print"),
    path("sptjm/<uuid:sptjm_id>/dokumen.pdf", views.pdf_view, name="pdf"),
    path("sptjm/<uuid:sptjm_id>/pindaian/", views.scan_view, name="scan"),
    path("sptjm/<uuid:sptjm_id>/unggah/", views.upload_view, name="upload"),
    path("sptjm/<uuid:sptjm_id>/batal/", views.void_view, name="void"),
    path("pusdatin/sptjm/", views.review_queue, name="review_queue"),
    path("pusdatin/sptjm/<uuid:sptjm_id>/", views.review, name="review"),
    path("pusdatin/sptjm/<uuid:sptjm_id>/setujui/", views.approve_view, name="approve"),
    path("pusdatin/sptjm/<uuid:sptjm_id>/kembalikan/", views.return_view, name="return"),
    path("pusdatin/sptjm/<uuid:sptjm_id>/batal/", views.void_closed_view, name="void_closed"),
    path("dinas/sptjm/", views.late, name="late"),
    path("pusdatin/penyaluran/", views.disbursement, name="disbursement"),
    path("pusdatin/penyaluran/jalankan/", views.disburse_view, name="disburse"),
    path("pusdatin/penyaluran/<str:period_code>/rekonsiliasi/", views.reconciliation, name="reconciliation"),
    path(
        "pusdatin/penyaluran/<str:period_code>/rekonsiliasi.csv",
        views.reconciliation_csv,
        name="reconciliation_csv",
    ),
    path(
        "pusdatin/penyaluran/<str:period_code>/rekonsiliasi.xlsx",
        views.reconciliation_xlsx,
        name="reconciliation_xlsx",
    ),
]
