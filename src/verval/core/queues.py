"""The task worker's two queues (decision 0071).

A cutoff import or a results ingest holds a worker for minutes; with one queue, a Dinas user's
Excel export or the dashboard refresh after a school's save waited behind it. Work that reads or
writes the whole registry goes to HEAVY; short work a person is waiting for goes to INTERACTIVE,
which a worker of its own serves (`verval serve` starts one per queue).
"""

from __future__ import annotations

HEAVY = "default"  # django-tasks' default name: tasks queued before the split stay runnable
INTERACTIVE = "interactive"
ALL = (HEAVY, INTERACTIVE)

# Job kinds a person waits for and whose size is bounded: an export of one user's list (about a
# minute at 300,000 schools, decision 0068), one school's correction file (at most 20,000 rows,
# `registry.bulk.MAX_ROWS`), the QR check of one school's signed SPTJM scan (at most a few CPU
# seconds: decision 0095), the print of one school's SPTJM too large for its request (about 4 CPU
# seconds at 7,300 recipients: decision 0102). Every other kind works over the registry or a
# provider's batch.
INTERACTIVE_KINDS = frozenset({"export_behind", "bulk_correction", "sptjm_scan", "sptjm_print"})


def for_kind(kind: str) -> str:
    """The queue a job of this kind is handed to (and handed to again by a recovery)."""
    return INTERACTIVE if kind in INTERACTIVE_KINDS else HEAVY
