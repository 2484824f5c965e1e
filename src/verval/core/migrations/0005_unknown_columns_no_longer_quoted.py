"""Refusals recorded before decision 0124 quoted a cutoff's unknown column titles whole. A file
without its header row made its first row of data those "titles": a student's name, NIK and phone
number stood in the job's message, its report and its page. The quoted titles are taken out of
every such refusal already stored; the rest of the message (the missing required columns) stays.
Not reversible: the titles are not kept anywhere."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CODE = "KOLOM_TIDAK_LENGKAP"
MARKS = {
    "id": (
        " Kolom tidak dikenal (mungkin salah nama): ",
        " Kolom tidak dikenal tidak ditampilkan (keputusan 0124).",
    ),
    "en": (" Unknown columns (renamed?): ", " Unknown columns are not shown (decision 0124)."),
}


def _scrub(text: str, lang: str) -> str:
    mark, note = MARKS[lang]
    head, found, _titles = text.partition(mark)
    return head + note if found else text


def forwards(apps: Any, schema_editor: Any) -> None:
    Job = apps.get_model("core", "Job")
    JobIssue = apps.get_model("core", "JobIssue")
    for job in Job.objects.filter(error_code=CODE).only("pk", "error_message", "error_message_en").iterator():
        message, message_en = _scrub(job.error_message, "id"), _scrub(job.error_message_en, "en")
        if (message, message_en) != (job.error_message, job.error_message_en):
            Job.objects.filter(pk=job.pk).update(error_message=message, error_message_en=message_en)
    for issue in JobIssue.objects.filter(code=CODE).only("pk", "message", "message_en", "value").iterator():
        message, message_en = _scrub(issue.message, "id"), _scrub(issue.message_en, "en")
        if (message, message_en) != (issue.message, issue.message_en):
            JobIssue.objects.filter(pk=issue.pk).update(message=message, message_en=message_en, value="")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_job_input_path_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
