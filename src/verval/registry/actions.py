"""State changes of the registry: correcting and confirming numbers (SPEC §3.2, §4).

Every change: only the school's own operator (access.can_edit_school), refused on records locked
by a printed SPTJM, optimistic locking on Recipient.version (a conditional UPDATE ... WHERE
version = expected, so two editors cannot overwrite each other), a NumberHistory row per
recipient (numbers masked) and an AuditEvent in the same transaction.

A corrected or re-confirmed number goes back to BELUM_VERVAL with needs_validation=True and the
number engine's verdict stored on the row (phone_e164, operator, reason: docs/decisions/0001), so
the operator sees at once why a number will fail; Pusdatin's validation run then moves it to
FORMAT_SALAH or MENUNGGU_PROVIDER (docs/decisions/0005-number-correction-flow.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from verval.accounts import access
from verval.core import audit
from verval.core.db import brief_lock_wait
from verval.phones import check
from verval.registry.models import NumberHistory, NumberStatus, Recipient, history_mask
from verval.registry.services import recount_numbers


class RegistryError(Exception):
    """A refused change. `code` is stable; `message` is shown to the user (no number, no name)."""

    code = "DITOLAK"
    message: Any = _("Perubahan ditolak.")

    def __init__(self, message: Any = None, *, code: str | None = None) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        super().__init__(self.code)

    def __str__(self) -> str:  # never a number or a name
        return self.code


class RecordLocked(RegistryError):
    code = "TERKUNCI_SPTJM"
    message = _(
        "Data ini terkunci karena sudah tercantum pada SPTJM yang dicetak. Batalkan SPTJM tersebut "
        "(sebelum disetujui) untuk mengubahnya."
    )


class RecordBusy(RegistryError):
    # Any transaction holding the rows longer than VERVAL_EDIT_LOCK_WAIT_MS: a Pusdatin job, but
    # also the school's own job (a correction file, a large SPTJM printed or a scan checked) or
    # another user's long save. Which one is not known here, so all three are named (0113).
    code = "SEDANG_DIPROSES"
    message = _(
        "Data ini sedang diperbarui oleh proses lain: pekerjaan Pusdatin (misalnya impor Dapodik, "
        "validasi atau hasil provider), pekerjaan sekolah ini (berkas koreksi, cetak SPTJM atau "
        "pemeriksaan pindaian), atau simpanan pengguna lain. Perubahan Anda belum disimpan; coba lagi "
        "beberapa menit lagi."
    )


class VersionConflict(RegistryError):
    code = "VERSI_BERUBAH"
    message = _(
        "Data ini sudah diubah oleh orang lain sejak Anda membukanya. Perubahan Anda tidak disimpan; "
        "muat ulang untuk melihat data terbaru."
    )


def _require_editor(actor: Any, school_id: str) -> None:
    if not access.can_edit_school(actor, school_id):
        raise PermissionDenied("only the school's own operator edits its numbers")


def _load(actor: Any, recipient_id: Any) -> Recipient:
    recipient = Recipient.objects.filter(pk=recipient_id, active=True).first()
    if recipient is None:
        raise PermissionDenied("recipient outside the user's scope")
    _require_editor(actor, recipient.school_id)
    return recipient


def _shown(recipient: Recipient) -> str:
    return history_mask(recipient.phone_e164 or recipient.phone_raw)


@dataclass(frozen=True, slots=True)
class NewNumber:
    raw: str
    e164: str
    operator: str
    valid: bool
    reason: str


def parse_number(new_raw: str | None) -> NewNumber:
    """The typed value with the number engine's verdict (empty means "no number": KOSONG)."""
    raw = (new_raw or "").strip()[:100]
    if not raw:
        return NewNumber("", "", "", False, "KOSONG")
    verdict = check(raw)
    if not verdict.valid:
        return NewNumber(raw, "", "", False, verdict.reason or "KARAKTER_TIDAK_SAH")
    return NewNumber(raw, verdict.e164 or "", verdict.operator or "", True, "")


def same_number(recipient: Recipient, new: NewNumber) -> bool:
    if new.e164:
        return recipient.phone_e164 == new.e164
    return not recipient.phone_e164 and recipient.phone_raw.strip() == new.raw


