"""A school operator on a cheap phone and a slow link (decision 0080).

Starts `verval serve --no-worker` on a demo database (made once in --var, default a new temporary
folder) and walks the operator's journey in headless Chromium (`/usr/bin/chromium`) at 360×640,
with the link slowed through the DevTools protocol (`Network.emulateNetworkConditions`) and the
CPU slowed 4× (`Emulation.setCPUThrottlingRate`): sign in, home, the school page, filter the
residue, an inline save, the SPTJM page, and the job pages of two correction files, one applied and
waiting in the queue, one awaiting the school's click (each with its polls for --poll seconds).
Each profile walks twice in one browser context: cold cache, then signed out and in again with
the cache the first walk filled (warm). Per step it records what went over the wire (bytes as
received, headers included, and requests; a request answered from the browser's cache is not
counted), the time to the first contentful paint and to `load` for a page, and for an htmx step
the time from the action to what the user waits for.

    python bench/bench_slow_link.py                       # this checkout, slow and good 3G
    python bench/bench_slow_link.py --src /tmp/old        # the server runs that checkout's src/
    python bench/bench_slow_link.py --profiles slow3g --var /tmp/slowlink-var

Prints one Markdown table per profile and the job page's polls. Needs playwright (the Python
package) and Debian's chromium; no internet.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "verval-demo-2020"

# kbit/s down and up, round trip in ms. "slow3g" is the brief's (and close to DevTools' Slow 3G);
# "good3g" is DevTools' old "Good 3G" with a longer round trip, as a 3G link in a town.
PROFILES: dict[str, tuple[int, int, int]] = {
    "slow3g": (400, 400, 400),
    "good3g": (1500, 750, 150),
    # Nothing slowed (link and CPU as they are): the smoke test's, tests/bench.
    "lan": (0, 0, 0),
}


@dataclass
class Step:
    name: str
    bytes: int = 0
    requests: int = 0
    cached: int = 0
    revalidated: int = 0
    fcp_ms: float | None = None
    load_ms: float | None = None
    done_ms: float | None = None
    urls: list[str] = field(default_factory=list)


class Wire:
    """Counts what the page fetches over the (emulated) network, per step, from CDP events."""

    def __init__(self, cdp: Any) -> None:
        self.step: Step | None = None
        self._req: dict[str, dict[str, Any]] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, ev: dict[str, Any]) -> None:
        url = ev["request"]["url"]
        if url.startswith("data:"):
            return
        rid = ev["requestId"]
        if rid in self._req and ev.get("redirectResponse"):
            # A redirect reuses the id: the 302's own bytes are in redirectResponse.
            r = self._req[rid]
            r["bytes"] += int(ev["redirectResponse"].get("encodedDataLength") or 0)
            r["hops"] += 1
        else:
            self._req[rid] = {
                "url": url,
                "bytes": 0,
                "cache": False,
                "status": 0,
                "hops": 0,
                "step": self.step,
            }

    def _from_cache(self, ev: dict[str, Any]) -> None:
        if ev["requestId"] in self._req:
            self._req[ev["requestId"]]["cache"] = True

    def _response(self, ev: dict[str, Any]) -> None:
        r = self._req.get(ev["requestId"])
        if r is None:
            return
        resp = ev["response"]
        r["status"] = resp.get("status", 0)
        if resp.get("fromDiskCache") or resp.get("fromPrefetchCache") or resp.get("fromServiceWorker"):
            r["cache"] = True

    def _finished(self, ev: dict[str, Any]) -> None:
        r = self._req.pop(ev["requestId"], None)
        step = r and r["step"]
        if r is None or step is None:
            return
        if r["cache"]:
            step.cached += 1
            return
        step.requests += 1 + r["hops"]
        step.bytes += r["bytes"] + int(ev.get("encodedDataLength") or 0)
        if r["status"] == 304:
            step.revalidated += 1
        step.urls.append(f"{r['status']} {r['url'].split('//', 1)[-1].split('/', 1)[-1]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_verval(src: Path, env: dict[str, str], *args: str) -> str:
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "verval.cli", *args],
        env={**env, "PYTHONPATH": str(src)},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


# Two correction files of the operator's school: one applied and waiting in the worker's queue (no
# worker runs under the bench, so it keeps waiting), one previewed and not applied.
SETUP = """
import django, json
django.setup()
from verval.accounts.access import jobs_for
from verval.accounts.models import User
from verval.core import jobs
op = User.objects.get(username="operator")
ids = {"npsn": op.school_id}
for name, applied in (("queued", True), ("preview", False)):
    job = jobs_for(op).filter(input_name=f"bench-{name}.xlsx").first()
    if job is None:
        job = jobs.create_job(
            actor=op, kind="bulk_correction", school_id=op.school_id, input_name=f"bench-{name}.xlsx",
            params={"applied": True} if applied else {},
        )
        if applied:
            jobs.enqueue(job)
    ids[name] = str(job.pk)
