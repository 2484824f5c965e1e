"""The daily digest by e-mail (`verval notify`, decision 0043).

What changed for each school since its last digest is read with a handful of set-based queries
(GROUP BY school over the rows changed in a window), never one query per school: at 430,000
schools the run must stay minutes, not hours. Mails carry counts and links only: no phone number,
no recipient's name (those stay behind the sign-in).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from verval.accounts import actions
from verval.accounts.models import Digest, Role, User
from verval.core.chunks import chunks
from verval.core.numbers import grouped

# Changes older than this are never reported, also to a school whose last digest is older: the
# scan of the changed rows is bounded by it (a cron that stopped for longer loses the rest).
LOOKBACK_DAYS = 7
# A deadline this many days ahead or fewer (0: today is the last day) is "near".
DEADLINE_NEAR_DAYS = 3
# Mails handed to the mail server per send_messages call, and recorded per transaction.
SEND_BATCH = 200

# The school's own documents of the period, as the late-schools page reads them (its SchoolSptjm
# row, copied into the summary): recipients carried from an earlier period's SPTJM (2021) or
# locked by another period's live one are nothing to print, a document printed or returned and
# not uploaded is to upload whatever other documents the school has (SchoolSummary.has_to_print,
# has_returned and has_printed_not_uploaded; decisions 0116, 0119).
TO_PRINT = "(s.sptjm_to_print > 0)"
TO_UPLOAD = "(s.sptjm_state IN ('DICETAK', 'DIKEMBALIKAN'))"


@dataclass
class SchoolChanges:
    npsn: str
    residue: dict[str, int] = field(default_factory=dict)
    format_salah: int = 0
    failed: int = 0
    # ("CETAK" | "UNGGAH", deadline) when that deadline is near and the school still has to act.
    deadlines: list[tuple[str, date]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.residue:
            out["residu"] = dict(sorted(self.residue.items()))
        if self.format_salah:
            out["format_salah"] = self.format_salah
        if self.failed:
            out["gagal"] = self.failed
        if self.deadlines:
            out["tenggat"] = [kind for kind, _d in self.deadlines]
        return out


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _dt(value: datetime) -> Any:
    # The stored form: on SQLite a naive UTC text that compares as stored (a raw aware datetime
    # would be written with its offset and compare wrongly).
    return connection.ops.adapt_datetimefield_value(value)


def window(as_of: date, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(earliest change reported, end of the changes) for a run "as of" a day: today up to now
    (or the start of the oldest running job), an earlier day up to its end (WIB)."""
    from django.db.models import Min

    from verval.core.models import Job

    now = now or timezone.now()
    if as_of >= timezone.localdate(now):
        # A running job's changes are stamped from its start but invisible until it commits: end
        # the window there, or the next digest (starting here) would never see them.
        running = Job.objects.filter(state=Job.State.RUNNING).aggregate(at=Min("started_at"))["at"]
        until = min(now, running) if running else now
    else:
        until = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))
    return until - timedelta(days=LOOKBACK_DAYS), until


def _since_join(alias: str, school_col: str, floor: datetime, day: date) -> tuple[str, list[Any]]:
    """A LEFT JOIN giving each school's watermark (`w.since`): the end of its latest digest within
    the look-back window, before `day`. A school without one gets the window's start."""
    sql = (
        f" LEFT JOIN (SELECT school_id, MAX(until) AS since FROM {_table(Digest)}"  # noqa: S608
        " WHERE kind = 'SEKOLAH' AND day >= %s AND day < %s GROUP BY school_id) w"
        f" ON w.school_id = {alias}.{school_col}"
    )
    return sql, [floor.date() - timedelta(days=1), day]