def _apply_number(recipient: Recipient, new: NewNumber, expected_version: int, now: Any, actor: Any) -> bool:
    """The conditional UPDATE; False when the row changed (or got locked) meanwhile.

    The operator who types a number vouches for it: a corrected number counts as confirmed,
    unless it fails a rule (blank, landline, too short...): confirming such a number is refused
    (confirm_recipients), so a row must not show it as confirmed either.
    """
    vouched = not new.reason
    return bool(
        Recipient.objects.filter(pk=recipient.pk, version=expected_version, locked=False).update(
            phone_raw=new.raw,
            phone_e164=new.e164,
            operator=new.operator,
            status=NumberStatus.BELUM_VERVAL,
            reason=new.reason,
            reason_note="",
            status_changed_at=now,
            needs_validation=True,
            confirmed_at=now if vouched else None,
            confirmed_by=actor if vouched and getattr(actor, "is_authenticated", False) else None,
            version=F("version") + 1,
            updated_at=now,
        )
    )


def _why_refused(recipient_id: Any) -> RegistryError:
    current = Recipient.objects.filter(pk=recipient_id).values("locked").first()
    if current and current["locked"]:
        return RecordLocked()
    return VersionConflict()


@brief_lock_wait(RecordBusy)
def change_number(*, actor: Any, recipient_id: UUID | str, new_raw: str, expected_version: int) -> Recipient:
    """Correct one recipient's number. Returns the recipient as stored afterwards."""
    recipient = _load(actor, recipient_id)
    if recipient.locked:
        raise RecordLocked()
    new = parse_number(new_raw)
    # Before the version: a form sent twice (a double click without JavaScript, a second tab with
    # the same number) found its own first save and was told someone else had changed the record.
    if same_number(recipient, new):
        return recipient  # the same number (maybe typed differently): no new version, no history
    if recipient.version != expected_version:
        raise VersionConflict()
    now = timezone.now()
    before_phone = _shown(recipient)
    before = {
        "phone": before_phone,
        "status": recipient.status,
        "reason": recipient.reason,
        "version": recipient.version,
    }
    if not _apply_number(recipient, new, expected_version, now, actor):
        raise _why_refused(recipient.pk)
    recount_numbers([recipient.phone_e164, new.e164])
    after_masked = history_mask(new.e164 or new.raw)
    NumberHistory.objects.create(
        recipient=recipient,
        actor=actor,
        action="change_number",
        from_status=recipient.status,
        to_status=NumberStatus.BELUM_VERVAL,
        reason=new.reason,
        phone_before=before_phone,
        phone_after=after_masked,
    )
    audit.record(
        actor=actor,
        action="change_number",
        object_type="recipient",
        object_id=recipient.pk,
        school_id=recipient.school_id,
        before=before,
        after={
            "phone": after_masked,
            "status": NumberStatus.BELUM_VERVAL,
            "reason": new.reason,
            "version": expected_version + 1,
        },
    )
    recipient.refresh_from_db()
    return recipient


# ---------------------------------------------------------------------------------------------
# Confirmation (verifikasi)


def _confirmed_as_shown(r: Recipient, shown_numbers: Mapping[str, str] | None) -> bool:
    """Confirmed, still with the number the page showed, and nothing a confirmation would do."""
    shown = (shown_numbers or {}).get(str(r.pk))
    return bool(
        shown
        and r.confirmed_at is not None
        and r.status != NumberStatus.RESIDU
        and r.status != NumberStatus.FORMAT_SALAH
        and not r.reason
        and r.phone_e164
        and shown == r.number_tag
    )


