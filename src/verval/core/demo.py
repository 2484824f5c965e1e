"""The demo data set: a few kabupaten/kota, ~100 schools, ~30,000 students and teachers, one account
per role, an open period, and one round played with the provider simulator so that residue shows."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

from verval.accounts.models import Role, User
from verval.core import files
from verval.reference.models import Period, QuotaPolicy, School
from verval.registry.models import Recipient

DEMO_PASSWORD = "verval-demo-2020"


def _quiet(name: str, *args: Any) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def is_loaded() -> bool:
    return User.objects.filter(username="pusdatin").exists()


def load(
    *,
    password: str = DEMO_PASSWORD,
    students: int = 28000,
    teachers: int = 2000,
    seed: int = 2020,
    play_round: bool = True,
) -> dict[str, Any]:
    from verval.imports.actions import import_file
    from verval.imports.synth import write_cutoff

    _, path = files.new_path("demo", ".csv")
    write_cutoff(path, students=students, teachers=teachers, seed=seed, regencies=3, schools=100)
    job = import_file(path)
    if job.state != job.State.SUCCEEDED:
        raise RuntimeError(f"demo import refused: {job.error_code}")
    accounts = _accounts(password)
    _period()
    steps: dict[str, Any] = {"import": job.counts}
    if play_round:
        steps["validate"] = _quiet("validate", "--json").strip().splitlines()[-1]
        steps["dump"] = _quiet("dump", "--json").strip().splitlines()[-1]
        steps["simulate"] = _quiet("simulate_providers", "--json").strip().splitlines()[-1]
        # Printing and reading SPTJM scans takes a while: the worker plays steps 8-12 once the
        # server is up, so that the pages (with residue) are there at once.
        from verval.core.tasks import demo_sptjm_round_task

        demo_sptjm_round_task.enqueue(accounts[Role.OPERATOR]["scope"])
        steps["disbursement"] = "queued"
    return {"accounts": accounts, "password": password, "steps": steps}


def sptjm_round(*, keep_npsn: str, schools: int = 8) -> dict[str, Any]:
    """Steps 8-12 for a few schools: print, upload the signed scan (here: the printed PDF itself,
    whose QR the upload check reads), approve, disburse, and let the simulated providers inject.
    The demo operator's own school is left before printing so that a visitor can do it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from verval.core import jobs
    from verval.sptjm import actions as sptjm_actions
    from verval.sptjm.reasons import ActionRefused
    from verval.sptjm.simulator import simulate_injection

    # The worker may play this on a later day than the demo was loaded: the open period it made.
    period = Period.objects.filter(is_open=True, name__endswith=_DEMO_PERIOD_SUFFIX).latest("starts_on")
    pusdatin = User.objects.get(username="pusdatin")
    candidates = (
        School.objects.exclude(npsn=keep_npsn)
        .annotate(n=Count("recipients", filter=Q(recipients__status="AKTIF", recipients__active=True)))
        .filter(n__gt=0)
        .order_by("-n", "npsn")[:schools]
    )
    approved = 0
    for school in candidates:
        operator, _ = User.objects.get_or_create(
            username=f"op-{school.npsn}",
            defaults={"role": Role.OPERATOR, "school": school, "is_active": True},
        )
        try:
            sptjm, _ = sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
        except ActionRefused:  # a second `verval demo`: this school's round is played already
            continue
        scan = files.absolute(sptjm.pdf_path).read_bytes()
        upload = SimpleUploadedFile("sptjm-ttd.pdf", scan, content_type="application/pdf")
        result = sptjm_actions.upload_scan(actor=operator, sptjm_id=sptjm.pk, upload=upload)
        sptjm_actions.approve_sptjm(actor=pusdatin, sptjm_id=result.sptjm.pk)
        approved += 1
    job = sptjm_actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False)
    job = jobs.run(job.pk)
    injected = simulate_injection(period.code)
    return {
        "sptjm_disetujui": approved,
        "penyaluran": job.counts,
        "injeksi": {k: injected[k] for k in ("batches", "rows", "berhasil", "gagal")},
    }


