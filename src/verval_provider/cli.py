"""`verval-provider`: the provider kit's command line (no Django).

verval-provider match --dump DUMP.csv.gz --subscribers SUBS.csv --out HASIL.csv
verval-provider sync --url https://verval.example --token vp_... --subscribers SUBS.csv [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from typing import Any

from verval_provider.client import ApiClient, ApiFailure, UrllibTransport
from verval_provider.match import MatchError, match
from verval_provider.sync import sync


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verval-provider", description="Verval Ponsel provider kit")
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("match", help="match a dump against the subscriber export")
    m.add_argument("--dump", required=True)
    m.add_argument(
        "--subscribers", required=True, help="CSV msisdn,status (active/grace/inactive/not_subscriber)"
    )
    m.add_argument("--out", required=True, help="results CSV (gzip when it ends in .gz)")
    m.add_argument("--threads", type=int, help="threads to use (default: all cores)")
    m.add_argument("--json", action="store_true")
    low = "write results even when under 10 %% of the dump's numbers are in the export"
    m.add_argument("--accept-low-match", action="store_true", help=low)
    s = sub.add_parser("sync", help="pull new batches, match them, upload the results")
    s.add_argument("--url", required=True, help="server address, e.g. https://verval.example")
    s.add_argument(
        "--token",
        default=os.environ.get("VERVAL_PROVIDER_TOKEN"),
        help="API token (or env VERVAL_PROVIDER_TOKEN)",
    )
    s.add_argument("--subscribers", required=True)
    s.add_argument("--workdir", default="verval-provider-work")
    s.add_argument("--gzip", action="store_true", help="upload results gzip-compressed")
    s.add_argument("--wait", type=float, default=600.0, help="seconds to wait for a large upload's job")
    s.add_argument("--json", action="store_true")
    s.add_argument("--accept-low-match", action="store_true", help=low)
    args = parser.parse_args(argv)

    if args.cmd == "match":
        if args.threads:
            # Read once, when polars is first imported (inside match).
            os.environ["POLARS_MAX_THREADS"] = str(args.threads)
        try:
            result = match(args.dump, args.subscribers, args.out, accept_low_match=args.accept_low_match)
        except (MatchError, OSError) as exc:
            print(f"verval-provider match: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{result['rows']} rows -> {result['out']} in {result['seconds']} s: {result['by_status']}")
        return 0

    bad_url = _url_problem(args.url)
    if bad_url:
        print(f"verval-provider sync: --url {bad_url}", file=sys.stderr)
        return 2
    if not args.token:
        parser.error("--token or VERVAL_PROVIDER_TOKEN is required")
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
        print(
            json.dumps({"error": failure.code, "status": failure.status}) if args.json else str(failure),
            file=sys.stdout if args.json else sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps({"batches": reports, "count": len(reports)}))
    elif not reports:
        print("Tidak ada batch baru / no new batches.")
    return _exit_code(reports)


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
    return None


def _exit_code(reports: list[dict[str, Any]]) -> int:
    """2: run again later (the server was lost, the token refused, or the server asked to slow
    down (429), in the middle of the run: the next run resumes); 1: a batch was refused or could
    not be matched; 0: all applied."""
    if any(r.get("error") == "SERVER_TIDAK_TERJANGKAU" or r.get("status") in (401, 429) for r in reports):
        return 2
    return 1 if any(r.get("state") != "SUCCEEDED" for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
