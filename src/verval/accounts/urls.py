from django.urls import path

from verval.accounts import views

app_name = "accounts"
urlpatterns = [
    path("masuk/", views.SignInView.as_view(), name="login"),
    path("keluar/", views.sign_out, name="logout"),
    path("beranda/", views.home, name="home"),
    path("akun/saya/", views.my_account, name="my_account"),
    path("daftar/", views.register, name="register"),
    # Dinas: operator registrations of its schools.
    path("pendaftaran/", views.registrations, name="registrations"),
    path("pendaftaran/<int:pk>/sk/", views.registration_letter, name="registration_letter"),
    path("pendaftaran/<int:pk>/setujui/", views.registration_approve, name="registration_approve"),
    path("pendaftaran/<int:pk>/tolak/", views.registration_reject, name="registration_reject"),
    # Pusdatin (all accounts) and Dinas (operators of its schools).
    path("pengguna/", views.users, name="users"),
    path("pengguna/baru/", views.staff_create, name="staff_create"),
    path("pengguna/<int:pk>/nonaktifkan/", views.user_deactivate, name="user_deactivate"),
    path("pengguna/<int:pk>/aktifkan/", views.user_reactivate, name="user_reactivate"),
    path("pengguna/<int:pk>/reset-2fa/", views.user_reset_two_factor, name="user_reset_two_factor"),
    path("pengguna/<int:pk>/undang-ulang/", views.user_resend_invitation, name="user_resend_invitation"),
    path("pengguna/<int:pk>/ubah/", views.user_edit, name="user_edit"),
    # Two-factor (TOTP) for Dinas and Pusdatin.
    path("akun/2fa/", views.otp_setup, name="otp_setup"),
    path("akun/2fa/verifikasi/", views.otp_verify, name="otp_verify"),
    # Everyone signed in: the zone times are shown in (decision 0037).
    path("akun/zona-waktu/", views.time_zone, name="time_zone"),
]
