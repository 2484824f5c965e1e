from django.urls import path

from verval.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.public, name="public"),
]
