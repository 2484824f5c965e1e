"""The demo data set: a few kabupaten/kota, ~100 schools, ~30,000 students and teachers, one account
per role, an open period, and one round played with the provider simulator so that residue shows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sys
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

from verval.accounts.models import PROVIDER_CODES, Role, User
from verval.core import files
from verval.reference.models import Period, QuotaPolicy, Region, School
from verval.registry.models import Recipient

DEMO_PASSWORD = "verval-demo-2020"

# The provider whose token `make run` prints: the demo leaves it real work for the provider kit
# (decision 0057), the rest of the round is answered by the simulator.
DEMO_PROVIDER = "telkomsel"
# How many of that provider's residue numbers the demo's schools correct after the round: a
# delta dump the kit's sync has to answer (a handful per school, as after a school's first pass).
KIT_CORRECTIONS = 40
# The file store's folder of what the kit works with (never pruned: core.retention.KINDS).
KIT_FOLDER = "demo-provider"


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
    period = _period()
    steps: dict[str, Any] = {"import": job.counts}
    if play_round:
        steps["validate"] = _quiet("validate", "--json").strip().splitlines()[-1]
        steps["dump"] = _quiet("dump", "--json").strip().splitlines()[-1]
        steps["simulate"] = _quiet("simulate_providers", "--json").strip().splitlines()[-1]
        steps["kit"] = leave_work_for_the_kit(keep_npsn=accounts[Role.OPERATOR]["scope"])
        # Printing and reading SPTJM scans takes a while: the worker plays steps 8-12 once the
        # server is up, so that the pages (with residue) are there at once.
        from verval.core.tasks import demo_sptjm_round_task

        # The period goes by its code (its key): a name Pusdatin edits in the meantime changes nothing.
        demo_sptjm_round_task.enqueue(accounts[Role.OPERATOR]["scope"], period.code)
        steps["disbursement"] = "queued"
    return {"accounts": accounts, "password": password, "steps": steps}


def sptjm_round(*, keep_npsn: str, period_code: str, schools: int = 8) -> dict[str, Any]:
    """Steps 8-12 for a few schools: print, upload the signed scan (here: the printed PDF itself,
    whose QR the upload check reads), approve, disburse, and let the simulated providers inject.
    The demo operator's own school is left before printing so that a visitor can do it.

    One of the schools is approved after the first hand-over and handed over on its own, as
    Pusdatin does when more schools are approved; the demo provider's batch of that second
    hand-over is left for the provider kit (decision 0057). The demo provider's first batch is
    injected from the kit's workdir, so that the kit's `send-recap` finds the whole period."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from verval.sptjm import actions as sptjm_actions
    from verval.sptjm.models import DisbursementBatch
    from verval.sptjm.reasons import ActionRefused

    # The period the demo made, by its code: the worker may play this on a later day (another
    # month: demo_period_code would name another one), and its name may have been edited since.
    period = Period.objects.get(code=period_code)
    pusdatin = User.objects.get(username="pusdatin")
    candidates = (
        School.objects.exclude(npsn=keep_npsn)
        .annotate(n=Count("recipients", filter=Q(recipients__status="AKTIF", recipients__active=True)))
        .filter(n__gt=0)
        .order_by("-n", "npsn")[:schools]
    )
    uploaded = []
    for school in candidates:
        operator = _school_operator(school)
        try:
            sptjm, _ = sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
        except ActionRefused:  # a second `verval demo`: this school's round is played already
            continue
        scan = files.absolute(sptjm.pdf_path).read_bytes()
        upload = SimpleUploadedFile("sptjm-ttd.pdf", scan, content_type="application/pdf")
        result = sptjm_actions.upload_scan(actor=operator, sptjm_id=sptjm.pk, upload=upload)
        uploaded.append(result.sptjm)
    # The last school with a number of the demo provider waits for the second hand-over.
    later = None
    if len(uploaded) > 1:  # a first hand-over needs a school of its own
        later = next(
            (
                doc
                for doc in reversed(uploaded)
                if doc.items.filter(recipient__operator=DEMO_PROVIDER).exists()
            ),
            None,
        )
    first = [doc for doc in uploaded if doc is not later]
    for doc in first:
        sptjm_actions.approve_sptjm(actor=pusdatin, sptjm_id=doc.pk)
    counts = _hand_over(pusdatin, period.code)
    injected = _inject(period.code, providers=None)
    left: list[str] = []
    out: dict[str, Any] = {}
    if later is not None:
        sptjm_actions.approve_sptjm(actor=pusdatin, sptjm_id=later.pk)
        out["penyaluran_kedua"] = _hand_over(pusdatin, period.code)
        others = [code for code in PROVIDER_CODES if code != DEMO_PROVIDER]
        for key, value in _inject(period.code, providers=others).items():
            injected[key] += value
        left = sorted(
            str(pk)
            for pk in DisbursementBatch.objects.filter(
                period_id=period.code, provider=DEMO_PROVIDER, state=DisbursementBatch.State.TERBIT
            ).values_list("pk", flat=True)
        )
    return {
        "sptjm_disetujui": len(uploaded),
        "penyaluran": counts,
        **out,
        "injeksi": injected,
        "untuk_kit": left,
    }


