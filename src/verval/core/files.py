"""The file store: dumps, reports, uploads and scans live under VERVAL_DATA_DIR.

Paths stored in the database are relative to the store, so the store can move.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from django.conf import settings


def root() -> Path:
    path = Path(settings.DATA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def absolute(relative: str) -> Path:
    path = (root() / relative).resolve()
    if root().resolve() not in path.parents:
        raise ValueError("path escapes the file store")
    return path


def new_path(folder: str, suffix: str) -> tuple[str, Path]:
    """A fresh relative path in `folder` and its absolute form (parent created)."""
    relative = f"{folder}/{uuid.uuid4().hex}{suffix}"
    path = root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return relative, path


def save_stream(folder: str, suffix: str, chunks: Iterable[bytes]) -> tuple[str, str, int]:
    """Write chunks to a new file; returns (relative path, sha256, size)."""
    relative, path = new_path(folder, suffix)
    digest = hashlib.sha256()
    size = 0
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.replace(tmp, path)
    return relative, digest.hexdigest(), size


def _upload_chunks(upload: IO[bytes] | object) -> Iterable[bytes]:
    """A Django upload's own chunks, or 1 MiB reads of a plain file object."""
    if hasattr(upload, "chunks"):
        return upload.chunks()  # type: ignore[no-any-return]
    return iter(lambda: upload.read(1 << 20), b"")  # type: ignore[attr-defined]


def save_upload(folder: str, upload: IO[bytes] | object, suffix: str = "") -> tuple[str, str, int]:
    return save_stream(folder, suffix, _upload_chunks(upload))


def sha256_upload(upload: IO[bytes] | object) -> str:
    """The SHA-256 of an upload not yet stored, read in chunks and rewound: what `save_upload`
    would return, for a check that may refuse it before it is written (decision 0113)."""
    digest = hashlib.sha256()
    for chunk in _upload_chunks(upload):
        digest.update(chunk)
    upload.seek(0)  # type: ignore[union-attr]
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_chunks(path: Path, start: int = 0, end: int | None = None, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            data = fh.read(size if remaining is None else min(size, remaining))
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            yield data
