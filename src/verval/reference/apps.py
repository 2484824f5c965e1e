from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_reference_data(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Regions and quota policies are data the product cannot run without. A data migration loads
    them; this puts them back after a `flush` (which empties every table and then emits
    post_migrate, as the test runner does after each transactional test)."""
    from verval.reference.loaders import load
    from verval.reference.models import Region

    if not Region.objects.using(using).exists():
        from django.apps import apps

        load(apps)


class ReferenceConfig(AppConfig):
    name = "verval.reference"
    label = "reference"

    def ready(self) -> None:
        post_migrate.connect(_ensure_reference_data, sender=self, dispatch_uid="verval-reference-data")
