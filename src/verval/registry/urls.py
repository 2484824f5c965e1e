from django.urls import path

from verval.registry import views

app_name = "registry"
urlpatterns = [
    path("sekolah/<str:npsn>/", views.school, name="school"),
    path("cek-nomor/", views.phone_check, name="phone_check"),
]
