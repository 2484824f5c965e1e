"""`verval-provider`: the provider kit's command line (no Django).

Numbers (dump files):
verval-provider match --dump DUMP.csv.gz --subscribers SUBS.csv --out HASIL.csv
verval-provider sync --url https://verval.example --token vp_... --subscribers SUBS.csv [--workdir DIR]
  (--token and --subscribers may come from VERVAL_PROVIDER_TOKEN and VERVAL_PROVIDER_SUBSCRIBERS)
Matching with your own pipeline instead (decision 0036):
verval-provider pull --url URL --out DIR [--batch ID | --all]
verval-provider upload-results --url URL --batch ID --results HASIL.csv [--refused-out DITOLAK.csv]

With --json the last line on stdout is one JSON object, also when the kit refuses its input or an
argument: {"state": "REFUSED", "error_code": ..., "error": ..., "message": ...} (exit 2).

Disbursement (quota injection), docs/provider-kit.md:
verval-provider pull-disbursements --url URL [--period P] [--workdir DIR]
verval-provider upload-injection --url URL --batch ID --results HASIL.csv [--workdir DIR]
verval-provider upload-usage --url URL --period P --usage PEMAKAIAN.csv
verval-provider send-recap --url URL --period P [--workdir DIR] [--dry-run] [--allow-pending]
verval-provider simulate-injection --url URL [--period P]   (DEMO: simulated results)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any

from verval_provider import disbursement, dumps
from verval_provider.client import NOT_A_SEGMENT, ApiClient, ApiFailure, UrllibTransport
from verval_provider.disbursement import KitFileError
from verval_provider.match import MatchError, match, unreadable_summary, unreadable_warning
from verval_provider.sync import sync

WORKDIR = "verval-provider-work"


def _terminated(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # `timeout 1h verval-provider sync …` (cron's guard) sends SIGTERM: stopped like Ctrl-C, with
    # the same line and exit code, instead of silently. The caller's handler comes back after.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C, or cron's timeout: every file is written beside its name and renamed when whole,
        # and the server applies a file whole or not at all, so the same command run again goes
        # on where this one stopped (a download resumes; a file sent twice changes nothing).
        cmd = next((a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("-")), "")
        print(
            f"verval-provider {cmd}: interrupted: run the same command again, it goes on where this "
            "one stopped (a download resumes; a file the server already applied changes nothing)",
            file=sys.stderr,
        )
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    kit = parser()
    args, unknown = kit.parse_known_args(argv)
    if unknown:
        # An option another command takes (`--workdir`, copied from the pull-disbursements line
        # into upload-results) was answered with the kit's list of commands: the command's own
        # usage shows the options it does take.
        commands = next(a for a in kit._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.cmd].error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.cmd in SERVER_COMMANDS:
        return _server_command(args)
    return _local_or_sync(args)


def parser() -> argparse.ArgumentParser:
    """Every command and option of the kit, each with its help text."""
    parser = argparse.ArgumentParser(
        prog="verval-provider",
        description="Verval Ponsel provider kit: answer dump batches (sync, or pull + your own match + "
        "upload-results) and disbursement batches (pull-disbursements, upload-injection, upload-usage, "
        "send-recap). `verval-provider COMMAND --help` for each command; the guide is "
        "docs/provider-kit.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("match", help="match a dump against the subscriber export")
    m.add_argument("--dump", required=True, help="the dump batch file, DMP-....csv.gz as downloaded")
    m.add_argument(
        "--subscribers", required=True, help="CSV msisdn,status (active/grace/inactive/not_subscriber)"
    )
    m.add_argument("--out", required=True, help="results CSV (gzip when it ends in .gz)")
    m.add_argument("--threads", type=_positive, help="threads to use (default: all cores)")
    m.add_argument("--json", action="store_true", help=JSON_HELP)
    low = "write results even when under 10 %% of the dump's numbers are in the export"
    m.add_argument("--accept-low-match", action="store_true", help=low)
    s = sub.add_parser("sync", help="pull new batches, match them, upload the results")
    s.add_argument("--url", required=True, help=URL_HELP)
    s.add_argument(
        "--token",
        default=os.environ.get("VERVAL_PROVIDER_TOKEN"),
        help="API token (or env VERVAL_PROVIDER_TOKEN)",
    )
    s.add_argument(
        "--subscribers",
        default=os.environ.get("VERVAL_PROVIDER_SUBSCRIBERS"),
        help="your subscriber export, CSV msisdn,status (or env VERVAL_PROVIDER_SUBSCRIBERS)",
    )
    s.add_argument(
        "--workdir",
        default=WORKDIR,
        help=f"downloads, results and done.json (default {WORKDIR}; keep it between runs)",
    )
    s.add_argument("--gzip", action="store_true", help="upload results gzip-compressed")
    s.add_argument("--wait", type=float, default=600.0, help=WAIT_HELP)
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.add_argument("--accept-low-match", action="store_true", help=low)
    _own_pipeline_parsers(sub)
    _disbursement_parsers(sub)
    # `verval-provider sync --help` listed the options alone: each command's page now opens with
    # the line the command list shows for it (decision 0100).
    for listed in sub._choices_actions:
        sub.choices[listed.dest].description = f"{listed.help}."
    return parser


def _local_or_sync(args: argparse.Namespace) -> int:
    name = f"verval-provider {args.cmd}"

    if args.cmd == "match":
        if args.threads:
            # Read once, when polars is first imported (inside match).
            os.environ["POLARS_MAX_THREADS"] = str(args.threads)
        out = Path(args.out)
        if out.is_dir():
            return _refused(
                name,
                args.json,
                USAGE_ERROR,
                f"--out {out} is a folder: name the results file, e.g. {out / 'hasil.csv'}",
            )
        if not out.absolute().parent.is_dir():
            return _refused(
                name, args.json, USAGE_ERROR, f"--out {out}: there is no folder {out.parent} (make it first)"
            )
        try:
            result = match(args.dump, args.subscribers, args.out, accept_low_match=args.accept_low_match)
        except MatchError as exc:
            return _refused(name, args.json, "MATCH_FAILED", str(exc))
        except OSError as exc:
            return _refused(name, args.json, "BERKAS_TIDAK_TERBACA", _os_problem(exc))
        if args.json:
            print(json.dumps(result))
        else:
            unread = unreadable_summary(result["unreadable"])
            print(
                f"{result['rows']} rows -> {result['out']} in {result['seconds']} s: {result['by_status']}"
                + (f"; {unread}" if unread else "")
            )
        # Results written, but values of the export matched nothing unread: said on stderr (with
        # --json too) and exit 1, so that `match && upload-results` stops and cron's wrapper sees
        # it (decision 0106).
        for line in unreadable_warning(result["unreadable"], Path(args.subscribers).name, sent=False):
            print(f"{name}: {line}", file=sys.stderr)
        return 1 if result["unreadable"]["count"] else 0

    bad_url = _url_problem(args.url)
    if bad_url:
        return _refused(name, args.json, USAGE_ERROR, f"--url {bad_url}")
    args.token, bad_token = _token_problem(args.token)
    if bad_token:
        return _refused(name, args.json, USAGE_ERROR, bad_token)
    if not args.subscribers:
        return _refused(
            name,
            args.json,
            USAGE_ERROR,
            "--subscribers or VERVAL_PROVIDER_SUBSCRIBERS is required (your subscriber export, CSV msisdn,status)",
        )
    client = ApiClient(args.token, UrllibTransport(args.url))
    try:
        reports = sync(
            client,
            args.subscribers,
            args.workdir,
            wait_seconds=args.wait,
            gzip_results=args.gzip,
            accept_low_match=args.accept_low_match,
            log=None if args.json else print,
        )
    except ApiFailure as failure:
        print(str(failure), file=sys.stderr)
        if args.json:
            print(json.dumps(_refusal(failure.code, str(failure), status=failure.status)))
        return 2
    except OSError as exc:  # the workdir cannot be made or written (cron as another user, say)
        return _refused(name, args.json, FOLDER_PROBLEM, _os_problem(exc))
    if args.json:
        print(json.dumps({"batches": reports, "count": len(reports)}))
    elif not reports:
        print("Tidak ada batch baru / no new batches.")
    for report in reports:  # answers sent with values of the export unread (decision 0106)
        for line in unreadable_warning(
            report.get("unreadable") or {"count": 0},
            Path(args.subscribers).name,
            sent=report.get("state") in ("SUCCEEDED", "PENDING", "RUNNING"),  # accepted by the server
        ):
            print(f"{name}: {report['batch']}: {line}", file=sys.stderr)
    return _exit_code(reports)


USAGE_ERROR = "ARGUMEN_TIDAK_SAH"
# A folder or file of this machine the kit cannot make, read or write (not the server's doing).
FOLDER_PROBLEM = "BERKAS_TIDAK_BISA_DIAKSES"


def _os_problem(exc: OSError) -> str:
    """An OSError as one line: the path and the system's reason, and what to check. Python's own
    text (`[Errno 2] No such file or directory: 'x'`) is kept only when it names no path."""
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    if not where:
        return f"{reason} (check the paths given to the command)"
    return (
        f"cannot use {where}: {reason} (check the path given to the command, e.g. --out, --workdir, "
        "--subscribers, and that this user may read and write there)"
    )


JSON_HELP = "print one JSON object for scripts as the last line"
URL_HELP = "the server's address as Pusdatin gives it, without /api/v1, e.g. https://verval.example.go.id"
WAIT_HELP = "seconds to wait for a large file's job on the server (default 600)"
PERIOD_HELP = "the period (tahap) as the server writes it, e.g. 2020-09A (pull-disbursements prints it)"


def _positive(text: str) -> int:
    """A count of 1 or more (polars warns about and ignores anything else)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text!r}")
    return value


