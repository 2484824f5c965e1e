"""The daily digest by e-mail (`verval notify`, decision 0043): operators hear of their school's
new residue, format errors, failed injections and near deadlines; Dinas of its late schools; once a
day, counts and links only."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from tests.exchange.helpers import dump_rows, results_file
from tests.factories import RecipientFactory, SchoolFactory, UserFactory
from tests.sptjm.conftest import aktif, make_period
from verval.accounts import digest
from verval.accounts.models import Digest
from verval.core import jobs
from verval.core.models import AuditEvent
from verval.dashboard import services as dashboard
from verval.exchange import actions as exchange
from verval.reference.models import Region
from verval.registry.models import Recipient

SITE = "https://verval.example.go.id"


@pytest.fixture(autouse=True)
def _site(settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "SITE_URL": SITE}


def _notify(capsys, *args: str) -> dict:  # type: ignore[no-untyped-def]
    call_command("notify", "--json", *args)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _residue(school, tmp_path, answers: list[str]) -> list[Recipient]:  # type: ignore[no-untyped-def]
    """Recipients of `school` dumped to Telkomsel and answered with `answers`, one each."""
    people = [
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", needs_validation=False) for _ in answers
    ]
    (batch,) = exchange.publish_dumps(actor=None, provider="telkomsel")
    rows = {r["pd_id"]: r for r in dump_rows(batch)}
    path = results_file(
        tmp_path,
        [
            (str(p.pk), rows[str(p.pk)]["no_ponsel"], status)
            for p, status in zip(people, answers, strict=True)
        ],
        name=f"hasil-{batch.pk}.csv",
    )
    job = jobs.run(exchange.create_ingest_job(actor=None, batch=batch, path=path).pk)
    assert job.state == "SUCCEEDED"
    return people


def test_operator_gets_one_digest_with_exact_counts_after_residue_arrives(school, operator, tmp_path, capsys):
    _residue(school, tmp_path, ["TIDAK_AKTIF", "TIDAK_AKTIF", "MASA_TENGGANG", "AKTIF"])

    out = _notify(capsys)

    assert (out["school_mails"], out["dinas_mails"], out["sent"], out["schools_changed"]) == (1, 0, 1, 1)
    (message,) = mail.outbox
    assert message.to == [operator.email]
    assert message.subject == f"[Verval Ponsel] {school.name}: 3 nomor residu baru"
    link = f"{SITE}/sekolah/{school.npsn}/"
    assert "- 3 nomor residu baru dari provider:" in message.body
    assert f"  - Nomor dalam masa tenggang: 1\n    {link}?status=RESIDU&alasan=MASA_TENGGANG" in message.body
    assert f"  - Nomor tidak aktif: 2\n    {link}?status=RESIDU&alasan=TIDAK_AKTIF" in message.body
    assert f"{SITE}/akun/saya/" in message.body
    row = Digest.objects.get()
    assert (row.kind, row.school_id, row.user_id, row.day, row.counts) == (
        "SEKOLAH",
        school.npsn,
        None,
        timezone.localdate(),
        {"residu": {"MASA_TENGGANG": 1, "TIDAK_AKTIF": 2}},
    )
    event = AuditEvent.objects.get(action="send_digest")
    assert event.after == {
        "schools": 1,
        "dinas": 0,
        "residu": 3,
        "format_salah": 0,
        "gagal": 0,
        "tenggat": 0,
        "pruned": 0,
    }


def test_digest_counts_numbers_a_validation_run_found_invalid(school, operator, pusdatin, capsys):
    RecipientFactory(school=school, phone_raw="021-5551234", phone_e164="", needs_validation=True)
    RecipientFactory(school=school, phone_raw="0800000000", phone_e164="", needs_validation=True)
    RecipientFactory(school=school, needs_validation=True)
    jobs.run(jobs.create_job(actor=pusdatin, kind="validate").pk)

    _notify(capsys)

    (message,) = mail.outbox
    assert message.subject == f"[Verval Ponsel] {school.name}: 2 format tidak valid"
    assert (
        f"- 2 nomor dengan format tidak valid setelah validasi:\n  {SITE}/sekolah/{school.npsn}/?status=FORMAT_SALAH"
        in message.body
    )


def test_no_digest_when_nothing_changed(school, operator, capsys):
    RecipientFactory(school=school, status="AKTIF", needs_validation=False)

    out = _notify(capsys)

    assert (out["school_mails"], out["sent"]) == (0, 0)
    assert mail.outbox == []
    assert Digest.objects.count() == 0
    assert not AuditEvent.objects.filter(action="send_digest").exists()


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_only_the_new(
    school, operator, tmp_path, capsys
):
    _residue(school, tmp_path, ["TIDAK_AKTIF"])
    _notify(capsys)
    _residue(school, tmp_path, ["TIDAK_TERDAFTAR", "TIDAK_TERDAFTAR"])

    again = _notify(capsys)

    assert (again["school_mails"], again["sent"]) == (0, 0)
    assert len(mail.outbox) == 1
    tomorrow = timezone.localdate() + timedelta(days=1)
    result = digest.run(actor=None, as_of=tomorrow, now=timezone.now() + timedelta(days=1))
    assert result["sent"] == 1
    assert mail.outbox[1].subject == f"[Verval Ponsel] {school.name}: 2 nomor residu baru"
    assert "Nomor tidak aktif" not in mail.outbox[1].body
    assert list(Digest.objects.order_by("day").values_list("day", "counts")) == [
        (timezone.localdate(), {"residu": {"TIDAK_AKTIF": 1}}),
        (tomorrow, {"residu": {"TIDAK_TERDAFTAR": 2}}),
    ]


def test_operator_who_switched_the_digest_off_gets_nothing(client, school, operator, tmp_path, capsys):
    client.force_login(operator)
    response = client.post("/akun/saya/", {})
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.digest_enabled is False
    event = AuditEvent.objects.get(action="set_digest")
    assert (event.actor_id, event.school_id, event.before, event.after) == (
        operator.pk,
        school.npsn,
        {"digest_enabled": True},
        {"digest_enabled": False},
    )
    _residue(school, tmp_path, ["TIDAK_AKTIF"])

    out = _notify(capsys)

    assert (out["schools_changed"], out["school_mails"]) == (1, 0)
    assert mail.outbox == []


def test_account_page_shows_the_digest_switch_on_by_default(client, operator):
    client.force_login(operator)

    page = client.get("/akun/saya/").content.decode()

    assert 'name="digest_enabled"' in page
    assert "checked" in page.split('name="digest_enabled"')[1].split(">")[0]


def test_another_schools_changes_never_appear(
    school, operator, other_school, other_operator, tmp_path, capsys
):
    _residue(other_school, tmp_path, ["TIDAK_AKTIF", "BUKAN_PELANGGAN"])

    _notify(capsys)

    (message,) = mail.outbox
    assert message.to == [other_operator.email]
    assert school.npsn not in message.body + message.subject
    assert school.name not in message.body + message.subject
    assert message.subject == f"[Verval Ponsel] {other_school.name}: 2 nomor residu baru"


def test_operator_is_told_of_a_near_print_deadline_while_numbers_wait_to_be_printed(
    school, operator, other_school, other_operator, capsys
):
    today = timezone.localdate()
    make_period(
        "T1",
        starts=today - timedelta(days=10),
        ends_on=today + timedelta(days=20),
        sptjm_print_deadline=today + timedelta(days=2),
        sptjm_upload_deadline=today + timedelta(days=9),
    )
    aktif(school, 3)
    dashboard.refresh_all()

    _notify(capsys, "--only", "operators")

    (message,) = mail.outbox
    assert message.to == [operator.email]
    deadline = (today + timedelta(days=2)).strftime("%-d")
    assert message.subject.startswith(f"[Verval Ponsel] {school.name}: batas cetak SPTJM {deadline} ")
    assert "(2 hari lagi) dan masih ada yang perlu dicetak:" in message.body
    assert f"{SITE}/sekolah/{school.npsn}/sptjm/" in message.body
    assert Digest.objects.get().counts == {"tenggat": ["CETAK"]}


def test_dinas_mail_counts_only_its_regions_late_schools(
    school, other_school, dinas_kab, other_dinas_kab, dinas_prov, capsys
):
    today = timezone.localdate()
    make_period(
        "T1",
        starts=today - timedelta(days=10),
        ends_on=today + timedelta(days=20),
        sptjm_print_deadline=today - timedelta(days=1),
        sptjm_upload_deadline=today + timedelta(days=5),
    )
    aktif(school, 2)
    aktif(other_school, 1)
    aktif(SchoolFactory(region_id="020601", regency_id="020600", province_id="020000"), 1)
    SchoolFactory()  # nothing to print: not late
    dashboard.refresh_all()

    out = _notify(capsys, "--only", "dinas")

    assert (out["dinas_mails"], out["school_mails"]) == (3, 0)
    by_to = {m.to[0]: m for m in mail.outbox}
    kab = Region.objects.get(code=school.regency_id).name
    other_kab = Region.objects.get(code=other_school.regency_id).name
    prov = Region.objects.get(code=school.province_id).name
    assert by_to[dinas_kab.email].subject == f"[Verval Ponsel] {kab}: 1 sekolah terlambat, 0 berisiko"
    assert (
        by_to[other_dinas_kab.email].subject
        == f"[Verval Ponsel] {other_kab}: 2 sekolah terlambat, 0 berisiko"
    )
    assert by_to[dinas_prov.email].subject == f"[Verval Ponsel] {prov}: 3 sekolah terlambat, 0 berisiko"
    assert f"{SITE}/progres/tertinggal/" in by_to[dinas_kab.email].body
    assert dict(Digest.objects.values_list("user_id", "counts")) == {
        dinas_kab.pk: {"terlambat": 1, "berisiko": 0},
        other_dinas_kab.pk: {"terlambat": 2, "berisiko": 0},
        dinas_prov.pk: {"terlambat": 3, "berisiko": 0},
    }


def test_no_phone_number_or_name_in_any_mail(school, tmp_path, capsys):
    operator = UserFactory(
        role="OPERATOR", school=school, username="op.digest", first_name="Rahmawati", last_name="Sulistyo"
    )
    today = timezone.localdate()
    make_period(
        "T1",
        starts=today - timedelta(days=10),
        ends_on=today + timedelta(days=20),
        sptjm_print_deadline=today - timedelta(days=1),
        sptjm_upload_deadline=today + timedelta(days=5),
    )
    dinas = UserFactory(
        role="DINAS_KAB", region_id=school.regency_id, username="dinas.digest", first_name="Budiman"
    )
    people = _residue(school, tmp_path, ["TIDAK_AKTIF", "MASA_TENGGANG", "AKTIF"])
    dashboard.refresh_all()

    _notify(capsys)

    assert sorted(m.to[0] for m in mail.outbox) == sorted([operator.email, dinas.email])
    for message in mail.outbox:
        text = message.subject + "\n" + message.body
        for person in Recipient.objects.filter(pk__in=[p.pk for p in people]):
            digits = person.phone_e164.lstrip("+")
            for shown in (
                person.name,
                person.phone_raw,
                person.phone_e164,
                digits,
                digits[2:],
                "0" + digits[2:],
            ):
                assert shown not in text
        for user in (operator, dinas):
            assert user.first_name not in text
            assert user.username not in text


def test_dry_run_counts_and_sends_nothing(school, operator, tmp_path, capsys):
    _residue(school, tmp_path, ["TIDAK_AKTIF"])

    out = _notify(capsys, "--dry-run")

    assert (out["dry_run"], out["school_mails"], out["sent"]) == (True, 1, 0)
    assert mail.outbox == []
    assert Digest.objects.count() == 0


def test_a_date_in_the_future_is_refused(db, capsys):
    from django.core.management.base import CommandError

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as refused:
        call_command("notify", "--date", tomorrow, "--json")

    assert refused.value.returncode == 2
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["state"], line["error_code"]) == ("REFUSED", "ARGUMEN_TIDAK_SAH")


def test_the_window_ends_where_a_running_job_started(db):
    from verval.core.models import Job

    now = timezone.now()
    started = now - timedelta(minutes=40)
    Job.objects.create(kind="ingest_results", state=Job.State.RUNNING, started_at=started)

    floor, until = digest.window(timezone.localdate(now), now)

    assert (floor, until) == (started - timedelta(days=7), started)


def test_without_the_sites_address_nothing_is_sent(settings, school, operator, tmp_path, capsys):
    from django.core.management.base import CommandError

    settings.VERVAL = {**settings.VERVAL, "SITE_URL": ""}
    _residue(school, tmp_path, ["TIDAK_AKTIF"])

    with pytest.raises(CommandError) as refused:
        call_command("notify", "--json")

    assert refused.value.returncode == 2
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["state"], line["error_code"]) == ("REFUSED", "SITE_URL_BELUM_DIATUR")
    assert mail.outbox == []
    assert Digest.objects.count() == 0


def test_a_second_notify_while_one_runs_is_refused_and_sends_nothing(capsys, school, tmp_path, operator):  # type: ignore[no-untyped-def]
    from verval.core.db import DIGEST_RUN, only_run

    _residue(school, tmp_path, ["TIDAK_AKTIF"])
    # The first run, as another process would hold it: a PostgreSQL session lock is re-entrant
    # for its own connection, so the holder there is a connection of its own.
    holder = connections.create_connection("default") if connection.vendor == "postgresql" else None
    try:
        if holder is not None:
            with holder.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s)", [DIGEST_RUN])
            held = contextlib.nullcontext(True)
        else:
            held = only_run(DIGEST_RUN, "notify")
        with held as mine:
            assert mine is True
            with pytest.raises(CommandError) as refused:
                call_command("notify", "--json")
    finally:
        if holder is not None:
            # Released here, not by closing: the server drops a closed session's locks only when
            # its backend has ended, which the next run can outpace (seen once in CI).
            with holder.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [DIGEST_RUN])
            holder.close()

    assert refused.value.returncode == 2
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["state"], line["error_code"]) == ("REFUSED", "SEDANG_BERJALAN")
    assert (mail.outbox, Digest.objects.count()) == ([], 0)
    assert _notify(capsys)["sent"] == 1


# --- security review (decision 0045) ----------------------------------------------------------------


def test_an_operator_moved_to_another_school_hears_nothing_of_the_old_one(
    school, operator, other_school, tmp_path, capsys
):
    _residue(school, tmp_path, ["TIDAK_AKTIF"])
    operator.school = other_school
    operator.save(update_fields=["school"])

    out = _notify(capsys)

    assert (out["schools_changed"], out["school_mails"], out["sent"]) == (1, 0, 0)
    assert mail.outbox == []


def test_a_deactivated_operator_gets_no_digest(school, operator, tmp_path, capsys):
    _residue(school, tmp_path, ["TIDAK_AKTIF"])
    operator.is_active = False
    operator.save(update_fields=["is_active"])

    assert _notify(capsys)["sent"] == 0
    assert mail.outbox == []


def test_a_school_name_with_a_line_break_gives_a_one_line_subject_and_every_mail_still_goes(
    school, operator, other_school, other_operator, tmp_path, capsys
):
    school.name = "SD Negeri 1\r\nBcc: spy@evil.example"
    school.save(update_fields=["name"])
    _residue(school, tmp_path, ["TIDAK_AKTIF"])
    _residue(other_school, tmp_path, ["TIDAK_AKTIF"])

    assert _notify(capsys)["sent"] == 2

    by_to = {m.to[0]: m for m in mail.outbox}
    message = by_to[operator.email]
    assert message.subject == "[Verval Ponsel] SD Negeri 1 Bcc: spy@evil.example: 1 nomor residu baru"
    assert (message.bcc, message.message()["Bcc"]) == ([], None)
    assert by_to[other_operator.email].subject == f"[Verval Ponsel] {other_school.name}: 1 nomor residu baru"


def test_a_kab_account_holding_a_provinces_code_hears_nothing_of_the_province(school, capsys):
    today = timezone.localdate()
    make_period(
        "T1",
        starts=today - timedelta(days=10),
        ends_on=today + timedelta(days=20),
        sptjm_print_deadline=today - timedelta(days=1),
        sptjm_upload_deadline=today + timedelta(days=5),
    )
    aktif(school, 2)
    dashboard.refresh_all()
    # Only an edit outside the account forms (which check the level) can make this account.
    UserFactory(role="DINAS_KAB", region_id=school.province_id, username="kab.salah")

    out = _notify(capsys, "--only", "dinas")

    assert (out["dinas_mails"], out["sent"]) == (0, 0)
    assert mail.outbox == []


def test_residue_the_school_already_corrected_is_not_counted(school, operator, tmp_path, capsys):  # type: ignore[no-untyped-def]
    from verval.registry import actions as registry

    people = _residue(school, tmp_path, ["TIDAK_AKTIF", "TIDAK_AKTIF", "MASA_TENGGANG"])
    fixed = Recipient.objects.get(pk=people[0].pk)
    registry.change_number(
        actor=operator, recipient_id=fixed.pk, new_raw="085261904417", expected_version=fixed.version
    )

    _notify(capsys)

    (message,) = mail.outbox
    assert message.subject == f"[Verval Ponsel] {school.name}: 2 nomor residu baru"
    assert (
        "  - Nomor tidak aktif: 1\n" in message.body and "  - Nomor dalam masa tenggang: 1\n" in message.body
    )
