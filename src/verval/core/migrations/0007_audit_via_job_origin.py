# Decision 0138: where each audit row came from (web, api, cli:<OS login>, job:<origin>, system),
# and the origin a job keeps from whoever queued it.
#
# The audit table only grows and every audited action inserts into it (decision 0137), so the
# columns are added without rewriting it. On PostgreSQL Django's own SQL does that: `ADD COLUMN
# ... DEFAULT '' NOT NULL` changes the catalogue only (PostgreSQL 11 and later keep a constant
# default as the column's "missing" value; no table rewrite, no index build), under a brief ACCESS
# EXCLUSIVE lock. The default stays in the database (`db_default`): the previous release's
# processes, still inserting during an upgrade, name no such column. On SQLite Django would copy the whole table into a new one
# (its way of adding a NOT NULL column); a plain ADD COLUMN with a constant default is enough there
# and leaves the rows where they are. Django's state is AddField's, so makemigrations finds nothing.

from django.db import migrations, models

FIELDS = (("auditevent", "via"), ("job", "origin"))


def _field(model, name):
    # The historical models here are the state before this migration (its state operations are
    # AddField's): the field is made as the model declares it.
    field = models.CharField(blank=True, default="", db_default="", max_length=64)
    field.set_attributes_from_name(name)
    field.model = model
    return field


def add(apps, schema_editor):
    for model_name, name in FIELDS:
        model = apps.get_model("core", model_name)
        field = _field(model, name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN {schema_editor.quote_name(name)} varchar(64) NOT NULL DEFAULT ''"
            )
        else:
            schema_editor.add_field(model, field)


def remove(apps, schema_editor):
    for model_name, name in FIELDS:
        model = apps.get_model("core", model_name)
        schema_editor.remove_field(model, _field(model, name))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_auditevent_region_code_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="auditevent",
                    name="via",
                    field=models.CharField(blank=True, default="", db_default="", max_length=64),
                ),
                migrations.AddField(
                    model_name="job",
                    name="origin",
                    field=models.CharField(blank=True, default="", db_default="", max_length=64),
                ),
            ],
            database_operations=[migrations.RunPython(add, remove)],
        ),
    ]
