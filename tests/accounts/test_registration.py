"""Operator registration (SPEC §2): register for an NPSN with an SK, the region's Dinas decides."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.accounts.helpers import PDF_BYTES, PNG_BYTES, registration_data
from tests.factories import SchoolFactory
from verval.accounts.models import OperatorRegistration, Role, User
from verval.core import files
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """`with commit():` runs the on_commit callbacks (e-mail) of the requests inside it."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _register(client, school, **overrides):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:register"), registration_data(school, **overrides))


def test_registration_with_pdf_letter_is_pending_and_letter_is_stored(client, school, commit):  # type: ignore[no-untyped-def]
    with commit():
        response = _register(client, school)
    assert response.status_code == 200
    reg = OperatorRegistration.objects.get()
    assert (reg.status, reg.school_id, reg.username, reg.email) == (
        "PENDING",
        school.npsn,
        "budi.op",
        "budi@example.test",
    )
    assert reg.letter_path.startswith("registrations/") and reg.letter_path.endswith(".pdf")
    assert files.absolute(reg.letter_path).read_bytes() == PDF_BYTES
    assert reg.password_hash.startswith("md5$") and "Kuota-Belajar-2020" not in reg.password_hash
    assert AuditEvent.objects.filter(action="submit_registration", object_id=str(reg.pk)).count() == 1
    assert [m.to for m in mail.outbox] == [["budi@example.test"]]


def test_registration_notifies_dinas_of_the_school_region(client, school, dinas_kab, other_dinas_kab, commit):  # type: ignore[no-untyped-def]
    with commit():
        _register(client, school)
    recipients = sorted(addr for m in mail.outbox for addr in m.to)
    assert recipients == ["budi@example.test", "dinaskab@example.test"]


def test_png_letter_is_accepted_and_stored_with_png_suffix(client, school):  # type: ignore[no-untyped-def]
    _register(client, school, letter=SimpleUploadedFile("scan.jpg", PNG_BYTES, content_type="image/jpeg"))
    assert OperatorRegistration.objects.get().letter_path.endswith(".png")


