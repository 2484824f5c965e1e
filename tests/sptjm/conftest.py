"""Fixtures of the SPTJM/disbursement tests: periods under the shipped 2020 and 2021 policies,
AKTIF recipients, a printed document rendered as a "scan"."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest

from tests.factories import RecipientFactory
from verval.reference.models import Period
from verval.sptjm import actions as sptjm_actions


def make_period(code: str = "2020-09A", policy: str = "2020", starts: date = date(2020, 9, 1), **kw):  # type: ignore[no-untyped-def]
    defaults = {
        "name": f"Tahap {code}",
        "policy_id": policy,
        "starts_on": starts,
        "ends_on": date(starts.year, starts.month, 28),
        "sptjm_print_deadline": date(starts.year, starts.month, 20),
        "sptjm_upload_deadline": date(starts.year, starts.month, 25),
        "is_open": True,
    }
    defaults.update(kw)
    return Period.objects.create(code=code, **defaults)


def aktif(school, n: int = 1, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("status", "AKTIF")
    kw.setdefault("needs_validation", False)
    return [RecipientFactory(school=school, **kw) for _ in range(n)]


def aktif_pinned(school, *numbers: int):  # type: ignore[no-untyped-def]
    """AKTIF recipients whose pd_ids end in `numbers`. The provider simulator answers a row GAGAL
    by a hash of the seed and its pd_id, so with `aktif`'s random pd_ids (uuid4) which rows fail
    changes from run to run (decision 0070). With seed 1 and a GAGAL share of 0.2 it answers 4,
    18, 29, 31 and 33 GAGAL, and 1 to 3 and 5 to 17 BERHASIL."""
    return [
        RecipientFactory(
            school=school,
            id=uuid.UUID(f"00000000-0000-4000-8000-{n:012d}"),
            status="AKTIF",
            needs_validation=False,
        )
        for n in numbers
    ]


def rasterise(pdf: bytes, page: int = 0, dpi: int = 150, fmt: str = "PNG") -> bytes:
    """A printed PDF as a scanner would return it: one page as an image."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    img = doc[page].render(scale=dpi / 72).to_pil().convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    doc.close()
    return buf.getvalue()


@pytest.fixture
def period(db):  # type: ignore[no-untyped-def]
    return make_period()


@pytest.fixture
def period_2021(db):  # type: ignore[no-untyped-def]
    return make_period("2021-03", "2021", date(2021, 3, 1))


def approve_all(operator, pusdatin, school, period):  # type: ignore[no-untyped-def]
    """Print the school's SPTJM for the period and approve it (scan upload skipped)."""
    from verval.sptjm import actions
    from verval.sptjm.models import Sptjm

    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")
    return actions.approve_sptjm(actor=pusdatin, sptjm_id=sptjm.pk)


@pytest.fixture(autouse=True)
def _fresh_api_counters():  # type: ignore[no-untyped-def]
    """The provider API counts calls per token and failed calls per address in the cache
    (rate limits, the audit cap): every test starts from zero, whatever ran before it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def send_scan(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Sends a scan through the school's page as a browser does and lets its check run: the page
    queues a job (decision 0095), which the immediate task backend runs when the request's
    transaction commits. Answers the page the browser is sent back to (`follow`), else the POST's
    own answer."""

    def send(web, sptjm, upload, version=None, follow=True):  # type: ignore[no-untyped-def]
        data = {"pindaian": upload}
        if version is not None:
            data["version"] = version
        with django_capture_on_commit_callbacks(execute=True):
            response = web.post(f"/sptjm/{sptjm.pk}/unggah/", data)
        if follow and response.status_code == 302:
            return web.get(response["Location"])
        return response

    return send


@pytest.fixture
def printed(operator, school, period):  # type: ignore[no-untyped-def]
    """The school's SPTJM of `period`, printed by its operator for two AKTIF recipients."""
    aktif(school, 2)
    sptjm, _ = sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    return sptjm


def own_pdf(sptjm, name: str = "scan.pdf"):  # type: ignore[no-untyped-def]
    """The printed PDF itself sent back as the signed scan (its QR codes read as they were printed)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from verval.core import files

    return SimpleUploadedFile(name, files.absolute(sptjm.pdf_path).read_bytes())
