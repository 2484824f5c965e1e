from django.urls import path

from verval.help import views

app_name = "help"
urlpatterns = [
    path("bantuan/", views.index, name="index"),
    path("bantuan/sekolah/", views.operator, name="operator"),
    path("bantuan/dinas/", views.dinas, name="dinas"),
    path("bantuan/pusdatin/", views.pusdatin, name="pusdatin"),
    path("bantuan/provider/", views.provider, name="provider"),
]
