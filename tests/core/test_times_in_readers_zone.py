"""Times are shown in the reader's zone with its label (WIB/WITA/WIT), in one format per language;
deadlines stay WIB dates; exports and the API keep ISO 8601 (decision 0037)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from tests.factories import SchoolFactory, UserFactory
from tests.sptjm.conftest import make_period
from verval.accounts import actions as account_actions
from verval.accounts.models import OperatorRegistration
from verval.core.models import AuditEvent
from verval.core.when import format_deadline, format_when
from verval.exchange import actions as exchange_actions
from verval.exchange.models import DumpBatch
from verval.reference import zones
from verval.sptjm.models import Sptjm, SptjmStatus, days_late

# 30 Nov 2026 03:15 UTC: 10.15 WIB, 11.15 WITA, 12.15 WIT.
UPLOADED = datetime(2026, 11, 30, 3, 15, tzinfo=UTC)


def _papua_school():  # type: ignore[no-untyped-def]
    return SchoolFactory(npsn="60300001", region_id="250108", regency_id="250100", province_id="250000")


def _jakarta_school():  # type: ignore[no-untyped-def]
    return SchoolFactory(npsn="20100099", region_id="016001", regency_id="016000", province_id="010000")


def _uploaded_sptjm(school, period):  # type: ignore[no-untyped-def]
    return Sptjm.objects.create(
        number=f"SPTJM/{period.code}/{school.npsn}/1",
        school=school,
        period=period,
        seq=1,
        status=SptjmStatus.DIUNGGAH,
        rows=1,
        content_sha256="0" * 64,
        pdf_path="x.pdf",
        pdf_sha256="0" * 64,
        printed_at=UPLOADED,
        uploaded_at=UPLOADED,
        upload_count=1,
    )


def _signed_in(user, language: str = "id") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    if language != "id":
        client.cookies["django_language"] = language
    return client


def test_every_province_of_the_reference_data_has_a_zone(db):  # type: ignore[no-untyped-def]
    from verval.reference.models import Region

    provinces = set(Region.objects.filter(level=1).values_list("code", flat=True))
    assert set(zones.province_zones()) == provinces
    assert {
        code: zones.zone_of_region(code) for code in ("010000", "220000", "250000", "340000", "270000")
    } == {
        "010000": "WIB",
        "220000": "WITA",
        "250000": "WIT",
        "340000": "WITA",
        "270000": "WIT",
    }


def test_papua_operator_sees_an_upload_time_two_hours_later_than_a_jakarta_operator_labelled_wit(db):  # type: ignore[no-untyped-def]
    period = make_period(is_open=True)
    papua, jakarta = _papua_school(), _jakarta_school()
    _uploaded_sptjm(papua, period)
    _uploaded_sptjm(jakarta, period)
    papua_op = UserFactory(role="OPERATOR", school=papua, username="op.papua")
    jakarta_op = UserFactory(role="OPERATOR", school=jakarta, username="op.jakarta")

    papua_page = _signed_in(papua_op).get(f"/sekolah/{papua.npsn}/sptjm/").content.decode()
    jakarta_page = _signed_in(jakarta_op).get(f"/sekolah/{jakarta.npsn}/sptjm/").content.decode()

    assert "<dt>Diunggah</dt><dd>30 Nov 2026 12.15 WIT " in papua_page
    assert "<dt>Diunggah</dt><dd>30 Nov 2026 10.15 WIB " in jakarta_page


def test_bali_dinas_admin_sees_registration_times_in_wita(db):  # type: ignore[no-untyped-def]
    bali = SchoolFactory(npsn="50100001", region_id="220101", regency_id="220100", province_id="220000")
    dinas = UserFactory(role="DINAS_KAB", region_id="220100", username="dinas.buleleng")
    reg = OperatorRegistration.objects.create(
        school=bali,
        full_name="Made Wirawan",
        email="made@example.test",
        username="made.op",
        password_hash="x",
        letter_path="sk.pdf",
        letter_name="sk.pdf",
    )
    OperatorRegistration.objects.filter(pk=reg.pk).update(created_at=UPLOADED)

    page = _signed_in(dinas).get("/pendaftaran/").content.decode()

    assert '<td data-label="Tanggal">30 Nov 2026 11.15 WITA</td>' in page


def test_english_writes_the_clock_with_a_colon_and_english_months(db):  # type: ignore[no-untyped-def]
    period = make_period(is_open=True)
    papua = _papua_school()
    _uploaded_sptjm(papua, period)
    op = UserFactory(role="OPERATOR", school=papua, username="op.papua")

    page = _signed_in(op, "en").get(f"/sekolah/{papua.npsn}/sptjm/").content.decode()

    assert "<dt>Uploaded</dt><dd>30 Nov 2026 12:15 WIT " in page
    assert "12.15 WIT" not in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [("id", "1 Des 2026 07.05 WITA"), ("en", "1 Dec 2026 07:05 WITA")],
)
def test_a_moment_is_written_day_month_year_clock_and_zone_per_language(language, expected):  # type: ignore[no-untyped-def]
    with translation.override(language), timezone.override(zones.ZONES["WITA"]):
        assert format_when(datetime(2026, 11, 30, 23, 5, tzinfo=UTC)) == expected


def test_a_deadline_is_the_last_minute_of_its_day_in_wib_and_in_the_readers_zone_too():  # type: ignore[no-untyped-def]
    with translation.override("id"):
        with timezone.override(zones.ZONES["WIB"]):
            assert format_deadline(date(2026, 11, 30)) == "30 Nov 2026 23.59 WIB"
        with timezone.override(zones.ZONES["WIT"]):
            assert format_deadline(date(2026, 11, 30)) == "30 Nov 2026 23.59 WIB (1 Des 2026 01.59 WIT)"


def test_a_deadline_passes_at_midnight_wib_even_while_a_papua_reader_is_active(db):  # type: ignore[no-untyped-def]
    deadline = date(2026, 11, 30)
    last_wib_minute = datetime(2026, 11, 30, 16, 59, tzinfo=UTC)  # 23.59 WIB = 01.59 WIT on 1 Dec
    next_wib_day = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 00.00 WIB on 1 Dec
    with timezone.override(zones.ZONES["WIT"]):
        assert days_late(deadline, last_wib_minute) == 0
        assert days_late(deadline, next_wib_day) == 1
    assert zones.deadline_end(deadline) == next_wib_day


def test_papua_operator_sees_the_deadline_in_wib_and_in_wit(db):  # type: ignore[no-untyped-def]
    make_period(is_open=True, sptjm_upload_deadline=date(2099, 9, 25))
    papua = _papua_school()
    op = UserFactory(role="OPERATOR", school=papua, username="op.papua")

    page = _signed_in(op).get(f"/sekolah/{papua.npsn}/sptjm/").content.decode()

    assert "<dd>25 Sep 2099 23.59 WIB (26 Sep 2099 01.59 WIT)</dd>" in page


def test_pusdatin_reads_wib_until_choosing_another_zone_and_the_choice_is_audited(pusdatin, db):  # type: ignore[no-untyped-def]
    client = _signed_in(pusdatin)
    assert "Waktu ditampilkan dalam WIB." in client.get("/beranda/").content.decode()

    response = client.post("/akun/zona-waktu/", {"zona": "WIT", "next": "/beranda/"})

    assert response.status_code == 302 and response["Location"] == "/beranda/"
    assert "Waktu ditampilkan dalam WIT." in client.get("/beranda/").content.decode()
    event = AuditEvent.objects.get(action="set_time_zone")
    assert (event.actor_id, event.before, event.after) == (
        pusdatin.pk,
        {"time_zone": ""},
        {"time_zone": "WIT"},
    )


def test_an_unknown_zone_is_refused_and_changes_nothing(pusdatin, db):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        account_actions.set_time_zone(actor=pusdatin, zone="UTC")
    assert refused.value.messages == ["Zona waktu tidak dikenal."]
    pusdatin.refresh_from_db()
    assert pusdatin.time_zone == ""
    assert not AuditEvent.objects.filter(action="set_time_zone").exists()


def test_provider_api_keeps_iso_8601_times_whatever_zone_the_provider_chose(db, provider_user, school):  # type: ignore[no-untyped-def]
    from tests.factories import RecipientFactory

    RecipientFactory(school=school, status="MENUNGGU_PROVIDER", needs_validation=False)
    (batch,) = exchange_actions.publish_dumps(actor=None, provider="telkomsel")
    DumpBatch.objects.filter(pk=batch.pk).update(created_at=UPLOADED)
    account_actions.set_time_zone(actor=provider_user, zone="WIT")
    token = exchange_actions.issue_token(actor=None, provider="telkomsel")[1]
    client = _signed_in(provider_user)  # a session too: the API must not follow it

    body = client.get("/api/v1/batches", HTTP_AUTHORIZATION=f"Bearer {token}").json()

    assert [(b["id"], b["created_at"]) for b in body] == [(batch.id, "2026-11-30T03:15:00Z")]


def test_dinas_export_of_a_papua_dinas_is_byte_for_byte_what_a_jakarta_reader_gets(db):  # type: ignore[no-untyped-def]
    papua = _papua_school()
    dinas = UserFactory(role="DINAS_KAB", region_id="250100", username="dinas.jayapura")
    wit = _signed_in(dinas).get("/dinas/sekolah.csv")
    account_actions.set_time_zone(actor=dinas, zone="WIB")
    wib = _signed_in(dinas).get("/dinas/sekolah.csv")

    assert wit.status_code == wib.status_code == 200
    wit_body, wib_body = b"".join(wit.streaming_content), b"".join(wib.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(wit_body).hexdigest() == hashlib.sha256(wib_body).hexdigest()
    assert papua.npsn.encode() in wit_body


def test_a_papua_sptjm_printed_at_2330_wib_is_dated_the_next_day_and_says_the_deadline_in_wib(
    db, monkeypatch
):  # type: ignore[no-untyped-def]
    from tests.factories import RecipientFactory
    from tests.sptjm.test_document_layout import _pages_text
    from verval.core import files
    from verval.sptjm import actions as sptjm_actions

    period = make_period(is_open=True, sptjm_upload_deadline=date(2026, 12, 5))
    papua = _papua_school()
    RecipientFactory(school=papua, status="AKTIF", needs_validation=False)
    op = UserFactory(role="OPERATOR", school=papua, username="op.papua", time_zone="WIB")
    # 23.30 WIB on 30 Nov is 01.30 WIT on 1 Dec: the head of school signs on 1 Dec.
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2026, 11, 30, 16, 30, tzinfo=UTC))

    with timezone.override(zones.ZONES["WIB"]):  # the operator chose WIB for their pages
        sptjm, _ = sptjm_actions.print_sptjm(actor=op, npsn=papua.npsn, period_code=period.code)

    first_page = _pages_text(files.absolute(sptjm.pdf_path).read_bytes())[0]
    assert "................., 1 Desember 2026 Kepala Sekolah," in first_page
    assert "paling lambat 5 Desember 2026 pukul 23.59 WIB." in first_page
