"""The help pages (decision 0083): one per role, reached from the menu, with an entry for every
status and reason code in the words the other pages use, the school's own deadlines, and links
from the pages' labels and refusals to their entries."""

from __future__ import annotations

import inspect
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.registry.helpers import make_recipients
from tests.sptjm.conftest import aktif, make_period
from verval.exchange.models import ResultStatus
from verval.exchange.reasons import REFUSALS, RESIDUE_REASONS
from verval.help import entries
from verval.phones.reasons import REASONS, WARNINGS
from verval.registry import bulk
from verval.registry.models import NumberStatus, ResidueReason
from verval.sptjm import actions
from verval.sptjm.models import DisbursementStatus, ExclusionRule, SptjmStatus
from verval.sptjm.reasons import (
    FAILURE_ADVICE,
    RECONCILIATION_FLAGS,
    ROW_REFUSALS,
    UPLOAD_REFUSALS,
    UPLOAD_WARNINGS,
)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def _text(html: str) -> str:
    """The page's visible text, one space between words (entities of quotes and apostrophes decoded)."""
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def period(db):  # type: ignore[no-untyped-def]
    return make_period(sptjm_print_deadline=date(2099, 9, 20), sptjm_upload_deadline=date(2099, 9, 25))


# ------------------------------------------------------------------ every code has its entry


def test_every_status_and_reason_code_has_its_entry_on_the_operators_help(operator, period):  # type: ignore[no-untyped-def]
    ids = _ids(_client(operator).get("/bantuan/sekolah/").content.decode())

    expected = (
        [f"status-{c}" for c in NumberStatus.values]
        + [f"alasan-{c}" for c in [*REASONS, *WARNINGS]]
        + [f"residu-{c}" for c in ResidueReason.values]
        + [f"residu-{c}" for c in RESIDUE_REASONS]
        + [f"gagal-{c}" for c in FAILURE_ADVICE]
        + [f"dikecualikan-{c}" for c in ExclusionRule.values]
        + [f"sptjm-{c}" for c in SptjmStatus.values]
        + [f"penyaluran-{c}" for c in DisbursementStatus.values]
        + [f"unggah-{c}" for c in [*UPLOAD_REFUSALS, *UPLOAD_WARNINGS]]
        + [f"koreksi-{c}" for c in bulk.MESSAGES]
    )
    assert [a for a in expected if a not in ids] == []


def test_every_provider_answer_and_file_refusal_has_its_entry_on_the_providers_help(provider_user):  # type: ignore[no-untyped-def]
    ids = _ids(_client(provider_user).get("/bantuan/provider/").content.decode())

    expected = (
        [f"hasil-{c}" for c in ResultStatus.values]
        + [f"berkas-{c}" for c in REFUSALS]
        + [f"injeksi-{c}" for c in ROW_REFUSALS]
    )
    assert [a for a in expected if a not in ids] == []


def test_every_reconciliation_flag_has_its_entry_on_pusdatins_help(pusdatin):  # type: ignore[no-untyped-def]
    ids = _ids(_client(pusdatin).get("/bantuan/pusdatin/").content.decode())

    assert [c for c in RECONCILIATION_FLAGS if f"rekonsiliasi-{c}" not in ids] == []


def test_every_status_has_a_meaning_and_what_to_do_written_for_it():  # type: ignore[no-untyped-def]
    for section, enum in (
        ("status", NumberStatus),
        ("sptjm", SptjmStatus),
        ("penyaluran", DisbursementStatus),
    ):
        texts = entries.TEXTS[section]
        assert sorted(texts) == sorted(enum.values), section
        assert [c for c, (meaning, action) in texts.items() if not str(meaning) or not str(action)] == []
    assert sorted(entries.TEXTS["gagal"]) == sorted(FAILURE_ADVICE)


