from django.apps import AppConfig


class HelpConfig(AppConfig):
    name = "verval.help"
    label = "help"
