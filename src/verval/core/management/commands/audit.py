"""`verval audit`: the audit log for Pusdatin's sysadmin on the command line (decision 0135): the
rows the "Jejak audit" page gives Pusdatin, newest first, narrowed by the same filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from verval.core import selectors
from verval.core.commands import USAGE_ERROR, DataCommand, Refused
from verval.reference import zones

MAX_LIMIT = 10_000


class Command(DataCommand):
    help = (
        "Lists the audit log, newest first (every state change, export, download and provider API "
        "call: who and from where (via: web, api, cli:<OS login>, job:<origin>, system), when, what, "
        "from, to; numbers masked), narrowed by day (WIB), action, user "
        "name, school (NPSN) and provider; --before ID reads on past the last row shown. Reads only."
    )
    json_help = 'print one JSON object {"events": [...], "more": bool, "next_before": id} as the last line'

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="from this day (WIB), included")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="up to this day (WIB), included")
        parser.add_argument("--action", metavar="A", default="", help="one action code, e.g. download_dump")
        parser.add_argument("--user", metavar="U", default="", help="the account's user name")
        parser.add_argument("--school", metavar="NPSN", default="", help="one school")
        parser.add_argument("--provider", metavar="P", default="", help="one provider's code, e.g. telkomsel")
        parser.add_argument("--before", metavar="ID", type=int, help="only rows older than this row")
        parser.add_argument(
            "--limit", type=int, default=100, help=f"rows to list (1-{MAX_LIMIT:,}; default 100)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 1 <= opts["limit"] <= MAX_LIMIT:
            raise Refused(USAGE_ERROR, f"--limit must be 1 to {MAX_LIMIT}")
        params = {
            selectors.AUDIT_PARAMS[k]: opts[k] or ""
            for k in ("action", "user", "school", "provider", "since", "until")
        }
        filters, errors = selectors.audit_filters(params)
        if errors:
            param, _message = next(iter(errors.items()))
            option = next(k for k, v in selectors.AUDIT_PARAMS.items() if v == param)
            raise Refused(USAGE_ERROR, f"--{option}: {_refusals()[option]}")
        if opts["before"] is not None:
            filters = selectors.AuditFilters(**{**filters.__dict__, "before": opts["before"]})
        qs = selectors.filter_audit(selectors.AuditEvent.objects.all(), filters).select_related("actor")
        found = list(qs[: opts["limit"] + 1])
        rows = [selectors.audit_row(e, with_ip=True) for e in found[: opts["limit"]]]
        more = len(found) > opts["limit"]
        if opts["json"]:
            self.emit({"events": rows, "more": more, "next_before": rows[-1]["id"] if more else None})
            return
        if not rows:
            self.stdout.write("no audit rows")
            return
        tz = zones.programme_tz()
        self.stdout.write(
            f"{'id':>9}  {'at (WIB)':19}  {'user':16} {'via':20} {'action':28} {'object':28} {'school':8} provider"
        )
        for r in rows:
            obj = f"{r['object_type']}:{r['object_id']}" if r["object_id"] else r["object_type"]
            self.stdout.write(
                f"{r['id']:>9}  {datetime.fromisoformat(r['at']).astimezone(tz):%Y-%m-%d %H:%M:%S}  {r['user'] or '-':16} {r['via'] or '-':20} {r['action']:28} "
                f"{obj or '-':28} {r['school_id'] or '-':8} {r['provider'] or '-'}"
            )
            change = " -> ".join(selectors.compact(v) or "-" for v in (r["before"], r["after"]))
            details = [f"change: {change}" if r["before"] is not None or r["after"] is not None else ""]
            details += [f"note: {r['note']}" if r["note"] else "", f"ip: {r['ip']}" if r["ip"] else ""]
            if any(details):
                self.stdout.write(" " * 11 + "; ".join(d for d in details if d))
        if more:
            self.stdout.write(f"more rows: add --before {rows[-1]['id']}")


def _refusals() -> dict[str, str]:
    """What each option takes (the page's messages are Indonesian; the command line speaks English)."""
    return {
        "action": "an action code: lower-case letters, digits and _",
        "user": "an account's user name (not a person's name or a phone number)",
        "school": "an NPSN: 8 digits or letters",
        "provider": "one of telkomsel, indosat, xl, axis, tri, smartfren",
        "since": "not a date (YYYY-MM-DD)",
        "until": "not a date (YYYY-MM-DD), or before --since",
    }
