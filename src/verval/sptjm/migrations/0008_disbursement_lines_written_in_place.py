# Written by hand, 2026-11-30 (docs/decisions/0048-disbursement-lines-written-in-place.md).
# Writing a provider's injection results becomes a HOT update of sptjm_disbursement: no index
# names a column the results change (status leaves the two composite indexes, result_job loses
# its index), and every heap page keeps half its room for the new row versions (fillfactor 50,
# PostgreSQL). The keys to the recipient, the SPTJM item and the result job are no longer
# database constraints (their deferred checks were most of a disbursement run's commit).
#
# Safe on a populated table (PostgreSQL): the migration is not atomic; the new indexes are built
# CONCURRENTLY before the old ones are dropped CONCURRENTLY (readers and writers go on meanwhile;
# each step waits for the transactions running on the table, a disbursement run or an ingest
# included), the constraints are dropped (a catalogue change, no scan) and the fillfactor is a
# storage parameter (no rewrite: pages written from now on keep the room; existing ones gain it
# as they are vacuumed and refilled). A failed CONCURRENTLY build leaves an INVALID index that
# the next run of the migration drops and builds again. Backwards builds the old indexes
# concurrently and adds the keys NOT VALID, then validates them (a scan of the lines under a
# lock that lets reads and writes continue).
# SQLite: the same state, applied with Django's ordinary operations (a table remake).

import django.db.models.deletion
from django.db import migrations, models

TABLE = "sptjm_disbursement"

# (column, referenced table, referenced column) of the keys dropped here.
KEYS = (
    ("recipient_id", "registry_recipient", "id"),
    ("sptjm_item_id", "sptjm_sptjmitem", "id"),
    ("result_job_id", "core_job", "id"),
)
NEW_INDEXES = (
    ("disb_period_provider", "(period_id, provider)"),
    ("disb_school_period", "(school_id, period_id)"),
)
OLD_INDEXES = (
    ("disb_period_prov_status", "(period_id, provider, status)"),
    ("disb_school_status", "(school_id, status)"),
    ("sptjm_disbursement_result_job_id_idx", "(result_job_id)"),
)


class OnlyOn(migrations.operations.base.Operation):
    """Django's operation `op` on one database vendor only; the state always moves with it."""

    reduces_to_sql = False

    def __init__(self, vendor: str, op: migrations.operations.base.Operation) -> None:
        self.vendor, self.op = vendor, op

    def deconstruct(self):  # pragma: no cover - not serialised
        return (self.__class__.__name__, [self.vendor, self.op], {})

    def state_forwards(self, app_label, state):
        self.op.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            self.op.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            self.op.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.op.describe()} ({self.vendor})"


def _drop_invalid(cursor, name: str) -> None:
    """An index an interrupted CREATE INDEX CONCURRENTLY left INVALID: dropped to build it again."""
    cursor.execute(
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s AND NOT i.indisvalid",
        [name],
    )
    if cursor.fetchone():
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def _key_names(cursor, column: str) -> list[str]:
    cursor.execute(
        "SELECT con.conname FROM pg_constraint con JOIN pg_attribute a "
        "ON a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey) "
        "WHERE con.conrelid = %s::regclass AND con.contype = 'f' AND a.attname = %s",
        [TABLE, column],
    )
    return [name for (name,) in cursor.fetchall()]


def _index_names(cursor, column: str) -> list[str]:
    """Single-column indexes on `column` (Django named the foreign key's index with a hash)."""
    cursor.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE i.indrelid = %s::regclass AND i.indnatts = 1 AND a.attname = %s AND NOT i.indisunique",
        [TABLE, column],
    )
    return [name for (name,) in cursor.fetchall()]


def forwards_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, columns in NEW_INDEXES:
            _drop_invalid(cursor, name)
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {TABLE} {columns}")
        for name, _columns in OLD_INDEXES[:2]:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        for name in _index_names(cursor, "result_job_id"):
            cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        for column, _table, _ref in KEYS:
            for name in _key_names(cursor, column):
                cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
        cursor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 50)")


def backwards_pg(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")
        for column, table, ref in KEYS:
            if _key_names(cursor, column):
                continue
            name = f"{TABLE}_{column}_fk_{table}_{ref}"
            cursor.execute(
                f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" FOREIGN KEY ({column}) '
                f"REFERENCES {table} ({ref}) DEFERRABLE INITIALLY DEFERRED NOT VALID"
            )
            cursor.execute(f'ALTER TABLE {TABLE} VALIDATE CONSTRAINT "{name}"')
        for name, columns in OLD_INDEXES:
            if name.endswith("_idx") and _index_names(cursor, "result_job_id"):
                continue
            _drop_invalid(cursor, name)
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {TABLE} {columns}")
        for name, _columns in NEW_INDEXES:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


OPERATIONS = [
    migrations.RemoveIndex(model_name="disbursement", name="disb_period_prov_status"),
    migrations.RemoveIndex(model_name="disbursement", name="disb_school_status"),
    migrations.AlterField(
        model_name="disbursement",
        name="recipient",
        field=models.ForeignKey(
            db_constraint=False,
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="disbursements",
            to="registry.recipient",
        ),
    ),
    migrations.AlterField(
        model_name="disbursement",
        name="result_job",
        field=models.ForeignKey(
            blank=True,
            db_constraint=False,
            db_index=False,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            related_name="+",
            to="core.job",
        ),
    ),
    migrations.AlterField(
        model_name="disbursement",
        name="sptjm_item",
        field=models.ForeignKey(
            blank=True,
            db_constraint=False,
            null=True,
            on_delete=django.db.models.deletion.SET_NULL,
            related_name="+",
            to="sptjm.sptjmitem",
        ),
    ),
    migrations.AddIndex(
        model_name="disbursement",
        index=models.Index(fields=["period", "provider"], name="disb_period_provider"),
    ),
    migrations.AddIndex(
        model_name="disbursement",
        index=models.Index(fields=["school", "period"], name="disb_school_period"),
    ),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sptjm", "0007_disbursement_batch_number_format"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=OPERATIONS,
            database_operations=[
                *(OnlyOn("sqlite", op) for op in OPERATIONS),
                migrations.RunPython(forwards_pg, backwards_pg),
            ],
        ),
    ]