def _demo_school() -> School:
    # A school where a number serves more recipients than the rule allows (SPEC §5), so that the
    # tour's "shared number" flag shows on the operator's own list: the largest primary school
    # among them, else the largest of them, else the largest primary school.
    from django.conf import settings

    limit = settings.VERVAL["SHARED_NUMBER_LIMIT"]
    shared = [
        row["phone_e164"]
        for row in Recipient.objects.filter(active=True)
        .exclude(phone_e164="")
        .values("phone_e164")
        .annotate(n=Count("pk"))
        .filter(n__gt=limit)
    ]
    with_shared = set(
        Recipient.objects.filter(active=True, phone_e164__in=shared).values_list("school_id", flat=True)
    )
    schools = School.objects.annotate(n=Count("recipients", filter=Q(recipients__active=True))).order_by(
        "-n", "npsn"
    )
    school = (
        schools.filter(npsn__in=with_shared, bentuk="SD").first()
        or schools.filter(npsn__in=with_shared).first()
        or schools.filter(bentuk="SD").first()
    )
    return school or School.objects.order_by("npsn")[0]


@transaction.atomic
def _accounts(password: str) -> dict[str, dict[str, str]]:
    school = _demo_school()
    specs: list[tuple[str, str, dict[str, Any]]] = [
        ("pusdatin", Role.PUSDATIN, {}),
        ("dinas.prov", Role.DINAS_PROV, {"region_id": school.province_id}),
        ("dinas.kab", Role.DINAS_KAB, {"region_id": school.regency_id}),
        ("operator", Role.OPERATOR, {"school": school}),
        ("telkomsel", Role.PROVIDER, {"provider": "telkomsel"}),
    ]
    out: dict[str, dict[str, str]] = {}
    for username, role, scope in specs:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"role": role, "email": f"{username}@demo.verval.local", **scope}
        )
        user.set_password(password)
        user.save()
        where = (
            scope.get("region_id") or getattr(scope.get("school"), "npsn", "") or scope.get("provider", "")
        )
        out[role] = {"username": username, "password": password, "scope": str(where)}
    return out


_MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


_DEMO_PERIOD_SUFFIX = " (demo, kebijakan kuota 2020)"


def demo_period_code(today: dt.date | None = None) -> str:
    """The demo's round is dated around the day the demo is loaded, so it is named after that
    month (a period named "September 2020" with this month's deadlines misled visitors); it
    applies the 2020 quota policy, whose two kinds of quota show more of the product."""
    today = today or dt.date.today()
    return f"{today:%Y-%m}-T1"


def _period() -> None:
    today = dt.date.today()
    Period.objects.get_or_create(
        code=demo_period_code(today),
        defaults={
            "name": f"{_MONTHS_ID[today.month - 1]} {today.year} tahap 1{_DEMO_PERIOD_SUFFIX}",
            "policy": QuotaPolicy.objects.get(code="2020"),
            "starts_on": today - dt.timedelta(days=7),
            "ends_on": today + dt.timedelta(days=21),
            "sptjm_print_deadline": today + dt.timedelta(days=7),
            "sptjm_upload_deadline": today + dt.timedelta(days=10),
            "handover_on": today + dt.timedelta(days=14),
            "is_open": True,
        },
    )


def demo_api_token() -> str:
    """A fresh API token for the demo provider (tokens are stored hashed, so a new one is issued
    each time the demo starts; the previous demo token is revoked, the provider's others stay)."""
    from verval.exchange.actions import issue_token

    _, token = issue_token(actor=None, provider="telkomsel", label="demo", rotate=False)
    return token


def accounts_summary(password: str | None = None) -> dict[str, dict[str, str]]:
    out = {}
    for user in User.objects.filter(
        username__in=["pusdatin", "dinas.prov", "dinas.kab", "operator", "telkomsel"]
    ).order_by("id"):
        scope = user.school_id or user.region_id or user.provider or ""
        out[user.role] = {"username": user.username, "password": password or DEMO_PASSWORD, "scope": scope}
    return out
