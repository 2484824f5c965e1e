"""README.md and docs/*.md walked as a reader would: every `verval …` and `verval-provider …`
command line they show names a command that exists with options its parser accepts, every
relative link, repository path, decision and site address they name is there, every table opens
with its header, and the environment variables they name are the ones the code reads (decision
0064). The parsers are built, never run; addresses are resolved, never requested: nothing here
touches a database or a file store."""

from __future__ import annotations

import argparse
import re
import uuid
from collections.abc import Iterable

import pytest
from django.core.management import get_commands, load_command_class
from django.urls import Resolver404, resolve

from tests.docs import doccheck
from tests.docs.doccheck import ROOT, Mention
from verval_provider import cli as kit_cli

# Mentions the docs make on purpose that no parser accepts: (program, command, option or "").
# Keep each with why; an entry no doc needs any more fails test_every_allow_list_entry_is_still_needed.
DELIBERATE_COMMAND_MENTIONS: dict[tuple[str, str, str], str] = {
    # README shows what a mistyped command name is answered (decision 0061).
    ("verval", "ingest", ""): "the example of a mistyped command name",
}

# VERVAL_* names the docs may name without the code quoting them, and the reverse.
DOCUMENTED_ONLY_ENV: dict[str, str] = {}
UNDOCUMENTED_ENV: dict[str, str] = {}

# Addresses the docs name that are no page of their own, on purpose: (doc, address): why.
DELIBERATE_ADDRESSES: dict[tuple[str, str], str] = {
    # Where a group of pages is mounted, named as such ("… views are mounted at `/akun/`").
    ("docs/accounts.md", "/akun/"): "Django's auth views are mounted there",
    ("docs/security.md", "/api/"): "the prefix the API's rules apply to",
    # Served by the web server in front of Django in production (collectstatic), not a route.
    ("docs/deployment.md", "/static/"): "the web server's, not Django's",
    ("docs/security.md", "/static/"): "the web server's, not Django's",
    ("README.md", "/static/"): "served by `verval serve`'s static handler, not a route (decision 0080)",
    # The kit's --url is the server's address without `/api/v1` (said in so many words).
    ("docs/provider-kit.md", "/api/v1"): "what not to put in --url",
    # The tail of a route named in the line before (`/batches/{id}` then `/manifest`).
    ("docs/api.md", "/manifest"): "a route's tail",
    ("docs/api.md", "/issues"): "a route's tail",
    ("docs/sptjm.md", "/manifest"): "a route's tail",
    ("docs/sptjm.md", "/issues"): "a route's tail",
}
# One of these fits every placeholder of the routes (an NPSN, a number, a job's UUID, a period, a
# dump batch id); the provider API's routes are named without their `/api/v1` prefix in tables.
SAMPLES = ("12345678", "1", str(uuid.uuid4()), "2020-09A", "DMP-20200915-telkomsel-0001")

# `verval help` is the command line's own word, not a Django command.
HELP_OPTIONS = frozenset({"--all", "--commands", "-h", "--help"})
PROGRAM_OPTIONS = {"verval": frozenset({"-h", "--help"})}


