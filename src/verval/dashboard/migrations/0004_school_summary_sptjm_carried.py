from django.db import migrations, models


class Migration(migrations.Migration):
    """The recipients of a school's summary carried from an earlier period's SPTJM (decision 0116).
    0 until the next refresh of the school (a full one: `verval refresh-dashboard`)."""

    dependencies = [
        ("dashboard", "0003_school_sptjm_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="schoolsummary",
            name="sptjm_carried",
            field=models.BigIntegerField(default=0),
        ),
    ]
