"""The audit log is read by those who answer for it (decision 0135): Pusdatin every row, a Dinas
the rows of its schools and region, nobody else; on the "Jejak audit" page, in its CSV (itself
audited) and with `verval audit`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import SchoolFactory
from verval.accounts import access
from verval.core import audit, selectors
from verval.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_action_list():  # type: ignore[no-untyped-def]
    cache.delete(selectors.AUDIT_ACTIONS_CACHE)


def _at(row: AuditEvent, when: datetime) -> AuditEvent:
    AuditEvent.objects.filter(pk=row.pk).update(at=when)
    row.refresh_from_db()
    return row


@pytest.fixture
def log(school, other_school, operator, pusdatin):  # type: ignore[no-untyped-def]
    """One row of each kind of scope: the fixture school's (regency 020500), the other school's
    (regency 020600), a kecamatan of the fixture regency without a school, the province, and a
    provider's API call with neither school nor region."""
    with audit.acting_via("web"):
        school_row = audit.record(
            actor=operator,
            action="change_number",
            object_type="recipient",
            object_id=7,
            school_id=school.npsn,
            before={"nomor": "0812****7890"},
            after={"nomor": "0813****1111"},
            note="perbaikan",
        )
    with audit.acting_via("api"):
        api_row = audit.record(
            actor=None,
            action="api_list_batches",
            provider="telkomsel",
            note="token abcd1234",
            ip="192.0.2.7",
        )
    rows = {
        "school": school_row,
        "other_school": audit.record(
            actor=pusdatin, action="change_number", school_id=other_school.npsn, ip="10.0.0.9"
        ),
        "district": audit.record(actor=pusdatin, action="download_behind_schools_csv", region_code="020501"),
        "province": audit.record(actor=pusdatin, action="download_region_school_list", region_code="020000"),
        "api": api_row,
    }
    for i, key in enumerate(rows):
        rows[key] = _at(rows[key], datetime(2020, 9, 10 + i, 3, 0, tzinfo=UTC))
    return rows


def _ids(qs) -> list[int]:  # type: ignore[no-untyped-def]
    return list(qs.values_list("pk", flat=True))


def test_pusdatin_reads_every_row_newest_first(log, pusdatin):  # type: ignore[no-untyped-def]
    rows = selectors.audit_events(pusdatin, selectors.AuditFilters())

    assert _ids(rows) == [log[k].pk for k in ("api", "province", "district", "other_school", "school")]


def test_a_regency_dinas_reads_its_schools_and_its_regions_rows_only(log, dinas_kab):  # type: ignore[no-untyped-def]
    rows = selectors.audit_events(dinas_kab, selectors.AuditFilters())

    assert _ids(rows) == [log["district"].pk, log["school"].pk]


def test_a_province_dinas_reads_every_row_of_its_province_and_none_without_school_or_region(  # type: ignore[no-untyped-def]
    log, dinas_prov
):
    rows = selectors.audit_events(dinas_prov, selectors.AuditFilters())

    assert _ids(rows) == [log[k].pk for k in ("province", "district", "other_school", "school")]


def test_a_dinas_of_another_regency_reads_no_row_of_the_fixture_regency(log, other_dinas_kab):  # type: ignore[no-untyped-def]
    rows = selectors.audit_events(other_dinas_kab, selectors.AuditFilters())

    assert _ids(rows) == [log["other_school"].pk]


def test_a_row_naming_a_school_of_the_dinas_is_its_whatever_region_the_row_names(school, dinas_kab):  # type: ignore[no-untyped-def]
    row = audit.record(actor=None, action="print_sptjm", school_id=school.npsn, region_code="990000")

    assert _ids(access.audit_for(dinas_kab)) == [row.pk]


@pytest.mark.parametrize("who", ["operator", "provider_user", "other_provider_user"])
def test_operators_and_providers_read_no_audit_row(log, who, request):  # type: ignore[no-untyped-def]
    assert _ids(access.audit_for(request.getfixturevalue(who))) == []


@pytest.mark.parametrize("who", ["operator", "provider_user"])
def test_the_page_and_its_csv_refuse_operators_and_providers(log, who, request, client):  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("core:audit")).status_code == 403
    assert client.get(reverse("core:audit_csv")).status_code == 403
    assert AuditEvent.objects.filter(action="download_audit_csv").count() == 0


def test_the_page_shows_a_dinas_its_rows_masked_as_stored_without_ip(log, dinas_kab, client):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)

    response = client.get(reverse("core:audit"))
    page = response.content.decode()

    assert [e.pk for e in response.context["rows"]] == [log["district"].pk, log["school"].pk]
    assert "Nomor diubah" in page and "change_number" in page
    assert "download_behind_schools_csv" in page
    assert (
        "{&quot;nomor&quot;: &quot;0812****7890&quot;} → {&quot;nomor&quot;: &quot;0813****1111&quot;}"
        in page
    )
    assert "perbaikan" in page
    # The provider API's actions name no school or region: not offered to a Dinas.
    assert [code for code, _label in response.context["actions"]] == [
        "change_number",
        "download_behind_schools_csv",
        "download_region_school_list",
    ]
    assert "192.0.2.7" not in page and "10.0.0.9" not in page
    assert ">IP<" not in page