def _version() -> str:
    """The installed project's version; a folder copied without installing (docs/provider-kit.md,
    install B) has none to read."""
    from importlib import metadata

    try:
        return metadata.version("verval-ponsel")
    except metadata.PackageNotFoundError:
        return "(copied folder, not installed)"


# Codes of a failure that says nothing about the batch: the server could not be reached, or what
# answered at --url was not its API.
NOTHING_DONE = ("SERVER_TIDAK_TERJANGKAU", "BUKAN_API_VERVAL")


def _refusal(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON object of a refusal, the same keys as the `verval` commands' (SPEC §8)."""
    return {"state": "REFUSED", "error_code": code, "error": code, "message": message, **extra}


def _refused(name: str, as_json: bool, code: str, message: str) -> int:
    """One line on stderr, the refusal's JSON line on stdout with --json; exit code 2."""
    print(f"{name}: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps(_refusal(code, message)))
    return 2


# ------------------------------------------------------------------ own matching pipeline


def _own_pipeline_parsers(sub: Any) -> None:
    p = sub.add_parser("pull", help="download dump batches and their manifests, without matching")
    _server_options(p, workdir=False)
    p.add_argument("--out", required=True, help="folder for <batch>.csv.gz and <batch>.manifest.json")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--batch", help="only this batch, whatever its state")
    which.add_argument("--all", action="store_true", help="every batch, also those already answered")
    u = sub.add_parser("upload-results", help="send a results file you matched yourself for a dump batch")
    _server_options(u, workdir=False)
    u.add_argument("--batch", required=True, help="the dump batch id (DMP-...)")
    u.add_argument(
        "--results",
        required=True,
        help="CSV pd_id,no_ponsel,status[,keterangan], plain or gzip (sent as gzip when above 1 MiB)",
    )
    u.add_argument("--refused-out", help="write every row the server refused to this CSV")
    u.add_argument("--wait", type=float, default=600.0, help=WAIT_HELP)


def _pull(client: ApiClient, args: argparse.Namespace, say: Any) -> tuple[int, dict[str, Any]]:
    reports = dumps.pull_dumps(client, args.out, batch_id=args.batch, every=args.all, log=say)
    if not reports:
        say("Tidak ada batch baru / no new batches.")
    return (1 if any(r.get("error") for r in reports) else 0), {"batches": reports, "count": len(reports)}


def _upload_results(client: ApiClient, args: argparse.Namespace, say: Any) -> tuple[int, dict[str, Any]]:
    answer = dumps.upload_match_results(
        client, args.batch, args.results, refused_out=args.refused_out, wait_seconds=args.wait, log=say
    )
    counts = answer.get("counts", {})
    _say_answer(answer, say, pending=f"see GET /api/v1/jobs/{answer.get('job_id')} for its outcome")
    if answer.get("state") == "SUCCEEDED":
        say(
            f"{answer['batch']}: applied {counts.get('applied', 0)}, refused {counts.get('refused', 0)}, "
            f"unchanged {counts.get('unchanged', 0)}; batch {counts.get('batch_state', '')}"
        )
    if answer.get("refused_out"):
        say(f"refused rows ({answer.get('issues_total', 0)}) -> {answer['refused_out']}")
    return _upload_exit_code(answer), answer


# ------------------------------------------------------------------ disbursement side


def _server_options(p: argparse.ArgumentParser, *, workdir: bool = True) -> None:
    p.add_argument("--url", required=True, help=URL_HELP)
    p.add_argument(
        "--token",
        default=os.environ.get("VERVAL_PROVIDER_TOKEN"),
        help="API token (or env VERVAL_PROVIDER_TOKEN)",
    )
    if workdir:
        p.add_argument(
            "--workdir",
            default=WORKDIR,
            help=f"the kit's folder: batches, results sent, ledger (default {WORKDIR}; the same for every command)",
        )
    p.add_argument("--json", action="store_true", help=JSON_HELP)


def _disbursement_parsers(sub: Any) -> None:
    p = sub.add_parser("pull-disbursements", help="download this provider's disbursement batches")
    _server_options(p)
    p.add_argument("--period", help="only this period (tahap), e.g. 2020-09A")
    u = sub.add_parser("upload-injection", help="send your injection results of a disbursement batch")
    _server_options(u)
    u.add_argument("--batch", required=True, help="the disbursement batch id")
    u.add_argument(
        "--results",
        required=True,
        help="CSV pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu] (BERHASIL/GAGAL), plain or gzip",
    )
    u.add_argument("--wait", type=float, default=600.0, help=WAIT_HELP)
    g = sub.add_parser("upload-usage", help="send the period's usage per number")
    _server_options(g, workdir=False)
    g.add_argument("--period", required=True, help=PERIOD_HELP)
    g.add_argument("--usage", required=True, help="CSV pd_id,no_ponsel,pemakaian_gb, plain or gzip")
    g.add_argument("--wait", type=float, default=600.0, help=WAIT_HELP)
    r = sub.add_parser("send-recap", help="send your recap of a whole period (sent, injected, failed, GB)")
    _server_options(r)
    r.add_argument("--period", required=True, help=PERIOD_HELP)
    r.add_argument("--dry-run", action="store_true", help="count and print the recap, send nothing")
    r.add_argument(
        "--allow-pending",
        action="store_true",
        help="send even when rows of the period have no result in the workdir",
    )
    d = sub.add_parser(
        "simulate-injection",
        help="DEMO ONLY: answer new batches with simulated results (injects nothing)",
    )
    _server_options(d)
    d.add_argument("--period", help="only this period (tahap), e.g. 2020-09A")
    d.add_argument("--fail-share", type=float, default=0.03, help="share of rows answered GAGAL")
    d.add_argument("--seed", type=int, default=0, help="which rows fail: the same seed, the same rows")


SERVER_COMMANDS = (
    "pull",
    "upload-results",
    "pull-disbursements",
    "upload-injection",
    "upload-usage",
    "send-recap",
    "simulate-injection",
)


def _server_command(args: argparse.Namespace) -> int:
    """The commands that talk to the server, but sync (whose codes came first and differ).
    Exit codes: 0 done; 1 look at it (a file refused, a batch discarded for its SHA-256, a
    recap not sent for want of results or answered with reconciliation flags); 2 nothing done,
    fix or run again later (server unreachable, token refused, 429, unknown batch or period, a
    file the kit cannot read); 3 a file accepted and still being applied on the server (do not
    send it again: send-recap checks it)."""
    name = f"verval-provider {args.cmd}"
    bad_url = _url_problem(args.url)
    problem = f"--url {bad_url}" if bad_url else None
    args.token, bad_token = _token_problem(args.token)
    problem = problem or bad_token or _id_problem(args)
    if problem:  # with --json the refusal's line too, as sync gives it (docs/provider-kit.md)
        print(f"{name}: {problem}", file=sys.stderr)
        if args.json:
            print(json.dumps({**_refusal(USAGE_ERROR, problem), "exit_code": 2}))
        return 2
    client = ApiClient(args.token, UrllibTransport(args.url))
    say = (lambda _msg: None) if args.json else print
    try:
        code, out = _run_server_command(client, args, say)
    except KitFileError as exc:
        code, out = 2, _refusal("BERKAS_TIDAK_TERBACA", str(exc), detail=str(exc))
        if not args.json:
            print(f"{name}: {exc}", file=sys.stderr)
    except ApiFailure as failure:
        code, out = 2, _refusal(failure.code, str(failure), status=failure.status, detail=str(failure))
        if not args.json:
            print(f"{name}: {failure}", file=sys.stderr)
    except OSError as exc:  # --out or --workdir cannot be made or written
        problem = _os_problem(exc)
        code, out = 2, _refusal(FOLDER_PROBLEM, problem, detail=problem)
        if not args.json:
            print(f"{name}: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps({**out, "exit_code": code}, default=str))
    return code


def _run_server_command(client: ApiClient, args: argparse.Namespace, say: Any) -> tuple[int, dict[str, Any]]:
    if args.cmd == "pull":
        return _pull(client, args, say)
    if args.cmd == "upload-results":
        return _upload_results(client, args, say)
    if args.cmd == "pull-disbursements":
        reports = disbursement.pull_batches(client, args.workdir, period=args.period, log=say)
        if not reports:
            say("Tidak ada batch penyaluran / no disbursement batches.")
        code = 1 if any(r.get("error") for r in reports) else 0
        return code, {"batches": reports, "count": len(reports)}
    if args.cmd in ("upload-injection", "upload-usage"):
        if args.cmd == "upload-injection":
            answer = disbursement.upload_injection(
                client, args.workdir, args.batch, args.results, wait_seconds=args.wait, log=say
            )
        else:
            answer = disbursement.upload_usage(client, args.period, args.usage, wait_seconds=args.wait)
        _say_answer(answer, say, pending="the kit checks it again on send-recap")
        return _upload_exit_code(answer), answer
    if args.cmd == "send-recap":
        return _send_recap(client, args, say)
    if not 0 <= args.fail_share <= 1:
        raise KitFileError("--fail-share must be between 0 and 1")
    from verval_provider.inject import sync_injection

    summary = sync_injection(
        client, args.workdir, period=args.period, fail_share=args.fail_share, seed=args.seed, log=say
    )
    refused = [b for b in summary["batches"] if b.get("state") != "SUCCEEDED"]
    flagged = [
        p for p in summary["periods"].values() if "recap_skipped" in p or not p["reconciliation"].get("ok")
    ]
    for code_, report in summary["periods"].items():
        say(
            f"{code_}: recap {report['recap']} "
            + (report.get("recap_skipped") or _flags(report["reconciliation"]))
        )
    return (1 if refused or flagged else 0), summary


def _send_recap(client: ApiClient, args: argparse.Namespace, say: Any) -> tuple[int, dict[str, Any]]:
    whole = disbursement.period_recap(client, args.workdir, args.period, log=say)
    out: dict[str, Any] = {
        "period": whole.period,
        "recap": whole.recap,
        "pending": whole.pending,
        "running": whole.running,
        "batches": whole.batches,
    }
    say(
        f"{whole.period}: {len(whole.batches)} batch{'' if len(whole.batches) == 1 else 'es'}; "
        f"recap sent {whole.recap['sent']}, injected "
        f"{whole.recap['injected']}, failed {whole.recap['failed']}, GB {whole.recap['gb']}"
        + (f"; {whole.pending} rows without a result" if whole.pending else "")
    )
    if whole.running:
        say(
            f"not sent: results still being applied on the server (jobs {', '.join(whole.running)}); run again later"
        )
        return 3, {**out, "sent": False}
    if whole.pending and not args.allow_pending:
        say(
            f"not sent: {whole.pending} rows of the period have no result sent with this workdir "
            "(upload-injection them first, or --allow-pending to send the recap as it stands)"
        )
        return 1, {**out, "sent": False}
    if args.dry_run:
        return 0, {**out, "sent": False}
    recon = disbursement.send_recap(client, args.period, whole.recap)
    say(f"sent; reconciliation: {_flags(recon)}")
    return (0 if recon.get("ok") else 1), {**out, "sent": True, "reconciliation": recon}


def _flags(recon: dict[str, Any]) -> str:
    return "ok" if recon.get("ok") else "flags " + ", ".join(recon.get("flags", []))


def _upload_exit_code(answer: dict[str, Any]) -> int:
    """0 applied (refused rows listed), 3 still being applied (do not send it again), 1 refused
    whole or failed."""
    state = answer.get("state")
    return 0 if state == "SUCCEEDED" else 3 if state in ("PENDING", "RUNNING") else 1


def _say_answer(answer: dict[str, Any], say: Any, *, pending: str) -> None:
    state = answer.get("state")
    counts = answer.get("counts", {})
    if state == "REFUSED":
        say(
            f"refused whole ({answer.get('error', '')}): {answer.get('message_en', '')} {counts}; nothing applied"
        )
    elif state in ("PENDING", "RUNNING"):
        say(f"job {answer.get('job_id')} still {state} on the server; {pending}")
    else:
        say(f"job {answer.get('job_id')} {state}: {counts}")
    for row in answer.get("issues", [])[:10]:
        say(f"  line {row.get('line')} {row.get('column')}: {row.get('code')} {row.get('message_en', '')}")
    if answer.get("issues_total", 0) > 10:
        say(f"  ... {answer['issues_total']} refused rows in all: GET {answer.get('issues_url')}")


def _url_problem(url: str) -> str | None:
    """Why --url is not a server address, or None. Checked before any request: urllib would end
    in a traceback (`unknown url type`) for a value without a scheme, and a typo in the scheme
    or a missing host is the operator's to fix, not a server to wait for."""
    expected = "must be an http:// or https:// address with a host, e.g. https://verval.example.go.id"
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return expected
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return expected
    if not all(" " < c < "\x7f" for c in url):  # http.client refuses these, also in a traceback
        return expected + " (no spaces or non-ASCII characters)"
    if re.search(r"/api/v\d+(/|$)", parts.path.lower()):
        # docs/api.md's base, or a page under it (/api/v1/docs, /api/v1/openapi.json) copied from
        # the browser: the kit would call /api/v1/docs/api/v1/..., which the API answers 404.
        return "is the server's address without /api/v1 (the kit adds it), e.g. https://verval.example.go.id"
    if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        # The kit appends its paths to --url: after a ?query or #fragment they would not be paths.
        return "is the server's address alone, without ?... or #..., e.g. https://verval.example.go.id"
    return None


def _id_problem(args: argparse.Namespace) -> str | None:
    """Why a typed --batch or --period cannot be an id, or None. Checked before any request: the
    kit would send `.` or `..` as a path segment, which a proxy that normalises paths resolves to
    another address (`/batches/../file` is `/file`), and an empty --batch or --period would be
    taken as none given (pull would fetch every open batch) (decision 0075). An id of spaces alone
    is as empty: no batch or period has one, and it would be sent as `%20`."""
    lister = "pull" if args.cmd in ("pull", "upload-results") else "pull-disbursements"
    batch, period = getattr(args, "batch", None), getattr(args, "period", None)
    if batch is not None and batch.strip() in NOT_A_SEGMENT:
        return (
            f'--batch {batch!r} is not a batch id: an id is never empty, "." or ".." '
            f"({lister} prints the id of each batch)"
        )
    if period is not None and period.strip() in NOT_A_SEGMENT:
        return (
            f'--period {period!r} is not a period: a period is never empty, "." or ".." '
            "(e.g. 2020-09A; pull-disbursements prints the period of each batch)"
        )
    return None


def _token_problem(token: str | None) -> tuple[str, str | None]:
    """The token as sent, and why it cannot be one (or None). Checked before any request: a
    token read from a file (`$(cat token.txt)`, saved on Windows) ends in a carriage return,
    which http.client refuses in a traceback that quotes the header, token and all. Surrounding
    white space and a pasted `Bearer ` are dropped; anything else a token never holds is refused
    without showing the value, which is a secret."""
    token = (token or "").strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token:
        return token, "--token or VERVAL_PROVIDER_TOKEN is required"
    if not all("!" <= c <= "~" for c in token):
        return token, (
            "--token holds a space, a line break or a character outside ASCII, which no token has: "
            "copy the token alone, as Pusdatin gave it (it looks like vp_1a2b3c4d_...)"
        )
    return token, None


def _exit_code(reports: list[dict[str, Any]]) -> int:
    """2: run again later (the server was lost, the token refused, or the server asked to slow
    down (429), in the middle of the run: the next run resumes); 1: a batch was refused or could
    not be matched, or was answered from an export holding msisdn values the kit cannot read
    (decision 0106); 0: all applied."""
    if any(r.get("error") in NOTHING_DONE or r.get("status") in (401, 429) for r in reports):
        return 2
    if any(r.get("state") != "SUCCEEDED" for r in reports):
        return 1
    return 1 if any(r.get("unreadable", {}).get("count") for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
