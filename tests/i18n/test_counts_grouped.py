"""Every count a person reads has the thousands separator of the language it is read in ("1.234"
in Indonesian, "1,234" in English), the plural texts included; the command line writes English
("1,234"); files, the API and --json lines keep plain integers (decision 0073)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import RecipientFactory
from tests.sptjm.conftest import make_period
from verval.accounts.digest import dinas_mail
from verval.core.numbers import grouped
from verval.registry.models import Recipient
from verval.sptjm.models import Sptjm
from verval.sptjm.selectors import failure_groups

pytestmark = pytest.mark.django_db


def _aktif(school, n: int) -> None:  # type: ignore[no-untyped-def]
    Recipient.objects.bulk_create(
        [RecipientFactory.build(school=school, status="AKTIF", needs_validation=False) for _ in range(n)]
    )


def _client(user, language: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_grouped_writes_a_dot_in_indonesian_and_a_comma_in_english_as_intcomma_does() -> None:
    with translation.override("id"):
        assert (grouped(1234567), grouped(999), grouped(-1234)) == ("1.234.567", "999", "-1.234")
        assert intcomma(1234567) == "1.234.567"
        # The command line's English whatever the active language.
        assert grouped(1234567, language="en") == "1,234,567"
        assert translation.get_language() == "id"
    with translation.override("en"):
        assert (grouped(1234567), grouped(999), grouped(0)) == ("1,234,567", "999", "0")
        assert intcomma(1234567) == "1,234,567"
        assert grouped(1234567, language="id") == "1.234.567"


def test_operator_home_writes_a_plural_count_above_a_thousand_with_the_languages_separator(operator, school):  # type: ignore[no-untyped-def]
    make_period(sptjm_print_deadline=date(2099, 9, 20), sptjm_upload_deadline=date(2099, 9, 25))
    _aktif(school, 1234)

    indonesian = _client(operator, "id").get("/beranda/").content.decode()
    english = _client(operator, "en").get("/beranda/").content.decode()

    assert ": 1.234 penerima aktif perlu dicantumkan pada SPTJM. Langkah berikutnya:" in indonesian
    assert "1234 penerima" not in indonesian
    # The plural form is still chosen by the number: "recipients", not "recipient".
    assert ": 1,234 active recipients must be listed on an SPTJM. Next step:" in english


def test_failed_injection_banner_groups_its_count_in_both_languages() -> None:
    with translation.override("id"):
        (group,) = failure_groups({"NOMOR": 12345})
        assert (group.count, group.text) == (
            12345,
            "12.345 nomor tidak aktif atau tidak dikenal provider: ganti dengan nomor yang aktif.",
        )
    with translation.override("en"):
        (group,) = failure_groups({"NOMOR": 12345})
        assert group.text == (
            "12,345 numbers are inactive or unknown to the provider: replace them with active numbers."
        )


def test_dinas_digest_mail_groups_its_school_counts_in_subject_and_body() -> None:
    with translation.override("id"):
        subject, body = dinas_mail("Kota Bandung", 1234, 23456, date(2026, 11, 30))
    assert subject == "[Verval Ponsel] Kota Bandung: 1.234 sekolah terlambat, 23.456 berisiko"
    assert "- 1.234 sekolah lewat tenggat SPTJM periode ini" in body
    assert "- 23.456 sekolah dengan tenggat dalam" in body


def test_phone_check_names_its_limit_and_counts_grouped_in_both_languages(operator):  # type: ignore[no-untyped-def]
    pasted = "".join(f"0812{30000000 + i:08d}\n" for i in range(2001))

    indonesian = _client(operator, "id").post("/cek-nomor/", {"numbers": pasted}, HTTP_HX_REQUEST="true")
    english = _client(operator, "en").post("/cek-nomor/", {"numbers": pasted}, HTTP_HX_REQUEST="true")

    assert (
        '<p>2.000 nomor diperiksa: <strong class="okay">2.000 valid</strong> · '
        '<span class="error">Hanya 2.000 baris pertama yang diperiksa.</span></p>'
    ) in indonesian.content.decode()
    assert (
        '<p>2,000 numbers checked: <strong class="okay">2,000 valid</strong> · '
        '<span class="error">Only the first 2,000 lines were checked.</span></p>'
    ) in english.content.decode()


def test_stats_plain_text_groups_its_counts_in_english_and_its_json_keeps_integers(school) -> None:  # type: ignore[no-untyped-def]
    _aktif(school, 1234)

    text = io.StringIO()
    call_command("stats", stdout=text)
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)

    assert text.getvalue().splitlines()[0] == "recipients (active): 1,234   inactive: 0"
    assert "  AKTIF                          1,234" in text.getvalue().splitlines()
    data = json.loads(out.getvalue())
    assert (data["recipients"], data["number_status"]["AKTIF"]) == (1234, 1234)


def test_dinas_school_list_page_groups_the_count_and_its_csv_keeps_it_raw(dinas_kab, school):  # type: ignore[no-untyped-def]
    _aktif(school, 1234)

    indonesian = _client(dinas_kab, "id").get(reverse("core:dinas")).content.decode()
    english = _client(dinas_kab, "en").get(reverse("core:dinas")).content.decode()
    response = _client(dinas_kab, "en").get(reverse("core:dinas_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert 'data-label="Penerima">1.234</td>' in indonesian
    assert 'data-label="Recipients">1,234</td>' in english
    assert [(r["npsn"], r["penerima"], r["aktif"], r["persen_aktif"]) for r in rows] == [
        (school.npsn, "1234", "1234", "100.0")
    ]


def test_school_page_cards_and_list_count_group_a_school_of_more_than_a_thousand(operator, school):  # type: ignore[no-untyped-def]
    _aktif(school, 1234)

    indonesian = _client(operator, "id").get(reverse("registry:school", args=[school.npsn])).content.decode()
    english = _client(operator, "en").get(reverse("registry:school", args=[school.npsn])).content.decode()

    assert '<div class="card"><b>1.234</b>Peserta didik dan PTK</div>' in indonesian
    assert "Menampilkan 1–50 dari 1.234" in indonesian
    assert '<div class="card"><b>1,234</b>Students and teachers</div>' in english
    assert "Showing 1–50 of 1,234" in english


def test_printing_an_sptjm_of_a_thousand_recipients_says_so_grouped(operator, school):  # type: ignore[no-untyped-def]
    period = make_period(sptjm_print_deadline=date(2099, 9, 20), sptjm_upload_deadline=date(2099, 9, 25))
    # The most a print in the request lists (VERVAL["SPTJM_PRINT_IN_REQUEST_MAX"]); more is printed
    # by a job and said on the page, not in this message (decision 0102).
    _aktif(school, 1000)

    response = _client(operator, "id").post(
        f"/sekolah/{school.npsn}/sptjm/cetak/", {"periode": period.code}, follow=True
    )

    sptjm = Sptjm.objects.get(school=school)
    assert sptjm.rows == 1000
    assert (
        f"SPTJM {sptjm.number} dicetak: 1.000 penerima, data terkunci sampai disetujui atau dibatalkan."
        in response.content.decode()
    )
