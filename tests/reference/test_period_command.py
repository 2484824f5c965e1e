"""`verval period` (decision 0076): Pusdatin's administrator lists, creates, opens and closes a
period from the command line, through the web form's checks and the same actions, under the
command-line contract (decision 0026: --json, exit 2 when refused, nothing changed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from tests.sptjm.conftest import aktif, make_period
from verval.core.models import AuditEvent
from verval.reference.models import Period, QuotaPolicy

pytestmark = pytest.mark.django_db

SEPTEMBER = {
    "name": "Tahap 1 September 2020",
    "policy": "2021",
    "starts": "2020-09-01",
    "ends": "2020-09-28",
    "print-deadline": "2020-09-20",
    "upload-deadline": "2020-09-25",
    "handover": "2020-09-27",
}


def _create_args(code: str, **fields: str) -> list[str]:
    args = ["create", code]
    for option, value in fields.items():
        args += [f"--{option}", value]
    return args


def _run(*args: str) -> dict:
    out = _call(*args, "--json")
    return json.loads(out)


def _call(*args: str) -> str:
    out = StringIO()
    call_command("period", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _refusal(*args: str) -> tuple[int, dict]:
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("period", *args, "--json", stdout=out, stderr=StringIO())
    return refused.value.returncode, json.loads(out.getvalue().strip().splitlines()[-1])


def _saved(code: str) -> dict:
    return model_to_dict(Period.objects.get(code=code), exclude=["code"])


def test_create_saves_exactly_the_period_the_web_form_saves(pusdatin):
    client = Client()
    client.force_login(pusdatin)
    response = client.post(
        reverse("core:period_create"),
        {
            "code": "2020-09-T1",
            "name": SEPTEMBER["name"],
            "policy": "2021",
            "starts_on": "2020-09-01",
            "ends_on": "2020-09-28",
            "sptjm_print_deadline": "2020-09-20",
            "sptjm_upload_deadline": "2020-09-25",
            "handover_on": "2020-09-27",
        },
    )
    assert response.status_code == 302
    by_web = _saved("2020-09-T1")
    web_audit = AuditEvent.objects.get(action="create_period")
    Period.objects.all().delete()  # the command creates the same period on the same days
    AuditEvent.objects.all().delete()

    line = _run(*_create_args("2020-09-T1", **SEPTEMBER))

    assert _saved("2020-09-T1") == by_web
    assert by_web == {
        "name": "Tahap 1 September 2020",
        "policy": "2021",
        "starts_on": date(2020, 9, 1),
        "ends_on": date(2020, 9, 28),
        "sptjm_print_deadline": date(2020, 9, 20),
        "sptjm_upload_deadline": date(2020, 9, 25),
        "handover_on": date(2020, 9, 27),
        "is_open": False,
    }
    cli_audit = AuditEvent.objects.get(action="create_period")
    assert (cli_audit.actor_id, cli_audit.object_id, cli_audit.after) == (None, "2020-09-T1", web_audit.after)
    assert line == {
        "period": {
            "code": "2020-09-T1",
            "name": "Tahap 1 September 2020",
            "state": "never_opened",
            "policy": "2021",
            "starts_on": "2020-09-01",
            "ends_on": "2020-09-28",
            "sptjm_print_deadline": "2020-09-20",
            "sptjm_upload_deadline": "2020-09-25",
            "handover_on": "2020-09-27",
        }
    }


def test_create_with_the_end_before_the_start_is_refused_with_its_code_and_exit_2_and_creates_nothing():
    fields = {**SEPTEMBER, "ends": "2020-08-28"}

    returncode, line = _refusal(*_create_args("2020-09-T1", **fields))

    assert returncode == 2
    assert line == {
        "state": "REFUSED",
        "error_code": "JADWAL_TIDAK_URUT",
        "error": "JADWAL_TIDAK_URUT",
        "message": "The end date must be after the start date.",
        "period": "2020-09-T1",
        "option": "--ends",
    }
    assert (Period.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_create_with_deadlines_out_of_order_names_the_deadline_to_fix():
    fields = {**SEPTEMBER, "upload-deadline": "2020-09-10"}  # before the print deadline

    returncode, line = _refusal(*_create_args("2020-09-T1", **fields))

    assert (returncode, line["error_code"], line["option"]) == (2, "JADWAL_TIDAK_URUT", "--upload-deadline")
    assert Period.objects.count() == 0


def test_create_with_an_unknown_policy_is_refused_with_its_code_and_exit_2_and_creates_nothing():
    returncode, line = _refusal(*_create_args("2020-09-T1", **{**SEPTEMBER, "policy": "2019"}))

    assert returncode == 2
    assert line == {
        "state": "REFUSED",
        "error_code": "KEBIJAKAN_TIDAK_DIKENAL",
        "error": "KEBIJAKAN_TIDAK_DIKENAL",
        "message": "unknown quota policy '2019' (known: 2020, 2021)",
        "period": "2020-09-T1",
        "option": "--policy",
    }
    assert (Period.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_create_with_a_code_the_web_form_refuses_is_refused_with_the_forms_message():
    returncode, line = _refusal(*_create_args("2020 09", **SEPTEMBER))

    assert (returncode, line["error_code"], line["option"]) == (2, "ARGUMEN_TIDAK_SAH", "CODE")
    assert line["message"] == "CODE: Enter a valid value. For example 2020-09-T1 (letters, digits, hyphens)."
    assert Period.objects.count() == 0


def test_create_over_another_periods_days_or_code_is_refused():
    make_period("2020-09A", starts=date(2020, 9, 1))  # 1-28 September

    overlap = _refusal(
        *_create_args("2020-09B", **{**SEPTEMBER, "starts": "2020-09-15", "ends": "2020-10-10"})
    )
    taken = _refusal(
        *_create_args("2020-09A", name="Tahap Oktober", policy="2020", starts="2020-10-01", ends="2020-10-28")
    )

    assert (overlap[0], overlap[1]["error_code"]) == (2, "PERIODE_BERTUMPANG_TINDIH")
    assert (taken[0], taken[1]["error_code"], taken[1]["message"]) == (
        2,
        "PERIODE_SUDAH_ADA",
        "This period code is already in use.",
    )
    assert list(Period.objects.values_list("code", flat=True)) == ["2020-09A"]


def test_open_closes_the_open_period_and_writes_both_audit_rows_without_an_actor():
    make_period("2020-09A", starts=date(2020, 9, 1))  # open
    make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)

    line = _run("open", "2020-10A")

    assert (line["period"]["code"], line["period"]["state"]) == ("2020-10A", "open")
    assert (line["changed"], line["closed"], line["live_documents"]) == (True, ["2020-09A"], 0)
    assert dict(Period.objects.values_list("code", "is_open")) == {"2020-09A": False, "2020-10A": True}
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "object_id", "actor_id", "note")) == [
        ("close_period", "2020-09A", None, "replaced"),
        ("open_period", "2020-10A", None, ""),
    ]


def test_close_writes_its_audit_row_and_closing_again_changes_nothing():
    make_period("2020-09A", starts=date(2020, 9, 1))  # open

    first = _call("close", "2020-09A")
    again = _run("close", "2020-09A")

    assert first == "Period 2020-09A closed.\n"
    assert (again["period"]["state"], again["changed"], again["live_documents"]) == ("closed", False, 0)
    assert "closed" not in again  # opening alone closes other periods
    assert list(AuditEvent.objects.values_list("action", "object_id", "actor_id")) == [
        ("close_period", "2020-09A", None)
    ]


def test_closing_a_period_with_a_printed_sptjm_says_how_many_documents_it_leaves(school, operator):
    from verval.sptjm import actions as sptjm_actions

    period = make_period("2020-09A", starts=date(2020, 9, 1))  # open
    aktif(school, 2)
    sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    text = _call("close", "2020-09A", "--yes")

    assert text.splitlines() == [
        "Period 2020-09A closed.",
        "1 SPTJM of the closed period still hold their recipients' data (printed, uploaded or returned): "
        "upload and review them or void them (the SPTJM review page lists them).",
    ]
    assert Period.objects.get(code="2020-09A").is_open is False


@pytest.mark.parametrize(("action", "code"), [("close", "2020-09A"), ("open", "2020-10A")])
def test_closing_a_period_with_a_printed_sptjm_without_yes_is_refused_and_changes_nothing(
    action, code, school, operator
):  # type: ignore[no-untyped-def]
    from verval.sptjm import actions as sptjm_actions

    period = make_period("2020-09A", starts=date(2020, 9, 1))  # open
    make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    aktif(school, 2)
    sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    audited = AuditEvent.objects.count()

    returncode, line = _refusal(action, code)

    assert (returncode, line) == (
        2,
        {
            "state": "REFUSED",
            "error_code": "KONFIRMASI_DIPERLUKAN",
            "error": "KONFIRMASI_DIPERLUKAN",
            "message": "1 SPTJM of 2020-09A are still printed, uploaded or returned and keep their "
            "recipients' data locked; closing leaves them to be uploaded, reviewed or voided. Run again "
            "with --yes to close it anyway; nothing was changed.",
            "period": "2020-09A",
            "live_documents": 1,
        },
    )
    assert dict(Period.objects.values_list("code", "is_open")) == {"2020-09A": True, "2020-10A": False}
    assert AuditEvent.objects.count() == audited


@pytest.mark.parametrize("action", ["open", "close"])
def test_open_or_close_of_an_unknown_period_is_refused_with_exit_2(action):
    returncode, line = _refusal(action, "2099-01")

    assert (returncode, line) == (
        2,
        {
            "state": "REFUSED",
            "error_code": "PERIODE_TIDAK_DIKENAL",
            "error": "PERIODE_TIDAK_DIKENAL",
            "message": "no period '2099-01'",
            "period": "2099-01",
        },
    )
    assert AuditEvent.objects.count() == 0


def test_list_gives_every_period_newest_first_with_its_state_dates_and_policy():
    make_period("2020-09A", starts=date(2020, 9, 1), is_open=False)
    _call("open", "2020-09A")
    _call("close", "2020-09A")
    make_period("2020-10A", starts=date(2020, 10, 1), is_open=False, handover_on=date(2020, 10, 27))
    make_period(
        "2021-03", "2021", starts=date(2021, 3, 1), sptjm_print_deadline=None, sptjm_upload_deadline=None
    )

    line = _run("list")
    text = _call("list")

    assert [(p["code"], p["state"], p["policy"]) for p in line["periods"]] == [
        ("2021-03", "open", "2021"),
        ("2020-10A", "never_opened", "2020"),
        ("2020-09A", "closed", "2020"),
    ]
    assert sorted(line["periods"][1]) == [
        "code",
        "ends_on",
        "handover_on",
        "name",
        "policy",
        "sptjm_print_deadline",
        "sptjm_upload_deadline",
        "starts_on",
        "state",
    ]
    assert text.splitlines() == [
        "2021-03 open 2021-03-01 to 2021-03-28, policy 2021, print by -, upload by -, handover -: Tahap 2021-03",
        "2020-10A never_opened 2020-10-01 to 2020-10-28, policy 2020, print by 2020-10-20, "
        "upload by 2020-10-25, handover 2020-10-27: Tahap 2020-10A",
        "2020-09A closed 2020-09-01 to 2020-09-28, policy 2020, print by 2020-09-20, "
        "upload by 2020-09-25, handover -: Tahap 2020-09A",
    ]


def test_a_usage_error_of_a_subcommand_prints_the_refused_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["VERVAL_VAR_DIR"] = str(tmp_path)

    done = subprocess.run(
        [sys.executable, "-m", "verval.cli", "period", "create", "2020-09-T1", "--name", "x", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "state": "REFUSED",
        "error_code": "ARGUMEN_TIDAK_SAH",
        "error": "ARGUMEN_TIDAK_SAH",
        "message": "the following arguments are required: --policy, --starts, --ends",
    }
    assert done.stderr.splitlines()[-1] == (
        "verval period create: error: the following arguments are required: --policy, --starts, --ends"
    )


def test_the_actions_still_refuse_a_signed_in_user_who_is_not_pusdatin_and_an_anonymous_one(operator):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from verval.reference import actions

    make_period("2020-09A", starts=date(2020, 9, 1), is_open=False)

    for actor in (operator, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            actions.open_period(actor=actor, code="2020-09A")
        with pytest.raises(PermissionDenied):
            actions.close_period(actor=actor, code="2020-09A")
        with pytest.raises(PermissionDenied):
            actions.save_period(
                actor=actor,
                code="2020-10A",
                name="Tahap 2",
                policy=QuotaPolicy.objects.get(code="2020"),
                starts_on=date(2020, 10, 1),
                ends_on=date(2020, 10, 28),
                create=True,
            )

    assert list(Period.objects.values_list("code", "is_open")) == [("2020-09A", False)]
    assert AuditEvent.objects.count() == 0


# ------------------------------------------------------------------ edit (decision 0078)


def _open_then_close(code: str) -> None:
    _call("open", code)
    _call("close", code)


def test_edit_changes_only_the_options_given_and_writes_the_web_pages_audit_row(pusdatin):
    make_period("2020-10A", starts=date(2020, 10, 1), is_open=False, handover_on=date(2020, 10, 27))
    before = _saved("2020-10A")

    line = _run("edit", "2020-10A", "--name", "Oktober 2020 tahap 1", "--upload-deadline", "2020-10-26")

    assert line == {
        "period": {
            "code": "2020-10A",
            "name": "Oktober 2020 tahap 1",
            "state": "never_opened",
            "policy": "2020",
            "starts_on": "2020-10-01",
            "ends_on": "2020-10-28",
            "sptjm_print_deadline": "2020-10-20",
            "sptjm_upload_deadline": "2020-10-26",
            "handover_on": "2020-10-27",
        },
        "changed": ["name", "sptjm_upload_deadline"],
    }
    assert _saved("2020-10A") == {
        **before,
        "name": "Oktober 2020 tahap 1",
        "sptjm_upload_deadline": date(2020, 10, 26),
    }
    row = AuditEvent.objects.get()
    assert (row.action, row.object_id, row.actor_id) == ("update_period", "2020-10A", None)
    assert (row.before["name"], row.after["name"]) == ("Tahap 2020-10A", "Oktober 2020 tahap 1")
    assert (row.before["sptjm_upload_deadline"], row.after["sptjm_upload_deadline"]) == (
        "2020-10-25",
        "2020-10-26",
    )
    # The same row the web page writes for the same change.
    client = Client()
    client.force_login(pusdatin)
    client.post(
        reverse("core:period_edit", args=["2020-10A"]),
        {
            "name": "Oktober 2020 tahap 1",
            "policy": "2020",
            "starts_on": "2020-10-01",
            "ends_on": "2020-10-28",
            "sptjm_print_deadline": "2020-10-20",
            "sptjm_upload_deadline": "2020-10-26",
            "handover_on": "2020-10-27",
        },
    )
    web = AuditEvent.objects.exclude(pk=row.pk).get()
    assert (web.action, web.actor_id, web.after) == ("update_period", pusdatin.pk, row.after)


def test_edit_of_the_open_period_keeps_it_open_and_an_empty_deadline_removes_it():
    make_period("2020-09A", starts=date(2020, 9, 1), handover_on=date(2020, 9, 27))  # open

    line = _run("edit", "2020-09A", "--handover", "")
    text = _call("edit", "2020-09A", "--ends", "2020-09-30")

    assert (line["period"]["state"], line["period"]["handover_on"], line["changed"]) == (
        "open",
        None,
        ["handover_on"],
    )
    assert text.splitlines() == [
        "Period 2020-09A saved; changed: ends_on.",
        "2020-09A open 2020-09-01 to 2020-09-30, policy 2020, print by 2020-09-20, upload by 2020-09-25, "
        "handover -: Tahap 2020-09A",
    ]
    assert Period.objects.filter(code="2020-09A", is_open=True, handover_on=None).exists()


def test_edit_of_a_closed_period_is_refused_and_changes_nothing():
    make_period("2020-09A", starts=date(2020, 9, 1), is_open=False)
    _open_then_close("2020-09A")
    saved, audited = _saved("2020-09A"), AuditEvent.objects.count()

    returncode, line = _refusal("edit", "2020-09A", "--name", "Tahap lain")

    assert (returncode, line["error_code"], line["period"]) == (2, "PERIODE_DITUTUP", "2020-09A")
    assert (_saved("2020-09A"), AuditEvent.objects.count()) == (saved, audited)


def test_edit_is_refused_by_the_forms_and_the_actions_rules_with_their_codes():
    make_period("2020-09A", starts=date(2020, 9, 1), is_open=False)
    make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    saved = _saved("2020-10A")

    refusals = [
        _refusal("edit", "2020-10A", "--policy", "2019"),
        _refusal("edit", "2020-10A", "--ends", "2020-09-30"),
        _refusal("edit", "2020-10A", "--starts", "2020-09-20"),
        _refusal("edit", "2020-10A", "--name", ""),
        _refusal("edit", "2020-10A"),
        _refusal("edit", "2099-01", "--name", "x"),
    ]

    assert [(code, line["error_code"], line.get("option")) for code, line in refusals] == [
        (2, "KEBIJAKAN_TIDAK_DIKENAL", "--policy"),
        (2, "JADWAL_TIDAK_URUT", "--ends"),
        (2, "PERIODE_BERTUMPANG_TINDIH", None),
        (2, "ARGUMEN_TIDAK_SAH", "--name"),
        (2, "ARGUMEN_TIDAK_SAH", None),
        (2, "PERIODE_TIDAK_DIKENAL", None),
    ]
    assert refusals[4][1]["message"] == (
        "nothing to change: give at least one of --name, --policy, --starts, --ends, "
        "--print-deadline, --upload-deadline, --handover"
    )
    assert _saved("2020-10A") == saved
    assert AuditEvent.objects.count() == 0


def test_edit_of_the_policy_of_a_period_whose_disbursement_started_is_refused(operator, pusdatin, school):
    from tests.sptjm.conftest import approve_all
    from verval.core import jobs
    from verval.sptjm import actions as sptjm_actions

    period = make_period("2020-09A", starts=date(2020, 9, 1))  # open
    aktif(school, 1)
    approve_all(operator, pusdatin, school, period)
    jobs.run(sptjm_actions.request_disbursement(actor=pusdatin, period_code=period.code, enqueue=False).pk)

    returncode, line = _refusal("edit", "2020-09A", "--policy", "2021")

    assert (returncode, line["error_code"]) == (2, "KEBIJAKAN_TERKUNCI")
    assert Period.objects.get(code="2020-09A").policy_id == "2020"


def test_close_counts_the_closing_periods_live_sptjm_once(monkeypatch, school, operator):
    from verval.sptjm import actions as sptjm_actions
    from verval.sptjm import selectors as sptjm_selectors

    period = make_period("2020-09A", starts=date(2020, 9, 1))  # open
    make_period("2020-10A", starts=date(2020, 10, 1), is_open=False)
    aktif(school, 2)
    sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    counted: list[list[str]] = []
    real = sptjm_selectors.live_documents_count

    def counting(codes):  # type: ignore[no-untyped-def]
        counted.append(list(codes))
        return real(codes)

    monkeypatch.setattr(sptjm_selectors, "live_documents_count", counting)

    closed = _run("close", "2020-09A", "--yes")
    _call("open", "2020-09A")
    opened = _run("open", "2020-10A", "--yes")

    assert (closed["live_documents"], opened["live_documents"]) == (1, 1)
    # One count per command that closes a period (reopening 2020-09A closed nothing: no count).
    assert counted == [["2020-09A"], ["2020-09A"]]
