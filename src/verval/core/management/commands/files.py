"""`verval files`: what the file store holds, by kind, and housekeeping by the retention rules
(docs/deployment.md "File store and retention", decision 0038)."""

from __future__ import annotations

from typing import Any

from verval.core import actions, retention
from verval.core.commands import USAGE_ERROR, DataCommand, Refused


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} TB"


class Command(DataCommand):
    help = (
        "Lists the file store by kind (files, bytes, oldest file, days kept) and saves the listing "
        "for the Pusdatin page; --prune lists what the retention rules allow to delete (a dry run), "
        "--prune --yes deletes it (audited, one row per run)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--prune", action="store_true", help="what the retention rules allow to delete")
        parser.add_argument("--yes", action="store_true", help="with --prune: delete it (else a dry run)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["yes"] and not opts["prune"]:
            raise Refused(USAGE_ERROR, "--yes only goes with --prune")
        if opts["prune"]:
            self._prune(opts)
            return
        # With, of `sptjm-scans`, the files no row names, old enough to go (decision 0115): counts
        # only, found in the same walk (decision 0120).
        data = retention.usage(orphans=True)
        retention.write_snapshot(data)
        if opts["json"]:
            self.emit(data)
            return
        self.stdout.write(f"{'kind':20} {'files':>9} {'size':>10}  {'oldest':25} kept")
        for kind, row in data["kinds"].items():
            if not row["files"]:
                continue
            kept = "never pruned" if row["keep_days"] is None else f"{row['keep_days']} days (rule)"
            if kind == retention.SCANS:  # the one rule inside a legal folder (decision 0107)
                kept += (
                    f"; a scan its check did not accept: {retention.rules()[retention.UNACCEPTED_SCANS]} days"
                )
            self.stdout.write(
                f"{kind:20} {row['files']:>9,} {_size(row['bytes']):>10}  {(row['oldest'] or '-')[:16].replace('T', ' '):25} {kept}"
            )
            if kind == retention.SCANS:
                orphaned = data["orphan_scans"]
                self.stdout.write(
                    f"{retention.ORPHAN_SCANS:20} {orphaned['files']:>9,} {_size(orphaned['bytes']):>10}  "
                    f"{'-':25} of sptjm-scans, named by no row and older than "
                    f"{orphaned['keep_days']} day(s): deleted by --prune --yes"
                )
        self.stdout.write(f"{'total':20} {data['files']:>9,} {_size(data['bytes']):>10}")

    def _prune(self, opts: dict[str, Any]) -> None:
        if opts["yes"]:
            counts = actions.prune_files(actor=None)
        else:
            counts = retention.totals(retention.plan())
        out = {"dry_run": not opts["yes"], **counts}
        if opts["json"]:
            self.emit(out)
            return
        verb = "would delete" if out["dry_run"] else "deleted"
        for kind, row in counts["kinds"].items():
            self.stdout.write(f"{verb} {kind}: {row['files']:,} files, {_size(row['bytes'])}")
        self.stdout.write(f"{verb} {counts['files']:,} files, {_size(counts['bytes'])} in all")
        if out["dry_run"]:
            self.stdout.write("dry run: nothing deleted; add --yes to delete")