def test_the_upload_refusals_the_help_lists_are_every_code_the_upload_raises():  # type: ignore[no-untyped-def]
    source = "".join(
        inspect.getsource(f)
        for f in (
            actions._received,
            actions.receive_scan,
            actions._joined,
            actions._check_and_apply,
            actions.check_received_scan,
            actions.check_scan,
            actions.read_scan,
            actions._other_document,
        )
    )
    # Refusals (some with a text naming a page), and the warnings ScanCheck.warnings says.
    warned = inspect.getsource(actions.ScanCheck.warnings) + inspect.getsource(actions._check_and_apply)
    raised = set(re.findall(r'ActionRefused\(\s*"(\w+)"[,)]', source)) | set(
        re.findall(r'\(\s*"(QR_\w+)",', warned)
    )
    # The version check is a helper of its own.
    helpers = set(re.findall(r'ActionRefused\("(\w+)"\)', inspect.getsource(actions._check_version)))

    assert raised | helpers == set(UPLOAD_REFUSALS) | set(UPLOAD_WARNINGS)


# ------------------------------------------------------------------ the same words as the pages


def test_a_refused_number_reads_on_help_as_on_the_school_list(operator, school, period):  # type: ignore[no-untyped-def]
    make_recipients(
        school,
        1,
        phone_raw="021-5551234",
        phone_e164="",
        operator="",
        status="FORMAT_SALAH",
        reason="TELEPON_RUMAH",
    )
    client = _client(operator)
    row = _text(client.get(f"/sekolah/{school.npsn}/").content.decode())
    help_page = client.get("/bantuan/sekolah/").content.decode()
    entry = _text(help_page.split('id="alasan-TELEPON_RUMAH">', 1)[1].split("</dd>", 1)[0])

    message = "Nomor ini nomor telepon rumah/kantor (telepon tetap), bukan nomor ponsel."
    action = "Ganti dengan nomor ponsel (diawali 08) milik siswa/guru atau orang tua/wali."
    assert f"{message} {action}" in row
    assert entry == f"{message} TELEPON_RUMAH Yang perlu dilakukan: {action}"


def test_a_failed_injection_kind_gives_the_advice_the_school_list_gives(operator, period):  # type: ignore[no-untyped-def]
    html = _client(operator).get("/bantuan/sekolah/").content.decode()
    entry = _text(html.split('id="gagal-MASA_TENGGANG">', 1)[1].split("</dd>", 1)[0])

    assert entry.endswith(f"Yang perlu dilakukan: {FAILURE_ADVICE['MASA_TENGGANG'][0]}")
    assert "\u201ctenggang\u201d, \u201cgrace\u201d" in entry


