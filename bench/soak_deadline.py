"""A deadline day on PostgreSQL: many users at once while Pusdatin's jobs run (decision 0117).

Builds a data set the way production does (`verval synth` + `import-dapodik` + `validate` + `dump`
+ `simulate-providers`, as bench_big_school.py), in a database of its own (`--db-name`, default
verval_hsoak, dropped and created on the DATABASE_URL's server), then starts a real server (gunicorn
with `verval.gunicorn_conf`, as docs/deployment.md step 8) and two real `verval worker` processes
(one per queue), and lets simulated users work through the web pages over HTTP (real sign-in,
CSRF, cookies; threads with urllib, one session each):

    school operators   read their school page, save numbers in the inline editor (htmx), confirm
                       ticked rows, upload a correction file (download, change a few numbers,
                       upload, preview, apply, wait for its job), print the SPTJM and upload the
                       printed PDF as its scan
    Dinas users        read their home page, the late schools, region pages and school pages

while Pusdatin, meanwhile, in rounds: starts a validation run on its page (the worker runs it) and a
later cutoff import by `verval import-dapodik` (a few % of the numbers changed), then `verval dump`,
`verval simulate-providers --url` (the providers' results through the real API: the ingest) and
`verval refresh-dashboard`.

Records per action: count, answers by HTTP status and by the app's code the page names (e.g.
SEDANG_DIPROSES, VERSI_BERUBAH), p50/p95 latency; every job's outcome; every ERROR / Traceback in the
server's and workers' logs. Afterwards checks consistency in the database: every save the page
confirmed is stored (number and a version at least the one the page showed, with its history and
audit rows); audit rows equal successful changes; no recipient locked without a live SPTJM; no
transaction left open; every job in a final state. Exits 1 when a check fails. Speed figures go to
docs/benchmarks.md; nothing here asserts a time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/soak_deadline.py
    DATABASE_URL=... python bench/soak_deadline.py --students 56000 --teachers 4000 --schools 200 \\
        --operators 40 --dinas 6 --duration 240 --web-workers 3
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import html
import io
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_big_school import build, django_in_scratch  # noqa: E402
from bench_slow_link import free_port  # noqa: E402

PASSWORD = "Soak-Deadline-2020"
PERIOD = "SOAK-1"
ROW_RE = re.compile(r'name="pilih" value="([0-9a-f-]{36})\.(\d+)\.([^"]*)"')
VERSI_RE = re.compile(r'name="versi" value="(\d+)"')
CONFIRMED_RE = re.compile(r"([\d.]+) data diverifikasi")
JOB_STATE_RE = re.compile(r'class="label s-(PENDING|RUNNING|SUCCEEDED|REFUSED|FAILED)"')
UPLOAD_FORM_RE = re.compile(r'action="(/sptjm/[0-9a-f-]{36}/unggah/)"')
PDF_RE = re.compile(r'href="(/sptjm/[0-9a-f-]{36}/dokumen\.pdf)"')
PRINT_FORM_RE = re.compile(r'action="(/sekolah/\d+/sptjm/cetak/)"')
FINAL_JOB_STATES = {"SUCCEEDED", "REFUSED", "FAILED"}


# ------------------------------------------------------------------ recording


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)


class Record:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.actions: dict[str, Tally] = defaultdict(Tally)
        # rid -> (number typed, version the page showed after the save), the last save of ours
        self.saves: dict[str, tuple[str, int]] = {}
        self.changed_saves = 0  # saves that changed a number (a history and an audit row each)
        self.confirmed = 0  # rows the pages said were confirmed (or re-confirmed)
        self.file_jobs: list[str] = []
        self.file_rows: dict[str, dict[str, str]] = {}  # job id -> {rid: number the file gave}
        self.jobs: list[dict[str, Any]] = []
        self.failures: list[str] = []
        # Two operators of one school (decision 0121): a save sent with the version of a form the
        # other's save made stale must be refused; a save accepted so is a lost update.
        self.stale_accepted: list[str] = []
        self.race_both_saved: list[str] = []
        # Pusdatin's review: what the pages said was approved / returned.
        self.approved: set[str] = set()
        self.returned = 0
        self.disbursement_jobs: list[str] = []

    def saved(self, rid: str, number: str, version: int) -> None:
        """A save the page confirmed; the one of the highest version is what must be stored."""
        with self.lock:
            if rid not in self.saves or self.saves[rid][1] < version:
                self.saves[rid] = (number, version)

    def add(self, action: str, status: int, ms: float, code: str = "") -> None:
        with self.lock:
            t = self.actions[action]
            t.latencies.append(ms)
            t.statuses[status] += 1
            if code:
                t.codes[code] += 1


REC = Record()
STOP = threading.Event()
# Per school, shared by its operators: the rows in a correction file of theirs (no one edits them
# inline, so each row has one writer the checks can name), and the saves just done (rid, the
# version the form had, who saved), which the other operator then sends a stale form for.
IN_FILES: dict[str, set[str]] = defaultdict(set)
RECENT: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
CODES: dict[str, list[str]] = defaultdict(
    list
)  # code -> the Indonesian texts a page shows for it (HTML-escaped)


def load_codes() -> None:
    from django.utils import translation

    from verval.registry import actions as registry_actions
    from verval.sptjm.reasons import ACTION_REFUSALS

    with translation.override("id"):
        for cls in (
            registry_actions.RecordBusy,
            registry_actions.VersionConflict,
            registry_actions.RecordLocked,
        ):
            CODES[cls.code].append(html.escape(str(cls.message)))
        for code, (text, _en) in ACTION_REFUSALS.items():
            CODES[code].append(html.escape(text))
    CODES["KESALAHAN_SISTEM"].append("KESALAHAN_SISTEM")


def code_in(body: str) -> str:
    for code, texts in CODES.items():
        if any(text and text[:60] in body for text in texts):
            return code
    return ""


# ------------------------------------------------------------------ an HTTP session


class Session:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def call(
        self,
        action: str,
        path: str,
        data: dict[str, Any] | list[tuple[str, str]] | None = None,
        *,
        files: dict[str, tuple[str, bytes]] | None = None,
        htmx: bool = False,
        record: bool = True,
    ) -> tuple[int, str, str]:
        """(status, body, final url); records the latency and the app's code under `action`."""
        headers = {"User-Agent": "soak"}
        body: bytes | None = None
        if htmx:
            headers["HX-Request"] = "true"
        if data is not None or files is not None:
            headers["X-CSRFToken"] = self.csrf()
            headers["Referer"] = self.base + path
            pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
            if files:
                boundary = uuid.uuid4().hex
                out = io.BytesIO()
                for k, v in pairs:
                    out.write(
                        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    )
                for k, (name, blob) in files.items():
                    out.write(
                        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                        "Content-Type: application/octet-stream\r\n\r\n".encode()
                    )
                    out.write(blob + b"\r\n")
                out.write(f"--{boundary}--\r\n".encode())
                body = out.getvalue()
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                body = urllib.parse.urlencode(pairs).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=120) as resp:
                status, raw, url = resp.status, resp.read(), resp.url
        except urllib.error.HTTPError as exc:
            status, raw, url = exc.code, exc.read(), exc.url
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            ms = (time.perf_counter() - started) * 1000
            if record:
                REC.add(action, 0, ms, type(exc).__name__)
            return 0, "", ""
        ms = (time.perf_counter() - started) * 1000
        text = (
            raw.decode("utf-8", "replace")
            if not raw.startswith(b"%PDF") and not raw.startswith(b"PK")
            else ""
        )
        code = code_in(text) if text else ""
        if status >= 500:
            code = code or "HTTP_5XX"
        if record:
            REC.add(action, status, ms, code)
        self.last_raw = raw
        return status, text, url

    def sign_in(self, username: str) -> bool:
        self.call("sign in (GET)", "/masuk/")
        status, _body, url = self.call(
            "sign in (POST)", "/masuk/", {"username": username, "password": PASSWORD}
        )
        return status == 200 and "/masuk/" not in url


