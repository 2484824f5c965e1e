# Decision 0135: a Dinas reads the audit rows of its schools or its region; on PostgreSQL the two
# halves of that OR are read through two indexes (school_id's and this one) when the region's rows
# are few, rather than walking the whole table in time order.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_unknown_columns_no_longer_quoted"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["region_code"], name="audit_region_code", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]
