"""A later cutoff into a registry that holds rows, run the way the worker runs it (outside any
transaction). SQLite compares it bucket by bucket, by id range, inside SQLite (decision 0014);
PostgreSQL stages it whole. Users must see the same counts, refusals and registry on both."""

from __future__ import annotations

import pytest

from tests.imports.helpers import NPSN2, student, write
from tests.imports.test_first_load import pupils, spread
from verval.core.models import Job
from verval.imports import reader, services
from verval.imports.actions import import_file
from verval.registry.models import Recipient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("plan", ["_GONE", "_GONE_BY_SCHOOL"])
def test_later_cutoff_over_many_buckets_finds_every_change_removal_and_repeat(tmp_path, monkeypatch, plan):  # type: ignore[no-untyped-def]
    """On SQLite, with either way of finding the recipients no longer listed (by id range, or by
    school for a file much smaller than the registry)."""
    monkeypatch.setattr(reader, "BLOCK", 1000)
    monkeypatch.setattr(services._SqliteBuckets, "ROWS_PER_BUCKET", 10)
    for name in ("_GONE", "_GONE_BY_SCHOOL"):
        monkeypatch.setattr(services._SqliteBuckets, name, getattr(services._SqliteBuckets, plan))
    other = [student(500 + i, id=spread(500 + i), npsn=NPSN2, nama_sekolah="SD NEGERI 2") for i in range(5)]
    assert import_file(write(tmp_path / "a.csv", pupils(120) + other)).counts["added"] == 125

    # The later file lists only the first school's pupils whose id starts below 0x80: with ~6
    # buckets, the last ones hold no row of the file, and their pupils must still be removed.
    kept = [row for row in pupils(120) if int(row["id"][:2], 16) < 0x80]
    Recipient.objects.filter(id=kept[2]["id"]).update(active=False)  # listed again: reactivated
    gone = {row["id"] for row in pupils(120)} - {row["id"] for row in kept}
    assert len(kept) >= 40 and len(gone) >= 40
    changed = kept[1]["id"], kept[-2]["id"]
    kept[1] = {**kept[1], "nama": "Nama Baru"}  # other fields changed
    kept[-2] = {**kept[-2], "nomor_telepon_seluler": "0857-1111-2222"}  # number changed
    repeated = {**kept[0], "nama": "Lagi"}
    rows = [*kept, student(900, id=spread(900)), repeated]
    job = import_file(write(tmp_path / "b.csv", rows))

    assert job.state == Job.State.SUCCEEDED, job.error_message_en
    c = job.counts
    assert (c["rows"], c["added"], c["changed"], c["numbers_changed"], c["refused"]) == (
        len(rows), 1, 3, 1, 1,
    )  # fmt: skip
    assert (c["unchanged"], c["removed"]) == (len(rows) - 1 - 1 - 3, len(gone))
    assert list(job.issues.values_list("line", "code")) == [(len(rows) + 1, "ID_GANDA")]
    assert set(Recipient.objects.filter(active=False).values_list("id", flat=True)) == {
        Recipient._meta.pk.to_python(rid)
        for rid in gone  # type: ignore[union-attr]
    }
    assert Recipient.objects.filter(school_id=NPSN2, active=True).count() == 5  # not in the file
    assert Recipient.objects.get(id=changed[0]).name == "Nama Baru"
    assert Recipient.objects.get(id=changed[1]).phone_e164 == "+6285711112222"
    assert Recipient.objects.get(id=kept[0]["id"]).name != "Lagi"
    assert Recipient.objects.get(id=kept[2]["id"]).active is True

    # The same file again: nothing to do, in every bucket.
    again = import_file(tmp_path / "b.csv")
    assert {k: again.counts[k] for k in ("added", "changed", "removed", "refused")} == {
        "added": 0, "changed": 0, "removed": 0, "refused": 1,
    }  # fmt: skip
    assert again.counts["unchanged"] == len(rows) - 1
