"""A later cutoff against the numbers a school corrected in Verval Ponsel (decision 0025).

Dapodik is the source of identities; the school's correction, confirmed in Verval Ponsel, is the
verified truth for the number (SPEC §3 step 2, §4, §9 "no lost updates"). The import used to
decide "the number changed" against the previous Dapodik number only, so a school that put its
correction into Dapodik (as told) saw it sent back through validation, and one whose Dapodik
still differed lost its verified number.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import UserFactory
from tests.imports.helpers import NPSN, many, uid, write
from verval.core.models import Job
from verval.imports.actions import import_file
from verval.imports.services import row_hash
from verval.registry import actions
from verval.registry.bulk import UploadRow
from verval.registry.models import NumberHistory, Recipient

pytestmark = pytest.mark.django_db

CONFIRMED_AT = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def _corrected_and_active(tmp_path, n: int = 7, typed: str = "+6281177442291"):  # type: ignore[no-untyped-def]
    """A first cutoff of 40 students; the school corrects student n's number in Verval Ponsel,
    then validation and the provider make it AKTIF (written directly: those runs are tested
    elsewhere)."""
    import_file(write(tmp_path / "a.csv", many(40)))
    operator = UserFactory(role="OPERATOR", school_id=NPSN, username="operator.nanggung")
    r = Recipient.objects.get(id=uid(n))
    actions.change_number(actor=operator, recipient_id=r.pk, new_raw=typed, expected_version=r.version)
    Recipient.objects.filter(id=uid(n)).update(
        status="AKTIF", needs_validation=False, confirmed_at=CONFIRMED_AT, status_changed_at=CONFIRMED_AT
    )
    return Recipient.objects.get(id=uid(n)), operator


def _state(r: Recipient) -> tuple:  # type: ignore[type-arg]
    r.refresh_from_db()
    return (r.phone_raw, r.phone_e164, r.status, r.needs_validation, r.confirmed_at, r.version)


def _counts(job: Job) -> tuple:  # type: ignore[type-arg]
    c = job.counts
    keys = (
        "changed",
        "unchanged",
        "numbers_changed",
        "corrections_in_dapodik",
        "corrections_kept",
        "refused",
    )
    return tuple(c[k] for k in keys)


def test_cutoff_carrying_the_schools_corrected_number_keeps_its_status_and_confirmation(tmp_path):  # type: ignore[no-untyped-def]
    r, operator = _corrected_and_active(tmp_path)
    before = _state(r)
    assert before == ("+6281177442291", "+6281177442291", "AKTIF", False, CONFIRMED_AT, 2)
    updated_at = r.updated_at
    rows = many(40)
    rows[7]["nomor_telepon_seluler"] = "081177442291"  # the school put its correction into Dapodik
    job = import_file(write(tmp_path / "b.csv", rows))
    assert job.state == Job.State.SUCCEEDED
    assert _counts(job) == (0, 40, 0, 1, 0, 0)
    # Status, confirmation, number as the school typed it, version, last change: as they were.
    assert _state(r) == before
    assert r.updated_at == updated_at
    # The stored row hash is now the file's: the same file again is unchanged.
    assert r.row_hash == row_hash("PD", "DIKDASMEN", "Siswa 7", "0030000007", "", 2, NPSN, "+6281177442291")
    assert list(NumberHistory.objects.filter(recipient=r).values_list("action", flat=True)) == [
        "change_number"
    ]
    again = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(again) == (0, 40, 0, 0, 0, 0)
    assert _state(r) == before
    # Dapodik now carries the school's number: a later change in Dapodik is the school's own
    # and goes through validation as any number change.
    rows[7]["nomor_telepon_seluler"] = "0857-1111-2222"
    later = import_file(write(tmp_path / "c.csv", rows))
    assert _counts(later) == (1, 39, 1, 0, 0, 0)
    assert _state(r) == ("0857-1111-2222", "+6285711112222", "BELUM_VERVAL", True, None, 3)


def test_cutoff_with_another_number_keeps_the_schools_verified_number_and_says_so(tmp_path, client):  # type: ignore[no-untyped-def]
    r, operator = _corrected_and_active(tmp_path)
    before = _state(r)
    rows = many(40)
    rows[7]["nomor_telepon_seluler"] = "0857-1111-2222"  # Dapodik holds yet another number
    job = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(job) == (0, 40, 0, 0, 1, 0)
    assert _state(r) == before
    kept = NumberHistory.objects.get(recipient=r, action="import_number_kept")
    assert (kept.from_status, kept.to_status, kept.phone_before, kept.phone_after, kept.note, kept.job_id) == (
        "AKTIF", "AKTIF", "0811****2291", "0811****2291", "Dapodik: 0857****2222", job.pk,
    )  # fmt: skip
    # The school reads it on the recipient's history, the numbers masked.
    client.force_login(operator)
    html = client.get(f"/sekolah/{NPSN}/penerima/{r.pk}/riwayat/").content.decode()
    assert (
        'Pusdatin</td><td data-label="Perubahan">Cutoff Dapodik memuat nomor lain; nomor koreksi sekolah '
        "dipertahankan<br><small>Dapodik: 0857****2222</small>"
    ) in html
    assert "2222" not in html.replace("0857****2222", "")
    # Reported once: the same file again changes nothing and writes no history.
    again = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(again) == (0, 40, 0, 0, 0, 0)
    assert NumberHistory.objects.filter(recipient=r).count() == 2
    # Dapodik moves again, still not to the school's number: kept and reported again.
    rows[7]["nomor_telepon_seluler"] = "0857-3333-4444"
    third = import_file(write(tmp_path / "c.csv", rows))
    assert _counts(third) == (0, 40, 0, 0, 1, 0)
    assert _state(r) == before
    # Dapodik finally carries the school's number.
    rows[7]["nomor_telepon_seluler"] = "0811 7744 2291"
    fourth = import_file(write(tmp_path / "d.csv", rows))
    assert _counts(fourth) == (0, 40, 0, 1, 0, 0)
    assert _state(r) == before


def test_identity_changes_apply_to_a_recipient_whose_corrected_number_is_kept(tmp_path):  # type: ignore[no-untyped-def]
    r, _ = _corrected_and_active(tmp_path)
    rows = many(40)
    rows[7]["nomor_telepon_seluler"] = "0857-1111-2222"
    rows[7]["nama"] = "Siswa Tujuh"
    rows[7]["tingkat_pendidikan"] = "3"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(job) == (1, 39, 0, 0, 1, 0)
    r.refresh_from_db()
    assert (r.name, r.grade, r.phone_e164, r.status, r.confirmed_at, r.version) == (
        "Siswa Tujuh", 3, "+6281177442291", "AKTIF", CONFIRMED_AT, 3,
    )  # fmt: skip


def test_a_correction_from_the_excel_upload_is_kept_like_one_typed_on_the_page(tmp_path):  # type: ignore[no-untyped-def]
    import_file(write(tmp_path / "a.csv", many(40)))
    operator = UserFactory(role="OPERATOR", school_id=NPSN, username="operator.nanggung")
    r = Recipient.objects.get(id=uid(9))
    outcome = actions.bulk_correct(
        actor=operator,
        school_npsn=NPSN,
        rows=[UploadRow(line=2, id=str(r.pk), correction="0811-7744-2291", version=str(r.version))],
    )
    assert outcome.counts["changed"] == 1
    rows = many(40)
    rows[9]["nomor_telepon_seluler"] = "0857-1111-2222"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(job) == (0, 40, 0, 0, 1, 0)
    r.refresh_from_db()
    assert (r.phone_e164, r.status, r.needs_validation) == ("+6281177442291", "BELUM_VERVAL", True)


def test_a_dapodik_number_change_still_replaces_a_number_the_school_did_not_correct(tmp_path):  # type: ignore[no-untyped-def]
    import_file(write(tmp_path / "a.csv", many(40)))
    # Confirmed by the school and made AKTIF, but never corrected: Dapodik's change wins.
    Recipient.objects.filter(id=uid(4)).update(
        status="AKTIF", confirmed_at=CONFIRMED_AT, needs_validation=False
    )
    # Stored as another E.164 form with no correction behind it (as a rules recheck would):
    # not taken for a school's correction either.
    Recipient.objects.filter(id=uid(5)).update(phone_e164="+6281210000099")
    rows = many(40)
    rows[4]["nomor_telepon_seluler"] = "0857-1111-2222"
    rows[5]["nomor_telepon_seluler"] = "0857-1111-3333"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(job) == (2, 38, 2, 0, 0, 0)
    r4 = Recipient.objects.get(id=uid(4))
    assert (r4.phone_e164, r4.status, r4.confirmed_at) == ("+6285711112222", "BELUM_VERVAL", None)
    assert Recipient.objects.get(id=uid(5)).phone_e164 == "+6285711113333"


def test_locked_record_with_a_corrected_number_is_not_refused_when_its_number_stays(tmp_path):  # type: ignore[no-untyped-def]
    r, _ = _corrected_and_active(tmp_path, n=7)
    Recipient.objects.filter(id=uid(7)).update(locked=True)
    rows = many(40)
    rows[7]["nomor_telepon_seluler"] = "0857-1111-2222"
    job = import_file(write(tmp_path / "b.csv", rows))
    # The school's number stays, so the lock is not in the way: not TERKUNCI_SPTJM.
    assert _counts(job) == (0, 40, 0, 0, 1, 0)
    assert job.issues.count() == 0
    rows[7]["nomor_telepon_seluler"] = "081177442291"
    job = import_file(write(tmp_path / "c.csv", rows))
    assert _counts(job) == (0, 40, 0, 1, 0, 0)
    r.refresh_from_db()
    assert (r.phone_e164, r.status, r.locked) == ("+6281177442291", "AKTIF", True)


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("", "BELUM_VERVAL"),  # the school recorded "no number"
        ("021-5551234", "FORMAT_SALAH"),  # a correction that fails a rule
        ("+6281177442291", "RESIDU"),  # returned by the provider as residue
    ],
)
def test_dapodik_number_replaces_a_correction_that_is_no_usable_number(tmp_path, typed, status):  # type: ignore[no-untyped-def]
    import_file(write(tmp_path / "a.csv", many(40)))
    operator = UserFactory(role="OPERATOR", school_id=NPSN, username="operator.nanggung")
    r = Recipient.objects.get(id=uid(7))
    actions.change_number(actor=operator, recipient_id=r.pk, new_raw=typed, expected_version=r.version)
    Recipient.objects.filter(id=uid(7)).update(status=status)
    rows = many(40)
    rows[7]["nomor_telepon_seluler"] = "0857-1111-2222"
    job = import_file(write(tmp_path / "b.csv", rows))
    assert _counts(job) == (1, 39, 1, 0, 0, 0)
    r.refresh_from_db()
    assert (r.phone_e164, r.status, r.needs_validation, r.version) == (
        "+6285711112222",
        "BELUM_VERVAL",
        True,
        3,
    )
    assert NumberHistory.objects.filter(recipient=r, action="import_number_changed").count() == 1