def test_the_help_speaks_english_with_the_english_texts_of_the_codes(operator, period):  # type: ignore[no-untyped-def]
    client = _client(operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = _text(client.get("/bantuan/sekolah/").content.decode())

    assert REASONS["TELEPON_RUMAH"].message_en in text
    assert RESIDUE_REASONS["MASA_TENGGANG"].action_en in text
    assert FAILURE_ADVICE["SISTEM"][1] in text
    assert REASONS["TELEPON_RUMAH"].message_id not in text


# ------------------------------------------------------------------ the school's own deadlines


def test_an_operators_help_says_what_its_school_must_do_by_when(
    operator, other_operator, school, other_school, period
):  # type: ignore[no-untyped-def]
    aktif(school, 2)
    aktif(other_school, 1)
    printed, _ = actions.print_sptjm(actor=other_operator, npsn=other_school.npsn, period_code=period.code)

    mine = _text(_client(operator).get("/bantuan/sekolah/").content.decode())
    theirs = _text(_client(other_operator).get("/bantuan/sekolah/").content.decode())

    assert (
        f"{school.name} NPSN {school.npsn} {period.name} : 2 penerima aktif perlu dicantumkan pada SPTJM. "
        "Langkah berikutnya: cetak SPTJM, minta kepala sekolah menandatanganinya di atas meterai Rp10.000 "
        "dan mengecapnya, lalu unggah pindaiannya. Batas cetak: 20 Sep 2099 23.59 WIB."
    ) in mine
    assert "Batas cetak SPTJM 20 Sep 2099 23.59 WIB Batas unggah SPTJM 25 Sep 2099 23.59 WIB" in mine
    assert other_school.name not in mine and printed.number not in mine
    assert (
        f"{other_school.name} NPSN {other_school.npsn} {period.name} : Dicetak {printed.number}. Langkah "
        "berikutnya: minta kepala sekolah menandatangani SPTJM di atas meterai Rp10.000 dan mengecapnya, "
        "lalu unggah pindaiannya. Batas unggah: 25 Sep 2099 23.59 WIB."
    ) in theirs
    assert school.name not in theirs


def test_an_operators_help_names_its_own_dinas(operator, school, period):  # type: ignore[no-untyped-def]
    text = _text(_client(operator).get("/bantuan/sekolah/").content.decode())

    assert (
        f"Tanyakan dulu ke admin Dapodik Dinas Pendidikan {school.regency.name}; untuk SMA, SMK dan SLB, "
        f"ke Dinas Pendidikan {school.province.name}."
    ) in text


def test_without_an_open_period_the_help_says_so(operator, school):  # type: ignore[no-untyped-def]
    text = _text(_client(operator).get("/bantuan/sekolah/").content.decode())

    assert (
        f"Yang harus dilakukan periode ini {school.name} NPSN {school.npsn} Belum ada periode penyaluran "
        "yang dibuka. Batas waktu"
    ) in text


# ------------------------------------------------------------------ each role its page


@pytest.mark.parametrize(
    ("who", "page", "title"),
    [
        ("operator", "/bantuan/sekolah/", "Bantuan: Operator Sekolah"),
        ("dinas_kab", "/bantuan/dinas/", "Bantuan: Admin Dinas"),
        ("dinas_prov", "/bantuan/dinas/", "Bantuan: Admin Dinas"),
        ("pusdatin", "/bantuan/pusdatin/", "Bantuan: Pusdatin"),
        ("provider_user", "/bantuan/provider/", "Bantuan: Provider"),
    ],
)
def test_each_role_reaches_its_own_help_from_the_menu(request, who, page, title):  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(who))

    home = client.get("/beranda/").content.decode()
    # In the header beside the language and "Keluar", out of the menu so that an operator's menu
    # fits one row of a phone (decision 0087).
    header = home.split('<header class="top">', 1)[1].split("</header>", 1)[0]
    tools = header.split('<div class="tools">', 1)[1]
    assert tools.lstrip().startswith('<a href="/bantuan/">Bantuan</a>')
    assert client.get("/bantuan/")["Location"] == page
    assert f"<h1>{title}</h1>" in client.get(page).content.decode()


@pytest.mark.parametrize(
    ("who", "page", "status"),
    [
        ("operator", "/bantuan/dinas/", 403),
        ("operator", "/bantuan/pusdatin/", 403),
        ("operator", "/bantuan/provider/", 403),
        ("provider_user", "/bantuan/sekolah/", 403),
        ("dinas_kab", "/bantuan/pusdatin/", 403),
        ("dinas_kab", "/bantuan/sekolah/", 200),
        ("pusdatin", "/bantuan/provider/", 200),
    ],
)
def test_a_role_reads_the_help_of_those_it_answers_and_not_the_others(request, who, page, status):  # type: ignore[no-untyped-def]
    assert _client(request.getfixturevalue(who)).get(page).status_code == status


def test_the_help_asks_a_visitor_to_sign_in(client, db):  # type: ignore[no-untyped-def]
    response = client.get("/bantuan/sekolah/")

    assert (response.status_code, response["Location"]) == (302, "/masuk/?next=/bantuan/sekolah/")


# ------------------------------------------------------------------ links


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("operator", "/bantuan/sekolah/"),
        ("dinas_kab", "/bantuan/dinas/"),
        ("pusdatin", "/bantuan/pusdatin/"),
        ("provider_user", "/bantuan/provider/"),
    ],
)
def test_every_link_of_a_help_page_opens(request, who, page, period):  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(who))
    html = client.get(page).content.decode()
    links = set(re.findall(r'href="([^"]+)"', html.split('<main id="main"', 1)[1].split("</main>", 1)[0]))

    assert links
    for link in sorted(links):
        path, _, fragment = link.partition("#")
        target = html if not path else client.get(path).content.decode()
        assert not path or client.get(path).status_code == 200, link
        assert not fragment or f'id="{fragment}"' in target, link


