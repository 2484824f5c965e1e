"""The shipped regions reach the database field for field, from the data migration and from the
reload after a flush (one executemany since decision 0132, bulk_create before)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection

from verval.reference.loaders import load, region_rows
from verval.reference.models import QuotaRule, Region

FIELDS = ("code", "name", "level", "parent_id", "kemendagri_code", "population")


def _stored() -> list[dict[str, Any]]:
    return list(Region.objects.order_by("code").values(*FIELDS))


def _shipped() -> list[dict[str, Any]]:
    return sorted(region_rows(), key=lambda r: r["code"])


def test_the_migrated_regions_are_the_shipped_rows_field_for_field(db):  # type: ignore[no-untyped-def]
    stored = _stored()

    assert len(stored) == 7618
    assert stored == _shipped()
    assert Region.objects.get(code="010000").population == 11038216
    assert list(
        QuotaRule.objects.order_by("policy__code", "category").values_list(
            "policy__code", "category", "general_gb", "learning_gb"
        )
    ) == [
        ("2020", "DIKDASMEN", 5, 30),
        ("2020", "PAUD", 5, 15),
        ("2020", "PTK", 5, 37),
        ("2021", "DIKDASMEN", 10, 0),
        ("2021", "PAUD", 7, 0),
        ("2021", "PTK", 12, 0),
    ]


def test_load_puts_back_exactly_the_missing_regions(db):  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        # A whole province gone (its regencies and districts first: parent is PROTECT).
        cursor.execute("DELETE FROM reference_region WHERE code LIKE '01%%' AND level = 3")
        cursor.execute("DELETE FROM reference_region WHERE code LIKE '01%%' AND level = 2")
        cursor.execute("DELETE FROM reference_region WHERE code = '010000'")
    assert Region.objects.filter(code__startswith="01").count() == 0

    load(apps)

    assert _stored() == _shipped()