@dataclass
class ConfirmResult:
    confirmed: int = 0  # newly confirmed, status unchanged
    reconfirmed: int = 0  # RESIDU sent back through validation
    unchanged: int = 0  # already confirmed
    refused: dict[str, int] = field(default_factory=dict)  # code -> count

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())

    def refuse(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1


@brief_lock_wait(RecordBusy)
def confirm_recipients(
    *,
    actor: Any,
    recipient_ids: Iterable[UUID | str],
    expected_versions: Mapping[str, int] | None = None,
    shown_numbers: Mapping[str, str] | None = None,
    school_npsn: str | None = None,
) -> ConfirmResult:
    """The school confirms (verifikasi) the numbers it sees.

    - BELUM_VERVAL, MENUNGGU_PROVIDER, AKTIF: confirmed_at/by set (status unchanged); already
      confirmed ones are counted unchanged.
    - RESIDU: re-confirming the number unchanged sends it back through validation
      (BELUM_VERVAL, needs_validation, version + 1).
    - FORMAT_SALAH, or a number that fails the phone rules: refused (correct it first).
    - Locked (SPTJM printed) or changed since the page was shown (expected_versions): refused,
      unless it is confirmed now, with the number the page showed (shown_numbers: id ->
      Recipient.number_tag) and nothing left to do (not RESIDU): then unchanged, as a second
      confirmation is with the version current.
    Every id must belong to the actor's own school, else nothing is done (PermissionDenied).
    """
    ids = list(dict.fromkeys(str(i) for i in recipient_ids))
    result = ConfirmResult()
    if not ids:
        return result
    # Written in id order, as a correction file is: no deadlock with another such writer.
    rows = list(Recipient.objects.filter(pk__in=ids, active=True).order_by("pk"))
    if len(rows) != len(ids):
        raise PermissionDenied("recipient outside the user's scope")
    for r in rows:
        _require_editor(actor, r.school_id)
        if school_npsn is not None and r.school_id != school_npsn:
            raise PermissionDenied("recipient of another school")
    now = timezone.now()
    history: list[NumberHistory] = []
    done_ids: list[str] = []
    for r in rows:
        expected = (expected_versions or {}).get(str(r.pk), r.version)
        if r.locked:
            result.refuse(RecordLocked.code)
            continue
        if expected != r.version:
            # The Back button after a confirmation shows the list as it was: its versions are
            # older than the user's own click, which is no one else's change to report.
            if _confirmed_as_shown(r, shown_numbers):
                result.unchanged += 1
            else:
                result.refuse(VersionConflict.code)
            continue
        if (
            r.status == NumberStatus.FORMAT_SALAH
            or not r.phone_e164
            or (r.status == NumberStatus.BELUM_VERVAL and r.reason)
        ):
            result.refuse("FORMAT_SALAH")
            continue
        base = Recipient.objects.filter(pk=r.pk, version=expected, locked=False)
        if r.status == NumberStatus.RESIDU:
            ok = base.update(
                status=NumberStatus.BELUM_VERVAL,
                reason="",
                reason_note="",
                status_changed_at=now,
                needs_validation=True,
                confirmed_at=now,
                confirmed_by=actor,
                version=F("version") + 1,
                updated_at=now,
            )
            if not ok:
                result.refuse(_why_refused(r.pk).code)
                continue
            result.reconfirmed += 1
            history.append(
                NumberHistory(
                    recipient=r,
                    actor=actor,
                    action="reconfirm",
                    from_status=r.status,
                    to_status=NumberStatus.BELUM_VERVAL,
                    reason=r.reason,
                    phone_before=_shown(r),
                    phone_after=_shown(r),
                )
            )
        elif r.confirmed_at is not None:
            result.unchanged += 1
            continue
        else:
            ok = base.update(confirmed_at=now, confirmed_by=actor, version=F("version") + 1, updated_at=now)
            if not ok:
                now_stored = Recipient.objects.filter(pk=r.pk).first()
                if (
                    now_stored is not None
                    and not now_stored.locked
                    and _confirmed_as_shown(now_stored, shown_numbers)
                ):
                    result.unchanged += 1  # a colleague's click on the same row got there first
                else:
                    result.refuse(_why_refused(r.pk).code)
                continue
            result.confirmed += 1
            history.append(
                NumberHistory(
                    recipient=r,
                    actor=actor,
                    action="confirm",
                    from_status=r.status,
                    to_status=r.status,
                    phone_before=_shown(r),
                    phone_after=_shown(r),
                )
            )
        done_ids.append(str(r.pk))
    NumberHistory.objects.bulk_create(history)
    if done_ids or result.refused:
        audit.record(
            actor=actor,
            action="confirm_recipients",
            object_type="school",
            object_id=rows[0].school_id,
            school_id=rows[0].school_id,
            after={
                "confirmed": result.confirmed,
                "reconfirmed": result.reconfirmed,
                "unchanged": result.unchanged,
                "refused": result.refused,
                "ids": done_ids,
            },
        )
    return result


# ---------------------------------------------------------------------------------------------
# Bulk correction (Excel upload)


@dataclass
class BulkOutcome:
    counts: dict[str, int]
    issues: list[Any]


def request_validation(*, actor: Any) -> Any:
    """Pusdatin's validation run (SPEC §3 step 3) started from its page: the job, audited as
    `request_validation`, handed to the worker when it commits (as a dump is, `request_dump`)."""
    from verval.accounts.models import Role
    from verval.core import jobs

    access.require_role(actor, Role.PUSDATIN)
    with transaction.atomic():
        job = jobs.create_job(actor=actor, kind="validate")
        audit.record(actor=actor, action="request_validation", object_type="job", object_id=job.pk)
        jobs.enqueue(job)
    return job


def upload_correction_file(*, actor: Any, school_npsn: str, upload: Any) -> Any:
    """A school's correction file (the page's Excel round trip) stored and made a job that awaits
    the school's click on its preview (decision 0035), audited as `upload_school_xlsx`; a file
    refused whole at its preview ends REFUSED at once, with its report. Returns the job."""
    from verval.core import actions as core_actions
    from verval.core import files, jobs
    from verval.registry import bulk

    _require_editor(actor, school_npsn)
    relative, sha256, size = files.save_upload("bulk_correction", upload, ".xlsx")
    refusal = bulk.preview_refusal(*bulk.preview_from_file(school_npsn, files.absolute(relative)))
    with transaction.atomic():
        job = jobs.create_job(
            actor=actor,
            kind="bulk_correction",
            input_name=upload.name[:255],
            input_path=relative,
            input_sha256=sha256,
            school_id=school_npsn,
            params={"bytes": size},
        )
        audit.record(
            actor=actor,
            action="upload_school_xlsx",
            object_type="job",
            object_id=job.pk,
            school_id=school_npsn,
            after={"bytes": size, "sha256": sha256},
        )
        if refusal is not None:
            core_actions.refuse_before_run(actor=actor, job=job, refused=refusal)
    return job


def bulk_correct(
    *, actor: Any, school_npsn: str, rows: list[Any], job: Any = None, progress: Any = None
) -> BulkOutcome:
    """Apply the corrections of an uploaded file (verval.registry.bulk.UploadRow) in one transaction.

    Refused rows are reported (line, column, code, message) and the rest is applied, unless more
    than the configured share is refused: then JobRefused and nothing changes. Rows whose number
    already equals the correction count as unchanged, so the same file twice changes nothing.

    `progress` (a `core.jobs.Progress`, the job's runner): after every BULK_CORRECTION_BATCH_ROWS
    corrections it is told how far into the file the apply is, which is also where a cancel
    request stops the run and rolls all of it back (decision 0039).
    """
    from verval.registry import bulk

    _require_editor(actor, school_npsn)
    if not rows:
        raise bulk.refuse("FILE_KOSONG")
    with transaction.atomic():
        plan = bulk.plan(school_npsn, rows)
        if plan.too_many_refused:
            raise bulk.refuse("TERLALU_BANYAK_DITOLAK", issues=plan.issues, counts=plan.counts(changed=0))
        now = timezone.now()
        history: list[NumberHistory] = []
        touched: set[str] = set()  # numbers whose shared-number flag may change
        changed = 0
        # The bar counts rows of the file, not corrections: a file of 1,000 rows with 10
        # corrections is mostly rows that need no work (done once planned), and the operator
        # knows the file's rows. The corrections are written in id order, as every writer of
        # several recipients of a school: in file order, two files listing the same rows in
        # other orders each held a row the other wanted next and PostgreSQL failed one of them
        # to break the deadlock (decision 0042).
        planned = len(rows) - len(plan.changes)
        batch = bulk.batch_rows()
        if progress is not None:
            progress.step("write")
        ordered = sorted(plan.changes, key=lambda c: c.recipient.pk)
        for done, change in enumerate(ordered, start=1):
            if progress is not None and done % batch == 0:
                progress.update(planned + done, force=True)
            rec = change.recipient
            if not _apply_number(rec, change.new, change.expected_version, now, actor):
                code = _why_refused(rec.pk).code
                plan.issues.append(
                    bulk.issue(
                        change.line, "versi" if code == VersionConflict.code else "id", code, str(rec.pk)
                    )
                )
                continue
            changed += 1
            touched.update((rec.phone_e164, change.new.e164))
            history.append(
                NumberHistory(
                    recipient=rec,
                    actor=actor,
                    job=job,
                    action="bulk_correction",
                    from_status=rec.status,
                    to_status=NumberStatus.BELUM_VERVAL,
                    phone_before=change.old_masked,
                    phone_after=change.new_masked,
                )
            )
        NumberHistory.objects.bulk_create(history, batch_size=500)
        recount_numbers(touched)
        counts = plan.counts(changed=changed)
        audit.record(
            actor=actor,
            action="bulk_correction",
            object_type="job" if job is not None else "school",
            object_id=job.pk if job is not None else school_npsn,
            school_id=school_npsn,
            after=counts,
        )
    return BulkOutcome(counts=counts, issues=sorted(plan.issues, key=lambda i: (i.line, i.column)))
