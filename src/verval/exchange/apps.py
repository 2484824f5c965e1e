from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "verval.exchange"
    label = "exchange"
