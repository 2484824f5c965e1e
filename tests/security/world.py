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
    def provider_job(self) -> Any:
        from verval.core.jobs import create_job

        return create_job(actor=self.users["provider"], kind="ingest_results", provider="telkomsel", input_name="hasil.csv")

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
            id=batch_id, provider="telkomsel", rows=1, sha256=sha, size=size, file_path=relative, manifest_path=manifest_rel
        )

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
