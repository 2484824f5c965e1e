"""Reads of jobs for the server's operators (`verval jobs`): national, no person's data; and
reads of the audit log (the "Jejak audit" page, its CSV, `verval audit`; decision 0135), scoped
by `accounts.access.audit_for`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from verval.core import jobs, queues, retention, workers
from verval.core.models import AWAITS_APPLY_KINDS, JOB_KINDS, AuditEvent, Job


def job_row(job: Job, now: datetime | None = None) -> dict[str, Any]:
    """A job as `verval jobs` shows it: what, where, its state and whether its worker is alive."""
    now = now or timezone.now()
    beat = jobs.last_beat(job) if job.state == Job.State.RUNNING else None
    cancel = jobs.cancel_request(job)
    return {
        "id": str(job.pk),
        "kind": job.kind,
        "state": job.state,
        "liveness": jobs.liveness(job, now),
        # The worker queue it was handed to (decision 0071); None when never handed to the worker.
        "queue": jobs.queue_of(job),
        "attempts": job.attempts,
        "max_attempts": jobs.max_attempts(),
        "school_id": job.school_id,
        "provider": job.provider,
        "created_at": job.created_at.isoformat(),
        "queued_at": job.queued_at.isoformat() if job.queued_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "last_beat": beat.isoformat() if beat else None,
        "seconds_since_beat": int((now - beat).total_seconds()) if beat else None,
        "error_code": job.error_code,
        # Pusdatin asked the run to stop (decision 0029): when (None: not asked).
        "cancel_requested_at": cancel.at.isoformat() if cancel else None,
        # It waits in a queue no live worker serves (decision 0082).
        "no_worker": jobs.no_worker_for(job, now) is not None,
    }


def _dashboard_refreshes_waiting() -> dict[str, int]:
    """Per queue, the dashboard refreshes waiting for a worker (`dashboard.tasks.REFRESH_TASKS`):
    tasks of the database backend, not jobs, read as `/healthz` reads the tasks (decision 0115)."""
    from django_tasks_db.models import DBTaskResult

    from verval.dashboard.tasks import REFRESH_TASKS

    return dict(
        DBTaskResult.objects.ready()
        .filter(task_path__in=[t.module_path for t in REFRESH_TASKS])
        .order_by()
        .values_list("queue_name")
        .annotate(n=Count("id"))
    )


def queues_waiting(now: datetime | None = None) -> list[dict[str, Any]]:
    """Each worker queue: its live workers, when a worker of it was last heard from (a datetime,
    None when never), and the jobs waiting in it (handed over, not started), per kind too, with
    the oldest one's wait (decisions 0082, 0113), and the dashboard refreshes waiting there
    (decision 0115). Empty without the database task backend (no workers)."""
    if not workers.tracked():
        return []
    now = now or timezone.now()
    refreshes = _dashboard_refreshes_waiting()
    interactive = Q(kind__in=queues.INTERACTIVE_KINDS)
    report = []
    for name, state in workers.queue_states(now).items():
        waiting = Job.objects.filter(
            interactive if name == queues.INTERACTIVE else ~interactive,
            state=Job.State.PENDING,
            queued_at__isnull=False,
        )
        oldest = waiting.order_by("queued_at").values_list("queued_at", flat=True).first()
        by_kind = dict(waiting.order_by("kind").values_list("kind").annotate(n=Count("pk")))
        report.append(
            {
                "queue": name,
                "workers": state.workers,
                "last_seen": state.last_seen,
                "jobs_waiting": sum(by_kind.values()),
                # What waits, said by Pusdatin's warning: a school's SPTJM scan checks and prints
                # wait in the quick queue beside exports and correction files (decision 0113).
                "jobs_waiting_by_kind": by_kind,
                "oldest_job_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
                # Tasks, not jobs: a school's refresh after a save waits in the quick queue, the
                # full refresh after a registry job or a period's opening in the heavy one.
                "dashboard_refreshes_waiting": refreshes.get(name, 0),
            }
        )
    return report


def unserved_queues(now: datetime | None = None) -> list[dict[str, Any]]:
    """The queues no live worker serves (`queues_waiting`), for Pusdatin's warning: each with the
    kinds of the jobs waiting in it as people read them, most first ("2 Pemeriksaan pindaian
    SPTJM")."""
    return [
        {
            **q,
            "waiting_kinds": [
                (str(JOB_KINDS.get(kind, kind)), n)
                for kind, n in sorted(q["jobs_waiting_by_kind"].items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }
        for q in queues_waiting(now)
        if not q["workers"]
    ]


def queue_report(now: datetime | None = None) -> list[dict[str, Any]]:
    """`queues_waiting` for `verval jobs`: times as ISO text and seconds since the last beat."""
    now = now or timezone.now()
    return [
        {
            **q,
            "last_seen": q["last_seen"].isoformat() if q["last_seen"] else None,
            "seconds_since_seen": int((now - q["last_seen"]).total_seconds()) if q["last_seen"] else None,
        }
        for q in queues_waiting(now)
    ]


def _previews() -> Q:
    """Previews awaiting the school's click (`Job.awaits_apply`): no worker's business."""
    return Q(kind__in=AWAITS_APPLY_KINDS, state=Job.State.PENDING, queued_at__isnull=True) & ~Q(
        params__has_key="applied"
    )


def unfinished_jobs(limit: int = 100) -> list[dict[str, Any]]:
    """Jobs not finished (RUNNING first, then PENDING; oldest first), with their liveness.
    Previews not applied are left out (decision 0035): `previews_not_applied` counts them."""
    now = timezone.now()
    rows = [
        job_row(job, now)
        for state in (Job.State.RUNNING, Job.State.PENDING)
        for job in Job.objects.filter(state=state).exclude(_previews()).order_by("created_at")[:limit]
    ]
    return rows[:limit]


def previews_not_applied() -> int:
    """How many correction files wait for their school's click (they expire: decision 0035)."""
    return Job.objects.filter(_previews()).count()


def job_detail(job_id: Any) -> dict[str, Any] | None:
    job = Job.objects.filter(pk=job_id).first()
    return None if job is None else job_row(job)


def file_store_panel(user: Any) -> dict[str, Any] | None:
    """The file store as the last `verval files` listed it (`retention.panel`: its kinds, and the
    scans no row names, old enough for `verval files --prune --yes`), for Pusdatin only: the store
    is the whole nation's (decision 0120). None for anyone else, or when it was never listed. A
    page view never walks the store."""
    from verval.accounts.models import Role

    if getattr(user, "role", None) != Role.PUSDATIN or not getattr(user, "is_active", False):
        return None
    return retention.panel()


# --- the audit log (decision 0135) -----------------------------------------------------------------

AUDIT_PAGE_SIZE = 50
# The page's and the CSV's query parameters, by filter (Indonesian, as the other pages' `kabkota`,
# `kecamatan`, `hal`). None holds a phone number or a name: an account's user name, an NPSN, a
# provider's code, an action's code and dates (decision 0135).
AUDIT_PARAMS = {
    "action": "aksi",
    "user": "pengguna",
    "school": "npsn",
    "provider": "provider",
    "since": "dari",
    "until": "sampai",
}
ACTION_CODE = re.compile(r"[a-z0-9_]{1,64}")
NPSN = re.compile(r"[A-Za-z0-9]{8}")
USER_NAME = re.compile(r"[\w.@+-]{1,150}")

# A person's label for the actions read most; any other shows its code alone (the code is always
# shown: it is what `verval audit --action` and the API's `action` take).
ACTION_LABELS = {
    "change_number": gettext_lazy("Nomor diubah"),
    "confirm": gettext_lazy("Data dikonfirmasi"),
    "confirm_recipients": gettext_lazy("Penerima dikonfirmasi"),
    "bulk_correction": gettext_lazy("Perbaikan lewat berkas"),
    "import_dapodik": gettext_lazy("Impor Dapodik"),
    "validate": gettext_lazy("Validasi"),
    "publish_dump": gettext_lazy("Dump diterbitkan"),
    "ingest_match_results": gettext_lazy("Hasil pencocokan diterapkan"),
    "print_sptjm": gettext_lazy("SPTJM dicetak"),
    "upload_sptjm_scan": gettext_lazy("Pindaian SPTJM diunggah"),
    "approve_sptjm": gettext_lazy("SPTJM disetujui"),
    "return_sptjm": gettext_lazy("SPTJM dikembalikan"),
    "void_sptjm": gettext_lazy("SPTJM dibatalkan"),
    "submit_registration": gettext_lazy("Pendaftaran operator diajukan"),
    "approve_registration": gettext_lazy("Pendaftaran operator disetujui"),
    "reject_registration": gettext_lazy("Pendaftaran operator ditolak"),
    "create_staff_account": gettext_lazy("Akun dibuat"),
    "deactivate_user": gettext_lazy("Akun dinonaktifkan"),
    "reactivate_user": gettext_lazy("Akun diaktifkan kembali"),
    "open_period": gettext_lazy("Periode dibuka"),
    "close_period": gettext_lazy("Periode ditutup"),
    "issue_provider_token": gettext_lazy("Token API diterbitkan"),
    "revoke_provider_tokens": gettext_lazy("Token API dicabut"),
    "download_dump": gettext_lazy("Dump diunduh"),
    "download_region_school_list": gettext_lazy("Daftar sekolah wilayah diunduh"),
    "download_job_report": gettext_lazy("Laporan pekerjaan diunduh"),
    "download_audit_csv": gettext_lazy("Jejak audit diunduh"),
    "api_list_audit": gettext_lazy("Jejak audit dibaca lewat API"),
    "api_refused": gettext_lazy("Panggilan API ditolak"),
    "api_unauthenticated": gettext_lazy("Panggilan API tanpa token sah"),
}


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to. `before` (an audit row's id) pages the command line and
    the API: the rows older than that row, in the list's order."""

    action: str = ""
    user: str = ""
    school: str = ""
    provider: str = ""
    since: date | None = None
    until: date | None = None
    before: int | None = None

    def params(self) -> dict[str, str]:
        """The query string that keeps these filters (page links, the CSV link)."""
        out = {}
        for field, param in AUDIT_PARAMS.items():
            value = getattr(self, field)
            if value:
                out[param] = value.isoformat() if isinstance(value, date) else value
        return out

    def note(self) -> str:
        """The filters as an audit row's note says them (`download_audit_csv`)."""
        return " ".join(f"{k}={v}" for k, v in self.params().items()) or "semua"


def audit_filters(params: Any) -> tuple[AuditFilters, dict[str, str]]:
    """The filters a query string asks for and the refused ones, as {parameter: message}. A
    refused value is dropped (never echoed: one typed into the user field may be a number)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, param in AUDIT_PARAMS.items():
        raw = str(params.get(param, "") or "").strip()
        if not raw:
            continue
        try:
            values[field] = _audit_value(field, raw)
        except ValueError as exc:
            errors[param] = str(exc)
    if values.get("since") and values.get("until") and values["since"] > values["until"]:
        errors[AUDIT_PARAMS["until"]] = str(_("Tanggal akhir lebih awal dari tanggal mulai."))
        values.pop("until")
    return AuditFilters(**values), errors


def _audit_value(field: str, raw: str) -> Any:
    from verval.accounts.models import PROVIDER_CHOICES
    from verval.core.logging import masked_numbers

    if field in ("since", "until"):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(_("Tanggal tidak dikenal: tulis TTTT-BB-HH, misalnya 2020-09-15.")) from None
    if field == "action":
        if not ACTION_CODE.fullmatch(raw):
            raise ValueError(_("Kode aksi tidak dikenal."))
        return raw
    if field == "school":
        if not NPSN.fullmatch(raw):
            raise ValueError(_("NPSN terdiri atas 8 angka atau huruf."))
        return raw.upper()
    if field == "provider":
        if raw not in dict(PROVIDER_CHOICES):
            raise ValueError(_("Provider tidak dikenal."))
        return raw
    # The account's user name; a phone number is not one and is not kept (never in an address).
    if not USER_NAME.fullmatch(raw) or masked_numbers(raw) != raw:
        raise ValueError(_("Tulis nama akun (nama pengguna), bukan nama orang atau nomor ponsel."))
    return raw


def _day_start(day: date) -> datetime:
    from verval.reference import zones

    return datetime.combine(day, time.min, tzinfo=zones.programme_tz())


def filter_audit(qs: QuerySet[AuditEvent], f: AuditFilters) -> QuerySet[AuditEvent]:
    """`qs` narrowed by `f`, newest first. Dates are days of the programme's zone (WIB), both
    ends included. Each filter is an equality or a range on an indexed column (`at`, `action`,
    `school_id`; the user through its id), so a page reads its 51 rows off the `at` index."""
    from verval.accounts.models import User

    if f.action:
        qs = qs.filter(action=f.action)
    if f.user:
        qs = qs.filter(
            actor_id__in=list(User.objects.filter(username__iexact=f.user).values_list("pk", flat=True))
        )
    if f.school:
        qs = qs.filter(school_id=f.school)
    if f.provider:
        qs = qs.filter(provider=f.provider)
    if f.since:
        qs = qs.filter(at__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(at__lt=_day_start(f.until + timedelta(days=1)))
    if f.before is not None:
        anchor = AuditEvent.objects.filter(pk=f.before).values_list("at", flat=True).first()
        if anchor is None:
            qs = qs.filter(pk__lt=f.before)
        else:
            qs = qs.filter(Q(at__lt=anchor) | Q(at=anchor, pk__lt=f.before))
    return qs.order_by("-at", "-id")


def audit_events(user: Any, f: AuditFilters) -> QuerySet[AuditEvent]:
    """The audit rows `user` may read (`access.audit_for`), narrowed by `f`, newest first."""
    from verval.accounts import access

    return filter_audit(access.audit_for(user), f).select_related("actor")


AUDIT_ACTIONS_CACHE = "verval:audit-actions"


def audit_actions() -> list[str]:
    """The action codes the log holds, for the page's select: read once per 10 minutes (a new
    code shows up after at most that; typed into the address it filters at once). On PostgreSQL
    a loose scan of the `action` index (one probe per code), not a DISTINCT over every row."""
    from django.core.cache import cache
    from django.db import connection

    found = cache.get(AUDIT_ACTIONS_CACHE)
    if found is None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    """WITH RECURSIVE a(action) AS (
                        (SELECT action FROM core_auditevent ORDER BY action LIMIT 1)
                        UNION ALL
                        SELECT (SELECT action FROM core_auditevent WHERE action > a.action ORDER BY action LIMIT 1)
                        FROM a WHERE a.action IS NOT NULL)
                    SELECT action FROM a WHERE action IS NOT NULL"""
                )
                found = [row[0] for row in cursor.fetchall()]
        else:
            found = list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
        cache.set(AUDIT_ACTIONS_CACHE, found, 600)
    return found


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label else ""


def compact(value: Any) -> str:
    """A stored before/after value as one short line: JSON as written (already masked)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True, default=str)


AUDIT_COLUMNS = [
    "id",
    "waktu",
    "pengguna",
    "lewat",
    "aksi",
    "objek",
    "id_objek",
    "npsn",
    "kode_wilayah",
    "provider",
    "sebelum",
    "sesudah",
    "catatan",
    "ip",
]


def audit_row(e: AuditEvent, *, with_ip: bool) -> dict[str, Any]:
    """One audit row as the command line and the CSV give it (English keys for `--json`)."""
    return {
        "id": e.pk,
        "at": e.at.isoformat(),
        "user": e.actor.username if e.actor_id and e.actor else "",
        # Where the row came from (decision 0138): web, api, cli:<OS login>, job:<origin>, system;
        # "" for a row written before it.
        "via": e.via,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "school_id": e.school_id,
        "region_code": e.region_code,
        "provider": e.provider,
        "before": e.before,
        "after": e.after,
        "note": e.note,
        "ip": e.ip if with_ip else None,
    }


def audit_csv_rows(qs: QuerySet[AuditEvent], *, with_ip: bool) -> Iterator[list[Any]]:
    """The CSV's rows under AUDIT_COLUMNS, read 2,000 at a time (constant memory at any size); the
    time in the programme's zone (WIB) with its offset."""
    from verval.reference import zones

    tz = zones.programme_tz()
    for e in qs.iterator(chunk_size=2000):
        r = audit_row(e, with_ip=with_ip)
        yield [
            r["id"],
            e.at.astimezone(tz).isoformat(timespec="seconds"),
            r["user"],
            r["via"],
            r["action"],
            r["object_type"],
            r["object_id"],
            r["school_id"],
            r["region_code"],
            r["provider"],
            compact(r["before"]),
            compact(r["after"]),
            r["note"],
            r["ip"] or "",
        ]
