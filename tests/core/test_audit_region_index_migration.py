"""Migration core 0006 (the audit table's region_code index, decision 0135) builds its index
CONCURRENTLY on PostgreSQL, so that an upgrade does not hold every audited action's insert while
it builds (decision 0137), and leaves the same index as before on both databases."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.state import ProjectState

MIGRATION = importlib.import_module("verval.core.migrations.0006_auditevent_region_code_index")

PG_INDEX = (
    "CREATE INDEX audit_region_code ON public.core_auditevent USING btree (region_code varchar_pattern_ops)"
)
SQLITE_INDEX = 'CREATE INDEX "audit_region_code" ON "core_auditevent" ("region_code")'


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _index_definition() -> str | None:
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                "SELECT i.indexdef, x.indisvalid FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.indexname = 'audit_region_code'"
            )
            row = cur.fetchone()
            if row is None:
                return None
            assert row[1] is True
            return str(row[0])
        cur.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'audit_region_code'")
        row = cur.fetchone()
        return None if row is None else str(row[0])


@pytest.mark.django_db(transaction=True)
def test_migrating_core_back_and_forth_leaves_the_audit_region_index_as_the_model_says() -> None:
    assert _index_definition() == (PG_INDEX if is_postgres() else SQLITE_INDEX)
    try:
        call_command("migrate", "core", "0005", verbosity=0)
        assert _index_definition() is None
    finally:
        call_command("migrate", "core", verbosity=0)
    assert _index_definition() == (PG_INDEX if is_postgres() else SQLITE_INDEX)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_audit_region_index_is_built_concurrently_outside_a_transaction_on_postgresql() -> None:
    assert MIGRATION.Migration.atomic is False
    apps = ProjectState().apps
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        MIGRATION.build(apps, editor)
    assert editor.collected_sql == [
        "DROP INDEX CONCURRENTLY IF EXISTS audit_region_code;",
        "CREATE INDEX CONCURRENTLY audit_region_code ON core_auditevent (region_code varchar_pattern_ops);",
    ]


@pytest.mark.django_db
def test_the_audit_region_index_migration_leaves_no_model_change_behind() -> None:
    # The state is AddIndex's: makemigrations finds nothing to write.
    call_command("makemigrations", "core", "--check", "--dry-run", verbosity=0)
