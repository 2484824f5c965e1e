from django.db import migrations, models


class Migration(migrations.Migration):
    """The recipients of a school's summary carried from an earlier period's SPTJM, and the
    periods the SchoolSptjm rows were read under (decision 0116). 0 and '' until the next full
    refresh (`verval refresh-dashboard`): until then the late-schools page counts live."""

    dependencies = [
        ("dashboard", "0003_school_sptjm_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="schoolsummary",
            name="sptjm_carried",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="statsstate",
            name="sptjm_facts_key",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