# ------------------------------------------------------------------ the users


def think(low: float, high: float) -> None:
    STOP.wait(random.uniform(low, high))


def new_number(rnd: random.Random, prefix: str = "0813") -> str:
    return prefix + "".join(rnd.choice("0123456789") for _ in range(8))


def save_number(
    s: Session, action: str, url: str, rid: str, versi: int, number: str
) -> tuple[int, str, int | None]:
    """(status, body, the version the page showed after the save, or None when not saved)."""
    status, body, _u = s.call(
        action, f"{url}penerima/{rid}/ubah/", {"nomor": number, "versi": str(versi)}, htmx=True
    )
    saved = ROW_RE.search(body)
    if status == 200 and saved and 'name="nomor"' not in body:
        return status, body, int(saved.group(2))
    return status, body, None


def operator_loop(
    base: str,
    username: str,
    npsn: str,
    pages: int,
    seed: int,
    partner: str | None = None,
    sptjm_share: float = 0.05,
) -> None:
    rnd = random.Random(seed)
    s = Session(base)
    if not s.sign_in(username):
        REC.failures.append(f"{username} could not sign in")
        return
    rows: list[tuple[str, int, str]] = []
    in_files = IN_FILES[npsn]
    recent = RECENT[npsn]
    uploaded = False
    other: Session | None = None  # the partner's second browser, for a save at the same instant
    went_stale = raced = False
    url = f"/sekolah/{npsn}/"
    while not STOP.is_set():
        pick = rnd.random()
        if rows and rnd.random() < sptjm_share:
            if not uploaded or rnd.random() < 0.7:
                if partner and other is None:
                    other = Session(base)
                    if not other.sign_in(partner):
                        REC.failures.append(f"{partner} (second browser) could not sign in")
                free = [r for r, _v, _t in rows if r not in in_files]
                uploaded = sptjm(s, npsn, uploaded, rnd, other, free) or uploaded
        elif pick < 0.30 or not rows:
            status, body, _u = s.call("operator: school page", f"{url}?hal={rnd.randint(1, pages)}")
            found = ROW_RE.findall(body)
            if found:
                rows = [(rid, int(v), tag) for rid, v, tag in found]
        elif pick < 0.62:
            theirs = [r for r in recent if r[2] != username and r[0] not in in_files]
            # Each at least once (the tiny run in tests/bench requires both), then now and then.
            if partner and theirs and (not went_stale or rnd.random() < 0.3):
                went_stale = True
                # A form opened before the other operator saved that row: it must be refused.
                rid, versi_before, _who = rnd.choice(theirs)
                number = new_number(rnd, "0815")
                status, body, shown = save_number(
                    s,
                    "operator: save a row the other just saved (stale form)",
                    url,
                    rid,
                    versi_before,
                    number,
                )
                if shown is not None:
                    with REC.lock:
                        REC.stale_accepted.append(rid)
                        REC.changed_saves += 1
                    REC.saved(rid, number, shown)
                think(0.3, 1.5)
                continue
            if partner and (not raced or rnd.random() < 0.15):
                raced = True
                if other is None:
                    other = Session(base)
                    if not other.sign_in(partner):
                        REC.failures.append(f"{partner} (second browser) could not sign in")
                race(s, other, url, rnd, rows, in_files)
                think(0.3, 1.5)
                continue
            rid, _v, _tag = rnd.choice(rows)
            if rid in in_files:
                continue
            status, body, _u = s.call(
                "operator: edit form (htmx GET)", f"{url}penerima/{rid}/ubah/", htmx=True
            )
            versi = VERSI_RE.search(body)
            if status != 200 or versi is None:
                continue
            number = new_number(rnd)
            status, body, shown = save_number(
                s, "operator: save a number (htmx POST)", url, rid, int(versi.group(1)), number
            )
            if shown is not None:
                REC.saved(rid, number, shown)
                if shown != int(versi.group(1)):
                    with REC.lock:
                        REC.changed_saves += 1
                        if partner:
                            recent.append((rid, int(versi.group(1)), username))
                            del recent[:-20]
        elif pick < 0.82:
            chosen = rnd.sample(rows, min(len(rows), rnd.randint(3, 25)))
            status, body, _u = s.call(
                "operator: confirm ticked rows",
                f"{url}verifikasi/",
                [("pilih", f"{rid}.{v}.{tag}") for rid, v, tag in chosen],
            )
            done = CONFIRMED_RE.search(body)
            if done:
                with REC.lock:
                    REC.confirmed += int(done.group(1).replace(".", ""))
            found = ROW_RE.findall(body)
            if found:
                rows = [(rid, int(v), tag) for rid, v, tag in found]
        elif pick < 0.90:
            correction_file(s, url, rnd, in_files, set(r for r, _v, _t in rows))
        else:
            s.call("operator: home", "/beranda/")
        think(0.3, 1.5)


