from django.urls import path

from verval.exchange import views

app_name = "exchange"
urlpatterns = [
    path("pusdatin/dump/", views.batches, name="batches"),
    path("pusdatin/dump/terbitkan/", views.publish, name="publish"),
    path("pusdatin/dump/token/", views.rotate_token, name="rotate_token"),
    path("pusdatin/dump/token/baru/", views.new_token, name="new_token"),
    path("pusdatin/dump/token/cabut/", views.revoke_tokens, name="revoke_tokens"),
    path("pusdatin/dump/format-nomor/", views.set_number_format, name="set_number_format"),
    path("pusdatin/dump/<str:batch_id>/", views.batch_detail, name="batch"),
]
