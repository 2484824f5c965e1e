from django.db import migrations

# Decision 0046. On PostgreSQL the school page's index compares names byte by byte (COLLATE "C")
# instead of through the database's locale: with a glibc locale (C.UTF-8, id_ID.UTF-8, ...)
# PostgreSQL compares each pair of names with strcoll and sorts without abbreviated keys, which
# made this index one of the slowest steps of a first load. Only the index changes: the column
# keeps the database's collation, so the school page still orders names as the database's locale
# does (the index gives the school, kind and grade order; the names of one grade are sorted on
# top of it), and no comparison with another table's text meets two collations. SQLite keeps
# its index; Django's state (Recipient.Meta) is unchanged.
#
# Built CONCURRENTLY (hence atomic = False): on a populated registry the build takes minutes
# without blocking writes, and the old index serves the pages until it is dropped. Run again
# after an interruption, it first drops what a failed build leaves behind (an INVALID index).

OLD = "CREATE INDEX CONCURRENTLY {name} ON registry_recipient (school_id, kind, grade, name)"
NEW = 'CREATE INDEX CONCURRENTLY {name} ON registry_recipient (school_id, kind, grade, name COLLATE "C")'


def _swap(schema_editor, definition: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS recipient_school_order_new")
    schema_editor.execute(definition.format(name="recipient_school_order_new"))
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS recipient_school_order")
    schema_editor.execute("ALTER INDEX recipient_school_order_new RENAME TO recipient_school_order")


def names_in_code_point_order(apps, schema_editor):
    _swap(schema_editor, NEW)


def names_in_locale_order(apps, schema_editor):
    _swap(schema_editor, OLD)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registry", "0007_confirmed_by_without_database_key"),
    ]

    operations = [
        migrations.RunPython(names_in_code_point_order, names_in_locale_order, elidable=False),
    ]