def test_the_page_shows_pusdatin_the_ip_and_who_called_the_api(log, pusdatin, client):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    response = client.get(reverse("core:audit"))
    page = response.content.decode()

    assert "192.0.2.7" in page and "10.0.0.9" in page
    assert "token API" in page
    assert [code for code, _label in response.context["actions"]][0] == "api_list_batches"


def test_the_filters_narrow_the_rows_and_stay_in_the_page_links(log, pusdatin, client, school):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    query = {"aksi": "change_number", "pengguna": "operator", "npsn": school.npsn, "dari": "2020-09-10"}

    response = client.get(reverse("core:audit"), query)

    assert [e.pk for e in response.context["rows"]] == [log["school"].pk]
    assert (
        response.context["query"]
        == f"aksi=change_number&pengguna=operator&npsn={school.npsn}&dari=2020-09-10"
    )
    assert response.context["errors"] == {}


def test_the_dates_are_days_in_wib_both_ends_included(log, pusdatin):  # type: ignore[no-untyped-def]
    # The rows are at 03:00 UTC = 10:00 WIB of the 10th to the 14th.
    late = _at(
        audit.record(actor=None, action="x"), datetime(2020, 9, 11, 17, 30, tzinfo=UTC)
    )  # 12th 00:30 WIB
    filters, errors = selectors.audit_filters({"dari": "2020-09-12", "sampai": "2020-09-13"})

    assert errors == {}
    assert _ids(selectors.audit_events(pusdatin, filters)) == [
        log["province"].pk,
        log["district"].pk,
        late.pk,
    ]


# A number typed into the user field reaches the address of a GET form; the answer carries it nowhere.
@pytest.mark.address_typed_by_a_client
def test_a_refused_filter_is_said_and_never_echoed(pusdatin, client):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    response = client.get(
        reverse("core:audit"),
        {"pengguna": "0812 3456 7890", "npsn": "123", "dari": "kemarin", "provider": "x"},
    )

    page = response.content.decode()
    assert sorted(response.context["errors"]) == ["dari", "npsn", "pengguna", "provider"]
    assert response.context["errors"]["pengguna"] == (
        "Tulis nama akun (nama pengguna), bukan nama orang atau nomor ponsel."
    )
    assert "3456" not in page
    assert 'aria-invalid="true" aria-describedby="e-pengguna"' in page
    assert response.context["query"] == ""


def test_the_end_day_before_the_start_day_is_refused():  # type: ignore[no-untyped-def]
    filters, errors = selectors.audit_filters({"dari": "2020-09-12", "sampai": "2020-09-11"})

    assert errors == {"sampai": "Tanggal akhir lebih awal dari tanggal mulai."}
    assert filters == selectors.AuditFilters(since=datetime(2020, 9, 12).date())


def test_the_page_offers_the_next_page_when_one_more_row_is_there(pusdatin, client):  # type: ignore[no-untyped-def]
    AuditEvent.objects.bulk_create(
        [AuditEvent(action="validate") for _ in range(selectors.AUDIT_PAGE_SIZE + 1)]
    )
    client.force_login(pusdatin)

    first = client.get(reverse("core:audit"), {"aksi": "validate"})
    second = client.get(reverse("core:audit"), {"aksi": "validate", "hal": "2"})
    past = client.get(reverse("core:audit"), {"aksi": "validate", "hal": "3"})

    assert (len(first.context["rows"]), first.context["has_next"]) == (50, True)
    assert "?aksi=validate&amp;hal=2" in first.content.decode()
    assert (len(second.context["rows"]), second.context["has_next"]) == (1, False)
    assert past.status_code == 302 and past["Location"] == "/jejak-audit/?aksi=validate"


def test_the_action_select_lists_the_actions_present(log):  # type: ignore[no-untyped-def]
    assert selectors.audit_actions() == [
        "api_list_batches",
        "change_number",
        "download_behind_schools_csv",
        "download_region_school_list",
    ]


def test_the_csv_holds_the_filtered_rows_and_its_download_is_audited_with_the_filters(  # type: ignore[no-untyped-def]
    log, dinas_kab, client
):
    client.force_login(dinas_kab)

    response = client.get(reverse("core:audit_csv"), {"aksi": "change_number"})

    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == selectors.AUDIT_COLUMNS
    assert rows[1:] == [
        [
            str(log["school"].pk),
            "2020-09-10T10:00:00+07:00",
            "operator",
            "web",
            "change_number",
            "recipient",
            "7",
            log["school"].school_id,
            "",
            "",
            '{"nomor": "0812****7890"}',
            '{"nomor": "0813****1111"}',
            "perbaikan",
            "",
        ]
    ]
    assert response["Content-Disposition"].startswith('attachment; filename="jejak-audit-020500-')
    download = AuditEvent.objects.get(action="download_audit_csv")
    assert (download.actor, download.region_code, download.note) == (
        dinas_kab,
        "020500",
        "format=csv aksi=change_number",
    )


