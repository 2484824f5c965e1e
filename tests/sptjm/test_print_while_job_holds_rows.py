"""Printing, voiding and approving an SPTJM lock or unlock the school's recipients: while a bulk
job holds those rows the action is refused at once with SEDANG_DIPROSES (decision 0041), not
left hanging until the job commits."""

from __future__ import annotations

import pytest

from tests.rowlocks import JobHoldsRows
from tests.sptjm.conftest import aktif
from verval.registry.models import Recipient
from verval.sptjm import actions
from verval.sptjm.models import Sptjm
from verval.sptjm.reasons import ActionRefused

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_print_while_a_job_holds_the_schools_rows_is_refused_and_prints_nothing(
    client, operator, school, period, brief_lock_wait
):
    rows = aktif(school, 3)
    with JobHoldsRows([rows[1].pk]), pytest.raises(ActionRefused) as caught:
        actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert caught.value.code == "SEDANG_DIPROSES"
    assert (Sptjm.objects.count(), Recipient.objects.filter(locked=True).count()) == (0, 0)

    client.force_login(operator)
    with JobHoldsRows([rows[1].pk]):
        response = client.post(f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [
        "Data sekolah ini sedang diperbarui oleh proses lain: pekerjaan Pusdatin (misalnya impor "
        "Dapodik, validasi atau hasil provider), pekerjaan sekolah ini (berkas koreksi, cetak SPTJM atau "
        "pemeriksaan pindaian), atau simpanan pengguna lain. Tidak ada yang diubah; coba lagi beberapa "
        "menit lagi."
    ]
    sptjm, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert (created, sptjm.rows) == (True, 3)


def test_void_while_a_job_holds_the_listed_rows_is_refused_and_keeps_them_locked(
    operator, school, period, brief_lock_wait
):
    rows = aktif(school, 2)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    with JobHoldsRows([rows[0].pk]), pytest.raises(ActionRefused) as caught:
        actions.void_sptjm(actor=operator, sptjm_id=sptjm.pk, version=sptjm.version)
    assert caught.value.code == "SEDANG_DIPROSES"
    assert Sptjm.objects.get(pk=sptjm.pk).status == "DICETAK"
    assert Recipient.objects.filter(locked=True).count() == 2
