"""Every audit row says where it came from (decision 0138): `web`, `api`, `cli:<OS login>`,
`job:<origin>` (the origin of whoever queued the job), `system`; an OS login is cleaned and a
phone number in it masked. The page, its CSV, `verval audit` and the provider API show it."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import RecipientFactory
from tests.imports.helpers import csv_text, many, write
from verval import cli
from verval.core import audit, jobs, selectors
from verval.core.models import AuditEvent, Job
from verval.exchange import actions as exchange_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(monkeypatch):  # type: ignore[no-untyped-def]
    """The OS account running the command: `budi` (no sudo)."""
    monkeypatch.delenv("SUDO_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "budi")
    return "budi"


def _token_via_command(*args: str) -> AuditEvent:
    call_command("provider_token", "--provider", "telkomsel", *args, stdout=StringIO())
    return AuditEvent.objects.get(action="issue_provider_token")


def test_a_row_written_by_a_command_says_cli_and_the_os_login(login):  # type: ignore[no-untyped-def]
    row = _token_via_command()

    assert (row.actor, row.via) == (None, "cli:budi")


def test_a_command_run_through_sudo_names_the_login_that_called_sudo(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SUDO_USER", "siti.admin")
    monkeypatch.setattr("getpass.getuser", lambda: "root")

    assert _token_via_command().via == "cli:siti.admin"


def test_the_verval_entry_point_marks_every_command_even_djangos(login, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    from django.db import connections

    # Django closes the connections after a command run from argv: the test's transaction stays.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    # Nor is Django set up again: that configures logging on this test's captured stderr, which
    # the later tests of this process would write to after it is closed.
    monkeypatch.setattr("django.setup", lambda *args, **kwargs: None)
    cli.main(["verval", "provider-token", "--provider", "telkomsel", "--json"])

    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["provider"] == "telkomsel"
    assert AuditEvent.objects.get(action="issue_provider_token").via == "cli:budi"
    # Nothing outlives the command: the next row written here is the system's.
    assert audit.current_via() == "system"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("root", "root"),
        ("ad min/x", "ad_min_x"),
        ("a" * 40, "a" * 32),
        ("081234567890", "0812****7890"),
        ("u6281234567890", "u0812****7890"),
        ("", "unknown"),
    ],
)
def test_an_os_login_is_cleaned_cut_and_a_phone_number_in_it_masked(monkeypatch, typed, kept):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SUDO_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: typed)

    assert audit.os_login() == kept


def test_a_login_that_is_a_phone_number_is_stored_masked(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SUDO_USER", "0812-3456-7890")

    assert _token_via_command().via == "cli:0812****7890"


def test_an_os_login_with_no_name_for_its_uid_is_unknown(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SUDO_USER", raising=False)

    def no_name() -> str:
        raise KeyError("getpwuid(): uid not found: 1000")

    monkeypatch.setattr("getpass.getuser", no_name)

    assert audit.cli_via() == "cli:unknown"


def test_a_row_written_outside_any_request_command_or_job_is_the_systems(pusdatin):  # type: ignore[no-untyped-def]
    assert audit.record(actor=pusdatin, action="x").via == "system"


def test_a_job_queued_by_a_command_and_run_inline_says_job_cli(login, tmp_path):  # type: ignore[no-untyped-def]
    call_command("import_dapodik", str(write(tmp_path / "a.csv", many(3))), stdout=StringIO())

    job = Job.objects.get(kind="import_dapodik")
    row = AuditEvent.objects.get(action="import_dapodik")
    assert (job.origin, row.actor, row.via) == ("cli:budi", None, "job:cli:budi")


def test_a_job_queued_on_the_command_line_and_run_by_the_worker_says_job_cli(login):  # type: ignore[no-untyped-def]
    from verval.core.tasks import run_job_task

    with audit.acting_via(audit.cli_via()):
        job = jobs.create_job(actor=None, kind="validate")
    # The worker's process is the system's; the job's rows are its queuer's.
    with audit.acting_via(audit.SYSTEM):
        assert run_job_task.call(str(job.pk)) == "SUCCEEDED"

    assert list(AuditEvent.objects.filter(action="validate").values_list("actor", "via")) == [
        (None, "job:cli:budi")
    ]


def test_a_job_queued_from_the_page_says_job_web_with_its_account(
    client, pusdatin, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(pusdatin)
    upload = SimpleUploadedFile("cutoff.csv", csv_text(many(3)).encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:upload"), {"file": upload})

    job = Job.objects.get(kind="import_dapodik")
    row = AuditEvent.objects.get(action="import_dapodik")
    assert (job.state, job.origin, row.actor, row.via) == ("SUCCEEDED", "web", pusdatin, "job:web")


def test_a_job_queued_by_a_job_keeps_the_first_origin(pusdatin):  # type: ignore[no-untyped-def]
    with audit.acting_via("job:web"):
        job = jobs.create_job(actor=pusdatin, kind="validate")

    assert (job.origin, audit.job_via(job.origin)) == ("web", "job:web")


def test_a_save_on_a_page_says_web(client, operator, school):  # type: ignore[no-untyped-def]
    r = RecipientFactory(school=school, phone_raw="081211112222", phone_e164="+6281211112222", status="AKTIF")
    client.force_login(operator)

    client.post(f"/sekolah/{r.school_id}/penerima/{r.pk}/ubah/", {"nomor": "081324681357", "versi": "1"})

    row = AuditEvent.objects.get(action="change_number")
    assert (row.actor, row.via) == (operator, "web")
    assert audit.current_via() == "system"


def test_a_provider_api_call_says_api(client):  # type: ignore[no-untyped-def]
    token = exchange_actions.issue_token(actor=None, provider="telkomsel")[1]

    assert client.get("/api/v1/batches", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    row = AuditEvent.objects.get(action="api_list_batches")
    assert (row.actor, row.provider, row.via) == (None, "telkomsel", "api")
    assert audit.current_via() == "system"


def test_the_page_its_csv_and_verval_audit_show_where_a_commands_row_came_from(login, client, pusdatin):  # type: ignore[no-untyped-def]
    row = _token_via_command()
    client.force_login(pusdatin)

    page = client.get(reverse("core:audit"), {"aksi": "issue_provider_token"}).content.decode()
    body = b"".join(
        client.get(reverse("core:audit_csv"), {"aksi": "issue_provider_token"}).streaming_content
    ).decode()
    out = StringIO()
    call_command("audit", "--action", "issue_provider_token", stdout=out)
    data = StringIO()
    call_command("audit", "--action", "issue_provider_token", "--json", stdout=data)

    assert '<span class="muted">sistem</span><br><code class="small">cli:budi</code>' in page
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][2:4] == ["pengguna", "lewat"] and rows[0] == selectors.AUDIT_COLUMNS
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == [
        (str(row.pk), "", "cli:budi", "issue_provider_token")
    ]
    assert out.getvalue().splitlines()[1].split()[3:6] == ["-", "cli:budi", "issue_provider_token"]
    assert [(e["id"], e["user"], e["via"]) for e in json.loads(data.getvalue())["events"]] == [
        (row.pk, "", "cli:budi")
    ]


def test_the_provider_api_gives_its_own_rows_origin_and_only_the_kind_of_pusdatins(login, client):  # type: ignore[no-untyped-def]
    _token_via_command("--json")  # the row of the token's issue, on the command line
    raw = exchange_actions.issue_token(actor=None, provider="telkomsel")[1]  # a second, known token
    AuditEvent.objects.filter(via="system").delete()
    headers = {"Authorization": f"Bearer {raw}"}
    client.get("/api/v1/batches", headers=headers)

    listed = client.get("/api/v1/audit", headers=headers).json()

    assert [(r["action"], r["by"], r["via"]) for r in listed] == [
        ("api_list_batches", "token", "api"),
        ("issue_provider_token", "system", "cli"),
    ]
