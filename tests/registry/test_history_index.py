"""The timeline's index on NumberHistory (migration registry 0006)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_history_is_indexed_by_recipient_with_a_hash_index_on_postgresql() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "registry_numberhistory")
    index = constraints["numberhistory_recipient"]
    assert (index["columns"], index["index"]) == (["recipient_id"], True)
    assert index["type"] == ("hash" if connection.vendor == "postgresql" else "idx")
    assert "registry_nu_recipie_cddc19_idx" not in constraints
