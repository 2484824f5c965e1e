# Decision 0120: "is this file a document's scan?" by an index, not a read of the whole table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sptjm", "0011_number_format_labels_show_the_shape"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="sptjm",
            index=models.Index(fields=["scan_path"], name="sptjm_scan_path", opclasses=["varchar_pattern_ops"]),
        ),
    ]
