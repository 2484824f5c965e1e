"""Decision 0055: a dump with nothing to send says so when new or changed numbers still wait for
the validation run, instead of reading as if the round were done."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.factories import RecipientFactory
from verval.core.models import Job
from verval.registry.services import validate_pending

pytestmark = pytest.mark.django_db

NOTE = (
    "3 nomor baru atau berubah belum divalidasi, jadi belum dapat dikirim. Jalankan validasi format "
    "nomor di halaman Pusdatin, lalu terbitkan dump lagi."
)


def _publish(client, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post("/pusdatin/dump/terbitkan/", {"provider": ""})
    return Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1]), response["Location"]


def test_dump_before_validation_says_how_many_numbers_wait_for_it(
    client, pusdatin, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    RecipientFactory.create_batch(3, school=school)  # imported, not validated yet
    RecipientFactory(school=school, active=False)
    client.force_login(pusdatin)
    job, url = _publish(client, django_capture_on_commit_callbacks)
    assert (job.state, job.counts) == ("SUCCEEDED", {"batches": [], "rows": 0, "awaiting_validation": 3})
    assert (
        f'<p class="warn job-outcome" role="note">{NOTE} <a href="/pusdatin/">Kembali ke Pusdatin</a></p>'
        in (client.get(url).content.decode())
    )


def test_dump_after_validation_publishes_and_says_nothing_of_validation(
    client, pusdatin, school, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    RecipientFactory.create_batch(3, school=school)
    validate_pending(actor=None)
    client.force_login(pusdatin)
    job, url = _publish(client, django_capture_on_commit_callbacks)
    assert (job.counts["rows"], "awaiting_validation" in job.counts) == (3, False)
    assert "belum divalidasi" not in client.get(url).content.decode()


def test_dump_command_tells_to_run_validate_first(school, capsys):  # type: ignore[no-untyped-def]
    RecipientFactory.create_batch(2, school=school)
    call_command("dump")
    assert capsys.readouterr().out.splitlines() == [
        "Tidak ada nomor baru atau berubah untuk dikirim / nothing new to dump.",
        "2 nomor belum divalidasi: jalankan `verval validate` dulu / 2 numbers await validation: run "
        "`verval validate` first.",
    ]
    call_command("dump", "--json")
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["rows"] == 0