def school_changes(*, day: date, floor: datetime, until: datetime) -> dict[str, SchoolChanges]:
    """npsn -> what changed since the school's last digest (four GROUP BY queries, one per kind,
    plus one over the dashboard's per-school summary for the deadlines)."""
    from verval.dashboard.models import SchoolSummary
    from verval.exchange.models import DumpBatch, DumpItem
    from verval.registry.models import NumberStatus, Recipient, ResidueReason
    from verval.sptjm.models import Disbursement, DisbursementStatus

    out: dict[str, SchoolChanges] = {}

    def school(npsn: str) -> SchoolChanges:
        return out.setdefault(npsn, SchoolChanges(npsn))

    lo, hi = _dt(floor), _dt(until)
    reasons = list(ResidueReason.values)
    with connection.cursor() as cur:
        # Residue: answered dump rows that moved the recipient (`applied`), read only from the
        # batches answered in the window (their rows through the batch index), and still residue
        # now, as FORMAT_SALAH below: a number the school already corrected is not news, and the
        # mail's count must be what its link lists.
        join, jp = _since_join("i", "npsn", floor, day)
        cur.execute(
            f"SELECT i.npsn, i.result, COUNT(*) FROM {_table(DumpItem)} i"  # noqa: S608
            f" JOIN {_table(Recipient)} r ON r.id = i.recipient_id AND r.active AND r.status = %s{join}"
            f" WHERE i.batch_id IN (SELECT id FROM {_table(DumpBatch)} WHERE last_result_at >= %s)"
            f" AND i.applied AND i.result IN ({','.join(['%s'] * len(reasons))})"
            " AND i.answered_at >= COALESCE(w.since, %s) AND i.answered_at < %s"
            " GROUP BY i.npsn, i.result",
            [NumberStatus.RESIDU, *jp, lo, *reasons, lo, hi],
        )
        for npsn, reason, n in cur.fetchall():
            school(npsn).residue[reason] = n
        # Numbers a validation run (or a correction) put in FORMAT_SALAH and still there.
        join, jp = _since_join("r", "school_id", floor, day)
        cur.execute(
            f"SELECT r.school_id, COUNT(*) FROM {_table(Recipient)} r{join}"  # noqa: S608
            " WHERE r.active AND r.status = %s AND r.status_changed_at >= %s"
            " AND r.status_changed_at >= COALESCE(w.since, %s) AND r.status_changed_at < %s"
            " GROUP BY r.school_id",
            [*jp, NumberStatus.FORMAT_SALAH, lo, lo, hi],
        )
        for npsn, n in cur.fetchall():
            school(npsn).format_salah = n
        # Injections the provider reported failed (the row is updated when the result arrives).
        join, jp = _since_join("d", "school_id", floor, day)
        cur.execute(
            f"SELECT d.school_id, COUNT(*) FROM {_table(Disbursement)} d{join}"  # noqa: S608
            " WHERE d.status = %s AND d.updated_at >= %s"
            " AND d.updated_at >= COALESCE(w.since, %s) AND d.updated_at < %s"
            " GROUP BY d.school_id",
            [*jp, DisbursementStatus.GAGAL, lo, lo, hi],
        )
        for npsn, n in cur.fetchall():
            school(npsn).failed = n
        # Deadlines: the open period's, from the per-school summary the dashboard keeps.
        for kind, deadline, condition in near_deadlines(day):
            cur.execute(
                f"SELECT s.school_id FROM {_table(SchoolSummary)} s WHERE {condition}"  # noqa: S608
            )
            for (npsn,) in cur.fetchall():
                school(npsn).deadlines.append((kind, deadline))
    return out


def _open_period() -> Any:
    from verval.dashboard import services
    from verval.reference.models import Period

    return Period.objects.filter(code=services.current_period_code(), is_open=True).first()


def near_deadlines(day: date) -> list[tuple[str, date, str]]:
    """[(kind, deadline, SQL condition on SchoolSummary `s`)] of the open period's deadlines that
    fall within DEADLINE_NEAR_DAYS of `day` (not passed)."""
    period = _open_period()
    out: list[tuple[str, date, str]] = []
    if period is None:
        return out
    for kind, deadline, condition in (
        ("CETAK", period.sptjm_print_deadline, TO_PRINT),
        ("UNGGAH", period.sptjm_upload_deadline, TO_UPLOAD),
    ):
        if deadline and 0 <= (deadline - day).days <= DEADLINE_NEAR_DAYS:
            out.append((kind, deadline, condition))
    return out


def region_late_counts(day: date) -> dict[str, tuple[int, int]]:
    """region code (regency and province) -> (schools late, schools at risk) for the open period:
    late = past a deadline with something still to print or upload; at risk = a deadline within
    DEADLINE_NEAR_DAYS and still something to do. Two GROUP BY queries over SchoolSummary."""
    from verval.dashboard.models import SchoolSummary

    period = _open_period()
    if period is None:
        return {}
    late, risk = [], []
    for deadline, condition in (
        (period.sptjm_print_deadline, TO_PRINT),
        (period.sptjm_upload_deadline, TO_UPLOAD),
    ):
        if not deadline:
            continue
        if day > deadline:
            late.append(condition)
        elif (deadline - day).days <= DEADLINE_NEAR_DAYS:
            risk.append(condition)
    late_sql = " OR ".join(late) or "1 = 0"
    risk_sql = f"({' OR '.join(risk) or '1 = 0'}) AND NOT ({late_sql})"
    out: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cur:
        for column in ("regency", "province"):
            cur.execute(
                f"SELECT s.{column}, SUM(CASE WHEN {late_sql} THEN 1 ELSE 0 END),"  # noqa: S608
                f" SUM(CASE WHEN {risk_sql} THEN 1 ELSE 0 END)"
                f" FROM {_table(SchoolSummary)} s GROUP BY s.{column}"
            )
            for code, n_late, n_risk in cur.fetchall():
                out[code] = (int(n_late or 0), int(n_risk or 0))
    return out


