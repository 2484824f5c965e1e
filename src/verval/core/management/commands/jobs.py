"""`verval jobs`: Pusdatin's view of the task worker's jobs and what to do with a stuck one."""

from __future__ import annotations

import uuid
from typing import Any

from verval.core import actions, selectors
from verval.core.commands import USAGE_ERROR, DataCommand, Refused


def _job_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Refused(USAGE_ERROR, f"not a job id: {value!r}", job=value) from None


class Command(DataCommand):
    help = (
        "Lists unfinished jobs with whether their worker is alive (alive, abandoned, queued, lost, "
        "waiting), and counts the correction files previewed but not applied; --requeue ID hands a "
        "job to the worker again, --cancel ID stops it for good (a job running in a live worker is "
        "asked to stop at its next checkpoint), --recover re-queues abandoned jobs and expires old "
        "previews now (what every worker does each minute). Audited."
    )

    def add_arguments(self, parser: Any) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--requeue", metavar="ID", help="hand this job to the worker again")
        group.add_argument(
            "--cancel",
            metavar="ID",
            help=(
                "stop this job for good (FAILED DIBATALKAN); a running job stops at its next "
                "checkpoint, its changes rolled back"
            ),
        )
        group.add_argument("--recover", action="store_true", help="recover abandoned jobs now")
        parser.add_argument("--note", default="", help="why (kept in the audit row)")
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["requeue"] or opts["cancel"]:
            self._act(opts)
            return
        if opts["recover"]:
            counts = actions.recover_jobs()
            counts["expired"] = actions.expire_previews()
            if opts["json"]:
                self.emit(counts)
                return
            self.stdout.write(
                f"re-queued {counts['requeued']:,}, failed {counts['failed']:,}, previews expired {counts['expired']:,}"
            )
            return
        rows = selectors.unfinished_jobs(limit=opts["limit"])
        previews = selectors.previews_not_applied()
        served = selectors.queue_report()
        if opts["json"]:
            self.emit({"jobs": rows, "previews_not_applied": previews, "queues": served})
            return
        for q in served:
            self._queue_line(q)
        if previews:
            self.stdout.write(
                f"{previews:,} correction file(s) previewed, not applied (they expire; not listed)"
            )
        if not rows:
            self.stdout.write("no unfinished jobs")
            return
        self.stdout.write(
            f"{'id':36}  {'kind':16} {'state':8} {'liveness':9} {'queue':11} attempts  last beat"
        )
        for r in rows:
            beat = "-" if r["seconds_since_beat"] is None else f"{r['seconds_since_beat']} s ago"
            cancel = "  (cancel requested)" if r["cancel_requested_at"] else ""
            cancel += "  (no worker serves its queue)" if r["no_worker"] else ""
            self.stdout.write(
                f"{r['id']:36}  {r['kind']:16} {r['state']:8} {r['liveness']:9} {r['queue'] or '-':11} "
                f"{r['attempts']}/{r['max_attempts']:<6} {beat}{cancel}"
            )

    def _queue_line(self, q: dict[str, Any]) -> None:
        """One line a queue (decision 0082); a queue without a live worker says what to run."""
        name = q["queue"]
        refreshes = q["dashboard_refreshes_waiting"]
        if q["workers"]:
            self.stdout.write(
                f"queue {name}: {q['workers']} worker(s) alive, {q['jobs_waiting']:,} job(s) waiting"
                + (f", {refreshes:,} dashboard refresh(es) waiting" if refreshes else "")
            )
            return
        seen = (
            "never seen"
            if q["seconds_since_seen"] is None
            else f"last seen {q['seconds_since_seen']:,} s ago"
        )
        waiting = (
            f"{q['jobs_waiting']:,} job(s) wait there, the oldest for {q['oldest_job_waiting_seconds']:,} s"
            if q["jobs_waiting"]
            else "no job waits there now"
        )
        if refreshes:  # tasks, not jobs (decision 0115)
            waiting += (
                f", and {refreshes:,} dashboard refresh(es)"
                if q["jobs_waiting"]
                else f", but {refreshes:,} dashboard refresh(es) wait there"
            )
        self.stdout.write(
            f"queue {name}: NO WORKER ({seen}); {waiting}. "
            f"Start one on the server: verval worker --queue-name {name} (docs/deployment.md, Two queues)"
        )

    def _act(self, opts: dict[str, Any]) -> None:
        requeue = bool(opts["requeue"])
        job_id = _job_id(opts["requeue"] or opts["cancel"])
        action = actions.requeue_job if requeue else actions.cancel_job
        try:
            job = action(actor=None, job_id=job_id, note=opts["note"] or "verval jobs")
        except actions.JobActionRefused as refused:
            # The shared contract (decision 0026): the JSON line and exit 2.
            raise Refused(refused.code, refused.message_en, job=str(job_id)) from None
        row = selectors.job_row(job)
        if opts["json"]:
            self.emit(row)
        else:
            done = "re-queued" if requeue else "cancelled" if job.is_finished else "cancel requested"
            self.stdout.write(f"{row['id']} {row['kind']}: {row['state']} ({done})")
