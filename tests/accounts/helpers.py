"""Helpers for account tests: tiny files with real magic bytes."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf_upload(name: str = "sk.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def registration_data(school, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "npsn": school.npsn,
        "full_name": "Budi Santoso",
        "email": "budi@example.test",
        "username": "budi.op",
        "password1": "Kuota-Belajar-2020",
        "password2": "Kuota-Belajar-2020",
        "letter": pdf_upload(),
    }
    data.update(overrides)
    return data
