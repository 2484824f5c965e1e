"""`verval period list | create CODE … | edit CODE … | open CODE | close CODE [--json]`: Pusdatin's
periods (tahap) from the command line, for an install scripted end to end (docs/deployment.md step
11) and for starting a new tahap (docs/sptjm.md, "Starting a new tahap").

`create` and `edit` take the fields of the web form (`/pusdatin/periode/baru/`,
`/pusdatin/periode/<code>/ubah/`) and go through the same form and the same action, so the checks
live in one place: reference.forms.PeriodForm (code, name, policy, dates) and
reference.actions.save_period (schedule order, overlap, code in use, a closed period, a policy
already disbursed). `edit` changes only the options given. A refusal is a SPEC-style code and an
English message, exit 2, nothing changed (decision 0026); the audit rows have no actor, as every
command's. Decisions 0076 and 0078."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation

from verval.core.commands import USAGE_ERROR, DataCommand, Refused
from verval.reference import actions, selectors
from verval.reference.forms import PeriodForm
from verval.reference.models import Period

# The form's fields as the command's options name them (a refusal names the option to fix).
OPTIONS = {
    "code": "CODE",
    "name": "--name",
    "policy": "--policy",
    "starts_on": "--starts",
    "ends_on": "--ends",
    "sptjm_print_deadline": "--print-deadline",
    "sptjm_upload_deadline": "--upload-deadline",
    "handover_on": "--handover",
}

# save_period's ValidationError codes as the command's refusal codes. `dates` (the end before
# the start) and a deadline's field name (out of the period or out of order) are one kind.
SCHEDULE_OUT_OF_ORDER = "JADWAL_TIDAK_URUT"
ACTION_CODES = {
    "code": "PERIODE_SUDAH_ADA",
    "overlap": "PERIODE_BERTUMPANG_TINDIH",
    "dates": SCHEDULE_OUT_OF_ORDER,
    "sptjm_print_deadline": SCHEDULE_OUT_OF_ORDER,
    "sptjm_upload_deadline": SCHEDULE_OUT_OF_ORDER,
    "handover_on": SCHEDULE_OUT_OF_ORDER,
    "closed": "PERIODE_DITUTUP",
    "policy": "KEBIJAKAN_TERKUNCI",
}
UNKNOWN_POLICY = "KEBIJAKAN_TIDAK_DIKENAL"
UNKNOWN_PERIOD = "PERIODE_TIDAK_DIKENAL"
# Closing a period that still has live SPTJM, without --yes (the web page's second question).
NEEDS_YES = "KONFIRMASI_DIPERLUKAN"
DATE = "YYYY-MM-DD"
# The date options of create and edit (argparse's names) and the form's fields they fill.
DATE_OPTIONS = {
    "starts": "starts_on",
    "ends": "ends_on",
    "print_deadline": "sptjm_print_deadline",
    "upload_deadline": "sptjm_upload_deadline",
    "handover": "handover_on",
}


class Command(DataCommand):
    help = (
        "List, create, edit, open or close a period (tahap): its code, schedule and quota policy, as "
        "on /pusdatin/. Opening a period closes the one open before it."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,create,edit,open,close}")
        sub.add_parser("list", help="every period: code, state, dates, quota policy, deadlines, name")
        create = sub.add_parser("create", help="create a period (closed: open it with `open`)")
        create.add_argument("code", help="the period's code, e.g. 2020-09-T1 (letters, digits, - and _)")
        edit = sub.add_parser(
            "edit", help="change the options given of a period not closed yet (open, or never opened)"
        )
        edit.add_argument("code", help="the period's code (it does not change)")
        for command, required, unset in ((create, True, ""), (edit, False, "; '' removes it")):
            command.add_argument("--name", required=required, help="its name, e.g. 'Tahap 1 September 2020'")
            command.add_argument(
                "--policy", required=required, help="quota policy code: 2020 or 2021 (SPEC §6)"
            )
            command.add_argument("--starts", required=required, metavar=DATE, help="first day")
            command.add_argument(
                "--ends", required=required, metavar=DATE, help="last day (periods share no day)"
            )
            command.add_argument("--print-deadline", metavar=DATE, help=f"last day to print an SPTJM{unset}")
            command.add_argument(
                "--upload-deadline", metavar=DATE, help=f"last day to upload a signed SPTJM{unset}"
            )
            command.add_argument(
                "--handover", metavar=DATE, help=f"the day the data go to the providers{unset}"
            )
        for name, text in (
            ("open", "open a period; the period open before it is closed"),
            ("close", "close a period"),
        ):
            change = sub.add_parser(name, help=text)
            change.add_argument("code", help="the period's code")
            change.add_argument(
                "--yes",
                action="store_true",
                help="close a period whose SPTJM are still printed, uploaded or returned (the web page asks too)",
            )

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _list(self, opts: dict[str, Any]) -> None:
        rows = [_row(period, state) for period, state in selectors.period_states()]
        if opts["json"]:
            self.emit({"periods": rows})
            return
        if not rows:
            self.stdout.write("No periods yet: create one with `verval period create CODE …`.")
            return
        for row in rows:
            self.stdout.write(_line(row))

    def _create(self, opts: dict[str, Any]) -> None:
        data = {
            "code": opts["code"],
            "name": opts["name"],
            "policy": opts["policy"],
            "starts_on": opts["starts"],
            "ends_on": opts["ends"],
            "sptjm_print_deadline": opts["print_deadline"] or "",
            "sptjm_upload_deadline": opts["upload_deadline"] or "",
            "handover_on": opts["handover"] or "",
        }
        period = _save(data, create=True)
        row = _row(period, "never_opened")
        if opts["json"]:
            self.emit({"period": row})
            return
        self.stdout.write(f"Period {period.code} created (not open yet): {_line(row)}")
        self.stdout.write(f"Open it with: verval period open {period.code}")

    def _edit(self, opts: dict[str, Any]) -> None:
        period = Period.objects.filter(code=opts["code"]).first()
        if period is None:
            raise _unknown(opts["code"])
        stored: dict[str, Any] = {
            "code": period.code,
            "name": period.name,
            "policy": period.policy_id,
            **{field: _iso(getattr(period, field)) or "" for field in DATE_OPTIONS.values()},
        }
        given = {"name": opts["name"], "policy": opts["policy"]}
        given.update({field: opts[option] for option, field in DATE_OPTIONS.items()})
        given = {field: value for field, value in given.items() if value is not None}
        if not given:
            raise Refused(
                USAGE_ERROR,
                "nothing to change: give at least one of --name, --policy, --starts, --ends, "
                "--print-deadline, --upload-deadline, --handover",
                period=period.code,
            )
        before = _row(period, "")
        period = _save({**stored, **given}, create=False)
        after = _row(period, selectors.period_state(period))
        out = {
            "period": after,
            "changed": [field for field in before if field != "state" and before[field] != after[field]],
        }
        if opts["json"]:
            self.emit(out)
            return
        changed = ", ".join(out["changed"]) or "nothing (the values given are the stored ones)"
        self.stdout.write(f"Period {period.code} saved; changed: {changed}.")
        self.stdout.write(_line(after))

    def _open(self, opts: dict[str, Any]) -> None:
        code = opts["code"]
        before = selectors.open_period_codes()
        closing = [c for c in before if c != code]
        live, undisbursed = _confirmed(closing, opts) if selectors.period_exists(code) else (0, 0)
        try:
            period = actions.open_period(actor=None, code=code)
        except Period.DoesNotExist:
            raise _unknown(code) from None
        self._changed(
            period,
            "open",
            changed=code not in before,
            closing=closing,
            live=live,
            undisbursed=undisbursed,
            opts=opts,
        )

    def _close(self, opts: dict[str, Any]) -> None:
        code = opts["code"]
        before = selectors.open_period_codes()
        closing = [code] if code in before else []
        live, undisbursed = _confirmed(closing, opts)
        try:
            period = actions.close_period(actor=None, code=code)
        except Period.DoesNotExist:
            raise _unknown(code) from None
        self._changed(
            period,
            "closed",
            changed=code in before,
            closing=closing,
            live=live,
            undisbursed=undisbursed,
            opts=opts,
        )

    def _changed(
        self,
        period: Period,
        state: str,
        *,
        changed: bool,
        closing: list[str],
        live: int,
        undisbursed: int,
        opts: Any,
    ) -> None:
        """`live`, `undisbursed`: the closing period's live SPTJM and its approved recipients in no
        disbursement batch, as _confirmed counted them."""
        out: dict[str, Any] = {"period": _row(period, state), "changed": changed}
        if opts["action"] == "open":
            out["closed"] = [c for c in closing if c != period.code]
        out["live_documents"] = live
        out["not_disbursed"] = undisbursed
        if opts["json"]:
            self.emit(out)
            return
        verb = "opened" if state == "open" else "closed"
        line = f"Period {period.code} {verb}." if changed else f"Period {period.code} is already {state}."
        if out.get("closed"):
            line += f" Closed {', '.join(out['closed'])}: one period is open at a time."
        self.stdout.write(line)
        if live:
            self.stdout.write(
                f"{live:,} SPTJM of the closed period still hold their recipients' data (printed, "
                "uploaded or returned): upload and review them or void them (the SPTJM review page lists them)."
            )
        if undisbursed:
            self.stdout.write(
                f"{undisbursed:,} recipients covered by an approved SPTJM of the closed period were in no "
                "disbursement batch: they receive no quota for it."
            )


def _save(data: dict[str, Any], *, create: bool) -> Period:
    """The web form, then the action, as the page runs them; a refusal as its code."""
    # The form's and the action's messages in English, the command line's language (decision 0061).
    with translation.override("en"):
        form = PeriodForm(data)
        if not form.is_valid():
            raise _form_refusal(form, data)
        try:
            return actions.save_period(actor=None, create=create, **form.cleaned_data)
        except ValidationError as exc:
            code = ACTION_CODES.get(str(exc.code), USAGE_ERROR)
            details: dict[str, Any] = {"period": data["code"]}
            if code == SCHEDULE_OUT_OF_ORDER:
                details["option"] = OPTIONS.get(str(exc.code), "--ends")
            raise Refused(code, exc.messages[0], **details) from None


def _confirmed(closing: list[str], opts: Any) -> tuple[int, int]:
    """The web page lists a closing period's live SPTJM, and says how many recipients approved
    for it are in no disbursement batch yet (a closed period is not disbursed, decision 0078), and
    asks again before it closes it; here `--yes` is that second answer. Without it nothing
    changes. Returns both counts for the command's output (counted once; nothing when nothing
    closes)."""
    from verval.sptjm import selectors as sptjm_selectors  # sptjm builds on reference

    if not closing:
        return 0, 0
    live = sptjm_selectors.live_documents_count(closing)
    undisbursed = sptjm_selectors.not_disbursed_count(closing)
    if (live or undisbursed) and not opts["yes"]:
        said = []
        details: dict[str, Any] = {"period": closing[0]}
        if live:
            said.append(
                f"{live:,} SPTJM of {', '.join(closing)} are still printed, uploaded or returned and keep "
                "their recipients' data locked; closing leaves them to be uploaded, reviewed or voided."
            )
            details["live_documents"] = live
        if undisbursed:
            said.append(
                f"{undisbursed:,} recipients covered by an approved SPTJM of {', '.join(closing)} are in no "
                "disbursement batch yet, and a closed period is not disbursed: run `verval disburse "
                f"--period {closing[0]}` first if they are to receive its quota."
            )
            details["not_disbursed"] = undisbursed
        said.append("Run again with --yes to close it anyway; nothing was changed.")
        raise Refused(NEEDS_YES, " ".join(said), **details)
    return live, undisbursed


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _row(period: Period, state: str) -> dict[str, Any]:
    return {
        "code": period.code,
        "name": period.name,
        "state": state,
        "policy": period.policy_id,
        "starts_on": _iso(period.starts_on),
        "ends_on": _iso(period.ends_on),
        "sptjm_print_deadline": _iso(period.sptjm_print_deadline),
        "sptjm_upload_deadline": _iso(period.sptjm_upload_deadline),
        "handover_on": _iso(period.handover_on),
    }


def _line(row: dict[str, Any]) -> str:
    """`2020-09A open 2020-09-01 to 2020-09-28, policy 2020, print by 2020-09-20, upload by
    2020-09-25, handover - : Tahap 1` (a deadline not set is `-`)."""
    return (
        f"{row['code']} {row['state']} {row['starts_on']} to {row['ends_on']}, policy {row['policy']}, "
        f"print by {row['sptjm_print_deadline'] or '-'}, upload by {row['sptjm_upload_deadline'] or '-'}, "
        f"handover {row['handover_on'] or '-'}: {row['name']}"
    )


def _form_refusal(form: PeriodForm, data: dict[str, Any]) -> Refused:
    """The first field the form refused (in the form's order), named by its option."""
    for field in form.fields:
        errors = form.errors.as_data().get(field)
        if not errors:
            continue
        if field == "policy" and errors[0].code == "invalid_choice":
            known = ", ".join(sorted(form.fields["policy"].queryset.values_list("pk", flat=True)))  # type: ignore[attr-defined]
            return Refused(
                UNKNOWN_POLICY,
                f"unknown quota policy {data['policy']!r} (known: {known})",
                period=data["code"],
                option="--policy",
            )
        # The code's pattern error says only "Enter a valid value."; its help text says what is.
        hint = f" {form.fields[field].help_text}" if form.fields[field].help_text else ""
        message = f"{OPTIONS[field]}: {' '.join(errors[0].messages)}{hint}"
        return Refused(USAGE_ERROR, message, period=data["code"], option=OPTIONS[field])
    return Refused(USAGE_ERROR, "the period's fields were refused", period=data["code"])  # pragma: no cover


def _unknown(code: str) -> Refused:
    return Refused(UNKNOWN_PERIOD, f"no period {code!r}", period=code)
