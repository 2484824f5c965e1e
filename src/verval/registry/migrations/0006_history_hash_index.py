from django.db import migrations


def use_hash_index(apps, schema_editor):
    # See NumberHistory.Meta: a hash index on PostgreSQL, a plain one on SQLite.
    schema_editor.execute("DROP INDEX registry_nu_recipie_cddc19_idx")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX numberhistory_recipient ON registry_numberhistory USING hash (recipient_id)"
        )
    else:
        schema_editor.execute("CREATE INDEX numberhistory_recipient ON registry_numberhistory (recipient_id)")


def use_btree_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX numberhistory_recipient")
    schema_editor.execute(
        "CREATE INDEX registry_nu_recipie_cddc19_idx ON registry_numberhistory (recipient_id, at)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_hot_updates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="numberhistory", name="registry_nu_recipie_cddc19_idx"),
            ],
            database_operations=[migrations.RunPython(use_hash_index, use_btree_index)],
        ),
    ]