def race(
    s: Session,
    other: Session,
    url: str,
    rnd: random.Random,
    rows: list[tuple[str, int, str]],
    in_files: set[str],
) -> None:
    """Both operators of the school open one row's form and save different numbers at the same
    instant (two requests in flight): one is stored, the other refused; never both."""
    free = [r for r, _v, _t in rows if r not in in_files]
    if not free:
        return
    rid = rnd.choice(free)
    forms = [
        who.call("operator: edit form (htmx GET)", f"{url}penerima/{rid}/ubah/", htmx=True)
        for who in (s, other)
    ]
    versions = [VERSI_RE.search(body) for _st, body, _u in forms]
    if not all(versions) or versions[0].group(1) != versions[1].group(1):  # type: ignore[union-attr]
        return
    versi = int(versions[0].group(1))  # type: ignore[union-attr]
    numbers = [new_number(rnd, "0816"), new_number(rnd, "0817")]
    results: list[int | None] = [None, None]
    gate = threading.Barrier(2)

    def send(i: int, who: Session) -> None:
        gate.wait()
        results[i] = save_number(
            who, "operator: save the same row at once (two operators)", url, rid, versi, numbers[i]
        )[2]

    both = [threading.Thread(target=send, args=(i, who)) for i, who in enumerate((s, other))]
    for t in both:
        t.start()
    for t in both:
        t.join()
    won = [i for i in (0, 1) if results[i] is not None and results[i] != versi]
    if len(won) > 1:
        with REC.lock:
            REC.race_both_saved.append(rid)
    for i in won:
        with REC.lock:
            REC.changed_saves += 1
        REC.saved(rid, numbers[i], results[i])  # type: ignore[arg-type]


def correction_file(s: Session, url: str, rnd: random.Random, in_files: set[str], on_page: set[str]) -> None:
    from openpyxl import load_workbook

    status, _body, _u = s.call("operator: download correction file", f"{url}unduh.xlsx")
    if status != 200:
        return
    book = load_workbook(io.BytesIO(s.last_raw))
    # The data sheet: the one whose first row names the columns (the other holds the instructions).
    sheet, header, head_row = book.worksheets[0], [], 1
    for candidate in book.worksheets:
        first = [str(v or "") for v in next(candidate.iter_rows(min_row=1, max_row=1, values_only=True), ())]
        if "nomor_koreksi" in [c.lower() for c in first]:
            sheet, header = candidate, first
            break
    lowered = [h.lower() for h in header]
    id_col = next((i for i, h in enumerate(lowered) if h == "id"), None)
    num_col = next((i for i, h in enumerate(lowered) if h == "nomor_koreksi"), None)
    if id_col is None or num_col is None:
        REC.failures.append(f"correction file columns not found: {header}")
        return
    data_rows = list(sheet.iter_rows(min_row=head_row + 1))
    # Rows neither on the page being edited nor in an earlier file of ours: each row has one
    # writer the consistency check can name.
    candidates = [r for r in data_rows if str(r[id_col].value or "") not in on_page | in_files]
    given: dict[str, str] = {}
    for r in rnd.sample(candidates, min(5, len(candidates))):
        r[num_col].value = "0857" + "".join(rnd.choice("0123456789") for _ in range(8))
        in_files.add(str(r[id_col].value))
        given[str(r[id_col].value)] = str(r[num_col].value)
    out = io.BytesIO()
    book.save(out)
    status, body, final = s.call(
        "operator: upload correction file",
        f"{url}koreksi/",
        {},
        files={"berkas": ("koreksi.xlsx", out.getvalue())},
    )
    m = re.search(r"/koreksi/([0-9a-f-]{36})/", final or "")
    if status != 200 or m is None:
        return
    status, body, final = s.call(
        "operator: apply correction file", f"{url}koreksi/{m.group(1)}/terapkan/", {}
    )
    with REC.lock:
        REC.file_jobs.append(m.group(1))
        REC.file_rows[m.group(1)] = given
        for rid in given:  # the file writes them after any inline save of ours
            REC.saves.pop(rid, None)
    poll_job_page(s, m.group(1), "operator", "correction file applied", limit=90, stoppable=True)


