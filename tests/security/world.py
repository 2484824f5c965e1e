"""The fixture world of the authorization matrix: one user per role and one object of each kind,
all belonging to the fixture school (regency 020500) or to provider telkomsel.

Objects are built lazily (functools.cached_property) so a route only pays for what it uses. Other
apps may add a property here (or a builder in authz_rules.KWARGS that creates its own object).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import cached_property
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import RecipientFactory, UserFactory
from verval.core import files


def _tiny_xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["pd_id", "nama", "nomor_telepon_seluler"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class World:
    def __init__(self, *, school: Any, other_school: Any, users: dict[str, Any]) -> None:
        self.school = school
        self.other_school = other_school
        self.users = users  # role name -> User (no entry for anonymous)
        self.operator = users["operator"]
        self.pusdatin = users["pusdatin"]

    @cached_property
    def recipient(self) -> Any:
        return RecipientFactory(school=self.school)

    @cached_property
    def job(self) -> Any:
        """The operator's own bulk-correction upload for the fixture school."""
        from verval.core.jobs import create_job

        relative, sha, _size = files.save_stream("uploads", ".xlsx", [_tiny_xlsx()])
        return create_job(
            actor=self.operator,
            kind="bulk_correction",
            school_id=self.school.npsn,
            input_name="koreksi.xlsx",
            input_path=relative,
            input_sha256=sha,
        )

    @cached_property
    def export_job(self) -> Any:
        """The fixture regency's Dinas's late-schools export, written (decision 0068)."""
        from verval.core.jobs import create_job
        from verval.core.models import Job
        from verval.dashboard import exports

        dinas = self.users["dinas_kab"]
        relative, sha, size = files.save_stream(exports.FOLDER, ".xlsx", [_tiny_xlsx()])
        job = create_job(
            actor=dinas,
            kind=exports.KIND,
            params={
                "regency": "",
                "scope": exports.scope_key(dinas),
                "file_name": "sekolah-tertinggal-semua.xlsx",
                "file_path": relative,
            },
        )
        Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED)
        return job

    @cached_property
    def provider_job(self) -> Any:
        from verval.core.jobs import create_job

        return create_job(
            actor=self.users["provider"], kind="ingest_results", provider="telkomsel", input_name="hasil.csv"
        )

    @cached_property
    def registration(self) -> Any:
        from verval.accounts.models import OperatorRegistration

        relative, _sha, _size = files.save_stream("registrations", ".pdf", [b"%PDF-1.4\n%%EOF\n"])
        return OperatorRegistration.objects.create(
            school=self.school,
            full_name="Calon Operator",
            email="calon@example.test",
            username="calon.operator",
            password_hash="md5$x$y",
            letter_path=relative,
            letter_name="sk.pdf",
        )

    @cached_property
    def inactive_user(self) -> Any:
        return UserFactory(role="OPERATOR", school=self.school, username="operator.lama", is_active=False)

    @cached_property
    def invitee(self) -> Any:
        """An active operator of the fixture school who never set a password (a new link may be sent)."""
        user = UserFactory(role="OPERATOR", school=self.school, username="operator.baru")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return user

    @cached_property
    def period(self) -> Any:
        import datetime as dt

        from verval.reference.models import Period, QuotaPolicy

        return Period.objects.create(
            code="2020-09-T1",
            name="September 2020 tahap 1",
            policy=QuotaPolicy.objects.order_by("code").first(),
            starts_on=dt.date(2020, 9, 1),
            ends_on=dt.date(2020, 9, 30),
        )

    @cached_property
    def batch(self) -> Any:
        """A published dump batch for telkomsel holding the fixture recipient."""
        from verval.exchange.models import DumpBatch

        r = self.recipient
        body = f"pd_id,tingkat_pendidikan,npsn,no_ponsel\n{r.pk},{r.grade_label},{r.school_id},{r.phone_e164.lstrip('+')}\n".encode()
        data = gzip.compress(body)
        relative, sha, size = files.save_stream("dumps", ".csv.gz", [data])
        batch_id = "DMP-20200915-telkomsel-0001"
        manifest = {"batch_id": batch_id, "provider": "telkomsel", "rows": 1, "sha256": sha, "size": size}
        manifest_rel, _s, _n = files.save_stream("dumps", ".json", [json.dumps(manifest).encode()])
        return DumpBatch.objects.create(
            id=batch_id,
            provider="telkomsel",
            rows=1,
            sha256=sha,
            size=size,
            file_path=relative,
            manifest_path=manifest_rel,
        )

    # --- SPTJM and disbursement (src/verval/sptjm) -------------------------------------------------

    @cached_property
    def open_period(self) -> Any:
        """The fixture period, opened for SPTJM printing (deadlines in the period)."""
        import datetime as dt

        period = self.period
        period.is_open = True
        period.sptjm_print_deadline = dt.date(2020, 9, 20)
        period.sptjm_upload_deadline = dt.date(2020, 9, 25)
        period.save(update_fields=["is_open", "sptjm_print_deadline", "sptjm_upload_deadline"])
        return period

    @cached_property
    def aktif_recipient(self) -> Any:
        """The fixture recipient, matched AKTIF by its provider (what an SPTJM lists)."""
        from verval.registry.models import Recipient

        r = self.recipient
        Recipient.objects.filter(pk=r.pk).update(status="AKTIF", needs_validation=False)
        r.refresh_from_db()
        return r

    @cached_property
    def sptjm(self) -> Any:
        """The fixture school's SPTJM of the fixture period, through the real actions: printed by
        its operator (the AKTIF fixture recipient listed and locked), then its signed scan uploaded
        (status DIUNGGAH: waiting for Pusdatin's review; the school may still upload again or void)."""
        from verval.sptjm import actions

        self.aktif_recipient  # noqa: B018
        sptjm, _created = actions.print_sptjm(
            actor=self.operator, npsn=self.school.npsn, period_code=self.open_period.code
        )
        actions.upload_scan(actor=self.operator, sptjm_id=sptjm.pk, upload=self.scan_file(sptjm))
        sptjm.refresh_from_db()
        return sptjm

    def scan_file(self, sptjm: Any = None) -> SimpleUploadedFile:
        """A signed scan of an SPTJM (default: the fixture one) as a scanner returns it: its first
        page as PNG, the QR readable. A fresh upload object on each call."""
        import io

        import pypdfium2 as pdfium

        sptjm = sptjm or self.sptjm
        doc = pdfium.PdfDocument(files.absolute(sptjm.pdf_path).read_bytes())
        img = doc[0].render(scale=150 / 72).to_pil().convert("RGB")
        doc.close()
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return SimpleUploadedFile("pindaian.png", buf.getvalue(), content_type="image/png")

    @cached_property
    def disbursement_batch(self) -> Any:
        """telkomsel's disbursement batch of the fixture period: the fixture SPTJM approved by
        Pusdatin, then the period disbursed (the real actions and batch writer)."""
        from django.db import transaction

        from verval.sptjm import actions, services
        from verval.sptjm.models import DisbursementBatch

        actions.approve_sptjm(actor=self.pusdatin, sptjm_id=self.sptjm.pk)
        with transaction.atomic():
            services.disburse(actor=self.pusdatin, period=self.open_period)
        return DisbursementBatch.objects.get(period=self.open_period, provider="telkomsel")

    def injection_results_file(self) -> SimpleUploadedFile:
        """telkomsel's injection results for its disbursement batch: the fixture recipient BERHASIL."""
        r = self.aktif_recipient
        body = f"pd_id,no_ponsel,status,keterangan\n{r.pk},{r.phone_e164.lstrip('+')},BERHASIL,\n".encode()
        return SimpleUploadedFile("injeksi.csv", body, content_type="text/csv")

    @cached_property
    def injection_job(self) -> Any:
        """telkomsel's injection-results job for its disbursement batch (uploaded and applied)."""
        from verval.core import jobs
        from verval.sptjm import actions

        job = actions.create_injection_job(
            actor=None, batch=self.disbursement_batch, upload=self.injection_results_file()
        )
        return jobs.run(job.pk)

    def results_file(self) -> SimpleUploadedFile:
        r = self.recipient
        body = f"pd_id,no_ponsel,status\n{r.pk},{r.phone_e164.lstrip('+')},AKTIF\n".encode()
        return SimpleUploadedFile("hasil.csv", body, content_type="text/csv")

    @cached_property
    def tokens(self) -> dict[str, str]:
        """Bearer tokens of the two fixture providers (role name -> token)."""
        from verval.exchange.actions import issue_token

        return {
            role: issue_token(actor=None, provider=self.users[role].provider, label="authz")[1]
            for role in ("provider", "other_provider")
        }

    @staticmethod
    def sha256(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()
