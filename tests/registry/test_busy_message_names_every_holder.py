"""SEDANG_DIPROSES is raised for whichever transaction holds a school's rows past
VERVAL_EDIT_LOCK_WAIT_MS (decision 0041): a Pusdatin job, the school's own job (a correction file,
a large SPTJM printed, a scan checked) or another user's save. The message blamed a Pusdatin job in
every case; it now names the three (decision 0113), and the operator's help explains it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from verval.registry.actions import RecordBusy
from verval.sptjm.reasons import ACTION_REFUSALS


def test_a_refused_save_names_a_pusdatin_job_the_schools_own_job_or_another_users_save():
    with translation.override("id"):
        message = str(RecordBusy().message)

    assert message == (
        "Data ini sedang diperbarui oleh proses lain: pekerjaan Pusdatin (misalnya impor Dapodik, "
        "validasi atau hasil provider), pekerjaan sekolah ini (berkas koreksi, cetak SPTJM atau "
        "pemeriksaan pindaian), atau simpanan pengguna lain. Perubahan Anda belum disimpan; coba lagi "
        "beberapa menit lagi."
    )


def test_a_refused_sptjm_action_names_the_same_three_holders_in_both_languages():
    assert ACTION_REFUSALS["SEDANG_DIPROSES"] == (
        "Data sekolah ini sedang diperbarui oleh proses lain: pekerjaan Pusdatin (misalnya impor "
        "Dapodik, validasi atau hasil provider), pekerjaan sekolah ini (berkas koreksi, cetak SPTJM atau "
        "pemeriksaan pindaian), atau simpanan pengguna lain. Tidak ada yang diubah; coba lagi beberapa "
        "menit lagi.",
        "This school's data is being updated by another process: a Pusdatin job (such as a Dapodik "
        "import, validation or provider results), a job of this school (a correction file, an SPTJM "
        "being printed or a scan being checked) or another user's save. Nothing was changed; try again "
        "in a few minutes.",
    )


@pytest.mark.django_db
def test_the_operators_help_explains_a_save_refused_while_another_process_updates_the_data(operator):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)

    html = client.get(reverse("help:operator")).content.decode()

    assert (
        '<p class="small" id="sedang-diproses">Bila data yang sama sedang diperbarui oleh proses lain '
        "(pekerjaan Pusdatin seperti impor Dapodik, validasi atau hasil provider; pekerjaan sekolah Anda "
        "seperti berkas koreksi, cetak SPTJM atau pemeriksaan pindaian; atau simpanan pengguna lain), "
        "simpanan, verifikasi atau cetak Anda ditolak tanpa mengubah apa pun. Coba lagi beberapa menit "
        'lagi. <small class="muted code">SEDANG_DIPROSES</small></p>'
    ) in html
