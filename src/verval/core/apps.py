from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "verval.core"
    label = "core"