print(json.dumps(ids))
"""


def prepare(src: Path, var: Path, students: int) -> tuple[dict[str, str], dict[str, str]]:
    env = {
        **os.environ,
        "VERVAL_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "verval.settings",
        "VERVAL_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    run_verval(src, env, "migrate", "-v0")
    teachers = str(max(1, students // 14))  # the demo's own proportion (28,000 and 2,000)
    run_verval(
        src,
        env,
        "demo",
        "--if-empty",
        "--password",
        PASSWORD,
        "--students",
        str(students),
        "--teachers",
        teachers,
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP],
        env={**env, "PYTHONPATH": str(src)},
        check=True,
        capture_output=True,
        text=True,
    )
    return env, json.loads(out.stdout.strip().splitlines()[-1])


def start_server(src: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "verval.cli", "serve", "--no-worker", "--port", str(port)],
        env={**env, "PYTHONPATH": str(src)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"verval serve did not listen on {port}; see {log}")


# The first contentful paint may come after `load` on a slowed CPU: wait for it (5 s at most).
NAV_TIMES = """() => new Promise(resolve => {
  const done = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    resolve({fcp: fcp ? fcp.startTime : null, load: nav ? nav.loadEventEnd : null});
  };
  if (performance.getEntriesByName('first-contentful-paint').length) { done(); return; }
  new PerformanceObserver((list, obs) => { obs.disconnect(); done(); }).observe({type: 'paint', buffered: true});
  setTimeout(done, 5000);
})"""


def walk(page: Any, wire: Wire, base: str, ids: dict[str, str], poll_s: float) -> list[Step]:
    steps: list[Step] = []

    def begin(name: str) -> Step:
        step = Step(name)
        steps.append(step)
        wire.step = step
        return step

    def settle() -> None:
        # Let the last responses' loadingFinished arrive before the next step starts counting.
        page.wait_for_timeout(300)

    def page_times(step: Step) -> None:
        t = page.evaluate(NAV_TIMES)
        step.fcp_ms, step.load_ms = t["fcp"], t["load"]

    npsn = ids["npsn"]
    s = begin("sign-in page")
    page.goto(f"{base}/masuk/", wait_until="load")
    page_times(s)
    settle()

    s = begin("sign in → home")
    page.locator("#id_username").fill("operator")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation(url=f"{base}/beranda/", wait_until="load"):
        page.locator("main form.stack button[type=submit]").click()
    page_times(s)
    settle()

    s = begin("school page")
    page.goto(f"{base}/sekolah/{npsn}/", wait_until="load")
    page_times(s)
    settle()

    s = begin("filter: residue (htmx)")
    summary = page.locator("details.filter-box > summary")
    if not page.locator("details.filter-box").evaluate("d => d.open"):
        summary.click()
    t0 = time.perf_counter()
    page.locator("#filter select[name=status]").select_option("RESIDU")
    page.wait_for_function(
        "() => document.querySelectorAll('#results tbody tr').length > 0 &&"
        " [...document.querySelectorAll('#results tbody tr')].every(r => r.querySelector('.s-RESIDU'))"
    )
    s.done_ms = (time.perf_counter() - t0) * 1000
    settle()

    s = begin("inline save (htmx)")
    row = page.locator("#results tbody tr").filter(has=page.get_by_role("link", name="Ubah")).first
    row_id = row.get_attribute("id")
    t0 = time.perf_counter()
    row.get_by_role("link", name="Ubah").click()
    field_ = page.locator(f"#{row_id} input[name=nomor]")
    field_.wait_for()
    number = f"0812{random.randint(10_000_000, 99_999_999)}"  # noqa: S311 - a test number
    field_.fill(number)
    page.locator(f"#{row_id} output.verdict").filter(has_text=" ").wait_for()
    page.locator(f"#{row_id}").get_by_role("button", name="Simpan").click()
    page.locator("#row-status").filter(has_text="Tersimpan").wait_for()
    s.done_ms = (time.perf_counter() - t0) * 1000
    settle()

    s = begin("SPTJM page")
    page.goto(f"{base}/sekolah/{npsn}/sptjm/", wait_until="load")
    page_times(s)
    settle()

    for name in ("queued", "preview"):
        s = begin(f"job page ({name})")
        page.goto(f"{base}/pekerjaan/{ids[name]}/", wait_until="load")
        page_times(s)
        settle()
        s = begin(f"job page ({name}): polls in {poll_s:g} s")
        page.wait_for_timeout(poll_s * 1000)
        settle()

    wire.step = None
    with page.expect_navigation(wait_until="load"):
        page.evaluate("() => document.querySelector('form[action$=\"/keluar/\"]').submit()")
    return steps


def fmt_ms(v: float | None) -> str:
    return "" if v is None else f"{v:,.0f}"


def table(profile: str, walks: dict[str, list[Step]]) -> str:
    down, up, rtt = PROFILES[profile]
    what = f"{down} kbit/s down, {up} kbit/s up, {rtt} ms RTT, CPU 4× slower" if down else "nothing slowed"
    lines = [
        f"\n### {profile}: {what}, 360×640\n",
        "| step | cold: KB | cold: requests | cold: FCP ms | cold: load / done ms "
        "| warm: KB | warm: requests (304) | warm: FCP ms | warm: load / done ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cold, warm = walks["cold"], walks["warm"]
    for c, w in zip(cold, warm, strict=True):
        lines.append(
            f"| {c.name} | {c.bytes / 1024:.1f} | {c.requests} | {fmt_ms(c.fcp_ms)} "
            f"| {fmt_ms(c.load_ms if c.load_ms is not None else c.done_ms)} "
            f"| {w.bytes / 1024:.1f} | {w.requests} ({w.revalidated}) | {fmt_ms(w.fcp_ms)} "
            f"| {fmt_ms(w.load_ms if w.load_ms is not None else w.done_ms)} |"
        )
    for label, steps in walks.items():
        total = sum(s.bytes for s in steps if "polls" not in s.name)
        reqs = sum(s.requests for s in steps if "polls" not in s.name)
        lines.append(
            f"| **journey, {label}** (without the polls) | **{total / 1024:.1f}** | **{reqs}** | | | | | | |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the src/ the server runs (default: this checkout's)"
    )
    parser.add_argument(
        "--var", type=Path, help="VERVAL_VAR_DIR of the demo (made once; default: a new temporary folder)"
    )
    parser.add_argument("--profiles", default="slow3g,good3g")
    parser.add_argument("--poll", type=float, default=20.0, help="seconds on the job page counting its polls")
    parser.add_argument("--urls", action="store_true", help="print every request of each step")
    parser.add_argument(
        "--students", type=int, default=28000, help="students of a new demo (default 28000, as `verval demo`)"
    )
    args = parser.parse_args()
    src = args.src.resolve()
    if (src / "src").is_dir():
        src = src / "src"
    var = (args.var or Path(tempfile.mkdtemp(prefix="verval-slowlink-"))).resolve()
    env, ids = prepare(src, var, args.students)
    port = free_port()
    server = start_server(src, env, port, var / "serve.log")
    base = f"http://127.0.0.1:{port}"
    from playwright.sync_api import sync_playwright

    print(f"server: {src} on {base}; var {var}; load {os.getloadavg()[0]:.2f}")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            for profile in [p.strip() for p in args.profiles.split(",") if p.strip()]:
                down, up, rtt = PROFILES[profile]
                context = browser.new_context(
                    viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="id-ID"
                )
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                if down:
                    cdp.send(
                        "Network.emulateNetworkConditions",
                        {
                            "offline": False,
                            "latency": rtt,
                            "downloadThroughput": down * 1000 / 8,
                            "uploadThroughput": up * 1000 / 8,
                        },
                    )
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                wire = Wire(cdp)
                walks = {}
                for label in ("cold", "warm"):
                    walks[label] = walk(page, wire, base, ids, args.poll)
                print(table(profile, walks))
                if args.urls:
                    for label, steps in walks.items():
                        for st in steps:
                            print(f"  {profile} {label} {st.name}: {', '.join(st.urls)}")
                context.close()
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"\nload average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
