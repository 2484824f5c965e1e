"""Pages in English show no Indonesian text (decision 0065): a representative page of every role,
its empty state, a refused form, an htmx fragment, a refused job and the error pages (404, 403,
CSRF failure, 500) are rendered in English and searched for Indonesian words outside codes.

A text that never reaches gettext (written straight into a template or a Python string) fails here.
A text that reaches gettext but is not in the English catalog yet is the catalog test's
(`test_english.py`) once `makemessages` has run (docs/i18n.md): here it reads as a placeholder,
so a branch that adds strings for the translator to fill in stays green."""

from __future__ import annotations

import gettext
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from tests.factories import RecipientFactory
from verval.core.jobs import create_job
from verval.core.models import Job, JobIssue

pytestmark = pytest.mark.django_db

# Indonesian words an English page never needs. Each is common in this interface's Indonesian
# source text and is no English word (so "data", "status", "provider", "residu" as a code, "Dinas"
# and the names staff keep in English, docs/i18n.md, are not here).
MARKERS = (
    "dan yang tidak belum sudah untuk dengan atau dari pada ini akan oleh dalam sekolah nomor "
    "unduh simpan unggah cetak kirim ubah hapus pilih cari lihat kembali batal batalkan halaman "
    "berkas penerima pengguna periode tanggal jumlah wilayah laporan pekerjaan berhasil gagal "
    "menunggu sedang selesai setujui masuk keluar sandi surel tautan semua baru bila jika harus "
    "perlu dapat telah kesalahan terjadi"
).split()
# English words an Indonesian page never needs ("data", "status", "provider", "online" and "OK"
# are Indonesian too).
ENGLISH_MARKERS = (
    "the and with your this that not from please click download upload save cancel search school "
    "number numbers page sign password students teachers period report required"
).split()
MARKER = {
    "en": re.compile(r"\b(" + "|".join(MARKERS) + r")\b", re.IGNORECASE),
    "id": re.compile(r"\b(" + "|".join(ENGLISH_MARKERS) + r")\b", re.IGNORECASE),
}

# Not text to translate: SPEC codes (MENUNGGU_PROVIDER, BELUM_SPTJM), the snake_case column names
# of the SPEC and report files (nomor_koreksi, nama_sekolah) and addresses (/sekolah/…/unduh.xlsx).
CODES = re.compile(
    r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\S*/\S*|\S+\.(?:csv|xlsx|pdf|json)\b"
)

# Allowed although they hold a marker word, each for its reason.
ALLOWED = (
    # The SPEC's own term for a returned SPTJM, kept beside its English as a gloss (docs/i18n.md):
    # "Returned by Pusdatin (belum sempurna, incomplete)".
    re.compile(r"\bbelum sempurna\b", re.IGNORECASE),
    # The disbursement statuses are SPEC codes of one word (SPEC §4, §7), shown as codes beside
    # their label on the help page (decision 0083); case-sensitive, so the words themselves are caught.
    re.compile(r"\b(?:BERHASIL|GAGAL)\b"),
    # The words a provider's reason for a failed injection is sorted by, quoted as providers write
    # them, in either language (sptjm.reasons._FAILURE_WORDS; the help page, decision 0083).
    re.compile(r"“[^“”]{1,40}”"),
)

# Attributes a person reads or hears (a screen reader reads aria-label, a tooltip is a title).
READ_ATTRIBUTES = re.compile(
    r'\b(?:placeholder|title|aria-label|alt|data-confirm|data-too-big)="([^"]*)"', re.IGNORECASE
)


