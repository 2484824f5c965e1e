# Decision 0120: "does a job name this file?" by an index, not a read of the whole table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_job_cancel_request"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["input_path"], name="job_input_path", opclasses=["varchar_pattern_ops"]),
        ),
    ]
