"""What README.md and docs/*.md name that the code must have (decision 0064): command lines,
relative links and decision numbers, environment variables. Pure text functions; the tests hold
the parsers and the allow-lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ("verval", "verval-provider")


def doc_files() -> list[Path]:
    """What a new user, an operator and an administrator read. docs/decisions/ is left out: a
    decision records what was true when it was taken, old options included."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Mention:
    """`verval <command> [--option ...]` as written in a doc; `command` is "" when the line
    names an option of the program itself (`verval-provider --version`)."""

    doc: str
    line: int
    program: str
    command: str
    words: tuple[str, ...]  # what follows the command up to the end of the shell command
    options: tuple[str, ...]

    def where(self) -> str:
        return f"{self.doc}:{self.line}: {self.program} {self.command}".rstrip()


def code_spans(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block line (a line ending in a backslash joined to the
    next, as the shell does) and every inline code span (which may wrap a line)."""
    spans: list[tuple[int, str]] = []
    prose: list[str] = []
    lines = text.split("\n")
    fenced = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            prose.append("")
            continue
        if fenced:
            start, joined = pending if pending else (number, "")
            joined += line
            if line.endswith("\\"):
                pending = (start, joined[:-1] + " ")
            else:
                pending = None
                spans.append((start, joined))
            prose.append("")
        else:
            prose.append(line)
    body = "\n".join(prose)
    for match in re.finditer(r"`([^`]+)`", body):
        spans.append((body.count("\n", 0, match.start()) + 1, match.group(1).replace("\n", " ")))
    return sorted(spans, key=lambda span: span[0])


# A program's name starts a command where the shell would read it as one: at the start, after
# white space or `(`, or as the last part of a path to the venv's bin (`.venv/bin/verval`).
# `$K` stands for the program when the block set `K=…/verval-provider` (docs/provider-kit.md).
_PROGRAM = re.compile(r"(?:^|(?<=[\s(])|(?<=bin/))(verval-provider|verval)(?=\s)")
_ALIAS = re.compile(r"(?:^|(?<=\s))([A-Z])=(?:\S*bin/)?(verval-provider|verval)(?=;|\s|$)", re.MULTILINE)
# Where one shell command ends: a pipe, a list, a redirection, a comment.
_END = re.compile(r"\s(?:\|\|?|&&?|;|<|>>?|2>&1|#).*$|[;&]$")


def mentions(doc: str, text: str) -> list[Mention]:
    found: list[Mention] = []
    aliases = {m.group(1): m.group(2) for m in _ALIAS.finditer(text)}
    for number, code in code_spans(text):
        for name, program in aliases.items():
            code = re.sub(rf"(?:^|(?<=\s))\${name}(?=\s)", program, code)
        # In a table `\|` is a pipe inside the code: alternatives (`--only operators\|dinas`).
        code = code.replace("\\|", " ")
        for part in re.split(r"\s(?:&&|\|\||;)\s", code):
            for start in _PROGRAM.finditer(part):
                rest = _END.sub("", part[start.end() :])
                found.extend(_read(doc, number, start.group(1), rest.split()))
    return found


def _read(doc: str, line: int, program: str, words: list[str]) -> list[Mention]:
    words = [w.strip("[](),") for w in words]
    words = [w for w in words if w]
    if not words:
        return []
    first = words[0]
    if first.startswith("-"):
        return [Mention(doc, line, program, "", tuple(words), _options(words))]
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", first):
        return []  # a placeholder: `verval <command>`, `verval COMMAND`, `verval …`
    # `verval-provider match / sync`: two commands named together.
    commands = [first]
    rest = words[1:]
    while len(rest) >= 2 and rest[0] == "/":
        commands.append(rest[1])
        rest = rest[2:]
    return [Mention(doc, line, program, command, tuple(rest), _options(rest)) for command in commands]


def _options(words: list[str]) -> tuple[str, ...]:
    options = []
    for word in words:
        name = word.split("=", 1)[0].rstrip(".,:;")
        if re.fullmatch(r"--?[a-zA-Z][a-zA-Z0-9-]*", name):
            options.append(name)
    return tuple(options)


_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# A path to a file of the repository named in running text (`docs/import.md`, `bench/run_all.py`).
_PATH = re.compile(r"(?<![\w./-])((?:docs|src|tests|bench)/[A-Za-z0-9_./-]*[A-Za-z0-9_/])")
_DECISION = re.compile(r"\b[Dd]ecisions?\s+((?:\d{4}(?:,\s*|\s+and\s+|\s*[-–]\s*)?)+)")


def links(text: str) -> list[str]:
    """Relative targets of markdown links, without their `#anchor`."""
    targets = []
    for match in _LINK.finditer(text):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0])
    return targets


def repository_paths(text: str) -> list[str]:
    return [m.group(1) for m in _PATH.finditer(text)]


def decision_numbers(text: str) -> list[str]:
    return [n for m in _DECISION.finditer(text) for n in re.findall(r"\d{4}", m.group(1))]


ENV_NAME = re.compile(r"\bVERVAL_[A-Z0-9_]*[A-Z0-9]\b")
# A name the code reads is quoted in it: os.environ.get("VERVAL_X"), _flag("VERVAL_X").
ENV_QUOTED = re.compile(r"""["'](VERVAL_[A-Z0-9_]*[A-Z0-9])["']""")


def headless_tables(text: str) -> list[int]:
    """First lines of runs of `| … |` lines that do not open with a header and its `|---|` row:
    a markdown reader shows them as running text (a paragraph put inside a table cut it in two)."""
    found, run, fenced = [], [], False
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            run.append((number, line))
            continue
        if run and not (len(run) >= 2 and re.match(r"^\|\s*:?-{3,}", run[1][1])):
            found.append(run[0][0])
        run = []
    return found


# Paths of this machine a doc names in code (`/tmp/…`, `/usr/bin/chromium`), not addresses.
_FILE_SYSTEM = ("/tmp", "/usr", "/var", "/proc", "/dev", "/work", "/srv", "/data", "/path", "/etc", "/opt")


def addresses(text: str) -> list[tuple[int, str]]:
    """(line, address) of every code span that is a site address (`/dinas/?kabkota=…`,
    `/sptjm/<id>/unggah/`, `/batches/{id}/file`), query left out."""
    found = []
    for number, code in code_spans(text):
        if re.fullmatch(r"/[^\s`]*", code) and not code.startswith(_FILE_SYSTEM):
            found.append((number, re.split(r"\[?\?", code, maxsplit=1)[0]))
    return found


def with_sample(address: str, sample: str) -> str:
    """The address with every placeholder (`<id>`, `{id}`, `[npsn]`, `…`) given one value."""
    return re.sub(r"<[^>]*>|\{[^}]*\}|\[[^\]]*\]|…", sample, address)