# --- mails -----------------------------------------------------------------------------------------


def _date(d: date) -> str:
    return formats.date_format(d, "j F Y")


def _one_line(name: str) -> str:
    # A name from a Dapodik file may hold a line break: in a subject the mail library refuses it
    # (BadHeaderError), which stopped the whole run and every mail after it (decision 0045).
    return " ".join(name.split())


def school_mail(changes: SchoolChanges, school_name: str, day: date) -> tuple[str, str]:
    """(subject, body) in the default language; counts and links only."""
    from verval.registry.models import ResidueReason

    labels = dict(ResidueReason.choices)
    school_url = actions.absolute_url(reverse("registry:school", args=[changes.npsn]))
    sptjm_url = actions.absolute_url(reverse("sptjm:school", args=[changes.npsn]))
    short: list[str] = []
    lines: list[str] = []
    total_residue = sum(changes.residue.values())
    if total_residue:
        short.append(_("%(n)s nomor residu baru") % {"n": grouped(total_residue)})
        lines.append(_("- %(n)s nomor residu baru dari provider:") % {"n": grouped(total_residue)})
        for reason, n in sorted(changes.residue.items()):
            lines.append(
                f"  - {labels.get(reason, reason)}: {grouped(n)}\n    {school_url}?status=RESIDU&alasan={reason}"
            )
    if changes.format_salah:
        short.append(_("%(n)s format tidak valid") % {"n": grouped(changes.format_salah)})
        lines.append(
            _("- %(n)s nomor dengan format tidak valid setelah validasi:\n  %(link)s")
            % {"n": grouped(changes.format_salah), "link": f"{school_url}?status=FORMAT_SALAH"}
        )
    if changes.failed:
        short.append(_("%(n)s injeksi gagal") % {"n": grouped(changes.failed)})
        lines.append(
            _("- %(n)s penerima gagal menerima injeksi kuota:\n  %(link)s")
            % {"n": grouped(changes.failed), "link": f"{school_url}?injeksi=gagal"}
        )
    for kind, deadline in changes.deadlines:
        days = (deadline - day).days
        if kind == "CETAK":
            short.append(_("batas cetak SPTJM %(date)s") % {"date": _date(deadline)})
            text = _("- Batas cetak SPTJM %(date)s (%(days)s hari lagi) dan masih ada yang perlu dicetak:")
        else:
            short.append(_("batas unggah SPTJM %(date)s") % {"date": _date(deadline)})
            text = _("- Batas unggah SPTJM %(date)s (%(days)s hari lagi) dan pindaian belum diunggah:")
        lines.append(text % {"date": _date(deadline), "days": days} + f"\n  {sptjm_url}")
    subject = f"[Verval Ponsel] {_one_line(school_name)}: {', '.join(short)}"
    account_url = actions.absolute_url(reverse("accounts:my_account"))
    body = "\n".join(
        [
            _("Ringkasan harian Verval Ponsel untuk %(school)s (NPSN %(npsn)s), %(date)s.")
            % {"school": school_name, "npsn": changes.npsn, "date": _date(day)},
            "",
            _("Sejak ringkasan sebelumnya:"),
            *lines,
            "",
            _(
                "Masuk untuk melihat dan memperbaiki datanya. Ringkasan ini dikirim paling banyak sekali sehari, hanya bila ada yang baru; matikan di halaman akun Anda:"
            ),
            account_url,
        ]
    )
    return subject, body


def dinas_mail(region_name: str, late: int, risk: int, day: date) -> tuple[str, str]:
    behind_url = actions.absolute_url(reverse("dashboard:behind"))
    account_url = actions.absolute_url(reverse("accounts:my_account"))
    subject = _("[Verval Ponsel] %(region)s: %(late)s sekolah terlambat, %(risk)s berisiko") % {
        "region": _one_line(region_name),
        "late": grouped(late),
        "risk": grouped(risk),
    }
    body = "\n".join(
        [
            _("Ringkasan harian Verval Ponsel untuk %(region)s, %(date)s.")
            % {"region": region_name, "date": _date(day)},
            "",
            _("- %(n)s sekolah lewat tenggat SPTJM periode ini dan masih harus mencetak atau mengunggah.")
            % {"n": grouped(late)},
            _("- %(n)s sekolah dengan tenggat dalam %(days)s hari dan masih harus mencetak atau mengunggah.")
            % {"n": grouped(risk), "days": DEADLINE_NEAR_DAYS},
            "",
            _("Daftar sekolah yang perlu dikejar:"),
            behind_url,
            "",
            _("Matikan ringkasan ini di halaman akun Anda:"),
            account_url,
        ]
    )
    return subject, body


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    message: EmailMessage
    entry: actions.DigestEntry


