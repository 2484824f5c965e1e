# Written by hand, 2026-11-30 (docs/decisions/0053-a-batchs-pending-lines-kept-on-its-row.md).
# A disbursement batch keeps the number of its lines still DIJADWALKAN; an injection apply lowers
# it by the lines it answered instead of counting the batch's lines after every results file.
# Existing batches are counted once here (one pass over the lines that have a batch; the column
# is added with a constant default, which PostgreSQL stores without rewriting the table).

from django.db import migrations, models

COUNT = """
UPDATE sptjm_disbursementbatch SET pending = (
    SELECT count(*) FROM sptjm_disbursement d
    WHERE d.batch_id = sptjm_disbursementbatch.id AND d.status = 'DIJADWALKAN'
)
"""


class Migration(migrations.Migration):
    dependencies = [("sptjm", "0008_disbursement_lines_written_in_place")]

    operations = [
        migrations.AddField(
            model_name="disbursementbatch",
            name="pending",
            field=models.IntegerField(default=0),
        ),
        migrations.RunSQL(COUNT, migrations.RunSQL.noop),
    ]