def poll_job_page(s: Any, job_id: str, who: str, what: str, *, limit: float, stoppable: bool) -> None:
    """Polls the job's progress fragment, as its page does, every 2 s until a final state (recorded
    as `<who>: <what> (wait)` with the seconds waited) or `limit` s; `stoppable`: also until the
    soak's end."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit and not (stoppable and STOP.is_set()):
        _status, body, _u = s.call(f"{who}: job page poll", f"/pekerjaan/{job_id}/progres/", htmx=True)
        state = JOB_STATE_RE.search(body)
        if state and state.group(1) in FINAL_JOB_STATES:
            REC.add(f"{who}: {what} (wait)", 200, (time.perf_counter() - started) * 1000, state.group(1))
            return
        if stoppable:
            STOP.wait(2)
        else:
            time.sleep(2)


def sptjm(
    s: Session,
    npsn: str,
    uploaded: bool,
    rnd: random.Random,
    other: Session | None = None,
    free: list[str] | None = None,
) -> bool:
    """Print the school's SPTJM (unless printed) and upload its PDF as the scan; once uploaded,
    upload it again when Pusdatin returned it, and now and then while it waits for review (the
    reviewer's form is then stale). With `other` (the school's other operator), that one saves a
    row at the instant the print is sent: the save is stored before the print (and printed) or
    refused, never stored in a row the SPTJM holds. True when a scan was uploaded."""
    status, body, _u = s.call("operator: SPTJM page", f"/sekolah/{npsn}/sptjm/")
    form = PRINT_FORM_RE.search(body)
    if form and not PDF_RE.search(body):
        saver = None
        if other is not None and free:
            gate = threading.Barrier(2)
            saver = threading.Thread(target=save_while_printing, args=(other, npsn, rnd.choice(free), gate))
            saver.start()
            # The other has its form open: both are sent now (or, if it never got there, the
            # print alone).
            with contextlib.suppress(threading.BrokenBarrierError):
                gate.wait(timeout=150)
        status, body, _u = s.call("operator: print SPTJM", form.group(1), {"periode": PERIOD})
        if saver is not None:
            saver.join()
    pdf = PDF_RE.search(body)
    upload = UPLOAD_FORM_RE.search(body)
    if not (pdf and upload):
        return False
    returned = "s-DIKEMBALIKAN" in body
    if uploaded and not returned and not ("s-DIUNGGAH" in body and rnd.random() < 0.25):
        return False
    status, _b, _u = s.call("operator: download SPTJM PDF", pdf.group(1))
    if status != 200:
        return False
    version = re.search(r'name="version" value="(\d+)"', body)
    action = (
        "operator: upload SPTJM scan"
        if not uploaded
        else "operator: upload SPTJM scan again (returned)"
        if returned
        else "operator: upload SPTJM scan again (in review)"
    )
    status, body, _u = s.call(
        action,
        upload.group(1),
        {"version": version.group(1)} if version else {},
        files={"pindaian": ("pindaian.pdf", s.last_raw)},
    )
    return status == 200


def save_while_printing(other: Session, npsn: str, rid: str, gate: threading.Barrier) -> None:
    url = f"/sekolah/{npsn}/"
    status, body, _u = other.call("operator: edit form (htmx GET)", f"{url}penerima/{rid}/ubah/", htmx=True)
    versi = VERSI_RE.search(body)
    try:
        gate.wait(timeout=150)
    except threading.BrokenBarrierError:
        return
    if versi is None:
        return
    number = new_number(random.Random(rid), "0818")
    _st, _b, shown = save_number(
        other, "operator: save a row while the other prints the SPTJM", url, rid, int(versi.group(1)), number
    )
    if shown is not None:
        REC.saved(rid, number, shown)
        if shown != int(versi.group(1)):
            with REC.lock:
                REC.changed_saves += 1


def dinas_loop(base: str, username: str, npsns: list[str], regions: list[str], seed: int) -> None:
    rnd = random.Random(seed)
    s = Session(base)
    if not s.sign_in(username):
        REC.failures.append(f"{username} could not sign in")
        return
    while not STOP.is_set():
        pick = rnd.random()
        if pick < 0.25:
            s.call("dinas: home (/dinas/)", "/dinas/")
        elif pick < 0.45:
            s.call("dinas: late schools", "/progres/tertinggal/")
        elif pick < 0.65:
            s.call("dinas: region page", f"/progres/wilayah/{rnd.choice(regions)}/")
        else:
            s.call("dinas: a school's page", f"/sekolah/{rnd.choice(npsns)}/?hal={rnd.randint(1, 3)}")
        think(0.5, 2.0)


# ------------------------------------------------------------------ Pusdatin

REVIEW_RE = re.compile(r'href="/pusdatin/sptjm/([0-9a-f-]{36})/"')
REVIEW_VERSION_RE = re.compile(
    r'action="/pusdatin/sptjm/[0-9a-f-]{36}/setujui/">.*?name="version" value="(\d+)"', re.S
)
APPROVED_RE = re.compile(r"SPTJM (\S+) disetujui\.")
RETURNED_RE = re.compile(r"SPTJM (\S+) dikembalikan ke sekolah\.")


def reviewer_loop(base: str, warmup: float, seed: int) -> None:
    """Pusdatin reviews the uploaded scans while the schools keep uploading: opens one from the
    queue, reads it a while, approves it (about two in three) or returns it with a reason."""
    rnd = random.Random(seed)
    STOP.wait(warmup)
    s = Session(base)
    if not s.sign_in("soak-reviewer"):
        REC.failures.append("the reviewer could not sign in")
        return
    while not STOP.is_set():
        status, body, _u = s.call("pusdatin: review queue", "/pusdatin/sptjm/")
        waiting = REVIEW_RE.findall(body)
        if not waiting:
            think(3, 6)
            continue
        sid = rnd.choice(waiting[:5])
        status, body, _u = s.call("pusdatin: review page", f"/pusdatin/sptjm/{sid}/")
        version = REVIEW_VERSION_RE.search(body)
        if version is None:
            continue
        think(1, 4)  # reading the scan; the school may upload again meanwhile
        if not REC.approved or rnd.random() < 0.67:
            status, body, _u = s.call(
                "pusdatin: approve SPTJM", f"/pusdatin/sptjm/{sid}/setujui/", {"version": version.group(1)}
            )
            if APPROVED_RE.search(body):
                with REC.lock:
                    REC.approved.add(sid)
        else:
            status, body, _u = s.call(
                "pusdatin: return SPTJM with a reason",
                f"/pusdatin/sptjm/{sid}/kembalikan/",
                {"version": version.group(1), "alasan": "Tanda tangan kepala sekolah tidak terbaca."},
            )
            if RETURNED_RE.search(body):
                with REC.lock:
                    REC.returned += 1
        think(1, 3)


def disburse(s: Session) -> None:
    """Pusdatin runs the disbursement from its page and waits for the job (the operators keep working)."""
    status, body, final = s.call(
        "pusdatin: run disbursement (page)", "/pusdatin/penyaluran/jalankan/", {"periode": PERIOD}
    )
    m = re.search(r"/pekerjaan/([0-9a-f-]{36})/", final or "")
    if m is None:
        REC.failures.append(f"disbursement not started: HTTP {status} {final}")
        return
    with REC.lock:
        REC.disbursement_jobs.append(m.group(1))
    poll_job_page(s, m.group(1), "pusdatin", "disbursement done", limit=300, stoppable=False)


# ------------------------------------------------------------------ Pusdatin's jobs


def run_command(env: dict[str, str], logdir: Path, label: str, *args: str) -> dict[str, Any]:
    started = time.perf_counter()
    with open(logdir / f"cmd-{label}.log", "a") as log:
        done = subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "verval.cli", *args, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            check=False,
        )
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        out = json.loads(last)
    except ValueError:
        out = {"output": last[-200:]}
    result = {
        "job": label,
        "exit": done.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "out": out,
    }
    with REC.lock:
        REC.jobs.append(result)
    return result


def pusdatin_loop(
    base: str, env: dict[str, str], logdir: Path, laters: list[Path], warmup: float, import_lead: float
) -> None:
    STOP.wait(warmup)
    s = Session(base)
    if not s.sign_in("soak-pusdatin"):
        REC.failures.append("pusdatin could not sign in")
    for later in laters:
        if STOP.is_set():
            return
        # A later cutoff by its command and, while it runs, the validation run on its page (the
        # default worker runs it; it waits for the import's registry lock, decision 0042).
        importer = threading.Thread(
            target=run_command, args=(env, logdir, f"import-{later.stem}", "import-dapodik", str(later))
        )
        importer.start()
        STOP.wait(import_lead)
        s.call("pusdatin: start validation (page)", "/pusdatin/validasi/", {})
        importer.join()
        run_command(env, logdir, "dump", "dump")
        run_command(env, logdir, "simulate-providers", "simulate-providers", "--url", base)
        # The SPTJMs approved so far are disbursed, and the providers inject the batches and send
        # their results through the API, while the schools keep working (decision 0121).
        disburse(s)
        run_command(
            env, logdir, "simulate-injection", "simulate-injection", "--period", PERIOD, "--url", base
        )
        run_command(env, logdir, "refresh-dashboard", "refresh-dashboard")
        s.call("pusdatin: home", "/pusdatin/")
        STOP.wait(5)


# ------------------------------------------------------------------ set-up


def prepare(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    var = django_in_scratch(args.db_name, "verval-soak-", "django_tasks_db.DatabaseBackend")
    from datetime import date

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db.models import Count

    from verval.accounts.models import User
    from verval.reference.models import Period, School

    took = build(var, args.students, args.teachers, args.schools, seed=args.seed)
    print(f"built in {sum(took.values()):.0f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()))
    Period.objects.update_or_create(
        code=PERIOD,
        defaults={
            "name": "Tahap Soak",
            "policy_id": "2020",
            "starts_on": date(2026, 11, 1),
            "ends_on": date(2027, 1, 31),
            "is_open": True,
        },
    )
    call_command("refresh_dashboard", stdout=io.StringIO())
    hashed = make_password(PASSWORD)
    schools = list(
        School.objects.annotate(n=Count("recipients"))
        .filter(n__gt=0)
        .order_by("npsn")
        .values("npsn", "regency_id", "n")
    )
    chosen = schools[: args.operators]
    users = [
        User(username=f"soak-op-{s['npsn']}", role="OPERATOR", school_id=s["npsn"], password=hashed)
        for s in chosen
    ]
    regencies = sorted({s["regency_id"] for s in schools})
    users += [
        User(
            username=f"soak-dinas-{i}",
            role="DINAS_KAB",
            region_id=regencies[i % len(regencies)],
            password=hashed,
        )
        for i in range(args.dinas)
    ]
    users.append(User(username="soak-pusdatin", role="PUSDATIN", password=hashed))
    users.append(User(username="soak-reviewer", role="PUSDATIN", password=hashed))
    # A second operator in the first --pairs schools, working at once with the first (decision 0121).
    users += [
        User(username=f"soak-op-{s['npsn']}-b", role="OPERATOR", school_id=s["npsn"], password=hashed)
        for s in chosen[: args.pairs]
    ]
    User.objects.bulk_create(users)
    # Later cutoffs: each changes the numbers of --later-share of the rows (a different set each).
    cutoff = var / f"cutoff-{args.students}-{args.schools}.csv"
    with open(cutoff, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    laters = []
    rnd = random.Random(args.seed)
    # Most of the changed rows are in the schools whose operators work meanwhile: their saves then
    # meet the rows the import holds (SEDANG_DIPROSES or kept, decisions 0025, 0041, 0042).
    working = {npsn for npsn in [s["npsn"] for s in chosen]}
    theirs = [row for row in rows if row["npsn"] in working]
    for k in range(args.rounds):
        changed = rnd.sample(theirs, min(len(theirs), int(len(rows) * args.later_share * 0.8)))
        for row in changed + rnd.sample(rows, int(len(rows) * args.later_share * 0.2)):
            row["nomor_telepon_seluler"] = "0878" + "".join(rnd.choice("0123456789") for _ in range(8))
        path = var / f"later-{k + 1}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields or [])
            writer.writeheader()
            writer.writerows(rows)
        laters.append(path)
    load_codes()
    from django.db import connections

    connections.close_all()
    regions_by_regency: dict[str, list[str]] = defaultdict(list)
    for s in schools:
        regions_by_regency[s["regency_id"]].append(s["npsn"])
    return var, {
        "operators": [
            (
                f"soak-op-{s['npsn']}",
                s["npsn"],
                max(1, (s["n"] + 49) // 50),
                f"soak-op-{s['npsn']}-b" if i < args.pairs else None,
            )
            for i, s in enumerate(chosen)
        ]
        + [
            (f"soak-op-{s['npsn']}-b", s["npsn"], max(1, (s["n"] + 49) // 50), f"soak-op-{s['npsn']}")
            for s in chosen[: args.pairs]
        ],
        "dinas": [
            (
                f"soak-dinas-{i}",
                regions_by_regency[regencies[i % len(regencies)]],
                [regencies[i % len(regencies)]],
            )
            for i in range(args.dinas)
        ],
        "laters": laters,
        "recipients": sum(s["n"] for s in schools),
        "schools": len(schools),
    }


def start_processes(args: argparse.Namespace, env: dict[str, str], logdir: Path, port: int) -> list[Any]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    procs = [
        subprocess.Popen(  # noqa: S603
            [
                str(gunicorn),
                "-c",
                "python:verval.gunicorn_conf",
                "verval.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.web_workers),
                "--timeout",
                "120",
                "--control-socket",
                # Its own, and short: an AF_UNIX path holds at most 107 bytes (the default
                # ~/.gunicorn/gunicorn.ctl would be shared with any other gunicorn of the user).
                f"/tmp/verval-soak-{os.getpid()}.ctl",
            ],
            env=env,
            stdout=open(logdir / "gunicorn.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
    ]
    for queue in ("default", "interactive"):
        procs.append(
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "verval.cli",
                    "worker",
                    "--queue-name",
                    queue,
                    "--no-reload",
                    "--interval",
                    "0.5",
                ],
                env=env,
                stdout=open(logdir / f"worker-{queue}.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
        )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30)  # noqa: S310
            return procs
        except urllib.error.HTTPError:
            return procs  # it answers (e.g. 503 "degraded" before the workers beat)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    for p in procs:
        p.kill()
    raise RuntimeError("gunicorn did not answer; see gunicorn.log")


# ------------------------------------------------------------------ afterwards


def wait_for_jobs(limit: float) -> list[tuple[str, str, str]]:
    import django.db
    from django.db.models import Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from verval.core.models import Job

    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        open_jobs = list(
            Job.objects.exclude(state__in=FINAL_JOB_STATES).values_list("kind", "state", "error_code")
        )
        # And the tasks that are no job (the dashboard's refreshes): due and not finished.
        due = Q(run_after__isnull=True) | Q(run_after__lte=timezone.now())
        tasks = list(
            DBTaskResult.objects.filter(Q(status="RUNNING") | (Q(status="READY") & due)).values_list(
                "task_path", "status", "queue_name"
            )
        )
        if not open_jobs and not tasks:
            return []
        django.db.connection.close()
        time.sleep(2)
    return open_jobs + tasks


def check(args: argparse.Namespace) -> list[str]:
    from django.db import connection
    from django.db.models import Count, Q

    from verval.core.models import AuditEvent, Job, JobIssue
    from verval.registry.models import NumberHistory, Recipient
    from verval.sptjm.models import Sptjm

    problems: list[str] = []
    still_open = wait_for_jobs(args.drain)
    if still_open:
        problems.append(f"jobs not final {args.drain:.0f} s after the users stopped: {Counter(still_open)}")
    # Every save the page confirmed is stored: the number, a version at least the one shown, its history.
    stored = {
        str(r["pk"]): r
        for r in Recipient.objects.filter(pk__in=list(REC.saves)).values(
            "pk", "phone_raw", "version", "locked"
        )
    }
    lost = [rid for rid, (number, _v) in REC.saves.items() if stored[rid]["phone_raw"] != number]
    older = [rid for rid, (_n, v) in REC.saves.items() if stored[rid]["version"] < v]
    if lost:
        # A later cutoff keeps a school's usable correction (decision 0025), so nothing may replace it
        # but a later save of ours; say what replaced it.
        detail = Counter(
            NumberHistory.objects.filter(recipient_id__in=lost[:200])
            .order_by()
            .values_list("action", flat=True)
        )
        problems.append(
            f"{len(lost)} confirmed saves not stored (history actions of those rows: {dict(detail)})"
        )
    if older:
        problems.append(f"{len(older)} rows stored with a version below the one the page showed")
    operators = Q(actor__username__startswith="soak-op-")
    audits = AuditEvent.objects.filter(operators, action="change_number").count()
    hist = NumberHistory.objects.filter(operators, action="change_number").count()
    if not (audits == hist == REC.changed_saves):
        problems.append(
            f"number changes: pages confirmed {REC.changed_saves}, audit rows {audits}, history rows {hist}"
        )
    confirm_hist = NumberHistory.objects.filter(operators, action__in=["confirm", "reconfirm"]).count()
    confirm_audit = sum(
        (e.get("confirmed") or 0) + (e.get("reconfirmed") or 0)
        for e in AuditEvent.objects.filter(operators, action="confirm_recipients").values_list(
            "after", flat=True
        )
    )
    if not (confirm_hist == confirm_audit == REC.confirmed):
        problems.append(
            f"confirmations: pages said {REC.confirmed}, audit rows count {confirm_audit}, history rows {confirm_hist}"
        )
    # Every correction file applied: its numbers stored, but for the rows its report refused.
    for job in Job.objects.filter(pk__in=list(REC.file_rows), state="SUCCEEDED"):
        given = REC.file_rows[str(job.pk)]
        now = dict(Recipient.objects.filter(pk__in=list(given)).values_list("pk", "phone_raw"))
        missing = sum(1 for rid, number in given.items() if now.get(uuid.UUID(rid)) != number)
        if missing > (job.counts or {}).get("refused", 0):
            problems.append(f"correction file {job.pk}: {missing} numbers not stored, {job.counts}")
    issues = Counter(JobIssue.objects.filter(job_id__in=list(REC.file_rows)).values_list("code", flat=True))
    print(
        "refused rows of the correction files by code: "
        + (", ".join(f"{k}: {v}" for k, v in issues.items()) or "none")
    )
    # Two operators of one school: a stale form never saved, two saves at once never both.
    if REC.stale_accepted:
        problems.append(
            f"{len(REC.stale_accepted)} saves with a form the other operator had made stale were stored"
        )
    if REC.race_both_saved:
        problems.append(f"{len(REC.race_both_saved)} rows saved by both operators at once (a lost update)")
    problems += check_sptjm_and_disbursement()
    # No recipient locked without an SPTJM that holds it.
    live = Sptjm.objects.filter(status__in=["DICETAK", "DIUNGGAH", "DIKEMBALIKAN"]).values("school_id")
    stray = Recipient.objects.filter(locked=True).exclude(school_id__in=live).count()
    if stray:
        problems.append(f"{stray} recipients locked without a live SPTJM of their school")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        idle = cur.fetchone()[0]
        cur.execute(
            "SELECT l.objid, l.mode, l.granted, a.application_name, a.state, left(a.query, 120) "
            "FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE d.datname = current_database() AND l.locktype = 'advisory'"
        )
        advisory = cur.fetchall()
    if idle:
        problems.append(f"{idle} sessions idle in a transaction after the run")
    if advisory:
        problems.append(f"advisory locks still held after the run: {advisory}")
    failed = Counter(
        Job.objects.filter(state="FAILED")
        .values_list("kind", "error_code")
        .annotate(n=Count("id"))
        .values_list("kind", "error_code")
    )
    if failed:
        problems.append(f"failed jobs (kind, code): {dict(failed)}")
    from django_tasks_db.models import DBTaskResult

    tasks_failed = Counter(DBTaskResult.objects.filter(status="FAILED").values_list("task_path", flat=True))
    if tasks_failed:
        problems.append(f"failed tasks: {dict(tasks_failed)}")
    # How long the tasks waited in their queue and ran (the quick queue's wait is what a school's
    # correction file and scan check feel), and how many dirty-school refreshes found nothing.
    print("\n| task | queue | count | run s, total | waited s, mean | waited s, max | found nothing |")
    print("|---|---|---:|---:|---:|---:|---:|")
    by_path: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for t in DBTaskResult.objects.exclude(started_at=None).exclude(finished_at=None):
        by_path[(t.task_path.rsplit(".", 1)[-1], t.queue_name)].append(t)
    for (name, queue), ts in sorted(by_path.items()):
        ran = sum((t.finished_at - t.started_at).total_seconds() for t in ts)
        waited = [(t.started_at - t.enqueued_at).total_seconds() for t in ts]
        nothing = sum(1 for t in ts if str(t.return_value) in {"0", "skipped"})
        print(
            f"| {name} | {queue} | {len(ts)} | {ran:.0f} | {statistics.mean(waited):.1f} | "
            f"{max(waited):.1f} | {nothing} |"
        )
    task_states = Counter(DBTaskResult.objects.values_list("task_path", "status"))
    print(
        "tasks by state: "
        + ", ".join(f"{p.rsplit('.', 1)[-1]} {st}: {n}" for (p, st), n in sorted(task_states.items()))
    )
    by_kind = Counter(Job.objects.values_list("kind", "state"))
    print("\njobs by kind and state: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(by_kind.items())))
    refused = Counter(Job.objects.filter(state="REFUSED").values_list("kind", "error_code"))
    if refused:
        print(
            "refused jobs (kind, code): "
            + ", ".join(f"{k} {c}: {n}" for (k, c), n in sorted(refused.items()))
        )
    return problems


def check_sptjm_and_disbursement() -> list[str]:
    """Pusdatin's review as its pages said; every row an SPTJM still holds has the number it
    printed; every disbursement line is an approved item's recipient with that item's number;
    the batches and the providers' results count what the database holds (decision 0121)."""
    from django.db.models import Count, Exists, F, OuterRef, Q

    from verval.core.models import AuditEvent
    from verval.reference.models import Period
    from verval.sptjm.models import Disbursement, DisbursementBatch, Sptjm, SptjmItem

    problems: list[str] = []
    reviewer = Q(actor__username="soak-reviewer")
    approved_audit = set(
        AuditEvent.objects.filter(reviewer, action="approve_sptjm").values_list("object_id", flat=True)
    )
    approved_now = {str(pk) for pk in Sptjm.objects.filter(status="DISETUJUI").values_list("pk", flat=True)}
    if not (approved_audit == REC.approved == approved_now):
        problems.append(
            f"approvals: pages said {len(REC.approved)}, audit rows {len(approved_audit)}, approved SPTJMs {len(approved_now)}"
        )
    returned_audit = AuditEvent.objects.filter(reviewer, action="return_sptjm").count()
    if returned_audit != REC.returned:
        problems.append(f"returns: pages said {REC.returned}, audit rows {returned_audit}")
    not_approved = SptjmItem.objects.filter(sptjm__status="DISETUJUI", approved=False).count()
    if not_approved:
        problems.append(f"{not_approved} items of approved SPTJMs not approved")
    held = SptjmItem.objects.filter(sptjm__status__in=["DICETAK", "DIUNGGAH", "DIKEMBALIKAN"])
    moved = held.exclude(phone_e164=F("recipient__phone_e164")).count()
    unlocked = held.filter(recipient__locked=False).count()
    if moved or unlocked:
        problems.append(
            f"rows an SPTJM holds: {moved} with another number than printed, {unlocked} not locked"
        )
    period = Period.objects.get(code=PERIOD)
    lines = Disbursement.objects.filter(period=period).exclude(status="DIKECUALIKAN")
    uncovered = lines.exclude(
        Exists(
            SptjmItem.objects.filter(
                period=period,
                approved=True,
                recipient=OuterRef("recipient"),
                phone_e164=OuterRef("phone_e164"),
            )
        )
    ).count()
    if uncovered:
        problems.append(
            f"{uncovered} disbursement lines without an approved item of that recipient and number"
        )
    twice = (
        Disbursement.objects.filter(period=period, is_current=True)
        .values("recipient")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if twice:
        problems.append(f"{twice} recipients with more than one current disbursement line")
    for batch in DisbursementBatch.objects.filter(period=period).annotate(n=Count("disbursements")):
        if batch.n != batch.rows:
            problems.append(f"batch {batch.provider}-{batch.seq}: {batch.rows} rows said, {batch.n} lines")
    injected = [j["out"] for j in REC.jobs if j["job"] == "simulate-injection" and isinstance(j["out"], dict)]
    by_status = Counter(lines.values_list("status", flat=True))
    said = Counter()
    for out in injected:
        said.update({k: out.get(k, 0) or 0 for k in ("injected", "failed", "refused")})
    if injected and (said["injected"], said["failed"]) != (by_status["BERHASIL"], by_status["GAGAL"]):
        problems.append(f"injection results: providers sent {dict(said)}, lines {dict(by_status)}")
    if said["refused"]:
        problems.append(f"{said['refused']} injection result rows refused")
    print(
        f"\nreview: {len(REC.approved)} approved, {REC.returned} returned; disbursement runs "
        f"{len(REC.disbursement_jobs)}, lines by status {dict(by_status)}, providers said {dict(said)}"
    )
    return problems


def server_errors(logdir: Path) -> list[str]:
    found = []
    for log in sorted(logdir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if " ERROR " in line or line.startswith("Traceback") or " CRITICAL " in line:
                tail = next(
                    (x for x in lines[i + 1 : i + 60] if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", x)), ""
                )
                found.append(f"{log.name}: {line[:200]} {tail[:200]}")
    return found


def first_traceback(logdir: Path) -> str:
    """The first traceback of the server's logs in full, with the three lines before it: the one
    line per error above names the exception, not where it was raised (a run in CI once met
    three "can't change 'autocommit' now" in the default worker's log that it could not place)."""
    for log in sorted(logdir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                return f"{log.name}:\n" + "\n".join(lines[max(0, i - 3) : i + 120])
    return ""


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def report(duration: float) -> None:
    print("\n| action | count | per min | HTTP statuses | app codes | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---|---|---:|---:|---:|")
    for name, t in sorted(REC.actions.items()):
        lat = t.latencies
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(t.statuses.items()))
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(t.codes.items())) or "-"
        print(
            f"| {name} | {len(lat)} | {len(lat) / duration * 60:.0f} | {statuses} | {codes} | "
            f"{statistics.median(lat):.0f} | {p95(lat):.0f} | {max(lat):.0f} |"
        )
    print("\n| Pusdatin's job | exit | seconds | output |")
    print("|---|---:|---:|---|")
    for j in REC.jobs:
        out = (
            {k: v for k, v in j["out"].items() if not isinstance(v, (dict, list))}
            if isinstance(j["out"], dict)
            else j["out"]
        )
        print(f"| {j['job']} | {j['exit']} | {j['seconds']} | {json.dumps(out)[:160]} |")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=56000)
    parser.add_argument("--teachers", type=int, default=4000)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--operators", type=int, default=40, help="school operators at once (one per school)")
    parser.add_argument("--dinas", type=int, default=6, help="Dinas users at once")
    parser.add_argument(
        "--sptjm-share",
        type=float,
        default=0.05,
        help="an operator's chance, per action, of going to the SPTJM page (print, upload, upload again)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=None,
        help="schools with a second operator working at once (default: a quarter of --operators, at least 1)",
    )
    parser.add_argument("--duration", type=float, default=240, help="seconds the users work")
    parser.add_argument("--warmup", type=float, default=20, help="seconds before Pusdatin's first job")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of Pusdatin's jobs (at most)")
    parser.add_argument(
        "--later-share", type=float, default=0.05, help="share of numbers a later cutoff changes"
    )
    parser.add_argument(
        "--import-lead",
        type=float,
        default=20,
        help="seconds between starting an import and a validation run",
    )
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument(
        "--drain", type=float, default=180, help="seconds to wait for jobs after the users stop"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--db-name", default="verval_hsoak")
    parser.add_argument("--keep", action="store_true", help="keep the database, the file store and the logs")
    args = parser.parse_args()
    if args.pairs is None:
        args.pairs = max(1, args.operators // 4)
    args.pairs = min(args.pairs, args.operators)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a PostgreSQL server (the soak is about PostgreSQL's locks)")
    var, plan = prepare(args)
    logdir = var / "logs"
    logdir.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "VERVAL_LOG_LEVEL": "WARNING",
        "VERVAL_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    procs = start_processes(args, env, logdir, port)
    try:
        return soak(args, plan, var, logdir, base, env, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def soak(
    args: argparse.Namespace,
    plan: dict[str, Any],
    var: Path,
    logdir: Path,
    base: str,
    env: dict[str, str],
    procs: list[Any],
) -> int:
    print(
        f"{plan['schools']} schools, {plan['recipients']:,} recipients; {len(plan['operators'])} operators, "
        f"{len(plan['dinas'])} Dinas users, Pusdatin; gunicorn {args.web_workers} workers + 2 verval workers; "
        f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    threads = [
        threading.Thread(
            target=operator_loop,
            args=(base, u, npsn, pages, args.seed + i, partner, args.sptjm_share),
            daemon=True,
        )
        for i, (u, npsn, pages, partner) in enumerate(plan["operators"])
    ]
    threads.append(
        threading.Thread(target=reviewer_loop, args=(base, args.warmup, args.seed + 2000), daemon=True)
    )
    threads += [
        threading.Thread(target=dinas_loop, args=(base, u, npsns, regions, args.seed + 1000 + i), daemon=True)
        for i, (u, npsns, regions) in enumerate(plan["dinas"])
    ]
    pusdatin = threading.Thread(
        target=pusdatin_loop,
        args=(base, env, logdir, plan["laters"], args.warmup, args.import_lead),
        daemon=True,
    )
    started = time.perf_counter()
    for t in threads:
        t.start()
        time.sleep(0.5)  # people arrive over a while, not in one instant
    pusdatin.start()
    loads = []
    while time.perf_counter() - started < args.duration:
        time.sleep(10)
        loads.append(os.getloadavg()[0])
    STOP.set()
    for t in threads:
        t.join(timeout=130)
    pusdatin.join(timeout=600)  # a command under way finishes
    duration = time.perf_counter() - started
    print(
        f"users worked {duration:.0f} s; 1-minute load average every 10 s: max {max(loads):.1f}, mean {statistics.mean(loads):.1f}"
    )
    import django.db

    django.db.connections.close_all()
    problems = check(args)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    report(duration)
    errors = server_errors(logdir)
    print(f"\nserver-side ERROR lines and tracebacks: {len(errors)}")
    for line in errors[:40]:
        print("  " + line)
    for f in REC.failures[:20]:
        print("client failure: " + f)
    if errors and (full := first_traceback(logdir)):
        print("\nthe first server-side traceback in full:\n" + full)
    print(f"\nchecks: {len(problems)} problem(s)")
    for p in problems:
        print("  PROBLEM: " + p)
    print(f"logs: {logdir}" if args.keep else "")
    if not args.keep:
        import shutil

        from benchdb import drop_database

        shutil.rmtree(var, ignore_errors=True)
        drop_database(os.environ["DATABASE_URL"])  # the database of its own (django_in_scratch)
    return 1 if problems or errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
