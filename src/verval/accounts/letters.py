"""Assignment letters (SK penugasan): the file type is decided by its first bytes, never by its name."""

from __future__ import annotations

from typing import Any

MAX_LETTER_BYTES = 5 * 1024 * 1024

# (magic prefix, canonical suffix, content type)
_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", ".pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
    (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
]

CONTENT_TYPES = {suffix: ctype for _, suffix, ctype in _SIGNATURES}


def sniff(head: bytes) -> tuple[str, str] | None:
    """(suffix, content type) for a PDF/PNG/JPEG by magic bytes, None for anything else."""
    for magic, suffix, ctype in _SIGNATURES:
        if head.startswith(magic):
            return suffix, ctype
    return None


def sniff_upload(upload: Any) -> tuple[str, str] | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return sniff(head)
