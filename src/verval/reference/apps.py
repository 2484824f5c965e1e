from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "verval.reference"
    label = "reference"