def test_letter_named_pdf_but_not_pdf_content_is_refused(client, school):  # type: ignore[no-untyped-def]
    fake = SimpleUploadedFile(
        "sk.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
    response = _register(client, school, letter=fake)
    assert response.status_code == 200
    assert "Berkas harus PDF, JPG atau PNG." in response.content.decode()
    assert OperatorRegistration.objects.count() == 0


def test_letter_over_5_mb_is_refused(client, school):  # type: ignore[no-untyped-def]
    big = SimpleUploadedFile("sk.pdf", PDF_BYTES + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    response = _register(client, school, letter=big)
    assert "Berkas terlalu besar (paling besar 5 MB)." in response.content.decode()
    assert OperatorRegistration.objects.count() == 0


def test_unknown_or_inactive_npsn_is_refused(client, school):  # type: ignore[no-untyped-def]
    closed = SchoolFactory(npsn="29999999", active=False)
    for npsn in ("12345678", closed.npsn):
        response = _register(client, school, npsn=npsn)
        assert "NPSN tidak ditemukan atau sekolah tidak aktif." in response.content.decode()
    assert OperatorRegistration.objects.count() == 0


def test_username_taken_by_user_or_pending_registration_is_refused(client, school, operator):  # type: ignore[no-untyped-def]
    response = _register(client, school, username="operator")
    assert "Nama pengguna sudah dipakai" in response.content.decode()
    _register(client, school)
    response = _register(client, school, email="lain@example.test")
    assert "Nama pengguna sudah dipakai" in response.content.decode()
    assert OperatorRegistration.objects.count() == 1


@pytest.fixture
def pending(client, school):  # type: ignore[no-untyped-def]
    _register(client, school)
    mail.outbox.clear()
    return OperatorRegistration.objects.get()


def test_dinas_kab_sees_pending_registration_of_its_school(client, dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    page = client.get(reverse("core:dinas")).content.decode()
    assert "Budi Santoso" in page and reverse("accounts:registration_approve", args=[pending.pk]) in page
    assert "Budi Santoso" in client.get(reverse("accounts:registrations")).content.decode()


def test_dinas_of_other_regency_does_not_see_the_registration(client, other_dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(other_dinas_kab)
    assert "Budi Santoso" not in client.get(reverse("core:dinas")).content.decode()
    assert "Budi Santoso" not in client.get(reverse("accounts:registrations")).content.decode()


def test_dinas_approves_and_new_operator_signs_in_with_own_password(
    client, dinas_kab, pending, school, commit
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    with commit():
        response = client.post(reverse("accounts:registration_approve", args=[pending.pk]))
    assert response.status_code == 302
    pending.refresh_from_db()
    user = User.objects.get(username="budi.op")
    assert (pending.status, pending.user_id, pending.decided_by_id, pending.password_hash) == (
        "APPROVED",
        user.pk,
        dinas_kab.pk,
        "",
    )
    assert (user.role, user.school_id, user.is_active, user.first_name) == (
        Role.OPERATOR,
        school.npsn,
        True,
        "Budi Santoso",
    )
    assert AuditEvent.objects.filter(action="approve_registration", actor=dinas_kab).count() == 1
    assert [m.to for m in mail.outbox] == [["budi@example.test"]] and "disetujui" in mail.outbox[0].body
    client.logout()
    assert client.login(username="budi.op", password="Kuota-Belajar-2020")


def test_dinas_prov_approves_an_sd_registration_when_its_kabupaten_has_no_dinas_account(
    client, dinas_prov, pending
):  # type: ignore[no-untyped-def]
    # An SD is the kabupaten/kota's; without a Dinas account there, the province decides (decision 0096).
    client.force_login(dinas_prov)
    client.post(reverse("accounts:registration_approve", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.status == "APPROVED"


def test_registration_cannot_be_approved_twice(client, dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    client.post(reverse("accounts:registration_approve", args=[pending.pk]))
    response = client.post(reverse("accounts:registration_approve", args=[pending.pk]), follow=True)
    assert "Pendaftaran ini sudah diputuskan." in response.content.decode()
    assert User.objects.filter(username="budi.op").count() == 1


def test_dinas_of_other_regency_cannot_approve(client, other_dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(other_dinas_kab)
    assert client.post(reverse("accounts:registration_approve", args=[pending.pk])).status_code == 403
    pending.refresh_from_db()
    assert pending.status == "PENDING" and not User.objects.filter(username="budi.op").exists()


def test_operator_and_pusdatin_cannot_approve(client, operator, pusdatin, pending):  # type: ignore[no-untyped-def]
    for user in (operator, pusdatin):
        client.force_login(user)
        assert client.post(reverse("accounts:registration_approve", args=[pending.pk])).status_code == 403
    pending.refresh_from_db()
    assert pending.status == "PENDING"


def test_dinas_rejects_with_reason_and_applicant_is_told(client, dinas_kab, pending, commit):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    with commit():
        client.post(
            reverse("accounts:registration_reject", args=[pending.pk]),
            {"reason": "SK tidak ditandatangani kepala sekolah"},
        )
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == ("REJECTED", "SK tidak ditandatangani kepala sekolah")
    assert not User.objects.filter(username="budi.op").exists()
    assert "SK tidak ditandatangani kepala sekolah" in mail.outbox[0].body
    assert (
        AuditEvent.objects.filter(
            action="reject_registration", note="SK tidak ditandatangani kepala sekolah"
        ).count()
        == 1
    )


def test_number_typed_into_a_rejection_reason_is_masked_in_the_applicants_email(  # type: ignore[no-untyped-def]
    client, dinas_kab, pending, commit
):
    client.force_login(dinas_kab)
    with commit():
        client.post(
            reverse("accounts:registration_reject", args=[pending.pk]),
            {"reason": "Nomor 0812-3456-7890 bukan nomor sekolah"},
        )
    pending.refresh_from_db()

    assert pending.decision_note == "Nomor 0812-3456-7890 bukan nomor sekolah"
    assert "ditolak dengan alasan: Nomor 0812****7890 bukan nomor sekolah" in mail.outbox[0].body


def test_reject_without_reason_changes_nothing(client, dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    client.post(reverse("accounts:registration_reject", args=[pending.pk]), {"reason": "  "})
    pending.refresh_from_db()
    assert pending.status == "PENDING"


def test_dinas_downloads_letter_and_download_is_audited(client, dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    response = client.get(reverse("accounts:registration_letter", args=[pending.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="sk-penugasan-{pending.pk}.pdf"'
    assert (
        AuditEvent.objects.filter(
            action="download_registration_letter", actor=dinas_kab, object_id=str(pending.pk)
        ).count()
        == 1
    )


def test_other_dinas_cannot_download_letter(client, other_dinas_kab, pending):  # type: ignore[no-untyped-def]
    client.force_login(other_dinas_kab)
    assert client.get(reverse("accounts:registration_letter", args=[pending.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="download_registration_letter").exists()


def test_dinas_sees_that_the_school_of_a_registration_already_has_an_operator(
    client, dinas_kab, pending, operator
):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    html = client.get(reverse("accounts:registrations")).content.decode()
    assert "Sekolah ini sudah punya 1 operator aktif." in html
    operator.is_active = False
    operator.save()
    assert "operator aktif" not in client.get(reverse("accounts:registrations")).content.decode()


def test_registration_form_lets_the_browser_refuse_a_letter_over_5_mb_before_uploading(client, db):  # type: ignore[no-untyped-def]
    html = client.get("/daftar/").content.decode()
    assert 'accept="application/pdf,image/jpeg,image/png"' in html
    assert 'data-max-bytes="5242880"' in html
    assert 'data-too-big="Berkas terlalu besar (paling besar 5 MB)."' in html


def test_a_letter_missing_from_the_store_answers_410_and_is_not_audited(client, dinas_kab, pending):  # type: ignore[no-untyped-def]
    from verval.core import files

    files.absolute(pending.letter_path).unlink()
    client.force_login(dinas_kab)
    response = client.get(reverse("accounts:registration_letter", args=[pending.pk]))
    assert response.status_code == 410
    assert "<p>Berkas sudah dihapus menurut aturan penyimpanan.</p>" in response.content.decode()
    assert not AuditEvent.objects.filter(action="download_registration_letter").exists()
