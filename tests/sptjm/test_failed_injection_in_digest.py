"""A failure the provider reports after a school's last daily digest reaches the next one: the
line's updated_at is when the report changed it (decisions 0043, 0048)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from tests.sptjm.conftest import aktif, approve_all
from verval.accounts import digest
from verval.accounts.models import Digest
from verval.core import jobs
from verval.sptjm import actions
from verval.sptjm.models import Disbursement, DisbursementBatch
from verval.sptjm.services import apply_injection_results


def test_a_failure_reported_after_the_schools_last_digest_is_in_its_next_digest(
    operator, pusdatin, school, period, tmp_path: Path
):
    aktif(school, 3)
    approve_all(operator, pusdatin, school, period)
    job = jobs.run(actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    batch = DisbursementBatch.objects.get(period=period)
    lines = list(Disbursement.objects.filter(batch=batch).order_by("recipient_id"))
    # The school's digest went out after the lines were created and before the provider reported.
    sent_until = timezone.now()
    Digest.objects.create(
        kind=Digest.Kind.SCHOOL, school=school, day=timezone.localdate() - timedelta(days=1), until=sent_until
    )
    path = tmp_path / "hasil.csv"
    path.write_text(
        "pd_id,no_ponsel,status,keterangan\n"
        f"{lines[0].recipient_id},{lines[0].phone_e164[1:]},GAGAL,Nomor tidak aktif\n"
        f"{lines[1].recipient_id},{lines[1].phone_e164[1:]},BERHASIL,\n"
    )

    counts, issues = apply_injection_results(actor=None, batch=batch, path=path)

    assert (issues, counts["gagal"], counts["berhasil"]) == ([], 1, 1)
    failed = Disbursement.objects.get(pk=lines[0].pk)
    assert failed.updated_at > sent_until
    assert Disbursement.objects.get(pk=lines[2].pk).updated_at == lines[2].updated_at
    floor, until = digest.window(timezone.localdate())
    changes = digest.school_changes(day=timezone.localdate(), floor=floor, until=until)
    assert changes[school.npsn].failed == 1
