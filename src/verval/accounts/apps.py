from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "verval.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from verval.accounts.middleware import remember_zone

        user_logged_in.connect(remember_zone, dispatch_uid="verval_remember_zone")
