# Decision 0135: a Dinas reads the audit rows of its schools or its region; on PostgreSQL the two
# halves of that OR are read through two indexes (school_id's and this one) when the region's rows
# are few, rather than walking the whole table in time order.
#
# Built CONCURRENTLY on PostgreSQL (hence atomic = False; decision 0137): every audited action,
# a provider's API call as much as a school's save, writes a row to this table, and a plain
# CREATE INDEX holds their inserts until it is built. The upgrade walk measured it on 3 M rows:
# the migration took 3.8 s and an API call made meanwhile waited 1.9 s; the audit table only
# grows. Run again after an interruption, it first drops what a failed build leaves behind (an
# INVALID index). Other databases get Django's own CREATE INDEX; Django's state is AddIndex's.

from django.db import migrations, models

INDEX = models.Index(fields=["region_code"], name="audit_region_code", opclasses=["varchar_pattern_ops"])


def build(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY {INDEX.name} ON core_auditevent (region_code varchar_pattern_ops)"
        )
        return
    schema_editor.add_index(apps.get_model("core", "AuditEvent"), INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
        return
    schema_editor.remove_index(apps.get_model("core", "AuditEvent"), INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0005_unknown_columns_no_longer_quoted"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="auditevent", index=INDEX.clone())],
            database_operations=[migrations.RunPython(build, drop, elidable=False)],
        ),
    ]
