from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "verval.dashboard"
    label = "dashboard"
