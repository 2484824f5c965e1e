"""The row hash is stored and compared across imports: its value must not depend on which md5
implementation computes it (decision 0046: CPython's own md5 instead of OpenSSL's)."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from tests.imports.helpers import many, student, teacher, write
from verval.core.models import Job
from verval.imports import services
from verval.imports.actions import import_file
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db


def test_stored_row_hash_of_a_known_row_is_the_pinned_md5(tmp_path):  # type: ignore[no-untyped-def]
    # md5("PD|DIKDASMEN|Siswa 7|0030000007||2|20212345")[:16] + md5("+6281210000007")[:16], and
    # for a teacher with a name outside ASCII (no NISN, no grade). Written down once: a hash that
    # moved with a library would make every row of the next import look changed.
    rows = [student(7), teacher(1, nama="Guru Ñoño Ščepán, S.Pd.")]
    job = import_file(write(tmp_path / "a.csv", rows))
    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    assert dict(Recipient.objects.values_list("name", "row_hash")) == {
        "Siswa 7": "8439f8cec011790c4a1bde0645523df1",
        "Guru Ñoño Ščepán, S.Pd.": "c7e71aa5b276b1b5fb4ee5243b4dc47c",
    }
    assert (
        services.row_hash("PD", "DIKDASMEN", "Siswa 7", "0030000007", "", 2, "20212345", "+6281210000007")
        == "8439f8cec011790c4a1bde0645523df1"
    )


def test_batch_hash_is_hashlib_md5_for_empty_non_ascii_and_long_values() -> None:
    values = ["", "a", "Ñoño|Ščepán|ﾀﾛｳ|😀", "x" * 3000, "+6281210000007", "0812 1000-0007"]
    got = services._md5_16(pl.Series("v", values)).to_list()
    assert got == [hashlib.md5(v.encode()).hexdigest()[:16] for v in values]


def test_rows_hashed_by_hashlib_md5_stay_unchanged_when_imported_again(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Rows stored by the code before decision 0046 (OpenSSL's md5 through hashlib) are
    unchanged for the current code: no hash version, no migration of stored hashes."""
    rows = many(40) + [
        teacher(1),
        teacher(2, nama="Guru Ñoño Ščepán, S.Pd."),
        student(99, nomor_telepon_seluler="12ab"),
    ]
    path = write(tmp_path / "a.csv", rows)
    with monkeypatch.context() as m:
        m.setattr(services, "_md5", hashlib.md5)
        first = import_file(path)
    assert (first.state, first.counts["added"]) == (Job.State.SUCCEEDED, 43)
    before = sorted(Recipient.objects.values_list("id", "row_hash", "version", "updated_at"))
    assert services._md5 is not hashlib.md5
    again = import_file(path)
    assert {k: again.counts[k] for k in ("added", "changed", "unchanged", "numbers_changed")} == {
        "added": 0, "changed": 0, "unchanged": 43, "numbers_changed": 0,
    }  # fmt: skip
    assert sorted(Recipient.objects.values_list("id", "row_hash", "version", "updated_at")) == before
