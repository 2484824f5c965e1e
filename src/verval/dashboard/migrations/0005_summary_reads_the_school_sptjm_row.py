from django.db import migrations, models
from django.db.models import F


def _as_before(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Until the next refresh writes them from SchoolSptjm, the columns say what the summary's
    counts said (decision 0116's rules): the list and the digest stay as they were."""
    summary = apps.get_model("dashboard", "SchoolSummary")
    own_printed = F("sptjm_printed") - F("sptjm_carried")
    own_uploaded = F("sptjm_uploaded") - F("sptjm_carried")
    summary.objects.filter(sptjm_returned__gt=0).update(sptjm_state="DIKEMBALIKAN")
    summary.objects.alias(printed_own=own_printed, uploaded_own=own_uploaded).filter(
        sptjm_returned=0, printed_own__gt=0, uploaded_own=0
    ).update(sptjm_state="DICETAK")
    summary.objects.alias(printed_own=own_printed, aktif_own=F("aktif") - F("sptjm_carried")).filter(
        aktif_own__gt=0, printed_own=0
    ).update(sptjm_to_print=True)


class Migration(migrations.Migration):
    """A school's summary holds its SchoolSptjm row's `state` and `to_print` (decision 0119): the
    schools-to-chase list, its score and the digest read the late-schools page's facts. Filled
    from the summary's counts until the next refresh writes them."""

    dependencies = [
        ("dashboard", "0004_sptjm_carried_and_facts_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="schoolsummary",
            name="sptjm_state",
            field=models.CharField(blank=True, default="", max_length=12),
        ),
        migrations.AddField(
            model_name="schoolsummary",
            name="sptjm_to_print",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(_as_before, migrations.RunPython.noop),
    ]
