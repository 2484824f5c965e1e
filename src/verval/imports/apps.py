from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "verval.imports"
    label = "imports"
