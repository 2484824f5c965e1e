"""A small, noisy phone photo of the printed page still identifies the document."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.sptjm.conftest import aktif
from verval.core import files
from verval.sptjm import actions


def _phone_photo(pdf: bytes) -> bytes:
    """Page 1 photographed sideways: rotated, 800 px wide, grainy, JPEG."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf)
    img = doc[0].render(scale=150 / 72).to_pil().convert("L")
    doc.close()
    img = img.rotate(90, expand=True)
    img = img.resize((800, round(img.size[1] * 800 / img.size[0])), Image.Resampling.BILINEAR)
    rnd = random.Random(7)
    noisy = bytes(max(0, min(255, p + rnd.randint(-60, 60))) for p in img.tobytes())
    img = Image.frombytes("L", img.size, noisy)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70)
    return buf.getvalue()


@pytest.mark.django_db
def test_a_small_grainy_sideways_phone_photo_matches_its_document(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 3)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    photo = _phone_photo(files.absolute(sptjm.pdf_path).read_bytes())

    result = actions.upload_scan(
        actor=operator, sptjm_id=sptjm.pk, upload=SimpleUploadedFile("foto.jpg", photo)
    )

    assert result.verdict == "QR_COCOK"
