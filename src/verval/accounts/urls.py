from django.urls import path

from verval.accounts import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.SignInView.as_view(), name="login"),
    path("keluar/", views.sign_out, name="logout"),
    path("beranda/", views.home, name="home"),
    path("daftar/", views.register, name="register"),
]
