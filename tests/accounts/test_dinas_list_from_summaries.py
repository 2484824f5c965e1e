"""The Dinas school list (decision 0085), the Dinas home page (decision 0090) and Pusdatin's home
page (decision 0091) read the dashboard's school summaries, with the figures they counted before: every column, every order,
every filter, every status, right after an edit, an import and a provider batch, before and after
the refresh that follows them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import RecipientFactory, SchoolFactory, UserFactory
from tests.imports.helpers import NPSN, many, write
from verval.accounts import access, selectors
from verval.core import jobs
from verval.core.models import Job
from verval.dashboard import selectors as dashboard_selectors
from verval.dashboard import services
from verval.dashboard.models import DirtySchool, SchoolSummary
from verval.registry.models import NumberStatus, Recipient

pytestmark = pytest.mark.django_db

NANGGUNG = "020501"  # Kab. Bogor
LEUWILIANG = "020502"  # Kab. Bogor
SUKABUMI = "020600"
# The Dinas home page's queries when read from the summaries: 6 when it counted (decision 0090).
HOME_QUERIES = 9
SORTS = [s for key in selectors.DINAS_SORTS for s in (key, "-" + key)]
# Kab. Bogor's home page counted from the recipients of `region`, and read with the first
# school's summary made to say 40 AKTIF and 7 RESIDU instead of 4 and 1.
COUNTED_HOME = {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 6, "RESIDU": 3}
# The nation (Pusdatin's home page) counted: Kab. Bogor and Kab. Sukabumi's school.
NATION_COUNTED = {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 8, "RESIDU": 3}
SUMMARY_HOME = {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 42, "RESIDU": 9}


@pytest.fixture
def region(school, other_school):  # type: ignore[no-untyped-def]
    """Kab. Bogor: schools of every kind of progress in two kecamatan, one without recipients,
    one whose only recipients left; Kab. Sukabumi: the other school (the province's only)."""
    late = SchoolFactory(npsn="20199998", name="SD Negeri Nanggung Terlambat")
    west = SchoolFactory(npsn="20199997", name="SMP Negeri Leuwiliang", bentuk="SMP", region_id=LEUWILIANG)
    SchoolFactory(npsn="20199996", name="SD Negeri Kosong")
    gone = SchoolFactory(npsn="20199995", name="SD Negeri Pindah", region_id=LEUWILIANG)
    RecipientFactory.create_batch(3, school=school, status="AKTIF")
    RecipientFactory(school=school, status="RESIDU", reason="MASA_TENGGANG")
    RecipientFactory(school=school, status="AKTIF", kind="PTK", category="PTK", nisn="")
    RecipientFactory(school=school, status="AKTIF", active=False)  # left the school: not counted
    RecipientFactory(school=late, status="BELUM_VERVAL")
    RecipientFactory(school=late, status="AKTIF")
    RecipientFactory(school=late, status="FORMAT_SALAH", phone_raw="021555123", phone_e164="", operator="")
    RecipientFactory.create_batch(2, school=west, status="RESIDU", reason="TIDAK_AKTIF")
    RecipientFactory(school=west, status="MENUNGGU_PROVIDER")
    RecipientFactory(school=west, status="AKTIF")
    RecipientFactory(school=gone, status="AKTIF", active=False)
    RecipientFactory.create_batch(2, school=other_school, status="AKTIF")
    return school, late, west


def _rows(user, counted, **where):  # type: ignore[no-untyped-def]
    return {
        sort: [
            (s.npsn, s.total, s.aktif, s.residu, s.share)
            for s in selectors.region_school_rows(user, sort=sort, counted=counted, **where)
        ]
        for sort in SORTS
    }


def _home_counted(user):  # type: ignore[no-untyped-def]
    """The home page's figures counted from the recipients, as before decision 0090."""
    live = access.recipients_for(user).filter(active=True)
    counts = {s: live.filter(status=s).count() for s in NumberStatus.values}
    by_status = {s: n for s, n in counts.items() if n}
    return sum(by_status.values()), by_status


def _home(user):  # type: ignore[no-untyped-def]
    summary = selectors.home_summary(user)
    return summary["recipients"], summary["by_status"]


def _assert_same_figures(*users):  # type: ignore[no-untyped-def]
    """The list as shown (summaries when current) = the list as counted from the recipients, in
    every order and under every filter, for each Dinas, and so are the figures of its home page
    (and of Pusdatin's, which has no list); returns the counted list by share."""
    for user in users:
        assert _home(user) == _home_counted(user), user.role
        if user.role == "PUSDATIN":
            continue
        for where in (
            {},
            {"regency": "020500"},
            {"district": NANGGUNG},
            {"district": LEUWILIANG},
            {"q": "Negeri"},
        ):
            assert _rows(user, None, **where) == _rows(user, True, **where), (user.role, where)
    return _rows(users[0], True)["share"]


def _counted(npsn):  # type: ignore[no-untyped-def]
    live = Recipient.objects.filter(school_id=npsn, active=True)
    return (live.count(), live.filter(status="AKTIF").count(), live.filter(status="RESIDU").count())


def _summary(npsn):  # type: ignore[no-untyped-def]
    row = SchoolSummary.objects.filter(school_id=npsn).values_list("imported", "aktif", "residu").first()
    return row or (0, 0, 0)


def _run(job):  # type: ignore[no-untyped-def]
    """A job run to its end, as the worker does, but the refresh it schedules on commit is not run:
    the list is read in the moment between the job and the dashboard's refresh."""
    job = jobs.run(job.pk)
    assert job.state == "SUCCEEDED", job.error_message_en
    return job


def test_every_figure_is_the_counted_one_after_an_edit_an_import_and_a_batch(
    region, dinas_kab, dinas_prov, operator, pusdatin, tmp_path
):  # type: ignore[no-untyped-def]
    from verval.exchange import actions as exchange_actions
    from verval.exchange.models import DumpBatch
    from verval.imports.actions import import_file
    from verval.registry import actions as registry_actions

    school, late, west = region
    services.refresh_all()
    assert dashboard_selectors.summaries_follow_every_job()
    assert not DirtySchool.objects.exists()
    assert _assert_same_figures(dinas_kab, dinas_prov, pusdatin)[:3] == [
        ("20199995", 0, 0, 0, 0.0),
        ("20199996", 0, 0, 0, 0.0),
        (west.npsn, 4, 1, 2, 0.25),
    ]
    assert (_home(dinas_kab), _home(dinas_prov)) == (
        (12, {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 6, "RESIDU": 3}),
        (14, {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 8, "RESIDU": 3}),
    )

    # 1. An edit: the operator changes an AKTIF number. The school is dirty and its summary behind
    #    (the refresh task runs after the commit); the list counts that school live.
    aktif = Recipient.objects.filter(school=school, status="AKTIF", kind="PD").first()
    registry_actions.change_number(
        actor=operator, recipient_id=aktif.pk, new_raw="081299990000", expected_version=aktif.version
    )
    assert list(DirtySchool.objects.values_list("npsn", flat=True)) == [school.npsn]
    assert (_summary(school.npsn), _counted(school.npsn)) == ((5, 4, 1), (5, 3, 1))
    assert dashboard_selectors.summaries_follow_every_job()
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)
    services.refresh_dirty()
    assert _summary(school.npsn) == (5, 3, 1)
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)

    # 2. A cutoff import (a job) brings a new school of 12 recipients into Kab. Bogor; the full
    #    refresh it asks for has not run yet.
    import_file(write(tmp_path / "cutoff.csv", many(12)), actor=pusdatin)
    assert (_summary(NPSN), _counted(NPSN)) == ((0, 0, 0), (12, 0, 0))
    assert not dashboard_selectors.summaries_follow_every_job()
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)
    services.refresh_all()
    assert dashboard_selectors.summaries_follow_every_job()
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)

    # 3. A provider batch: validation, the dump, the provider's answers (three jobs).
    _run(jobs.create_job(actor=pusdatin, kind="validate"))
    assert not dashboard_selectors.summaries_follow_every_job()
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)
    _run(jobs.create_job(actor=pusdatin, kind="dump", params={"provider": "telkomsel"}))
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)
    services.refresh_all()
    batch = DumpBatch.objects.get(provider="telkomsel")
    waiting = list(
        Recipient.objects.filter(school_id=NPSN, status="MENUNGGU_PROVIDER").order_by("phone_e164")
    )
    answers = [(r.pk, r.phone_e164[1:], "AKTIF") for r in waiting[:9]]
    answers += [(r.pk, r.phone_e164[1:], "TIDAK_AKTIF") for r in waiting[9:]]
    path = tmp_path / "hasil.csv"
    path.write_text(
        "pd_id,no_ponsel,status\n" + "".join(f"{pk},{phone},{status}\n" for pk, phone, status in answers)
    )
    _run(exchange_actions.create_ingest_job(actor=pusdatin, batch=batch, path=path))
    assert (_summary(NPSN), _counted(NPSN)) == ((12, 0, 0), (12, 9, 3))
    assert not dashboard_selectors.summaries_follow_every_job()
    _assert_same_figures(dinas_kab, dinas_prov, pusdatin)
    services.refresh_all()
    assert dashboard_selectors.summaries_follow_every_job()
    assert _assert_same_figures(dinas_kab, dinas_prov, pusdatin)[-1] == (NPSN, 12, 9, 3, 0.75)
    assert _home(dinas_kab) == (
        24,
        {"FORMAT_SALAH": 4, "MENUNGGU_PROVIDER": 8, "AKTIF": 9, "RESIDU": 3},
    )