def _hand_over(pusdatin: User, period_code: str) -> dict[str, Any]:
    from verval.core import jobs
    from verval.sptjm import actions as sptjm_actions

    job = sptjm_actions.request_disbursement(actor=pusdatin, period_code=period_code, enqueue=False)
    return dict(jobs.run(job.pk).counts)


def _inject(period_code: str, *, providers: list[str] | None) -> dict[str, int]:
    """The simulated providers inject; the demo provider from the kit's workdir (kit_paths)."""
    from verval.sptjm.simulator import simulate_injection

    codes = providers if providers is not None else list(PROVIDER_CODES)
    runs = []
    if DEMO_PROVIDER in codes:
        runs.append(
            simulate_injection(period_code, providers=[DEMO_PROVIDER], workdir=files.root() / KIT_FOLDER)
        )
    if rest := [code for code in codes if code != DEMO_PROVIDER]:
        runs.append(simulate_injection(period_code, providers=rest))
    return {k: sum(run[k] for run in runs) for k in ("batches", "rows", "berhasil", "gagal")}


def _school_operator(school: School) -> User:
    operator, _ = User.objects.get_or_create(
        username=f"op-{school.npsn}",
        defaults={"role": Role.OPERATOR, "school": school, "is_active": True},
    )
    return operator


def kit_paths() -> dict[str, Path]:
    """Where the demo provider's subscriber export and the kit's workdir live (the file store,
    under var/ by default)."""
    root = files.root() / KIT_FOLDER
    return {"subscribers": root / f"{DEMO_PROVIDER}-subscribers.csv", "workdir": root / DEMO_PROVIDER}


def _corrected_number(recipient_id: Any, taken: set[str]) -> str:
    """A new, unused number of the demo provider, the same for a recipient on every load."""
    from verval.registry.actions import parse_number

    for salt in range(20):
        digest = hashlib.blake2b(f"demo-kit:{recipient_id}:{salt}".encode(), digest_size=8).digest()
        new = parse_number(f"0812{int.from_bytes(digest, 'big') % 10**8:08d}")
        if (
            not new.reason
            and new.operator == DEMO_PROVIDER
            and new.e164 not in taken
            and not Recipient.objects.filter(phone_e164=new.e164).exists()
        ):
            taken.add(new.e164)
            return new.raw
    raise RuntimeError("no unused demo number found")


def leave_work_for_the_kit(*, keep_npsn: str, corrections: int = KIT_CORRECTIONS) -> dict[str, Any]:
    """After the simulated round, leave the demo provider a dump to answer with its kit: the
    demo's schools correct some of its residue numbers (as an operator does inline), Pusdatin
    validates and publishes the delta, and nobody answers it. The provider's subscriber export
    (the simulator's subscriber database, every number it was ever sent) is written beside it."""
    from verval.exchange.simulator import write_subscribers
    from verval.registry.actions import change_number
    from verval.registry.models import NumberStatus

    residue = (
        Recipient.objects.filter(
            active=True, status=NumberStatus.RESIDU, operator=DEMO_PROVIDER, locked=False
        )
        .exclude(school_id=keep_npsn)
        .select_related("school")
        .order_by("school_id", "id")[:corrections]
    )
    taken: set[str] = set()
    corrected = 0
    for recipient in residue:
        change_number(
            actor=_school_operator(recipient.school),
            recipient_id=recipient.pk,
            new_raw=_corrected_number(recipient.pk, taken),
            expected_version=recipient.version,
        )
        corrected += 1
    out: dict[str, Any] = {"corrected": corrected, "batch": "", "rows": 0}
    if corrected:
        _quiet("validate", "--json")
        dumped = json.loads(_quiet("dump", "--provider", DEMO_PROVIDER, "--json").strip().splitlines()[-1])
        for batch in dumped["batches"]:
            out.update(batch=batch["id"], rows=batch["rows"])
    paths = kit_paths()
    out["subscribers"] = write_subscribers(DEMO_PROVIDER, paths["subscribers"])
    return out