def _school_outgoing(day: date, floor: datetime, until: datetime) -> tuple[list[Outgoing], int]:
    from verval.reference.models import School

    changes = school_changes(day=day, floor=floor, until=until)
    done = set(Digest.objects.filter(kind=Digest.Kind.SCHOOL, day=day).values_list("school_id", flat=True))
    to: dict[str, list[str]] = defaultdict(list)
    operators = (
        User.objects.filter(role=Role.OPERATOR, is_active=True, digest_enabled=True)
        .exclude(email="")
        .order_by("school_id", "pk")
        .values_list("school_id", "email")
    )
    for npsn, email in operators.iterator(chunk_size=5000):
        if npsn in changes and npsn not in done:
            to[npsn].append(email)
    npsns = sorted(to)
    names: dict[str, str] = {}
    for chunk in chunks(npsns, 1000):
        names.update(School.objects.filter(npsn__in=chunk).values_list("npsn", "name"))
    out = []
    for npsn in npsns:
        subject, body = school_mail(changes[npsn], names.get(npsn, npsn), day)
        out.append(
            Outgoing(
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to[npsn]),
                actions.DigestEntry(kind=Digest.Kind.SCHOOL, school_id=npsn, counts=changes[npsn].counts()),
            )
        )
    return out, len(changes)


def _dinas_outgoing(day: date) -> list[Outgoing]:
    from verval.reference.models import Region

    counts = region_late_counts(day)
    done = set(Digest.objects.filter(kind=Digest.Kind.DINAS, day=day).values_list("user_id", flat=True))
    users = (
        User.objects.filter(role__in=[Role.DINAS_KAB, Role.DINAS_PROV], is_active=True, digest_enabled=True)
        .exclude(email="")
        .exclude(pk__in=done)
        .order_by("pk")
    )
    names, levels = {}, {}
    for code, name, level in Region.objects.filter(
        level__in=[Region.Level.REGENCY, Region.Level.PROVINCE]
    ).values_list("code", "name", "level"):
        names[code], levels[code] = name, level
    # The counts hold regencies and provinces alike; a Dinas reads only the level its role sees
    # (access scopes a kab/kota account by regency): a kab/kota account holding a province's
    # code would otherwise hear of the whole province (decision 0045).
    role_level = {
        str(Role.DINAS_KAB): int(Region.Level.REGENCY),
        str(Role.DINAS_PROV): int(Region.Level.PROVINCE),
    }
    out = []
    for user in users:
        if levels.get(user.region_id or "") != role_level[str(user.role)]:
            continue
        late, risk = counts.get(user.region_id or "", (0, 0))
        if not (late or risk):
            continue
        subject, body = dinas_mail(names.get(user.region_id or "", user.region_id or ""), late, risk, day)
        out.append(
            Outgoing(
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]),
                actions.DigestEntry(
                    kind=Digest.Kind.DINAS, user_id=user.pk, counts={"terlambat": late, "berisiko": risk}
                ),
            )
        )
    return out


def run(
    *, actor: Any, as_of: date, only: str = "", dry_run: bool = False, now: datetime | None = None
) -> dict[str, Any]:
    """Compose and send the day's digests; record each sent one (decision 0043). Returns counts."""
    floor, until = window(as_of, now)
    outgoing: list[Outgoing] = []
    changed = 0
    with override(settings.LANGUAGE_CODE):
        if only in ("", "operators"):
            school_out, changed = _school_outgoing(as_of, floor, until)
            outgoing += school_out
        if only in ("", "dinas"):
            outgoing += _dinas_outgoing(as_of)
    counts: dict[str, Any] = {
        "date": as_of.isoformat(),
        "until": until.isoformat(),
        "dry_run": dry_run,
        "schools_changed": changed,
        "school_mails": sum(1 for o in outgoing if o.entry.kind == Digest.Kind.SCHOOL),
        "dinas_mails": sum(1 for o in outgoing if o.entry.kind == Digest.Kind.DINAS),
        "sent": 0,
    }
    if dry_run or not outgoing:
        return counts
    sent = 0
    with get_connection() as conn:
        for batch in chunks(outgoing, SEND_BATCH):
            # Sent first, then recorded: a crash in between sends that batch again tomorrow
            # rather than never (the record is what makes a second run the same day quiet).
            conn.send_messages([o.message for o in batch])
            actions.record_digests(actor=actor, day=as_of, until=until, entries=[o.entry for o in batch])
            sent += len(batch)
    counts["sent"] = sent
    return counts
