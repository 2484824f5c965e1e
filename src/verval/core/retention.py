"""What the file store holds and what its retention rules allow to delete (decision 0038).

Reads only: `usage()` walks the store (a command's work, never a page's: at national scale the
SPTJM folders alone hold a file per school and period), `plan()` lists the files the rules allow
to delete now. The deletion itself is `core.actions.prune_files` (audited).

A kind is the store's top-level folder, the name `core.files` callers already give it, so a file
never needs the database to be counted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from verval.core import files

# The listing the Pusdatin page shows; written by `verval files`, never computed by a page view.
SNAPSHOT = "store-usage.json"

# kind (top-level folder) -> what it holds, and the rule (its setting, or None: never pruned).
KINDS: dict[str, tuple[Any, str | None]] = {
    "dumps": (_("Dump ke provider dan manifesnya"), "RETENTION_DUMP_DAYS"),
    "results": (_("Unggahan hasil pencocokan provider"), "RETENTION_JOB_INPUT_DAYS"),
    "injection-results": (_("Unggahan laporan injeksi kuota"), "RETENTION_JOB_INPUT_DAYS"),
    "usage-reports": (_("Unggahan laporan pemakaian kuota"), "RETENTION_JOB_INPUT_DAYS"),
    "imports": (_("Unggahan cutoff Dapodik"), "RETENTION_JOB_INPUT_DAYS"),
    "bulk_correction": (_("Unggahan berkas koreksi sekolah"), "RETENTION_PREVIEW_DAYS"),
    "disbursements": (_("Berkas penyaluran kuota"), "RETENTION_DISBURSEMENT_DAYS"),
    "sptjm": (_("PDF SPTJM yang dicetak"), None),
    "sptjm-scans": (_("Pindaian SPTJM bertanda tangan"), None),
    "registrations": (_("SK penugasan pendaftaran operator"), None),
    "jobs": (_("Berkas kerja pekerjaan (progres, sewa, pembatalan)"), "RETENTION_WORK_DAYS"),
    "reports": (_("Ekspor laporan yang ditulis di latar belakang"), "RETENTION_REPORT_DAYS"),
    "tmp": (_("Berkas sementara impor dan unggahan"), "RETENTION_WORK_DAYS"),
    "demo": (_("Cutoff data demo"), "RETENTION_WORK_DAYS"),
    "simulator": (_("Berkas kerja simulator provider"), "RETENTION_WORK_DAYS"),
    "simulator-injection": (_("Berkas kerja simulator injeksi"), "RETENTION_WORK_DAYS"),
    # The printed kit command points here for as long as the demo runs: pruning it would break it.
    "demo-provider": (_("Ekspor pelanggan dan folder kerja kit provider demo"), None),
}
OTHER = "other"  # anything else: counted, never pruned

# Folders whose every file is a work file, pruned by age alone (tmp only while no job runs).
_WORK_FOLDERS = ("tmp", "demo", "simulator", "simulator-injection")
_JOB_FILE = re.compile(r"^([0-9a-f-]{36})\.(progress|lease|cancel)$")

# Stored in a job's params when its input file was deleted by the rules.
INPUT_DELETED = "input_deleted_at"

# A signed scan whose check did not accept it (refused, failed, abandoned, cancelled: decision
# 0107) never became a document's scan: the one exception to the legal folders' "never", by the
# job that names it, `RETENTION_REFUSED_SCAN_DAYS` after that job ended.
SCANS = "sptjm-scans"
SCAN_CHECK = "sptjm_scan"  # verval.sptjm.actions.SCAN_CHECK (core does not import the apps)
UNACCEPTED_SCANS = "sptjm-scans-unaccepted"  # its key in `rules()` (the audit row's rules in force)
# A scan stored by `receive_scan` (or `upload_scan`) whose row never committed (a crash between the
# store and the commit: decision 0115) is named by no row: it goes once older than the longest
# upload could take to commit (`RETENTION_ORPHAN_SCAN_DAYS`, at least a day), its own kind in the
# prune's counts and the audit row's rules.
ORPHAN_SCANS = "sptjm-scans-orphaned"
UPLOAD_AUDIT = "upload_sptjm_scan"  # verval.sptjm.actions' audit row of an accepted scan


def days(setting: str) -> int:
    return max(0, int(settings.VERVAL.get(setting, 0)))


def kind_of(relative: str) -> str:
    head = relative.split("/", 1)[0]
    return head if head in KINDS and "/" in relative else OTHER


def rules() -> dict[str, int | None]:
    """Each kind's days (None: never pruned), as the settings say now; and the days of a scan its
    check did not accept (`UNACCEPTED_SCANS`, decision 0107), the one rule inside a legal folder."""
    out: dict[str, int | None] = {
        kind: (days(setting) if setting else None) for kind, (_label, setting) in KINDS.items()
    }
    out[UNACCEPTED_SCANS] = days("RETENTION_REFUSED_SCAN_DAYS")
    out[ORPHAN_SCANS] = orphan_scan_days()
    return out


def orphan_scan_days() -> int:
    """How old a scan named by no row must be to go (decision 0115). Never less than a day: a
    scan being received right now is stored before its row commits, and nothing else tells the
    two apart."""
    return max(1, days("RETENTION_ORPHAN_SCAN_DAYS"))


# --- usage ----------------------------------------------------------------------------------------


def _walk(path: Path) -> Any:
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    yield from _walk(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    yield entry
    except FileNotFoundError:
        return


def usage(now: datetime | None = None, *, orphans: bool = False) -> dict[str, Any]:
    """Files, bytes and the oldest file (modification time) of each kind; walks the whole store.
    `orphans`: also the scans no row names, old enough to go (`orphan_scans`, decision 0115),
    counted under `orphan_scans` from the same walk (decision 0120: `verval files` read
    `sptjm-scans/`, the store's largest folder, twice)."""
    now = now or timezone.now()
    root = files.root()
    kinds: dict[str, dict[str, Any]] = {k: {"files": 0, "bytes": 0, "oldest": None} for k in (*KINDS, OTHER)}
    finder = _OrphanFinder(now) if orphans else None
    for entry in _walk(root):
        relative = Path(entry.path).relative_to(root).as_posix()
        if relative == SNAPSHOT:
            continue
        stat = entry.stat(follow_symlinks=False)
        kind = kind_of(relative)
        row = kinds[kind]
        row["files"] += 1
        row["bytes"] += stat.st_size
        if row["oldest"] is None or stat.st_mtime < row["oldest"]:
            row["oldest"] = stat.st_mtime
        if finder is not None and kind == SCANS:
            finder.see(relative, entry.name, stat)
    for row in kinds.values():
        if row["oldest"] is not None:
            row["oldest"] = datetime.fromtimestamp(row["oldest"], tz=UTC).isoformat()
    day_rules = rules()
    for kind, row in kinds.items():
        row["keep_days"] = day_rules.get(kind)
    data = {
        "measured_at": now.isoformat(),
        "files": sum(r["files"] for r in kinds.values()),
        "bytes": sum(r["bytes"] for r in kinds.values()),
        "kinds": kinds,
    }
    if finder is not None:
        found = totals(finder.candidates())
        data["orphan_scans"] = {
            "files": found["files"],
            "bytes": found["bytes"],
            "keep_days": orphan_scan_days(),
        }
    return data


def write_snapshot(data: dict[str, Any]) -> None:
    path = files.root() / SNAPSHOT
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def read_snapshot() -> dict[str, Any] | None:
    """The last listing `verval files` wrote, or None (never run, or unreadable)."""
    try:
        data = json.loads((files.root() / SNAPSHOT).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("kinds"), dict) else None


def panel() -> dict[str, Any] | None:
    """The last listing as the Pusdatin page shows it: a row per kind that holds files."""
    data = read_snapshot()
    if data is None:
        return None
    rows = []
    for kind, row in data["kinds"].items():
        if not isinstance(row, dict) or not row.get("files"):
            continue
        label = KINDS[kind][0] if kind in KINDS else _("Lainnya")
        oldest = datetime.fromisoformat(row["oldest"]) if row.get("oldest") else None
        folder = f"{kind}/" if kind in KINDS else ""
        rows.append({"kind": kind, "folder": folder, "label": label, **row, "oldest": oldest})
    # The line `verval files` prints under `sptjm-scans` (decision 0115): scans no row names, old
    # enough for `--prune --yes` to delete. A listing written before that has none.
    orphaned = data.get("orphan_scans")
    if not (isinstance(orphaned, dict) and any(r["kind"] == SCANS for r in rows)):
        orphaned = None
    return {
        "measured_at": datetime.fromisoformat(data["measured_at"]),
        "files": data.get("files", 0),
        "bytes": data.get("bytes", 0),
        "rows": rows,
        "orphan_scans": orphaned,
    }


# --- what the rules allow to delete ---------------------------------------------------------------


@dataclass
class Candidate:
    kind: str
    relative: str
    size: int
    job_id: Any = None  # the job whose input this is (its row is marked when it goes)
    also: list[str] = field(default_factory=list)  # files that go with it (a dump's manifest)
    unaccepted_scan: bool = False  # a scan its check did not accept (decision 0107)
    orphan_scan: bool = False  # a scan no row names (decision 0115)


def deletable(relative: str, *, unaccepted_scan: bool = False) -> Path | None:
    """The file a stored path names, if the rules may ever delete it; else None. The path comes
    from a database row: `..` or a symlink on the way would name another file (an SPTJM scan, one
    outside the store), and the legal folders have no rule whatever row names them (decision 0045)
    but for `unaccepted_scan`: a file directly in `sptjm-scans/` that a scan check's job names and
    no document does (`_unaccepted_scans` decides that, decision 0107)."""
    if unaccepted_scan:
        if kind_of(relative) != SCANS or relative.count("/") != 1:
            return None
    elif rules().get(kind_of(relative)) is None and not relative.endswith(".part"):
        return None
    try:
        path = files.absolute(relative)
    except (OSError, ValueError):
        return None
    return path if path == files.root().resolve() / relative else None


def _size(relative: str, *, unaccepted_scan: bool = False) -> int | None:
    path = deletable(relative, unaccepted_scan=unaccepted_scan)
    try:
        return path.stat().st_size if path else None
    except OSError:
        return None


def protected() -> tuple[set[str], set[str]]:
    """Input paths and batch ids that unfinished jobs still need (never deleted)."""
    from verval.core.models import Job

    unfinished = Job.objects.filter(state__in=(Job.State.PENDING, Job.State.RUNNING))
    paths, batches = set(), set()
    root = files.root().resolve()
    for path, params in unfinished.values_list("input_path", "params"):
        if path:
            paths.add(path)
        params = params if isinstance(params, dict) else {}
        if params.get("batch_id"):
            batches.add(str(params["batch_id"]))
        # A command's import reads its file where it lies, which may be in the store (the demo's
        # cutoff in demo/): a work folder pruned by age alone must not take it (decision 0066).
        if params.get("path"):
            # A path outside the store (ValueError) is no file retention could delete.
            with contextlib.suppress(OSError, ValueError):
                paths.add(Path(str(params["path"])).resolve().relative_to(root).as_posix())
    return paths, batches


def _job_inputs(now: datetime, protected_paths: set[str]) -> list[Candidate]:
    from verval.core.models import AWAITS_APPLY_KINDS, Job
    from verval.exchange.models import DumpBatch
    from verval.reference.models import Period
    from verval.sptjm.models import DisbursementBatch

    open_dumps = {
        str(b) for b in DumpBatch.objects.exclude(state=DumpBatch.State.COMPLETE).values_list("pk", flat=True)
    }
    open_periods = set(Period.objects.filter(is_open=True).values_list("code", flat=True))
    open_disbursements = {
        str(b)
        for b in DisbursementBatch.objects.filter(
            Q(period__is_open=True) | ~Q(state=DisbursementBatch.State.SELESAI)
        ).values_list("pk", flat=True)
    }
    finished = (
        Job.objects.filter(state__in=(Job.State.SUCCEEDED, Job.State.REFUSED, Job.State.FAILED))
        .exclude(input_path="")
        .exclude(params__has_key=INPUT_DELETED)
    )
    preview_cutoff = now - timedelta(days=days("RETENTION_PREVIEW_DAYS"))
    input_cutoff = now - timedelta(days=days("RETENTION_JOB_INPUT_DAYS"))
    # A correction file never applied (refused at upload, expired, cancelled) goes early; an applied
    # one is a job input like the others (a FAILED run may still be run again).
    never_applied = Q(kind__in=AWAITS_APPLY_KINDS) & ~Q(params__has_key="applied")
    rows = finished.filter(
        (never_applied & Q(finished_at__lt=preview_cutoff))
        | (~never_applied & Q(finished_at__lt=input_cutoff))
    ).values_list("pk", "input_path", "params")
    out = []
    for pk, path, params in rows.iterator():
        params = params if isinstance(params, dict) else {}
        if path in protected_paths:
            continue
        batch = str(params.get("batch_id", ""))
        if batch and (batch in open_dumps or batch in open_disbursements):
            continue
        if params.get("period") in open_periods:
            continue
        size = _size(path)
        if size is not None:
            out.append(Candidate(kind_of(path), path, size, job_id=pk))
    return out


def _unaccepted_scans(now: datetime, protected_paths: set[str]) -> list[Candidate]:
    """Scans a check did not accept (decision 0107): its job ended REFUSED (another document's
    QR, unreadable, too many pages…) or FAILED (a system error, its worker died three times, a
    cancel), `RETENTION_REFUSED_SCAN_DAYS` before `now`. Such a file was never a document's scan:
    the school was told to upload again, nobody reviews it, and it lists the school's recipients.
    A check deletes its refused file itself; what remains is an abandoned or cancelled check's (the
    check never ran to its end), or one whose deletion failed. A path any document names as its
    scan is never offered, whatever the job says; neither is an accepted check's input (SUCCEEDED,
    not looked at), which is the document's signed statement."""
    from verval.core.models import Job

    cutoff = now - timedelta(days=days("RETENTION_REFUSED_SCAN_DAYS"))
    rows = (
        Job.objects.filter(
            kind=SCAN_CHECK, state__in=(Job.State.REFUSED, Job.State.FAILED), finished_at__lt=cutoff
        )
        .exclude(input_path="")
        .exclude(params__has_key=INPUT_DELETED)
        .values_list("pk", "input_path")
    )
    out = []
    chunk: list[tuple[Any, str]] = []

    def flush() -> None:
        named = documents_naming([p for _pk, p in chunk])
        for pk, path in chunk:
            if path in named or path in protected_paths:
                continue
            size = _size(path, unaccepted_scan=True)
            if size is not None:
                out.append(Candidate(SCANS, path, size, job_id=pk, unaccepted_scan=True))
        chunk.clear()

    for row in rows.iterator(chunk_size=LOOKUP_CHUNK):
        chunk.append(row)
        if len(chunk) >= LOOKUP_CHUNK:
            flush()
    flush()
    return out


# Paths asked of the database at a time (`IN (…)`, by the indexes of decision 0120): for the few
# paths the prune asks about (the scans it may delete), not for a whole folder (`_scan_rows`).
LOOKUP_CHUNK = 500


def documents_naming(paths: list[str]) -> set[str]:
    """Those of `paths` a document names as its scan (`Sptjm.scan_path`): the signed statement,
    never pruned (decisions 0045, 0107). The one place that asks it: the scans a check did not
    accept are offered only when this says no, and asked again just before their delete
    (`core.actions.prune_files`); `named_scans` asks it too. By the `sptjm_scan_path` index."""
    from verval.sptjm.models import Sptjm

    named: set[str] = set()
    for start in range(0, len(paths), LOOKUP_CHUNK):
        chunk = paths[start : start + LOOKUP_CHUNK]
        named |= set(Sptjm.objects.filter(scan_path__in=chunk).values_list("scan_path", flat=True))
    return named


def named_scans(paths: list[str]) -> set[str]:
    """Those of `paths` any row names: a document as its scan (`documents_naming`), a job (a scan
    check) as its input. Not the same question as `documents_naming`: a scan its check did not
    accept is named by its own job, and still offered. By the indexes of decision 0120."""
    from verval.core.models import Job

    named = documents_naming(paths)
    for start in range(0, len(paths), LOOKUP_CHUNK):
        chunk = paths[start : start + LOOKUP_CHUNK]
        named |= set(Job.objects.filter(input_path__in=chunk).values_list("input_path", flat=True))
    return named


def _scan_rows() -> Any:
    """Every path in `sptjm-scans/` a row names: one read of each table, streamed. The question
    is asked of every file of the folder (nearly all of them older than the grace), so one pass
    over the rows beats asking the index a chunk of paths at a time: at 200,000 scans 1.3–2.5 s
    against 9–22 s for `IN` lists of 500 or 2,000, whose plans PostgreSQL turns into whole reads
    of the tables once a list is long (decision 0120, docs/benchmarks.md). With the indexes a
    prefix read covers only the rows of the folder when they are few among the jobs."""
    from verval.core.models import Job
    from verval.sptjm.models import Sptjm

    prefix = f"{SCANS}/"
    yield from (
        Sptjm.objects.filter(scan_path__startswith=prefix)
        .order_by()
        .values_list("scan_path", flat=True)
        .iterator(chunk_size=5000)
    )
    yield from (
        Job.objects.filter(input_path__startswith=prefix)
        .order_by()
        .values_list("input_path", flat=True)
        .iterator(chunk_size=5000)
    )


class _OrphanFinder:
    """The orphan scans of one walk of `sptjm-scans/` (`orphan_scans`, or `usage(orphans=True)`
    in the listing's own walk: decision 0120), fed a file at a time. Keeps the files older than the
    grace (path and size), then drops those a row names (`_scan_rows`)."""

    def __init__(self, now: datetime) -> None:
        self.cutoff = (now - timedelta(days=orphan_scan_days())).timestamp()
        self.old: dict[str, int] = {}  # relative path -> size

    def see(self, relative: str, name: str, stat: os.stat_result) -> None:
        if relative.count("/") != 1 or name.endswith(".part"):  # a subfolder; a write not finished
            return
        if stat.st_mtime < self.cutoff:
            self.old[relative] = stat.st_size

    def candidates(self) -> list[Candidate]:
        """The old files no row names, but a scan an accepted upload's audit row names by its
        hash. Only those are hashed."""
        from verval.core.models import AuditEvent

        old = self.old
        if old:
            for named in _scan_rows():
                old.pop(named, None)
        out: list[Candidate] = []
        paths = sorted(p for p in old if deletable(p, unaccepted_scan=True) is not None)
        for start in range(0, len(paths), LOOKUP_CHUNK):
            hashes: dict[str, str] = {}
            for relative in paths[start : start + LOOKUP_CHUNK]:
                with contextlib.suppress(OSError):
                    hashes[relative] = files.sha256_file(files.absolute(relative))
            accepted = set(
                AuditEvent.objects.filter(
                    action=UPLOAD_AUDIT, after__scan_sha256__in=sorted(set(hashes.values()))
                ).values_list("after__scan_sha256", flat=True)
            )
            out.extend(
                Candidate(ORPHAN_SCANS, relative, old[relative], orphan_scan=True)
                for relative, sha in hashes.items()
                if sha not in accepted
            )
        return out


def orphan_scans(now: datetime) -> list[Candidate]:
    """Files directly in `sptjm-scans/` that no row names (`_scan_rows`), last written more than
    `orphan_scan_days()` before `now` (decision 0115): the upload of a scan check whose row never
    committed (a crash between `receive_scan`'s store and its commit). A younger file may be a
    scan being received this minute, its row not yet committed. Never offered either: a file whose
    SHA-256 an accepted upload's audit row names (`upload_sptjm_scan`): a scan the one-step
    `upload_scan` accepted and a later scan replaced on its document is named by no row but that
    one, and it stays the school's signed statement. Only files named by no path are hashed.
    `usage(orphans=True)` finds the same in its own walk."""
    root = files.root()
    finder = _OrphanFinder(now)
    for entry in _walk(root / SCANS):
        finder.see(
            Path(entry.path).relative_to(root).as_posix(), entry.name, entry.stat(follow_symlinks=False)
        )
    return finder.candidates()


def _dumps(now: datetime, protected_batches: set[str]) -> list[Candidate]:
    from verval.exchange.models import DumpBatch

    cutoff = now - timedelta(days=days("RETENTION_DUMP_DAYS"))
    done = (
        DumpBatch.objects.filter(state=DumpBatch.State.COMPLETE)
        .exclude(file_path="")
        .annotate(last=Coalesce("last_result_at", "created_at"))
        .filter(last__lt=cutoff)
        .values_list("pk", "file_path", "manifest_path")
    )
    out = []
    for pk, path, manifest in done.iterator():
        if pk in protected_batches:
            continue
        size = _size(path)
        if size is not None:
            also = [manifest] if manifest and _size(manifest) is not None else []
            out.append(Candidate("dumps", path, size + sum(_size(m) or 0 for m in also), also=also))
    return out


def _disbursements(now: datetime, protected_batches: set[str]) -> list[Candidate]:
    from verval.sptjm.models import DisbursementBatch

    last_day = timezone.localdate(now) - timedelta(days=days("RETENTION_DISBURSEMENT_DAYS"))
    done = DisbursementBatch.objects.filter(
        state=DisbursementBatch.State.SELESAI, period__is_open=False, period__ends_on__lt=last_day
    ).values_list("pk", "file_path")
    out = []
    for pk, path in done.iterator():
        if str(pk) in protected_batches or not path:
            continue
        size = _size(path)
        if size is not None:
            out.append(Candidate("disbursements", path, size))
    return out


def _work_files(now: datetime, protected_paths: set[str]) -> list[Candidate]:
    from verval.core.models import Job

    root = files.root()
    cutoff = (now - timedelta(days=days("RETENTION_WORK_DAYS"))).timestamp()
    # A running import spills to tmp/ for as long as it runs, and nothing in the database names
    # those files: tmp/ waits until no job runs.
    running = Job.objects.filter(state=Job.State.RUNNING).exists()
    folders = [f for f in _WORK_FOLDERS if not (f == "tmp" and running)]
    out = []
    for folder in folders:
        for entry in _walk(root / folder):
            stat = entry.stat(follow_symlinks=False)
            relative = Path(entry.path).relative_to(root).as_posix()
            if stat.st_mtime < cutoff and relative not in protected_paths:
                out.append(Candidate(folder, relative, stat.st_size))
    job_files: dict[str, list[tuple[str, int]]] = {}
    for entry in _walk(root / "jobs"):
        m = _JOB_FILE.match(entry.name)
        stat = entry.stat(follow_symlinks=False)
        if m and stat.st_mtime < cutoff:
            job_files.setdefault(m.group(1), []).append((f"jobs/{entry.name}", stat.st_size))
    if job_files:
        unfinished = {
            str(pk)
            for pk in Job.objects.filter(
                pk__in=list(job_files), state__in=(Job.State.PENDING, Job.State.RUNNING)
            ).values_list("pk", flat=True)
        }
        for job_id, found in job_files.items():
            if job_id not in unfinished:
                out.extend(Candidate("jobs", rel, size) for rel, size in found)
    # A write that never finished (`files.save_stream` renames its `.part` when done), anywhere
    # but in the folders just walked.
    for folder in KINDS:
        if folder in _WORK_FOLDERS or folder == "jobs":
            continue
        for entry in _walk(root / folder):
            if entry.name.endswith(".part"):
                stat = entry.stat(follow_symlinks=False)
                if stat.st_mtime < cutoff:
                    rel = Path(entry.path).relative_to(root).as_posix()
                    out.append(Candidate("tmp", rel, stat.st_size))
    return out


def _reports(now: datetime) -> list[Candidate]:
    """Report files a background export wrote (decision 0068): its user downloads it soon after;
    by age alone, as nothing but that job's page names the file (which says it is gone)."""
    cutoff = (now - timedelta(days=days("RETENTION_REPORT_DAYS"))).timestamp()
    root = files.root()
    out = []
    for entry in _walk(root / "reports"):
        if entry.name.endswith(".part"):  # an unfinished write: the work files' rule
            continue
        stat = entry.stat(follow_symlinks=False)
        if stat.st_mtime < cutoff:
            out.append(Candidate("reports", Path(entry.path).relative_to(root).as_posix(), stat.st_size))
    return out


def plan(now: datetime | None = None) -> list[Candidate]:
    """Every file the retention rules allow to delete now (decision 0038)."""
    now = now or timezone.now()
    protected_paths, protected_batches = protected()
    return [
        *_job_inputs(now, protected_paths),
        *_unaccepted_scans(now, protected_paths),
        *(c for c in orphan_scans(now) if c.relative not in protected_paths),
        *_dumps(now, protected_batches),
        *_disbursements(now, protected_batches),
        *(c for c in _reports(now) if deletable(c.relative)),
        # A symlinked work folder is walked through its link: what `_unlink` would refuse is not offered.
        *(c for c in _work_files(now, protected_paths) if deletable(c.relative)),
    ]


def totals(candidates: list[Candidate]) -> dict[str, Any]:
    """Files and bytes per kind, and in all."""
    kinds: dict[str, dict[str, int]] = {}
    for c in candidates:
        row = kinds.setdefault(c.kind, {"files": 0, "bytes": 0})
        row["files"] += 1 + len(c.also)
        row["bytes"] += c.size
    return {
        "kinds": dict(sorted(kinds.items())),
        "files": sum(r["files"] for r in kinds.values()),
        "bytes": sum(r["bytes"] for r in kinds.values()),
    }
