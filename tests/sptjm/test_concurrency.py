"""Two actors on one SPTJM or one period's disbursement at the same moment, on PostgreSQL with
real connections (decision 0042): each call runs on a connection of its own, queued behind a
third that holds the row they contend for, so that they surely overlap."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.rowlocks import Actor, Holds, wait_until_waiting
from tests.sptjm.conftest import aktif, approve_all
from verval.core import jobs
from verval.core.models import AuditEvent, Job
from verval.registry.models import Recipient
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch, Sptjm, SptjmItem
from verval.sptjm.reasons import ActionRefused

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(settings):  # type: ignore[no-untyped-def]
    """The users' saves wait for the holder (decision 0041's wait, long enough for the test)."""
    settings.VERVAL = {**settings.VERVAL, "EDIT_LOCK_WAIT_MS": 30000}


@pytest.fixture
def uploaded(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 3)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")
    return Sptjm.objects.get(pk=sptjm.pk)


def _race(sptjm: Sptjm, *calls):  # type: ignore[no-untyped-def]
    with Holds("SELECT 1 FROM sptjm_sptjm WHERE id = %s FOR UPDATE", [sptjm.pk]):
        actors = [Actor(call).start() for call in calls]
        wait_until_waiting(len(calls))
    return [a.join() for a in actors]


def test_two_reviewers_approving_and_returning_at_once_one_wins_the_other_is_told(
    uploaded, pusdatin, patient
):
    other = UserFactory(role="PUSDATIN", username="pusdatin2")
    approve, give_back = _race(
        uploaded,
        lambda: actions.approve_sptjm(actor=pusdatin, sptjm_id=uploaded.pk, version=uploaded.version),
        lambda: actions.return_sptjm(
            actor=other, sptjm_id=uploaded.pk, reason="Meterai tidak ada", version=uploaded.version
        ),
    )

    (won,) = [a for a in (approve, give_back) if a.error is None]
    (lost,) = [a for a in (approve, give_back) if a.error is not None]
    assert isinstance(lost.error, ActionRefused)
    assert lost.error.code == "STATUS_TIDAK_SESUAI"
    before = uploaded.version
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.version) == (won.result.status, before + 1)
    assert AuditEvent.objects.filter(action__in=["approve_sptjm", "return_sptjm"]).count() == 1


@pytest.mark.parametrize("review", ["approve", "return"])
def test_a_review_while_another_transaction_holds_the_sptjm_is_refused_after_the_brief_wait(
    uploaded, pusdatin, brief_lock_wait, mailoutbox, review
):
    call = {
        "approve": lambda: actions.approve_sptjm(
            actor=pusdatin, sptjm_id=uploaded.pk, version=uploaded.version
        ),
        "return": lambda: actions.return_sptjm(
            actor=pusdatin, sptjm_id=uploaded.pk, reason="Meterai tidak ada", version=uploaded.version
        ),
    }[review]
    with (
        Holds("SELECT 1 FROM sptjm_sptjm WHERE id = %s FOR UPDATE", [uploaded.pk]),
        pytest.raises(ActionRefused) as caught,
    ):
        call()
    assert caught.value.code == "SEDANG_DIPROSES"
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.return_reason) == ("DIUNGGAH", "")
    assert AuditEvent.objects.filter(action__in=["approve_sptjm", "return_sptjm"]).count() == 0
    assert len(mailoutbox) == 0
    # Once the holder is gone the same call goes through.
    assert call().status == {"approve": "DISETUJUI", "return": "DIKEMBALIKAN"}[review]


def test_a_school_voiding_while_pusdatin_approves_ends_in_one_of_the_two(
    uploaded, operator, pusdatin, patient
):
    approve, void = _race(
        uploaded,
        lambda: actions.approve_sptjm(actor=pusdatin, sptjm_id=uploaded.pk),
        lambda: actions.void_sptjm(actor=operator, sptjm_id=uploaded.pk),
    )

    (won,) = [a for a in (approve, void) if a.error is None]
    (lost,) = [a for a in (approve, void) if a.error is not None]
    assert lost.error.code == "STATUS_TIDAK_SESUAI"
    uploaded.refresh_from_db()
    approved = uploaded.status == "DISETUJUI"
    assert uploaded.status == won.result.status
    assert uploaded.status in ("DISETUJUI", "DIBATALKAN")
    assert SptjmItem.objects.filter(sptjm=uploaded, approved=True).count() == (3 if approved else 0)
    assert Recipient.objects.filter(locked=True).count() == 0
    assert AuditEvent.objects.filter(action__in=["approve_sptjm", "void_sptjm"]).count() == 1


def test_two_disbursement_runs_at_once_schedule_each_recipient_once(operator, pusdatin, school, period):
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    runs = [
        actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False) for _ in range(2)
    ]
    with Holds("SELECT 1 FROM reference_period WHERE code = %s FOR UPDATE", [period.code]):
        actors = [Actor(lambda j=j: jobs.run(j.pk)).start() for j in runs]
        wait_until_waiting(2)
    done = [a.join().result for a in actors]

    assert [j.state for j in done] == [Job.State.SUCCEEDED, Job.State.SUCCEEDED]
    assert sorted(j.counts["scheduled"] for j in done) == [0, 3]
    assert list(DisbursementBatch.objects.values_list("provider", "rows")) == [("telkomsel", 3)]
    assert Disbursement.objects.count() == 3


def test_two_operators_sending_different_scans_at_once_get_one_check_and_one_refusal(
    uploaded, operator, school, patient, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from verval.core import files

    colleague = UserFactory(role="OPERATOR", school=school, username="operator-b")
    monkeypatch.setattr(jobs, "enqueue", lambda job: None)  # both checks stay waiting: decided by the lock
    body = files.absolute(uploaded.pdf_path).read_bytes()
    first, second = _race(
        uploaded,
        lambda: actions.receive_scan(
            actor=operator, sptjm_id=uploaded.pk, upload=SimpleUploadedFile("a.pdf", body)
        ),
        lambda: actions.receive_scan(
            actor=colleague, sptjm_id=uploaded.pk, upload=SimpleUploadedFile("b.pdf", body + b"\n% b\n")
        ),
    )

    (won,) = [a for a in (first, second) if a.error is None]
    (lost,) = [a for a in (first, second) if a.error is not None]
    assert isinstance(lost.error, ActionRefused)
    assert lost.error.code == "PINDAIAN_SEDANG_DIPERIKSA"
    job, created = won.result
    assert created is True
    assert list(Job.objects.filter(kind="sptjm_scan").values_list("pk", flat=True)) == [job.pk]
    assert sorted(p.name for p in (files.root() / "sptjm-scans").iterdir()) == [job.input_path.split("/")[1]]
