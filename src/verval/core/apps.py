from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "verval.core"
    label = "core"

    def ready(self) -> None:
        from verval.core import checks  # noqa: F401  registers the deployment checks
