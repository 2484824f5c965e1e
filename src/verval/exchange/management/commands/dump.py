"""`verval dump [--provider CODE] [--json]`: publish dump batches (SPEC §3 step 4).

Prints each batch's id, provider, rows and the file's absolute path; with --json one object whose
batches carry `path` (absolute) and `file` (relative to the file store, VERVAL_DATA_DIR), decision
0026. Exit codes and the --json line of a refusal: verval.core.commands."""

from __future__ import annotations

from typing import Any

from verval.accounts.models import PROVIDER_CODES
from verval.core import jobs
from verval.core.commands import DataCommand, job_output, with_paths
from verval.core.numbers import grouped


class Command(DataCommand):
    help = (
        "Publish a dump batch per provider with the numbers that are new or changed; prints each batch's "
        "id, provider, rows and file (absolute path)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--provider", choices=PROVIDER_CODES)

    def handle(self, *args: Any, **opts: Any) -> None:
        job = jobs.create_job(
            actor=None,
            kind="dump",
            params={"provider": opts["provider"] or ""},
            provider=opts["provider"] or "",
        )
        out = job_output(jobs.run(job.pk))  # raises when the job was refused (2) or failed (1)
        batches = with_paths(out.get("batches", []))
        if opts["json"]:
            self.emit(
                {"job": out["job"], "state": out["state"], "batches": batches, "rows": out.get("rows", 0)}
            )
            return
        if not batches:
            self.stdout.write("Tidak ada nomor baru atau berubah untuk dikirim / nothing new to dump.")
            if out.get("awaiting_validation"):
                n = out["awaiting_validation"]
                self.stdout.write(
                    f"{grouped(n, language='id')} nomor belum divalidasi: jalankan `verval validate` dulu / "
                    f"{n:,} numbers await validation: run `verval validate` first."
                )
        for b in batches:
            self.stdout.write(f"{b['id']}\t{b['provider']}\t{b['rows']}\t{b['path']}")