def test_pusdatins_csv_holds_the_ip(log, pusdatin, client):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    body = b"".join(
        client.get(reverse("core:audit_csv"), {"provider": "telkomsel"}).streaming_content
    ).decode()

    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r[2:5] for r in rows[1:]] == [["", "api", "api_list_batches"]]
    assert rows[1][-1] == "192.0.2.7"
    assert AuditEvent.objects.get(action="download_audit_csv").note == "format=csv provider=telkomsel"


# A number typed into the user field reaches the address of a GET form; the answer carries it nowhere.
@pytest.mark.address_typed_by_a_client
def test_a_csv_asked_with_a_refused_filter_exports_nothing_and_leads_to_the_page(pusdatin, client):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    response = client.get(reverse("core:audit_csv"), {"pengguna": "0812-3456-7890", "aksi": "validate"})

    assert response.status_code == 302
    assert response["Location"] == "/jejak-audit/?aksi=validate"
    assert AuditEvent.objects.filter(action="download_audit_csv").count() == 0


def test_the_home_pages_of_pusdatin_and_dinas_link_the_audit_log(pusdatin, dinas_kab, client):  # type: ignore[no-untyped-def]
    for user, page in ((pusdatin, "core:pusdatin"), (dinas_kab, "core:dinas"), (dinas_kab, "accounts:home")):
        client.force_login(user)
        assert 'href="/jejak-audit/"' in client.get(reverse(page)).content.decode(), page


# --- verval audit ---------------------------------------------------------------------------------


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    out = StringIO()
    call_command("audit", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_verval_audit_lists_every_row_newest_first_with_the_ip(log):  # type: ignore[no-untyped-def]
    data = _json("--limit", "2")

    assert [e["id"] for e in data["events"]] == [log["api"].pk, log["province"].pk]
    assert data["events"][0] == {
        "id": log["api"].pk,
        "at": "2020-09-14T03:00:00+00:00",
        "user": "",
        "via": "api",
        "action": "api_list_batches",
        "object_type": "",
        "object_id": "",
        "school_id": "",
        "region_code": "",
        "provider": "telkomsel",
        "before": None,
        "after": None,
        "note": "token abcd1234",
        "ip": "192.0.2.7",
    }
    assert (data["more"], data["next_before"]) == (True, log["province"].pk)
    rest = _json("--before", str(data["next_before"]))
    assert [e["id"] for e in rest["events"]] == [log[k].pk for k in ("district", "other_school", "school")]
    assert (rest["more"], rest["next_before"]) == (False, None)


def test_verval_audit_filters_by_user_school_provider_and_days(log, school):  # type: ignore[no-untyped-def]
    assert [e["id"] for e in _json("--user", "operator")["events"]] == [log["school"].pk]
    assert [e["id"] for e in _json("--school", school.npsn)["events"]] == [log["school"].pk]
    assert [e["id"] for e in _json("--provider", "telkomsel")["events"]] == [log["api"].pk]
    days = _json("--since", "2020-09-11", "--until", "2020-09-12", "--action", "change_number")
    assert [e["id"] for e in days["events"]] == [log["other_school"].pk]


def test_verval_audit_prints_a_table_in_wib(log):  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("audit", "--school", log["school"].school_id, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "at", "(WIB)", "user", "via", "action", "object", "school", "provider"]
    assert lines[1].split() == [
        str(log["school"].pk),
        "2020-09-10",
        "10:00:00",
        "operator",
        "web",
        "change_number",
        "recipient:7",
        log["school"].school_id,
        "-",
    ]
    assert (
        lines[2].strip() == 'change: {"nomor": "0812****7890"} -> {"nomor": "0813****1111"}; note: perbaikan'
    )


def test_verval_audit_refuses_a_phone_number_as_user_without_repeating_it(db, capsys):  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as refused:
        call_command("audit", "--user", "081234567890", "--json")

    assert refused.value.returncode == 2
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["error_code"] == "ARGUMEN_TIDAK_SAH"
    assert line["message"] == "--user: an account's user name (not a person's name or a phone number)"


def test_verval_audit_reads_and_writes_nothing(log):  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.count()
    _json()
    assert AuditEvent.objects.count() == before


def test_a_school_created_after_its_rows_brings_them_to_its_dinas(dinas_kab):  # type: ignore[no-untyped-def]
    row = audit.record(actor=None, action="print_sptjm", school_id="20999999")
    assert _ids(access.audit_for(dinas_kab)) == []

    SchoolFactory(npsn="20999999")

    assert _ids(access.audit_for(dinas_kab)) == [row.pk]
