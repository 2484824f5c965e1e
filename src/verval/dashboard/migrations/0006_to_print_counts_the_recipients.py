from django.db import migrations, models


class Migration(migrations.Migration):
    """`SchoolSptjm.to_print` and `SchoolSummary.sptjm_to_print` count the recipients a print of the
    period would list now, for schools with only approved documents too (decision 0122). The old
    True becomes 1 (some to print) until the next refresh writes the counts."""

    dependencies = [
        ("dashboard", "0005_summary_reads_the_school_sptjm_row"),
    ]

    operations = [
        migrations.AlterField(
            model_name="schoolsptjm",
            name="to_print",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="schoolsummary",
            name="sptjm_to_print",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
