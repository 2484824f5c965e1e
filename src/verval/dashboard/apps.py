from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "verval.dashboard"
    label = "dashboard"

    def ready(self) -> None:
        from verval.dashboard import signals

        signals.connect()