def _all_mentions() -> list[Mention]:
    found = []
    for path in doccheck.doc_files():
        found += doccheck.mentions(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    return found


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _accepted(mention: Mention) -> set[str] | None:
    """The options the named command's parser takes (a subcommand's too: `phones check`), or
    None when there is no such command."""
    if mention.command == "":
        if mention.program == "verval-provider":
            return _option_strings(kit_cli.parser())
        return set(PROGRAM_OPTIONS["verval"])
    if mention.program == "verval-provider":
        parser = _subparsers(kit_cli.parser()).get(mention.command)
        return None if parser is None else _option_strings(parser)
    if mention.command == "help":
        return set(HELP_OPTIONS)
    commands = get_commands()
    name = mention.command.replace("-", "_")
    if name not in commands:
        return None
    parser = load_command_class(commands[name], name).create_parser("verval", mention.command)
    options = _option_strings(parser)
    subs = _subparsers(parser)
    words = [w for w in mention.words if not w.startswith("-")]
    if subs and words and words[0] in subs:
        options |= _option_strings(subs[words[0]])
    return options


def _drift(mentions: Iterable[Mention]) -> tuple[list[str], set[tuple[str, str, str]]]:
    problems, excused = [], set()
    for mention in mentions:
        accepted = _accepted(mention)
        if accepted is None:
            key = (mention.program, mention.command, "")
            if key in DELIBERATE_COMMAND_MENTIONS:
                excused.add(key)
            else:
                problems.append(f"{mention.where()}: no such command")
            continue
        if (
            mention.command == "help"
            and mention.words
            and re.fullmatch(r"[a-z][a-z0-9_-]*", mention.words[0])
        ):
            if _accepted(Mention(mention.doc, mention.line, "verval", mention.words[0], (), ())) is None:
                problems.append(f"{mention.where()} {mention.words[0]}: no such command")
        for option in mention.options:
            key = (mention.program, mention.command, option)
            if option in accepted:
                continue
            if key in DELIBERATE_COMMAND_MENTIONS:
                excused.add(key)
            else:
                problems.append(f"{mention.where()}: {option} is not an option of it")
    return problems, excused


def test_every_command_line_in_the_docs_names_a_command_and_options_that_exist():
    problems, _ = _drift(_all_mentions())

    assert problems == []


def test_the_docs_command_lines_are_found_in_tables_code_blocks_and_wrapped_spans():
    # The check above would pass on docs it failed to read: these are known to be there.
    found = {(m.doc, m.program, m.command, m.options) for m in _all_mentions()}

    assert ("docs/deployment.md", "verval", "jobs", ("--requeue", "--note")) in found  # fenced block
    assert (
        "README.md",
        "verval",
        "jobs",
        ("--requeue", "--cancel", "--recover", "--json"),
    ) in found  # table, `\|`
    assert ("docs/deployment.md", "verval", "validate", ("--recheck",)) in found  # span over two lines
    assert (
        "docs/provider-kit.md",
        "verval-provider",
        "send-recap",
        ("--url", "--token", "--workdir", "--period"),
    ) in found  # `$K`
    assert ("README.md", "verval-provider", "upload-results", ()) in found  # `pull / upload-results`
    assert ("docs/provider-kit.md", "verval-provider", "", ("--version",)) in found


def test_a_misspelled_option_or_command_in_a_doc_is_reported_with_its_line():
    text = "\n".join(
        [
            "Run `verval dump --provider telkomsel --dry-run` first.",
            "```sh",
            "verval-provider sync --url $URL \\",
            "  --subscriber subs.csv --workdir /data/verval   # cron",
            "verval import_dapodik cutoff.csv | tee log; verval validat",
            "```",
            "| `verval notify [--only operators\\|dinas] [--since D]` | … |",
        ]
    )

    problems, _ = _drift(doccheck.mentions("x.md", text))

    assert problems == [
        "x.md:1: verval dump: --dry-run is not an option of it",
        "x.md:3: verval-provider sync: --subscriber is not an option of it",
        "x.md:5: verval validat: no such command",
        "x.md:7: verval notify: --since is not an option of it",
    ]


def test_every_allow_list_entry_is_still_needed():
    _, excused = _drift(_all_mentions())

    assert set(DELIBERATE_COMMAND_MENTIONS) - excused == set()


@pytest.mark.parametrize("path", doccheck.doc_files(), ids=lambda p: p.name)
def test_every_relative_link_repository_path_and_decision_in_a_doc_exists(path):
    text = path.read_text(encoding="utf-8")
    decisions = ROOT / "docs" / "decisions"

    missing = [f"link {t}" for t in doccheck.links(text) if not (path.parent / t).exists()]
    missing += [f"path {p}" for p in doccheck.repository_paths(text) if not (ROOT / p).exists()]
    missing += [
        f"decision {n}" for n in doccheck.decision_numbers(text) if not list(decisions.glob(f"{n}-*.md"))
    ]

    assert missing == []


def test_links_paths_and_decisions_are_read_as_a_reader_follows_them():
    text = (
        "See [the kit](provider-kit.md#try-it), [SPEC](https://example.org/x.md), [top](#a), "
        "`docs/import.md`, decisions 0050 and 0058, decision 0061, /tmp/x-bench/ab.sh."
    )

    assert doccheck.links(text) == ["provider-kit.md"]
    assert doccheck.repository_paths(text) == ["docs/import.md"]
    assert doccheck.decision_numbers(text) == ["0050", "0058", "0061"]


def _code_texts() -> dict[str, str]:
    files = [*(ROOT / "src").rglob("*.py"), *(ROOT / "bench").rglob("*.py"), ROOT / "tests" / "conftest.py"]
    files += [ROOT / "Makefile", *(ROOT / ".ci").iterdir()]
    return {str(f.relative_to(ROOT)): f.read_text(encoding="utf-8") for f in files if f.is_file()}


def _docs_env() -> dict[str, str]:
    named: dict[str, str] = {}
    for path in doccheck.doc_files():
        for name in doccheck.ENV_NAME.findall(path.read_text(encoding="utf-8")):
            named.setdefault(name, path.name)
    return named


def test_every_environment_variable_the_docs_name_is_in_the_code():
    code = "\n".join(_code_texts().values())

    unknown = {name: doc for name, doc in _docs_env().items() if name not in code}

    assert {n: d for n, d in unknown.items() if n not in DOCUMENTED_ONLY_ENV} == {}


def test_every_environment_variable_the_code_reads_is_named_in_the_docs():
    read = {name: f for f, text in _code_texts().items() for name in doccheck.ENV_QUOTED.findall(text)}

    undocumented = {name: f for name, f in read.items() if name not in _docs_env()}

    assert {n: f for n, f in undocumented.items() if n not in UNDOCUMENTED_ENV} == {}
    assert set(UNDOCUMENTED_ENV) <= set(undocumented), "an allow-listed variable is documented now"
    assert set(DOCUMENTED_ONLY_ENV) <= set(_docs_env()), "an allow-listed variable is no longer in the docs"


@pytest.mark.parametrize("path", doccheck.doc_files(), ids=lambda p: p.name)
def test_every_table_in_a_doc_opens_with_its_header(path):
    assert doccheck.headless_tables(path.read_text(encoding="utf-8")) == []


def test_rows_cut_off_their_table_by_a_paragraph_are_found():
    text = "| a | b |\n|---|---|\n| 1 | 2 |\n\nA paragraph.\n| 3 | 4 |\n\n```\n| not | markdown |\n```\n"

    assert doccheck.headless_tables(text) == [6]


def _resolves(address: str) -> bool:
    for sample in SAMPLES:
        for prefix in ("", "/api/v1"):
            try:
                resolve(prefix + doccheck.with_sample(address, sample))
            except Resolver404:
                continue
            return True
    return False


def test_every_address_the_docs_name_is_a_route_of_the_site():
    named = [
        (str(path.relative_to(ROOT)), line, address)
        for path in doccheck.doc_files()
        for line, address in doccheck.addresses(path.read_text(encoding="utf-8"))
    ]

    unknown = [
        f"{doc}:{line}: {a}"
        for doc, line, a in named
        if not _resolves(a) and (doc, a) not in DELIBERATE_ADDRESSES
    ]
    excused = {(doc, a) for doc, _, a in named if (doc, a) in DELIBERATE_ADDRESSES and not _resolves(a)}

    assert unknown == []
    assert excused == set(DELIBERATE_ADDRESSES)
    assert len(named) > 50  # the docs name dozens: an extractor that finds none must not pass


def test_an_address_with_placeholders_or_a_query_is_checked_as_a_route():
    text = "`/sptjm/<id>/unggah/`, `/dinas/?kabkota=…`, `/batches/{id}/file`, `/pusdatin/sptjm/<id>/tolak/`, `/tmp/x`"

    found = [address for _, address in doccheck.addresses(text)]

    assert found == ["/sptjm/<id>/unggah/", "/dinas/", "/batches/{id}/file", "/pusdatin/sptjm/<id>/tolak/"]
    assert [_resolves(a) for a in found] == [True, True, True, False]