def visible_text(page: str) -> str:
    """What a person reads of a page: the text between tags and the attributes that are read out;
    not scripts, styles or the values of hidden fields."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attributes = " \n".join(READ_ATTRIBUTES.findall(page))
    text = re.sub(r"<[^>]+>", "\n", page)
    return html.unescape(text + "\n" + attributes)


def other_language_left(page: str, language: str = "en") -> list[str]:
    """The lines of a page's visible text in `language` that still hold a marker word of the
    other language."""
    found = []
    for line in visible_text(page).splitlines():
        line = " ".join(line.split())
        rest = CODES.sub(" ", line)
        for allowed in ALLOWED:
            rest = allowed.sub(" ", rest)
        if MARKER[language].search(rest):
            found.append(line)
    return found


class _NotInCatalogYet(gettext.NullTranslations):
    """Stands in for the English of a message that is marked for translation but not in the
    catalog yet (the translator adds it after makemessages; the catalog test then requires it)."""

    TEXT = "[translation pending]"

    def gettext(self, message: str) -> str:
        return self.TEXT

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.TEXT


@pytest.fixture(params=["en", "id"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    catalog = trans_real.translation("en")
    saved = catalog._fallback  # type: ignore[attr-defined]
    catalog._fallback = _NotInCatalogYet()  # type: ignore[attr-defined]
    try:
        with translation.override(request.param):
            yield request.param
    finally:
        catalog._fallback = saved  # type: ignore[attr-defined]


def _client(language: str, user: Any = None, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


def _page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response
    return str(response.content.decode())


def _assert_one_language(language: str, pages: dict[str, str]) -> None:
    left = {name: lines for name, page in pages.items() if (lines := other_language_left(page, language))}
    assert left == {}


def test_the_marker_search_finds_the_other_language_outside_codes_and_names() -> None:
    page = (
        '<p title="Simpan">Number <code>MENUNGGU_PROVIDER</code></p><td>nomor_koreksi</td>'
        "<p>Returned by Pusdatin (belum sempurna, incomplete):</p><p>Belum ada data.</p>"
        "<script>var dan = 1;</script>"
    )

    assert other_language_left(page, "en") == ["Belum ada data.", "Simpan"]
    assert other_language_left("<p>Unduh berkas</p><p>Download the file</p>", "id") == ["Download the file"]


def test_public_and_sign_in_pages_speak_one_language(language: str) -> None:
    anonymous = _client(language)
    pages = {
        "public": _page(anonymous.get(reverse("dashboard:public"))),
        "sign in": _page(anonymous.get(reverse("accounts:login"))),
        "sign in refused": _page(anonymous.post(reverse("accounts:login"), {})),
        "registration refused": _page(anonymous.post(reverse("accounts:register"), {})),
        "password reset": _page(anonymous.get(reverse("password_reset"))),
        "404": _page(anonymous.get("/tidak-ada/"), 404),
    }

    _assert_one_language(language, pages)


def test_error_pages_speak_one_language(language: str, operator: Any) -> None:
    strict = _client(language, enforce_csrf_checks=True)
    pages = {
        "403": _page(_client(language, operator).get(reverse("core:pusdatin")), 403),
        "csrf failure": _page(strict.post(reverse("accounts:login"), {"username": "x"}), 403),
        # Django renders 500.html with no request and no context, in the language already active.
        "500": get_template("500.html").render(),
    }

    _assert_one_language(language, pages)
    assert f'<html lang="{language}">' in pages["500"]


def test_school_operator_pages_speak_one_language(language: str, operator: Any, school: Any) -> None:
    RecipientFactory(school=school, phone_raw="-", phone_e164="", status="FORMAT_SALAH", reason="KOSONG")
    residue = RecipientFactory(school=school, status="RESIDU", reason="TIDAK_AKTIF")
    client = _client(language, operator)
    school_url = reverse("registry:school", args=[school.npsn])
    edit_url = reverse("registry:edit", args=[school.npsn, residue.pk])
    pages = {
        "home": _page(client.get(reverse("accounts:home"))),
        "school": _page(client.get(school_url)),
        "school, htmx list": _page(client.get(school_url + "?status=RESIDU", HTTP_HX_REQUEST="true")),
        "school, empty filter": _page(client.get(school_url + "?status=AKTIF")),
        "edit": _page(client.get(edit_url)),
        "edit refused": _page(client.post(edit_url, {"nomor": "021-555", "versi": 0}), 400),
        "history": _page(client.get(reverse("registry:history", args=[school.npsn, residue.pk]))),
        "correction upload refused": _page(client.post(reverse("registry:upload", args=[school.npsn]), {})),
        "sptjm": _page(client.get(reverse("sptjm:school", args=[school.npsn]))),
        "help": _page(client.get(reverse("help:operator"))),
        "number check": _page(
            client.post(
                reverse("registry:phone_check"),
                {"numbers": "021-5551234\n8.1234E+11\n0812"},
            )
        ),
        "my account": _page(client.get(reverse("accounts:my_account"))),
        "my progress": _page(client.get(reverse("dashboard:mine"), follow=True)),
    }

    _assert_one_language(language, pages)


def test_dinas_pages_speak_one_language(language: str, dinas_kab: Any, dinas_prov: Any, school: Any) -> None:
    RecipientFactory(school=school, status="RESIDU", reason="MASA_TENGGANG")
    kab, prov = _client(language, dinas_kab), _client(language, dinas_prov)
    pages = {
        "dinas kab": _page(kab.get(reverse("core:dinas"))),
        "help, dinas": _page(kab.get(reverse("help:dinas"))),
        "dinas prov": _page(prov.get(reverse("core:dinas"))),
        "late sptjm": _page(kab.get(reverse("sptjm:late"))),
        "registrations, none": _page(kab.get(reverse("accounts:registrations"))),
        "users": _page(kab.get(reverse("accounts:users"))),
        "behind": _page(kab.get(reverse("dashboard:behind"))),
        "school, read only": _page(kab.get(reverse("registry:school", args=[school.npsn]))),
    }

    _assert_one_language(language, pages)


def test_pusdatin_pages_and_a_refused_job_speak_one_language(language: str, pusdatin: Any) -> None:
    job = create_job(actor=pusdatin, kind="import_dapodik", input_name="cutoff.csv")
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.REFUSED,
        error_code="TERLALU_BANYAK_DITOLAK",
        error_message="Berkas ditolak seluruhnya.",
        error_message_en="The file is refused whole.",
    )
    JobIssue.objects.create(
        job=job,
        line=2,
        column="npsn",
        code="NPSN_TIDAK_VALID",
        message="NPSN tidak valid.",
        message_en="Invalid NPSN.",
    )
    client = _client(language, pusdatin)
    pages = {
        "pusdatin": _page(client.get(reverse("core:pusdatin"))),
        "help, pusdatin": _page(client.get(reverse("help:pusdatin"))),
        "dumps, none": _page(client.get(reverse("exchange:batches"))),
        "imports": _page(client.get(reverse("imports:jobs"))),
        "refused job": _page(client.get(reverse("core:job", args=[job.pk]))),
        "refused job, htmx progress": _page(
            client.get(reverse("core:job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
        ),
        "sptjm queue, empty": _page(client.get(reverse("sptjm:review_queue"))),
        "disbursement, none": _page(client.get(reverse("sptjm:disbursement"))),
        "new period refused": _page(client.post(reverse("core:period_create"), {})),
        "new account refused": _page(client.post(reverse("accounts:staff_create"), {"email": "x"})),
        "shared numbers": _page(client.get(reverse("shared_numbers"))),
    }

    _assert_one_language(language, pages)


def test_provider_home_speaks_one_language(language: str, provider_user: Any) -> None:
    provider = _client(language, provider_user)
    pages = {
        "home": _page(provider.get(reverse("accounts:home"))),
        "help, provider": _page(provider.get(reverse("help:provider"))),
    }

    _assert_one_language(language, pages)
