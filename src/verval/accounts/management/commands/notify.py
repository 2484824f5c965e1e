"""`verval notify`: the daily digest by e-mail to school operators and Dinas (decision 0043)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone

from verval.accounts import digest
from verval.core.commands import USAGE_ERROR, DataCommand, Refused, count_text
from verval.core.db import DIGEST_RUN, only_run

SITE_URL_MISSING = "SITE_URL_BELUM_DIATUR"
ALREADY_RUNNING = "SEDANG_BERJALAN"


class Command(DataCommand):
    help = (
        "Send the daily digest: to each school's operators what changed since their last digest, "
        "to each Dinas its late schools. Run once a day; a second run the same day sends nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", help="as of this day (YYYY-MM-DD; default today, WIB)")
        parser.add_argument("--only", choices=["operators", "dinas"], help="only these mails")
        parser.add_argument("--dry-run", action="store_true", help="count the mails, send and record none")

    def handle(self, *args: Any, **opts: Any) -> None:
        today = timezone.localdate()
        as_of = today
        if opts["date"]:
            try:
                as_of = date.fromisoformat(opts["date"])
            except ValueError:
                raise Refused(USAGE_ERROR, f"--date must be YYYY-MM-DD: {opts['date']}") from None
            if as_of > today:
                raise Refused(USAGE_ERROR, f"--date is in the future: {as_of.isoformat()}")
        if not settings.VERVAL.get("SITE_URL") and not opts["dry_run"]:
            # A mail's links need the site's address; a command has no request to take it from.
            raise Refused(SITE_URL_MISSING, "set VERVAL_SITE_URL: the digest's links need the site's address")
        with only_run(DIGEST_RUN, "notify") as mine:
            if not mine:
                # Both runs would compute the same mails before either records them as sent.
                raise Refused(ALREADY_RUNNING, "another verval notify is running; this one sent nothing")
            result = digest.run(actor=None, as_of=as_of, only=opts["only"] or "", dry_run=opts["dry_run"])
        if opts["json"]:
            self.emit(result)
        else:
            self.stdout.write(", ".join(f"{k}: {count_text(v)}" for k, v in result.items()))