def test_the_school_list_and_a_history_link_the_status_to_its_entry(operator, school, period):  # type: ignore[no-untyped-def]
    (r,) = make_recipients(school, 1, status="RESIDU", reason="MASA_TENGGANG")
    client = _client(operator)
    help_ids = _ids(client.get("/bantuan/sekolah/").content.decode())

    school_page = client.get(f"/sekolah/{school.npsn}/").content.decode()
    history = client.get(f"/sekolah/{school.npsn}/penerima/{r.pk}/riwayat/").content.decode()

    assert '<a href="/bantuan/sekolah/#status">Arti setiap status dan alasan</a>' in school_page
    assert (
        '<a href="/bantuan/sekolah/#status-RESIDU"><span class="label s-RESIDU">Residu</span></a>' in history
    )
    assert {"status", "status-RESIDU"} <= help_ids


def test_a_refused_scan_links_its_message_to_the_entry(operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 1)
    printed, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    client = _client(operator)

    page = client.post(
        f"/sptjm/{printed.pk}/unggah/",
        {"pindaian": SimpleUploadedFile("scan.pdf", b"GIF89a not a pdf"), "version": printed.version},
        follow=True,
    ).content.decode()

    assert (
        '<p class="msg-error" role="alert">Pindaian harus berupa PDF, JPG atau PNG (diperiksa dari isi '
        'berkas, bukan namanya). <a href="/bantuan/sekolah/#unggah-JENIS_BERKAS_SALAH">Apa artinya?</a></p>'
    ) in page
    assert 'id="unggah-JENIS_BERKAS_SALAH"' in client.get("/bantuan/sekolah/").content.decode()


def test_a_refused_correction_file_links_its_code_to_the_entry(operator, school, period):  # type: ignore[no-untyped-def]
    client = _client(operator)
    response = client.post(
        f"/sekolah/{school.npsn}/koreksi/",
        {"berkas": SimpleUploadedFile("k.xlsx", b"this is not a workbook")},
    )

    preview = client.get(response["Location"]).content.decode()

    assert '(<a href="/bantuan/sekolah/#koreksi-FILE_TIDAK_TERBACA">FILE_TIDAK_TERBACA</a>)' in preview


def test_an_unknown_code_gets_no_link():  # type: ignore[no-untyped-def]
    assert entries.help_url_for("TIDAK_ADA_KODE_INI", "koreksi", "alasan") == ""
    assert (
        entries.help_url_for("TELEPON_RUMAH", "koreksi", "alasan") == "/bantuan/sekolah/#alasan-TELEPON_RUMAH"
    )


@pytest.mark.django_db
def test_pusdatin_reads_the_dinas_help_without_links_to_pages_only_a_dinas_opens(pusdatin, dinas_kab):  # type: ignore[no-untyped-def]
    """Decision 0097: the Dinas help linked Pusdatin to the Dinas' school list and registrations,
    both 403 for it. For Pusdatin they are the same words without the link; for the Dinas,
    links; every link left on Pusdatin's copy opens for it."""
    theirs = _client(pusdatin)
    html = theirs.get("/bantuan/dinas/").content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert 'href="/dinas/"' not in main and 'href="/pendaftaran/"' not in main
    assert "Ikuti progres sekolah di wilayah Anda di Sekolah di wilayah:" in main
    assert "Putuskan pendaftaran operator: setujui" in main
    links = set(re.findall(r'href="(/[^"#?]*)', main))
    assert links and {path: theirs.get(path).status_code for path in links} == {path: 200 for path in links}
    own = _client(dinas_kab).get("/bantuan/dinas/").content.decode()
    assert '<a href="/dinas/">Sekolah di wilayah</a>' in own
    assert '<a href="/pendaftaran/">pendaftaran operator</a>' in own
