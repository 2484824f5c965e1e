from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "verval.accounts"
    label = "accounts"
