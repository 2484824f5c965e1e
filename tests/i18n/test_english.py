"""English is available (SPEC §9 'Indonesian first, English available'): the set_language switch and a
complete, compiled English catalog (src/verval/locale/en). How to update the catalog: docs/i18n.md."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOCALE_EN = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def parse_po(path: Path) -> list[Entry]:
    """A tiny .po reader: msgctxt, msgid, msgid_plural, msgstr, msgstr[n], continuation lines and
    '#,' flags; obsolete ('#~') entries are left out. The header (msgid "") is returned too."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    flags: set[str] = set()

    def append(text: str) -> None:
        assert current is not None and target is not None
        name, index = target
        if name == "msgstr":
            current.msgstr[index or 0] = current.msgstr.get(index or 0, "") + text
        else:
            setattr(current, name, (getattr(current, name) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            append(ast.literal_eval(line))
            continue
        keyword, _, value = line.partition(" ")
        if keyword == "msgctxt" or (keyword == "msgid" and (current is None or current.msgstr)):
            current = Entry(line=number, flags=flags)
            entries.append(current)
            flags = set()
        assert current is not None, f"{path}:{number}: text before the first entry"
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr", int(match.group(1)))
            current.msgstr.setdefault(target[1] or 0, "")
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            current.msgstr.setdefault(0, "")
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            target = (keyword, None)
            setattr(current, keyword, "")
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
        append(ast.literal_eval(value))
    return entries


def test_catalog_reader_sees_fuzzy_empty_and_plural_entries(tmp_path):  # type: ignore[no-untyped-def]
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Halaman %(n)s"\nmsgstr "Page %(n)s"\n\n'
        'msgid "Kosong"\nmsgstr ""\n\n'
        'msgctxt "tombol"\nmsgid "Buka"\nmsgstr "Open"\n\n'
        'msgid ""\n"Dua "\n"baris"\nmsgid_plural "%(n)s baris"\nmsgstr[0] "one row"\nmsgstr[1] ""\n\n'
        '#~ msgid "Lama"\n#~ msgstr ""\n',
        encoding="utf-8",
    )

    entries = parse_po(po)

    assert [(e.msgctxt, e.msgid, e.msgid_plural, e.msgstr) for e in entries] == [
        (None, "", None, {0: "Language: en\n"}),
        (None, "Halaman %(n)s", None, {0: "Page %(n)s"}),
        (None, "Kosong", None, {0: ""}),
        ("tombol", "Buka", None, {0: "Open"}),
        (None, "Dua baris", "%(n)s baris", {0: "one row", 1: ""}),
    ]
    assert entries[1].flags == {"fuzzy", "python-format"}


def english_messages() -> list[Entry]:
    return [e for e in parse_po(LOCALE_EN / "django.po") if e.msgid]


def test_sign_in_page_is_indonesian_without_a_language_choice(client):  # type: ignore[no-untyped-def]
    page = client.get("/masuk/").content.decode()

    assert '<html lang="id">' in page
    assert "<h1>Masuk</h1>" in page
    assert '<button type="submit">Masuk</button>' in page
    assert ">Lupa kata sandi?</a>" in page
    assert "Sign in" not in page


def test_choosing_english_with_set_language_shows_the_sign_in_page_in_english(client):  # type: ignore[no-untyped-def]
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/masuk/"})

    assert response.status_code == 302
    assert response["Location"] == "/masuk/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/masuk/").content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page
    assert '<button type="submit">Sign in</button>' in page
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert ">Forgot your password?</a>" in page
    assert ">Register as a school operator</a>" in page
    assert "Masuk" not in page


def test_choosing_indonesian_again_brings_the_indonesian_sign_in_page_back(client):  # type: ignore[no-untyped-def]
    client.post("/i18n/setlang/", {"language": "en", "next": "/masuk/"})
    client.post("/i18n/setlang/", {"language": "id", "next": "/masuk/"})

    page = client.get("/masuk/").content.decode()
    assert "<h1>Masuk</h1>" in page
    assert "Sign in" not in page


def test_english_plural_forms_follow_the_count():  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        assert translation.ngettext("%(n)s sekolah", "%(n)s sekolah", 1) % {"n": 1} == "1 school"
        assert translation.ngettext("%(n)s sekolah", "%(n)s sekolah", 3) % {"n": 3} == "3 schools"
    with translation.override("id"):
        assert translation.ngettext("%(n)s sekolah", "%(n)s sekolah", 3) % {"n": 3} == "3 sekolah"


def test_every_message_in_the_english_catalog_is_translated():  # type: ignore[no-untyped-def]
    entries = parse_po(LOCALE_EN / "django.po")
    messages = [e for e in entries if e.msgid]

    assert len(messages) > 500
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert fuzzy == []
    empty = [f"line {e.line}: {e.msgid!r}" for e in messages if not all(e.msgstr.values()) or not e.msgstr]
    assert empty == []
    plural_incomplete = [
        e.msgid for e in messages if e.msgid_plural is not None and sorted(e.msgstr) != [0, 1]
    ]
    assert plural_incomplete == []


def test_english_translations_keep_the_placeholders_of_the_source():  # type: ignore[no-untyped-def]
    wrong = []
    for e in english_messages():
        expected = sorted(PLACEHOLDER.findall(e.msgid)) if "python-format" in e.flags else None
        for text in e.msgstr.values():
            if expected is not None and sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((e.msgid, text))
            if e.msgid.startswith("\n") != text.startswith("\n") or e.msgid.endswith("\n") != text.endswith(
                "\n"
            ):
                wrong.append((e.msgid, text))
    assert wrong == []


def test_compiled_english_catalog_matches_the_po_file():  # type: ignore[no-untyped-def]
    """django.mo is committed (no compile step at run time): it must be compiled from the current .po."""
    with (LOCALE_EN / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for e in english_messages():
        if e.msgid_plural is not None:
            got = [
                compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                if e.msgctxt
                else compiled.ngettext(e.msgid, e.msgid_plural, n)
                for n in (1, 2)
            ]
            want = [e.msgstr[0], e.msgstr[1]]
        else:
            got = [compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid)]
            want = [e.msgstr[0]]
        if got != want:
            stale.append(e.msgid)
    assert stale == []


def test_no_message_is_marked_for_translation_inside_an_f_string():  # type: ignore[no-untyped-def]
    # xgettext does not read inside f-strings: such a message never reaches the catalog and
    # stays Indonesian on English pages (the map's "aktif" and "tanpa data" did).
    names = {"_", "gettext", "gettext_lazy", "ngettext", "pgettext"}
    found = []
    for path in sorted((Path(settings.PACKAGE_DIR)).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) in names:
                        found.append(f"{path.name}:{inner.lineno}")
    assert found == []
