"""A later cutoff import against what others change while it runs, on PostgreSQL with real
connections (decision 0042).

The import classifies every row against the registry in one statement, then writes minutes
later at national scale. A school's correction or an SPTJM print committed in between must not
be overwritten by the file's number (decision 0025: the school's usable correction wins; a printed
SPTJM locks its records), and two registry-wide jobs (imports, validation runs) must not
interleave."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from tests.factories import UserFactory
from tests.imports.helpers import NPSN, many, uid, write
from tests.rowlocks import Actor, Holds, wait_until_waiting
from verval.core import db, jobs
from verval.core.models import Job
from verval.imports import services
from verval.imports.actions import import_file
from verval.registry import actions
from verval.registry.models import NumberHistory, Recipient
from verval.registry.services import validate_pending

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _meanwhile(monkeypatch: pytest.MonkeyPatch, step: Any) -> None:
    """Run `step` on a connection of its own once the import has classified the file, before it
    writes anything: an operator's save or a print between the two."""
    real = services._Importer._classify
    done: list[bool] = []

    def classify(self):  # type: ignore[no-untyped-def]
        classes = real(self)
        if not done:
            done.append(True)
            actor = Actor(step).start().join()
            assert actor.error is None, actor.error
        return classes

    monkeypatch.setattr(services._Importer, "_classify", classify)


def test_a_correction_saved_while_an_import_runs_is_kept_over_dapodiks_number(tmp_path, monkeypatch):
    import_file(write(tmp_path / "a.csv", many(20)))
    operator = UserFactory(role="OPERATOR", school_id=NPSN, username="operator.nanggung")
    r7 = Recipient.objects.get(id=uid(7))
    rows = many(20)
    rows[7]["nomor_telepon_seluler"] = "081399887766"  # Dapodik's new number for student 7
    rows[11]["nomor_telepon_seluler"] = "081399887711"  # and for student 11, left alone meanwhile

    def correct() -> None:
        actions.change_number(
            actor=operator, recipient_id=r7.pk, new_raw="081177442291", expected_version=r7.version
        )

    _meanwhile(monkeypatch, correct)
    job = import_file(write(tmp_path / "b.csv", rows))

    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert (job.counts["numbers_changed"], job.counts["corrections_kept"]) == (1, 1)
    r7.refresh_from_db()
    assert (r7.phone_raw, r7.phone_e164, r7.status) == ("081177442291", "+6281177442291", "BELUM_VERVAL")
    assert list(
        NumberHistory.objects.filter(recipient=r7).order_by("id").values_list("action", flat=True)
    ) == [
        "change_number",
        "import_number_kept",
    ]
    assert Recipient.objects.get(id=uid(11)).phone_e164 == "+6281399887711"


def test_a_record_locked_by_a_print_while_an_import_runs_keeps_its_number(tmp_path, monkeypatch):
    import_file(write(tmp_path / "a.csv", many(20)))
    rows = many(20)
    rows[9]["nomor_telepon_seluler"] = "081399887799"

    def print_locks() -> None:
        # What print_sptjm does to the records it lists (sptjm.actions.print_sptjm).
        Recipient.objects.filter(id=uid(9)).update(locked=True, version=F("version") + 1)

    _meanwhile(monkeypatch, print_locks)
    job = import_file(write(tmp_path / "b.csv", rows))

    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert (job.counts["numbers_changed"], job.counts["refused"]) == (0, 1)
    assert list(job.issues.values_list("line", "code")) == [(11, "TERKUNCI_SPTJM")]
    r9 = Recipient.objects.get(id=uid(9))
    assert (r9.phone_e164, r9.locked) == ("+6281210000009", True)


def test_two_first_loads_at_once_load_the_file_once(tmp_path, pusdatin):
    first = jobs.create_job(
        actor=pusdatin, kind="import_dapodik", params={"path": str(write(tmp_path / "a.csv", many(30)))}
    )
    second = jobs.create_job(
        actor=pusdatin, kind="import_dapodik", params={"path": str(write(tmp_path / "b.csv", many(30)))}
    )
    with Holds("SELECT pg_advisory_xact_lock(%s)", [db.REGISTRY_JOBS]):
        actors = [Actor(lambda j=j: jobs.run(j.pk)).start() for j in (first, second)]
        wait_until_waiting(2)
    done = sorted((a.join().result for a in actors), key=lambda j: j.counts.get("added", 0))

    assert [j.state for j in done] == [Job.State.SUCCEEDED, Job.State.SUCCEEDED]
    assert [(j.counts["added"], j.counts["unchanged"]) for j in done] == [(0, 30), (30, 0)]
    assert Recipient.objects.count() == 30


def test_a_validation_run_waits_for_a_running_import(tmp_path, pusdatin, monkeypatch):
    import_file(write(tmp_path / "a.csv", many(20)))
    validate_pending(actor=pusdatin)
    rows = many(20)
    rows[3]["nomor_telepon_seluler"] = "081399887733"
    outcome: dict[str, Any] = {}

    def validate() -> dict[str, int]:
        return validate_pending(actor=pusdatin)

    def during_import() -> None:
        # The validation run, started while the import holds the registry, comes to wait.
        outcome["actor"] = Actor(validate).start()
        wait_until_waiting(1)

    _meanwhile(monkeypatch, during_import)
    job = import_file(write(tmp_path / "b.csv", rows))
    counts = outcome["actor"].join().result

    assert job.counts["numbers_changed"] == 1
    # It ran after the import committed, so it validated the number the import changed.
    assert counts["divalidasi"] == 1
    r3 = Recipient.objects.get(id=uid(3))
    assert (r3.phone_e164, r3.status, r3.needs_validation) == ("+6281399887733", "MENUNGGU_PROVIDER", False)
    assert connection.vendor == "postgresql"
