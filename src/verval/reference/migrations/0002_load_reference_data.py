from django.db import migrations


def forwards(apps, schema_editor):
    from verval.reference.loaders import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