def kit_program() -> str:
    """The kit's command as this installation has it (`make run` does not put .venv/bin on PATH)."""
    beside = Path(sys.executable).with_name("verval-provider")
    return str(beside) if beside.exists() else (shutil.which("verval-provider") or "verval-provider")


def kit_lines(*, url: str, token: str) -> list[str]:
    """What `verval demo` prints for the provider's engineer: the dump waiting for the kit, the
    subscriber export to match it against, and the commands to try (docs/provider-kit.md)."""
    from verval.exchange.models import DumpBatch
    from verval.sptjm.models import DisbursementBatch

    paths = kit_paths()
    if not paths["subscribers"].exists():
        return [f"  e.g. verval-provider sync --url {url} --token <token> --subscribers FILE"]
    waiting = DumpBatch.objects.filter(provider=DEMO_PROVIDER, state=DumpBatch.State.OPEN).order_by("id")
    kit = kit_program()
    lines = [f"  Subscriber export of {DEMO_PROVIDER} (the simulator's): {paths['subscribers']}"]
    # A second `make run` prints these lines again after the kit answered everything: "Answer it"
    # and "follows once the worker has played the round" then pointed at work that was done.
    if waiting:
        names = ", ".join(f"{b.id} ({b.rows} rows)" for b in waiting)
        lines.append(f"  Dump batch waiting for {DEMO_PROVIDER}'s answer: {names}")
        lines.append("  Answer it with the provider kit:")
    else:
        lines.append(
            f"  No dump batch waits for {DEMO_PROVIDER}'s answer; the provider kit answers the next one:"
        )
    lines.append(
        f"    {kit} sync --url {url} --token {token} --subscribers {paths['subscribers']} "
        f"--workdir {paths['workdir']}"
    )
    batches = DisbursementBatch.objects.filter(provider=DEMO_PROVIDER).order_by("created_at")
    injection = [b for b in batches if b.state == DisbursementBatch.State.TERBIT]
    pulled = [b for b in batches if b.state == DisbursementBatch.State.DIAMBIL]
    if injection:
        names = ", ".join(f"{b.id} ({b.period_id} #{b.seq}, {b.rows} rows)" for b in injection)
        lines.append(f"  Disbursement batch waiting for {DEMO_PROVIDER}'s injection: {names}")
    elif pulled:
        names = ", ".join(f"{b.id} ({b.period_id} #{b.seq}, {b.rows} rows)" for b in pulled)
        lines.append(
            f"  Disbursement batch pulled, its injection results not sent yet (docs/provider-kit.md): {names}"
        )
    elif batches:
        lines.append(
            f"  Every disbursement batch of {DEMO_PROVIDER} is answered; the provider kit fetches the next one:"
        )
    else:
        lines.append(
            "  Its disbursement batch follows once the worker has played the SPTJM round (a minute):"
        )
    lines.append(f"    {kit} pull-disbursements --url {url} --token {token} --workdir {paths['workdir']}")
    return lines


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


def _period() -> Period:
    today = dt.date.today()
    period, _created = Period.objects.get_or_create(
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
    return period


def demo_api_token() -> str:
    """A fresh API token for the demo provider (tokens are stored hashed, so a new one is issued
    each time the demo starts; the previous demo token is revoked, the provider's others stay)."""
    from verval.exchange.actions import issue_token

    _, token = issue_token(actor=None, provider="telkomsel", label="demo", rotate=False)
    return token


def scope_label(role: str, scope: str) -> str:
    """What a demo account sees, as the printed list says it: the region's or school's name with
    its code (a bare "3201" or "20212345" tells a new user nothing), the whole country for Pusdatin."""
    if role == Role.PUSDATIN:
        return "seluruh Indonesia / nationwide"
    if role in (Role.DINAS_PROV, Role.DINAS_KAB):
        name = Region.objects.filter(code=scope).values_list("name", flat=True).first()
        return f"{name} ({scope})" if name else scope
    if role == Role.OPERATOR:
        name = School.objects.filter(npsn=scope).values_list("name", flat=True).first()
        return f"{name} (NPSN {scope})" if name else scope
    return scope


def accounts_summary(password: str | None = None) -> dict[str, dict[str, str]]:
    out = {}
    for user in User.objects.filter(
        username__in=["pusdatin", "dinas.prov", "dinas.kab", "operator", "telkomsel"]
    ).order_by("id"):
        scope = user.school_id or user.region_id or user.provider or ""
        out[user.role] = {"username": user.username, "password": password or DEMO_PASSWORD, "scope": scope}
    return out