def test_the_page_and_its_downloads_read_the_summaries_when_they_are_current(client, region, dinas_kab):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    # A summary that disagrees with the recipients shows which one the page read.
    SchoolSummary.objects.filter(school_id=school.npsn).update(imported=50, aktif=40, residu=7)
    client.force_login(dinas_kab)
    page = client.get(reverse("core:dinas"), {"sort": "-aktif"})
    first = page.context["schools"][0]
    assert (first.npsn, first.total, first.aktif, first.residu, first.share_pct) == (
        school.npsn,
        50,
        40,
        7,
        80.0,
    )
    body = b"".join(client.get(reverse("core:dinas_export"), {"sort": "-aktif"}).streaming_content)
    line = next(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert (line["npsn"], line["penerima"], line["aktif"], line["persen_aktif"], line["residu"]) == (
        school.npsn,
        "50",
        "40",
        "80.0",
        "7",
    )


def test_a_dirty_school_is_counted_from_its_recipients(region, dinas_kab):  # type: ignore[no-untyped-def]
    school, late, _west = region
    services.refresh_all()
    SchoolSummary.objects.filter(school_id__in=[school.npsn, late.npsn]).update(
        imported=50, aktif=40, residu=7
    )
    services.mark_dirty([school.npsn])
    rows = {s.npsn: (s.total, s.aktif, s.residu) for s in selectors.region_school_rows(dinas_kab)}
    assert (rows[school.npsn], rows[late.npsn]) == ((5, 4, 1), (50, 40, 7))
    # The home page: the dirty school's 4 AKTIF and 1 RESIDU counted, the other's 40 and 7 read.
    assert _home(dinas_kab) == (
        58,
        {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 45, "RESIDU": 10},
    )


def test_a_list_with_more_dirty_schools_than_the_limit_is_counted_whole(region, dinas_kab, monkeypatch):  # type: ignore[no-untyped-def]
    school, late, _west = region
    services.refresh_all()
    SchoolSummary.objects.filter(school_id__in=[school.npsn, late.npsn]).update(
        imported=50, aktif=40, residu=7
    )
    monkeypatch.setattr(dashboard_selectors, "DIRTY_COUNTED_MAX", 1)
    services.mark_dirty(["20199996", "20199995"])
    rows = {s.npsn: (s.total, s.aktif, s.residu) for s in selectors.region_school_rows(dinas_kab)}
    assert (rows[school.npsn], rows[late.npsn]) == ((5, 4, 1), (3, 1, 0))
    assert _home(dinas_kab) == (12, COUNTED_HOME)


@pytest.mark.parametrize(
    ("kind", "state", "school_id", "ended", "counted"),
    [
        ("import_dapodik", "RUNNING", "", None, True),
        ("validate", "SUCCEEDED", "", 1, True),  # ended after the refresh began
        ("ingest_results", "SUCCEEDED", "", -3600, False),  # refreshed since
        ("dump", "FAILED", "", 1, False),  # rolled back: nothing changed
        ("bulk_correction", "SUCCEEDED", "20199998", 1, False),  # its school is marked dirty instead
        ("export_behind", "SUCCEEDED", "", 1, False),  # changes nothing
    ],
)
def test_the_list_counts_while_the_summaries_may_miss_a_job(
    region, dinas_kab, kind, state, school_id, ended, counted
):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    SchoolSummary.objects.filter(school_id=school.npsn).update(imported=50, aktif=40, residu=7)
    finished = timezone.now() + timedelta(seconds=ended) if ended is not None else None
    Job.objects.create(
        kind=kind,
        state=state,
        school_id=school_id,
        finished_at=finished,
        created_by=UserFactory(role="PUSDATIN"),
    )
    rows = {s.npsn: (s.total, s.aktif, s.residu) for s in selectors.region_school_rows(dinas_kab)}
    assert rows[school.npsn] == ((5, 4, 1) if counted else (50, 40, 7))
    assert _home(dinas_kab) == ((12, COUNTED_HOME) if counted else (54, SUMMARY_HOME))


def test_before_the_first_full_refresh_the_list_counts(region, dinas_kab):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_schools([school.npsn])  # a school's refresh alone is not a full one
    SchoolSummary.objects.filter(school_id=school.npsn).update(imported=50, aktif=40, residu=7)
    assert not dashboard_selectors.summaries_follow_every_job()
    rows = {s.npsn: (s.total, s.aktif, s.residu) for s in selectors.region_school_rows(dinas_kab)}
    assert rows[school.npsn] == (5, 4, 1)
    assert _home(dinas_kab) == (12, COUNTED_HOME)


def test_the_list_from_the_summaries_costs_the_same_queries_whatever_the_schools(
    client, region, dinas_kab, django_assert_num_queries
):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    client.force_login(dinas_kab)
    # The page's queries (9 before decision 0085), the summaries' state, the jobs since their
    # refresh and the dirty schools of the list; one more counts the dirty schools' recipients.
    with django_assert_num_queries(12):
        assert client.get(reverse("core:dinas")).status_code == 200
    services.mark_dirty([school.npsn])
    with django_assert_num_queries(13):
        assert client.get(reverse("core:dinas")).status_code == 200
    for n in range(30):
        SchoolFactory(npsn=f"2019{n:04d}", name=f"SD Negeri Tambahan {n}")
    services.refresh_all()
    services.mark_dirty(["20190001", "20190002", "20190003"])
    with django_assert_num_queries(13):
        assert client.get(reverse("core:dinas")).status_code == 200


def test_the_dinas_home_page_shows_the_summaries_when_they_are_current(client, region, dinas_prov):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    # A summary that disagrees with the recipients (and with its own `imported`, which the home
    # page does not read) shows which one the page read.
    SchoolSummary.objects.filter(school_id=school.npsn).update(belum=20, menunggu=0, aktif=40, residu=7)
    client.force_login(dinas_prov)
    summary = client.get(reverse("accounts:home")).context["summary"]
    assert (summary["schools"], summary["recipients"], summary["by_status"]) == (
        6,
        76,
        {"BELUM_VERVAL": 21, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 44, "RESIDU": 9},
    )
    # A school of the province made dirty: its figures are counted again.
    services.mark_dirty([school.npsn])
    summary = client.get(reverse("accounts:home")).context["summary"]
    assert (summary["recipients"], summary["by_status"]) == (
        14,
        {"BELUM_VERVAL": 1, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 8, "RESIDU": 3},
    )


def test_pusdatin_home_page_shows_the_summaries_when_they_are_current(client, region, pusdatin):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    # A summary that disagrees with the recipients shows which one the page read (decision 0091).
    SchoolSummary.objects.filter(school_id=school.npsn).update(belum=20, menunggu=0, aktif=40, residu=7)
    client.force_login(pusdatin)
    summary = client.get(reverse("accounts:home")).context["summary"]
    assert (summary["recipients"], summary["by_status"]) == (
        76,
        {"BELUM_VERVAL": 21, "FORMAT_SALAH": 1, "MENUNGGU_PROVIDER": 1, "AKTIF": 44, "RESIDU": 9},
    )
    # The school made dirty (an edit not yet refreshed): the nation's figures are counted again.
    services.mark_dirty([school.npsn])
    summary = client.get(reverse("accounts:home")).context["summary"]
    assert (summary["recipients"], summary["by_status"]) == _home_counted(pusdatin) == (14, NATION_COUNTED)


def test_pusdatin_home_page_counts_while_the_summaries_may_miss_a_job(region, pusdatin):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    SchoolSummary.objects.filter(school_id=school.npsn).update(aktif=40, residu=7)
    assert _home(pusdatin) == (56, NATION_COUNTED | {"AKTIF": 44, "RESIDU": 9})
    Job.objects.create(kind="validate", state="RUNNING", created_by=pusdatin)
    assert _home(pusdatin) == _home_counted(pusdatin) == (14, NATION_COUNTED)


def test_the_operator_home_page_still_counts(region, operator):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    SchoolSummary.objects.filter(school_id=school.npsn).update(aktif=40, residu=7)
    assert _home(operator) == (5, {"AKTIF": 4, "RESIDU": 1})


# Pusdatin's page has no region to name: one query fewer (5 when it counted, decision 0091); a
# Dinas's counts the registrations waiting for its decision: one more (decision 0109).
@pytest.mark.parametrize(
    ("role", "queries"), [("dinas_kab", HOME_QUERIES + 1), ("pusdatin", HOME_QUERIES - 1)]
)
def test_the_home_page_from_the_summaries_costs_the_same_queries_whatever_the_schools(
    client, region, role, queries, request, django_assert_num_queries
):  # type: ignore[no-untyped-def]
    school, _late, _west = region
    services.refresh_all()
    client.force_login(request.getfixturevalue(role))
    # The page's queries (6 before decision 0090, one of them the count of the recipients by
    # status), now the summaries' state, the jobs since their refresh, the dirty schools and the
    # summaries' sums instead; one more counts the dirty schools' recipients.
    with django_assert_num_queries(queries):
        assert client.get(reverse("accounts:home")).status_code == 200
    services.mark_dirty([school.npsn])
    with django_assert_num_queries(queries + 1):
        assert client.get(reverse("accounts:home")).status_code == 200
    for n in range(30):
        SchoolFactory(npsn=f"2019{n:04d}", name=f"SD Negeri Tambahan {n}")
    services.refresh_all()
    services.mark_dirty(["20190001", "20190002", "20190003"])
    with django_assert_num_queries(queries + 1):
        assert client.get(reverse("accounts:home")).status_code == 200
