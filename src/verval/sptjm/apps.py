from django.apps import AppConfig


class SptjmConfig(AppConfig):
    name = "verval.sptjm"
    label = "sptjm"
