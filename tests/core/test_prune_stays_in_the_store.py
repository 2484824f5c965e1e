"""`verval files --prune --yes` deletes only the store's own files of a kind with a rule (security
review, decision 0045): a stored path with `..`, a symlink inside the store (to a file outside or
to an SPTJM scan) or a job row naming a legal document never makes it delete something else."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from verval.core import actions, files, jobs, retention
from verval.core.models import Job

pytestmark = pytest.mark.django_db


def _expired_job(operator, school, input_path: str) -> Job:  # type: ignore[no-untyped-def]
    """A correction file never applied, past its 2 days: the rules let its input go."""
    job = jobs.create_job(
        actor=operator,
        kind="bulk_correction",
        school_id=school.npsn,
        input_name="koreksi.xlsx",
        input_path=input_path,
        input_sha256="0" * 64,
    )
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED,
        error_code=jobs.PREVIEW_EXPIRED,
        finished_at=timezone.now() - timedelta(days=3),
    )
    return Job.objects.get(pk=job.pk)


def _scan() -> Path:
    relative, _sha, _size = files.save_stream("sptjm-scans", ".pdf", [b"%PDF-1.4 signed"])
    return files.absolute(relative)


def test_prune_keeps_an_sptjm_scan_a_job_names_through_dot_dot(operator, school):  # type: ignore[no-untyped-def]
    scan = _scan()
    _expired_job(operator, school, f"bulk_correction/../sptjm-scans/{scan.name}")

    counts = actions.prune_files(actor=None)

    assert scan.read_bytes() == b"%PDF-1.4 signed"
    assert counts["files"] == 0


def test_prune_keeps_an_sptjm_scan_a_job_names_directly(operator, school):  # type: ignore[no-untyped-def]
    scan = _scan()
    _expired_job(operator, school, f"sptjm-scans/{scan.name}")

    counts = actions.prune_files(actor=None)

    assert scan.read_bytes() == b"%PDF-1.4 signed"
    assert counts["files"] == 0


def test_prune_does_not_delete_the_target_of_a_symlink_to_an_sptjm_scan(operator, school):  # type: ignore[no-untyped-def]
    scan = _scan()
    link = files.root() / "bulk_correction" / "link.xlsx"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(scan)
    _expired_job(operator, school, "bulk_correction/link.xlsx")

    actions.prune_files(actor=None)

    assert scan.read_bytes() == b"%PDF-1.4 signed"


def test_prune_does_not_delete_a_file_outside_the_store_a_symlink_points_to(operator, school, tmp_path):  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside.xlsx"
    outside.write_bytes(b"not the store's")
    link = files.root() / "bulk_correction" / "out.xlsx"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    _expired_job(operator, school, "bulk_correction/out.xlsx")

    actions.prune_files(actor=None)

    assert outside.read_bytes() == b"not the store's"


def test_prune_does_not_walk_into_a_symlinked_folder_of_tmp(tmp_path):  # type: ignore[no-untyped-def]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    old = outside / "old.bin"
    old.write_bytes(b"x")
    long_ago = (timezone.now() - timedelta(days=30)).timestamp()
    os.utime(old, (long_ago, long_ago))
    (files.root() / "tmp").mkdir(parents=True, exist_ok=True)
    (files.root() / "tmp" / "spill").symlink_to(outside, target_is_directory=True)

    counts = actions.prune_files(actor=None)

    assert old.read_bytes() == b"x"
    assert counts["files"] == 0


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("VERVAL_DATA_DIR", "", "{cwd}/var/files"),
        ("VERVAL_DATA_DIR", "store", "{cwd}/store"),
        ("VERVAL_VAR_DIR", "", "{cwd}/var/files"),
        ("VERVAL_VAR_DIR", "state", "{cwd}/state/files"),
    ],
)
def test_an_empty_or_relative_data_dir_setting_is_an_absolute_folder_fixed_at_start(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    # An empty VERVAL_DATA_DIR used to be the working directory: a prune from cron in / walked /tmp.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "verval.settings"}
    env.pop("VERVAL_VAR_DIR", None)
    env.pop("VERVAL_DATA_DIR", None)
    env[variable] = value
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DATA_DIR)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected.format(cwd=tmp_path)


def test_a_symlinked_tmp_folder_is_neither_offered_nor_pruned(tmp_path):  # type: ignore[no-untyped-def]
    outside = tmp_path / "fast-disk"
    outside.mkdir()
    old = outside / "spill.bin"
    old.write_bytes(b"x")
    long_ago = (timezone.now() - timedelta(days=30)).timestamp()
    os.utime(old, (long_ago, long_ago))
    (files.root() / "tmp").symlink_to(outside, target_is_directory=True)

    assert [c.relative for c in retention.plan()] == []
    assert actions.prune_files(actor=None)["files"] == 0
    assert old.read_bytes() == b"x"
