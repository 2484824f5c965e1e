from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "verval.registry"
    label = "registry"
